package bench_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/idbits/idbits/bench"
	"github.com/idbits/idbits/idtypes"
)

// large reports whether the large benchmark sizes are on.
func large() bool { return os.Getenv("IDBITS_BENCH_LARGE") == "1" }

// idsPerPerson is about how many identities a default world has per person:
// 2.5 ECIDs, 0.7 CRM IDs, 0.6 emails and their hashes, 0.3 phones.
const idsPerPerson = 2.5 + 0.7 + 2*0.6 + 0.3

func BenchmarkGenerate(b *testing.B) {
	sizes := []int{1e5}
	if large() {
		for _, ids := range []float64{1e6, 1e7} {
			sizes = append(sizes, int(ids/idsPerPerson))
		}
	}
	for _, people := range sizes {
		b.Run("impl=idbits/people="+strconv.Itoa(people), func(b *testing.B) {
			b.ReportAllocs()
			ids := 0
			for b.Loop() {
				w := bench.Generate(bench.Config{Seed: 1, People: people})
				ids = len(w.Identities())
			}
			reportIDs(b, ids)
		})
		if people > 1e6 {
			continue // the naive generator takes too long and too much memory
		}
		b.Run("impl=naive/people="+strconv.Itoa(people), func(b *testing.B) {
			b.ReportAllocs()
			ids := 0
			for b.Loop() {
				ids = naiveGenerate(1, people).ids
			}
			reportIDs(b, ids)
		})
	}
}

func reportIDs(b *testing.B, ids int) {
	b.ReportMetric(float64(ids)*float64(b.N)/b.Elapsed().Seconds(), "ids/s")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(ids)/float64(b.N), "ns/id")
	b.ReportMetric(float64(ids), "ids")
}

// naiveWorld is what a Go programmer would first write: a struct per
// person and per record, values formatted with fmt, one goroutine.
type naiveWorld struct {
	people  []naivePerson
	records []bench.Record
	ids     int
}

type naivePerson struct {
	ECIDs    []idtypes.ID
	Declared []idtypes.ID
}

func naiveGenerate(seed uint64, people int) naiveWorld {
	r := rand.New(rand.NewPCG(seed, 0))
	start := time.Date(2026, time.March, 3, 0, 0, 0, 0, time.UTC)
	var w naiveWorld
	for p := range people {
		var person naivePerson
		k := 1
		for k < bench.MaxECIDs && r.Float64() < 0.6 { // geometric, mean 2.5
			k++
		}
		for range k {
			id, err := idtypes.Parse(idtypes.ECID, fmt.Sprintf("%019d%019d", r.Int64(), r.Int64()))
			if err != nil {
				panic(err)
			}
			person.ECIDs = append(person.ECIDs, id)
		}
		if r.Float64() < 0.7 {
			person.Declared = append(person.Declared, idtypes.MustParse(idtypes.CRMID, fmt.Sprintf("C%011d", p)))
		}
		if r.Float64() < 0.6 {
			addr := fmt.Sprintf("person.%d@example.com", p)
			h, err := idtypes.HashEmail(addr)
			if err != nil {
				panic(err)
			}
			person.Declared = append(person.Declared, idtypes.MustParse(idtypes.Email, addr), h)
		}
		if r.Float64() < 0.3 {
			person.Declared = append(person.Declared, idtypes.MustParse(idtypes.Phone, fmt.Sprintf("+447%09d", p)))
		}
		for _, e := range person.ECIDs {
			rec := bench.Record{At: start.Add(time.Duration(r.Int64N(int64(bench.Window)))), Person: p}
			rec.IDs = append([]idtypes.ID{e}, person.Declared...)
			w.records = append(w.records, rec)
		}
		w.ids += len(person.ECIDs) + len(person.Declared)
		w.people = append(w.people, person)
	}
	return w
}

// benchWorld is the world the writer benchmarks write.
func benchWorld() *bench.World { return bench.Generate(bench.Config{Seed: 1, People: 20_000}) }

func BenchmarkWriteXDM(b *testing.B) {
	w := benchWorld()
	ids := 0
	for rec := range w.Records() {
		ids += len(rec.IDs)
	}
	b.Run("impl=idbits", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := w.WriteXDM(io.Discard); err != nil {
				b.Fatal(err)
			}
		}
		reportIDs(b, ids)
	})
	b.Run("impl=naive", func(b *testing.B) {
		type entry struct {
			ID    string `json:"id"`
			State string `json:"authenticatedState,omitempty"`
		}
		type record struct {
			Timestamp   string             `json:"timestamp"`
			IdentityMap map[string][]entry `json:"identityMap"`
		}
		b.ReportAllocs()
		for b.Loop() {
			bw := bufio.NewWriter(io.Discard)
			enc := json.NewEncoder(bw)
			for rec := range w.Records() {
				x := record{Timestamp: rec.At.Format(time.RFC3339), IdentityMap: map[string][]entry{}}
				for _, id := range rec.IDs {
					e := entry{ID: id.String()}
					if !id.Namespace().Visitor() {
						e.State = "authenticated"
					}
					x.IdentityMap[id.Namespace().String()] = append(x.IdentityMap[id.Namespace().String()], e)
				}
				if err := enc.Encode(x); err != nil {
					b.Fatal(err)
				}
			}
			if err := bw.Flush(); err != nil {
				b.Fatal(err)
			}
		}
		reportIDs(b, ids)
	})
}

func BenchmarkWriteList(b *testing.B) {
	w := benchWorld()
	s := w.Segment(bench.SegmentSpec{Density: 0.5, Unknown: 0.05, Malformed: 0.05})
	lines := s.Count(bench.Known) + s.Count(bench.Unknown) + s.Count(bench.Malformed)
	b.Run("impl=idbits", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := s.WriteList(io.Discard, ""); err != nil {
				b.Fatal(err)
			}
		}
		reportIDs(b, lines)
	})
	b.Run("impl=naive", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			bw := bufio.NewWriter(io.Discard)
			for l := range s.Lines() {
				var err error
				if l.Kind == bench.Malformed {
					_, err = fmt.Fprintf(bw, "%s:%s\n", s.Namespace(), l.Value)
				} else {
					_, err = fmt.Fprintln(bw, l.ID.Text())
				}
				if err != nil {
					b.Fatal(err)
				}
			}
			if err := bw.Flush(); err != nil {
				b.Fatal(err)
			}
		}
		reportIDs(b, lines)
	})
}
