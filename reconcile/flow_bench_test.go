package reconcile_test

import (
	"bufio"
	"bytes"
	"io"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/idbits/idbits/bitmap"
	"github.com/idbits/idbits/idtypes"
	"github.com/idbits/idbits/reconcile"
	"github.com/idbits/idbits/reconcile/idfile"
)

// The flow benchmarks run on one generated world (package bench imports
// reconcile, so these tests make their own): benchPeople people, each with
// one to three ECIDs, a CRM ID (70%) and an email (50%), one record each.
// Each benchmark puts the idbits flow beside what a Go programmer would
// write with maps of strings and sorted slices (impl=naive); the naive side
// gets its maps built outside the timer. Besides wall time, each reports the
// processor time of the whole process per unit (cpu-ns/...), which a busy
// machine inflates less.

const benchPeople = 500_000

// people returns the size of the world, and sizes the sizes to run: with
// -short (as CI runs every benchmark once), a small world and one small
// size, so that the benchmarks keep working without taking long.
func people() int {
	if testing.Short() {
		return 20_000
	}
	return benchPeople
}

func sizes(full ...int) []int {
	if testing.Short() {
		return []int{10_000}
	}
	return full
}

type benchWorld struct {
	g      *reconcile.Graph
	v      *reconcile.View
	ecids  []idtypes.ID // every ECID, by person in order
	people [][]idtypes.ID
}

var (
	benchOnce     sync.Once
	theBenchWorld *benchWorld
)

func getBenchWorld(b *testing.B) *benchWorld {
	b.Helper()
	benchOnce.Do(func() {
		rnd := rand.New(rand.NewPCG(7, 7))
		w := &benchWorld{g: mustGraph(reconcile.Rules{Unique: []idtypes.Namespace{idtypes.CRMID}})}
		var batch reconcile.Batch
		at := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
		for p := range people() {
			var ids []idtypes.ID
			for range 1 + rnd.IntN(3) {
				id, err := idtypes.FromHalves(idtypes.ECID, rnd.Uint64()>>1, rnd.Uint64()>>1)
				if err != nil {
					panic(err)
				}
				ids = append(ids, id)
				w.ecids = append(w.ecids, id)
			}
			if rnd.IntN(10) < 7 {
				ids = append(ids, idtypes.MustParse(idtypes.CRMID, "C"+strconv.Itoa(p)))
			}
			if rnd.IntN(10) < 5 {
				ids = append(ids, idtypes.MustParse(idtypes.Email, "person"+strconv.Itoa(p)+"@example.com"))
			}
			w.people = append(w.people, ids)
			batch.Add(at.Add(time.Duration(p)*time.Second), ids...)
			if batch.Len() == 100_000 {
				if _, err := w.g.LinkMany(&batch); err != nil {
					panic(err)
				}
				batch.Reset()
			}
		}
		if _, err := w.g.LinkMany(&batch); err != nil {
			panic(err)
		}
		w.v = w.g.View()
		theBenchWorld = w
	})
	return theBenchWorld
}

// segment returns n lines "ECID:value" of random ECIDs of the world (so
// with repeats), 5% of them unknown and 0.5% malformed.
func (w *benchWorld) segment(n int) []byte {
	rnd := rand.New(rand.NewPCG(uint64(n), 1))
	var buf bytes.Buffer
	buf.Grow(n * 44)
	var line []byte
	for range n {
		line = line[:0]
		switch r := rnd.IntN(1000); {
		case r < 5:
			line = append(line, "ECID:12345x"...)
		case r < 55:
			id, err := idtypes.FromHalves(idtypes.ECID, rnd.Uint64()>>1, rnd.Uint64()>>1)
			if err != nil {
				panic(err)
			}
			line, _ = id.AppendText(line)
		default:
			line, _ = w.ecids[rnd.IntN(len(w.ecids))].AppendText(line)
		}
		buf.Write(line)
		buf.WriteByte('\n')
	}
	return buf.Bytes()
}

// naiveProfiles maps the text of every identifier to its profile: the
// lookup table of the naive import, which like the Dictionary can resolve
// any identifier of the graph.
func (w *benchWorld) naiveProfiles() map[string]uint32 {
	m := make(map[string]uint32)
	for _, ids := range w.people {
		p, ok := w.v.Profile(ids[0])
		if !ok {
			panic("person without a profile")
		}
		for _, id := range ids {
			m[id.Text()] = uint32(p)
		}
	}
	return m
}

// naiveImport is the import a Go programmer would write first: scan lines,
// skip blank and comment lines, deduplicate and look up the text in maps.
func naiveImport(r io.Reader, profileOf map[string]uint32) (lines, dups, unknown int, profiles map[uint32]struct{}, err error) {
	sc := bufio.NewScanner(r)
	seen := map[string]struct{}{}
	profiles = map[uint32]struct{}{}
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		lines++
		if _, ok := seen[line]; ok {
			dups++
			continue
		}
		seen[line] = struct{}{}
		p, ok := profileOf[line]
		if !ok {
			unknown++
			continue
		}
		profiles[p] = struct{}{}
	}
	return lines, dups, unknown, profiles, sc.Err()
}

