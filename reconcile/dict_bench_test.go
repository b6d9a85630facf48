package reconcile

import (
	"math/rand/v2"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/idbits/idbits/idtypes"
)

// benchInputs holds the generated identifiers per size, built once per run
// and never timed.
var benchInputs struct {
	sync.Mutex
	ids map[int]benchInput
}

type benchInput struct {
	ids       []idtypes.ID // in arrival order
	shuffled  []idtypes.ID // the same, in another order, for lookups
	canonical int64        // bytes of their binary keys
}

func inputs(n int) benchInput {
	benchInputs.Lock()
	defer benchInputs.Unlock()
	if in, ok := benchInputs.ids[n]; ok {
		return in
	}
	if benchInputs.ids == nil {
		benchInputs.ids = make(map[int]benchInput)
	}
	in := benchInput{ids: mixedIDs(n, 2026)}
	in.shuffled = append([]idtypes.ID(nil), in.ids...)
	rand.New(rand.NewPCG(1, 2)).Shuffle(n, func(i, j int) {
		in.shuffled[i], in.shuffled[j] = in.shuffled[j], in.shuffled[i]
	})
	var buf [64]byte
	for _, id := range in.ids {
		k, _ := id.AppendBinary(buf[:0])
		in.canonical += int64(len(k))
	}
	benchInputs.ids[n] = in
	return in
}

// naiveDictionary is what a Go programmer would write first: a map from the
// binary key as a string, and a slice of keys for the way back.
type naiveDictionary struct {
	ords map[string]uint32
	keys []string
}

func newNaive() *naiveDictionary { return &naiveDictionary{ords: make(map[string]uint32)} }

func (d *naiveDictionary) add(id idtypes.ID) uint32 {
	var buf keyBuf
	key, _ := id.AppendBinary(buf[:0])
	if ord, ok := d.ords[string(key)]; ok {
		return ord
	}
	s := string(key)
	ord := uint32(len(d.keys))
	d.ords[s] = ord
	d.keys = append(d.keys, s)
	return ord
}

func (d *naiveDictionary) lookup(id idtypes.ID) (uint32, bool) {
	var buf keyBuf
	key, _ := id.AppendBinary(buf[:0])
	ord, ok := d.ords[string(key)]
	return ord, ok
}

// builders make a dictionary of ids, the way each implementation would.
var builders = map[string]func(b *testing.B, ids []idtypes.ID, ords []uint32) any{
	"idbits": func(b *testing.B, ids []idtypes.ID, ords []uint32) any {
		d := NewDictionary()
		if err := d.AddMany(ids, ords); err != nil {
			b.Fatal(err)
		}
		return d
	},
	"naive": func(b *testing.B, ids []idtypes.ID, ords []uint32) any {
		d := newNaive()
		for i, id := range ids {
			ords[i] = d.add(id)
		}
		return d
	},
}

// BenchmarkDictionary adds new identifiers (op=add) and looks up known ones
// in another order (op=lookup), with the Dictionary (impl=idbits: AddMany and
// LookupMany, fanning out over GOMAXPROCS) and the naive map (impl=naive: a
// loop on one goroutine). Inputs mix ECIDs, CRM IDs and hashed emails. It
// reports ns/id and, for adds, bytes/id: the heap the built dictionary holds
// beyond its identifiers' canonical keys, measured after the timed loop.
func BenchmarkDictionary(b *testing.B) {
	for _, op := range []string{"add", "lookup"} {
		for _, impl := range []string{"idbits", "naive"} {
			for _, n := range []int{1e6, 1e7} {
				name := "op=" + op + "/impl=" + impl + "/n=" + strconv.Itoa(n/1e6) + "M"
				b.Run(name, func(b *testing.B) {
					if n > 1e6 && testing.Short() {
						b.Skip("10M identifiers take too long under -short")
					}
					in := inputs(n)
					ords := make([]uint32, n)
					build := builders[impl]
					if op == "add" {
						benchAdd(b, in, ords, build)
					} else {
						benchLookup(b, in, ords, build(b, in.ids, ords), impl)
					}
				})
			}
		}
	}
}

func benchAdd(b *testing.B, in benchInput, ords []uint32, build func(*testing.B, []idtypes.ID, []uint32) any) {
	n := len(in.ids)
	runtime.GC()
	b.ReportAllocs()
	cpu := startCPU()
	for b.Loop() {
		build(b, in.ids, ords)
	}
	reportRate(b, n, cpu)

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	d := build(b, in.ids, ords)
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(d)
	runtime.KeepAlive(ords) // else it dies during the build and its 4n bytes go uncounted
	extra := int64(after.HeapAlloc) - int64(before.HeapAlloc) - in.canonical
	b.ReportMetric(float64(extra)/float64(n), "bytes/id")
}

func benchLookup(b *testing.B, in benchInput, ords []uint32, d any, impl string) {
	n := len(in.ids)
	runtime.GC()
	b.ReportAllocs()
	cpu := startCPU()
	for b.Loop() {
		found := 0
		switch d := d.(type) {
		case *Dictionary:
			found = d.LookupMany(in.shuffled, ords)
		case *naiveDictionary:
			for i, id := range in.shuffled {
				var ok bool
				if ords[i], ok = d.lookup(id); ok {
					found++
				}
			}
		}
		if found != n {
			b.Fatalf("%s found %d of %d", impl, found, n)
		}
	}
	reportRate(b, n, cpu)
}

// startCPU returns the process CPU time so far, or -1 if unknown.
func startCPU() time.Duration {
	if t, ok := processCPU(); ok {
		return t
	}
	return -1
}

// reportRate reports ns/id and ids/s of wall time and, where the platform
// tells, cpu-ns/id: the CPU time of the whole process (every goroutine, the
// GC included) per identifier since start, which moves much less with other
// processes' load than wall time.
func reportRate(b *testing.B, n int, start time.Duration) {
	ids := float64(n) * float64(b.N)
	b.ReportMetric(b.Elapsed().Seconds()*1e9/ids, "ns/id")
	b.ReportMetric(ids/b.Elapsed().Seconds(), "ids/s")
	if now, ok := processCPU(); ok && start >= 0 {
		b.ReportMetric(float64(now-start)/ids, "cpu-ns/id")
	}
}

// BenchmarkDictionaryOne is BenchmarkDictionary one identifier per call, on
// one goroutine: a loop of Add or Lookup against the naive map's loop.
func BenchmarkDictionaryOne(b *testing.B) {
	const n = 1e6
	for _, op := range []string{"add", "lookup"} {
		for _, impl := range []string{"idbits", "naive"} {
			b.Run("op="+op+"/impl="+impl+"/n=1M", func(b *testing.B) {
				in := inputs(n)
				var add func(idtypes.ID) uint32
				var lookup func(idtypes.ID) (uint32, bool)
				build := func() {
					if impl == "naive" {
						d := newNaive()
						add, lookup = d.add, d.lookup
						return
					}
					d := NewDictionary()
					add = func(id idtypes.ID) uint32 { ord, _ := d.Add(id); return ord }
					lookup = d.Lookup
				}
				build()
				if op == "lookup" {
					for _, id := range in.ids {
						add(id)
					}
				}
				runtime.GC()
				b.ReportAllocs()
				cpu := startCPU()
				for b.Loop() {
					if op == "add" {
						b.StopTimer()
						build()
						b.StartTimer()
						for _, id := range in.ids {
							add(id)
						}
						continue
					}
					for _, id := range in.shuffled {
						if _, ok := lookup(id); !ok {
							b.Fatal("lost an identifier")
						}
					}
				}
				reportRate(b, n, cpu)
			})
		}
	}
}
