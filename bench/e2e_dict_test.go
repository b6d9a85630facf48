package bench_test

import (
	"testing"

	"github.com/idbits/idbits/reconcile"
)

// BenchmarkDictAdd builds a dictionary of every identity of the world, in
// arrival order. impl=idbits: reconcile.Dictionary.AddMany on the parsed
// identifiers (it fans out over GOMAXPROCS goroutines). impl=naive: a
// map[string]uint32 from "NS:value" text to ordinal and a []string back,
// filled on one goroutine from the text, which it is given ready-made.
func BenchmarkDictAdd(b *testing.B) {
	e2eEach(b, func(b *testing.B, fx *e2eFixture, impl string) {
		ords := make([]uint32, len(fx.ids))
		var texts []string
		if impl == "naive" {
			texts = fx.e2eTexts()
		}
		b.ReportAllocs()
		for b.Loop() {
			switch impl {
			case "idbits":
				d := reconcile.NewDictionary()
				if err := d.AddMany(fx.ids, ords); err != nil {
					b.Fatal(err)
				}
				if d.Len() != len(fx.ids) {
					b.Fatalf("dictionary holds %d identifiers, want %d", d.Len(), len(fx.ids))
				}
			case "naive":
				d := newNaiveDict()
				for i, t := range texts {
					ords[i] = d.add(t)
				}
				if len(d.keys) != len(fx.ids) {
					b.Fatalf("dictionary holds %d identifiers, want %d", len(d.keys), len(fx.ids))
				}
			}
		}
		e2eRate(b, len(fx.ids), "id")
	})
}

// BenchmarkDictLookup looks up every identity of the world, in a random
// order, in a dictionary of them all. impl=idbits:
// reconcile.Dictionary.LookupMany (fanning out over GOMAXPROCS goroutines).
// impl=naive: the map of BenchmarkDictAdd, one lookup at a time on one
// goroutine.
func BenchmarkDictLookup(b *testing.B) {
	e2eEach(b, func(b *testing.B, fx *e2eFixture, impl string) {
		ids, texts := fx.e2eShuffled()
		ords := make([]uint32, len(ids))
		var d *reconcile.Dictionary
		var nd *naiveDict
		switch impl {
		case "idbits":
			d = reconcile.NewDictionary()
			if err := d.AddMany(fx.ids, ords); err != nil {
				b.Fatal(err)
			}
		case "naive":
			nd = newNaiveDict()
			for _, t := range fx.e2eTexts() {
				nd.add(t)
			}
		}
		b.ReportAllocs()
		for b.Loop() {
			found := 0
			switch impl {
			case "idbits":
				found = d.LookupMany(ids, ords)
			case "naive":
				for i, t := range texts {
					o, ok := nd.ords[t]
					if ok {
						found++
					}
					ords[i] = o
				}
			}
			if found != len(ids) {
				b.Fatalf("found %d identifiers of %d", found, len(ids))
			}
		}
		e2eRate(b, len(ids), "id")
	})
}

// naiveDict is the dictionary a Go programmer would write: "NS:value" text
// to ordinal, and back.
type naiveDict struct {
	ords map[string]uint32
	keys []string
}

func newNaiveDict() *naiveDict { return &naiveDict{ords: map[string]uint32{}} }

func (d *naiveDict) add(t string) uint32 {
	if o, ok := d.ords[t]; ok {
		return o
	}
	o := uint32(len(d.keys))
	d.ords[t] = o
	d.keys = append(d.keys, t)
	return o
}