func BenchmarkImport(b *testing.B) {
	for _, n := range sizes(1e5, 1e6) {
		b.Run("lines="+strconv.Itoa(n), func(b *testing.B) {
			w := getBenchWorld(b)
			data := w.segment(n)
			b.Run("impl=idbits", func(b *testing.B) {
				b.ReportAllocs()
				c0 := reconcile.CPUTime()
				for b.Loop() {
					res, err := reconcile.ImportList(w.v, bytes.NewReader(data), idfile.ListOptions{}, reconcile.ImportOptions{})
					if err != nil || res.Report.Lines != n {
						b.Fatal(err, res.Report.Lines)
					}
				}
				b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "lines/s")
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n*b.N), "ns/line")
				b.ReportMetric(float64(reconcile.CPUTime()-c0)/float64(n*b.N), "cpu-ns/line")
			})
			b.Run("impl=naive", func(b *testing.B) {
				profileOf := w.naiveProfiles()
				b.ReportAllocs()
				c0 := reconcile.CPUTime()
				for b.Loop() {
					lines, _, _, _, err := naiveImport(bytes.NewReader(data), profileOf)
					if err != nil || lines != n {
						b.Fatal(err, lines)
					}
				}
				b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "lines/s")
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n*b.N), "ns/line")
				b.ReportMetric(float64(reconcile.CPUTime()-c0)/float64(n*b.N), "cpu-ns/line")
			})
		})
	}
}

// audience returns n random profiles of the world (n at most the number of
// people), as keys under v.
func (w *benchWorld) audience(v *reconcile.View, n int, seed uint64) reconcile.Profiles {
	rnd := rand.New(rand.NewPCG(seed, 2))
	var bl bitmap.Builder
	for _, i := range rnd.Perm(len(w.people))[:n] {
		p, ok := v.Profile(w.people[i][0])
		if !ok {
			panic("person without a profile")
		}
		bl.Add(uint32(p))
	}
	a, err := v.AsProfiles(bl.Audience())
	if err != nil {
		panic(err)
	}
	return a
}

func BenchmarkExport(b *testing.B) {
	for _, n := range sizes(1e5, benchPeople) {
		b.Run("profiles="+strconv.Itoa(n), func(b *testing.B) {
			w := getBenchWorld(b)
			aud := w.audience(w.v, n, 3)
			opts := reconcile.ExportOptions{Namespaces: []idtypes.Namespace{idtypes.ECID}}
			res, err := reconcile.Export(w.v, aud, opts)
			if err != nil {
				b.Fatal(err)
			}
			ids := res.Report.Identifiers
			b.Run("impl=idbits", func(b *testing.B) {
				b.ReportAllocs()
				c0 := reconcile.CPUTime()
				for b.Loop() {
					if _, err := reconcile.WriteExport(io.Discard, w.v, aud, opts); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(ids*b.N)/b.Elapsed().Seconds(), "ids/s")
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(ids*b.N), "ns/id")
				b.ReportMetric(float64(reconcile.CPUTime()-c0)/float64(ids*b.N), "cpu-ns/id")
			})
			b.Run("impl=idbits-iter", func(b *testing.B) {
				b.ReportAllocs()
				c0 := reconcile.CPUTime()
				for b.Loop() {
					res, err := reconcile.Export(w.v, aud, opts)
					if err != nil {
						b.Fatal(err)
					}
					k := 0
					for range res.IDs {
						k++
					}
					if k != ids {
						b.Fatal(k, ids)
					}
				}
				b.ReportMetric(float64(ids*b.N)/b.Elapsed().Seconds(), "ids/s")
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(ids*b.N), "ns/id")
				b.ReportMetric(float64(reconcile.CPUTime()-c0)/float64(ids*b.N), "cpu-ns/id")
			})
			b.Run("impl=naive", func(b *testing.B) {
				// Profile -> member texts, and the audience as a sorted slice.
				members := map[uint32][]string{}
				for _, idsOf := range w.people {
					p, _ := w.v.Profile(idsOf[0])
					for _, id := range idsOf {
						members[uint32(p)] = append(members[uint32(p)], id.Text())
					}
				}
				profiles := aud.Audience().AppendTo(nil)
				b.ReportAllocs()
				c0 := reconcile.CPUTime()
				for b.Loop() {
					var out []string
					for _, p := range profiles {
						for _, s := range members[p] {
							if strings.HasPrefix(s, "ECID:") {
								out = append(out, s)
							}
						}
					}
					slices.Sort(out)
					bw := bufio.NewWriter(io.Discard)
					for _, s := range out {
						bw.WriteString(s)
						bw.WriteByte('\n')
					}
					if err := bw.Flush(); err != nil || len(out) != ids {
						b.Fatal(err, len(out), ids)
					}
				}
				b.ReportMetric(float64(ids*b.N)/b.Elapsed().Seconds(), "ids/s")
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(ids*b.N), "ns/id")
				b.ReportMetric(float64(reconcile.CPUTime()-c0)/float64(ids*b.N), "cpu-ns/id")
			})
		})
	}
}

// joinSetup builds two audiences of n profiles under the world's view, then
// merges 1% of the people pairwise and returns the new view: the join must
// project both audiences. It works on a graph of its own copy of the links,
// so that the shared world stays as it is.
type joinSetup struct {
	v    *reconcile.View
	a, b reconcile.Profiles
	// The naive side: the audiences as sorted slices of old profiles, and a
	// map from old profile to new.
	na, nb []uint32
	remap  map[uint32]uint32
}

var (
	joinOnce sync.Once
	joinW    *benchWorld
)

func newJoinSetup(b *testing.B, n int) *joinSetup {
	b.Helper()
	joinOnce.Do(func() {
		// A world of its own, since the merges change it.
		w := getBenchWorld(b)
		g := mustGraph(w.g.Rules())
		var batch reconcile.Batch
		at := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
		for _, ids := range w.people {
			batch.Add(at, ids...)
		}
		if _, err := g.LinkMany(&batch); err != nil {
			panic(err)
		}
		joinW = &benchWorld{g: g, v: g.View(), people: w.people}
	})
	w := joinW
	old := w.v
	s := &joinSetup{a: w.audience(old, n, 4), b: w.audience(old, n, 5)}
	rnd := rand.New(rand.NewPCG(6, uint64(n)))
	var batch reconcile.Batch
	at := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	for range len(w.people) / 100 {
		x, y := w.people[rnd.IntN(len(w.people))], w.people[rnd.IntN(len(w.people))]
		batch.Add(at, x[0], y[len(y)-1])
	}
	if _, err := w.g.LinkMany(&batch); err != nil {
		panic(err)
	}
	s.v = w.g.View()
	w.v = s.v
	// An old profile goes to the new profile of its key.
	s.remap = map[uint32]uint32{}
	for p := range old.Profiles().All() {
		if np, ok := s.v.Profile(old.Key(p)); ok {
			s.remap[uint32(p)] = uint32(np)
		}
	}
	s.na, s.nb = s.a.Audience().AppendTo(nil), s.b.Audience().AppendTo(nil)
	return s
}

// naiveProject maps old profiles to new ones and sorts and deduplicates.
func naiveProject(old []uint32, remap map[uint32]uint32) []uint32 {
	out := make([]uint32, 0, len(old))
	for _, p := range old {
		if np, ok := remap[p]; ok {
			out = append(out, np)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// naiveAnd intersects sorted slices; with count only it builds nothing.
func naiveAnd(x, y []uint32, countOnly bool) (out []uint32, n int) {
	i, j := 0, 0
	for i < len(x) && j < len(y) {
		switch {
		case x[i] < y[j]:
			i++
		case x[i] > y[j]:
			j++
		default:
			if !countOnly {
				out = append(out, x[i])
			}
			n++
			i++
			j++
		}
	}
	return out, n
}

func BenchmarkJoin(b *testing.B) {
	for _, n := range sizes(1e5, 4e5) {
		b.Run("profiles="+strconv.Itoa(n), func(b *testing.B) {
			s := newJoinSetup(b, n)
			got, err := reconcile.JoinLen(s.v, reconcile.JoinAnd, s.a, s.b)
			if err != nil {
				b.Fatal(err)
			}
			if _, k := naiveAnd(naiveProject(s.na, s.remap), naiveProject(s.nb, s.remap), true); uint64(k) != got {
				b.Fatalf("naive join counts %d, Join %d", k, got)
			}
			for _, mode := range []string{"materialized", "count"} {
				b.Run("mode="+mode+"/impl=idbits", func(b *testing.B) {
					b.ReportAllocs()
					c0 := reconcile.CPUTime()
					for b.Loop() {
						if mode == "count" {
							if _, err := reconcile.JoinLen(s.v, reconcile.JoinAnd, s.a, s.b); err != nil {
								b.Fatal(err)
							}
							continue
						}
						if _, _, err := reconcile.Join(s.v, reconcile.JoinAnd, s.a, s.b); err != nil {
							b.Fatal(err)
						}
					}
					b.ReportMetric(float64(2*n*b.N)/b.Elapsed().Seconds(), "members/s")
					b.ReportMetric(float64(reconcile.CPUTime()-c0)/float64(2*n*b.N), "cpu-ns/member")
				})
				b.Run("mode="+mode+"/impl=naive", func(b *testing.B) {
					b.ReportAllocs()
					c0 := reconcile.CPUTime()
					for b.Loop() {
						x, y := naiveProject(s.na, s.remap), naiveProject(s.nb, s.remap)
						naiveAnd(x, y, mode == "count")
					}
					b.ReportMetric(float64(2*n*b.N)/b.Elapsed().Seconds(), "members/s")
					b.ReportMetric(float64(reconcile.CPUTime()-c0)/float64(2*n*b.N), "cpu-ns/member")
				})
			}
		})
	}
}
