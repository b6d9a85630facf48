package bench_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/idbits/idbits/idtypes"
	"github.com/idbits/idbits/reconcile"
)

// BenchmarkGraphResolve resolves the whole world's records into profiles:
// from an empty graph to a view of every identity. impl=idbits: a
// reconcile.Graph under CRM-unique, 50-identity rules, fed by LinkMany in
// chunks of 65,536 records from one reused Batch, then View. impl=naive:
// the map-based union-find over "NS:value" text (naiveGraph), then the map
// from every identity to its profile. The naive graph applies no rules
// (replaying components under unique namespaces and a size cap is not
// something a first version does cheaply): its profiles are the plain
// connected components, so it does less work than idbits. links/s counts
// records.
func BenchmarkGraphResolve(b *testing.B) {
	e2eEach(b, func(b *testing.B, fx *e2eFixture, impl string) {
		var rec, texts []string
		if impl == "naive" {
			texts = fx.e2eTexts()
		}
		b.ReportAllocs()
		for b.Loop() {
			switch impl {
			case "idbits":
				g := mustGraph(e2eRules)
				e2eLink(b, g, fx)
				if v := g.View(); v.Identities() != len(fx.ids) {
					b.Fatalf("view holds %d identities, want %d", v.Identities(), len(fx.ids))
				}
			case "naive":
				g := newNaiveGraph()
				for r := range fx.recs.len() {
					rec = rec[:0]
					for _, i := range fx.recs.record(r) {
						rec = append(rec, texts[i])
					}
					g.link(rec)
				}
				if v := g.view(); len(v) != len(fx.ids) {
					b.Fatalf("view holds %d identities, want %d", len(v), len(fx.ids))
				}
			}
		}
		e2eRate(b, fx.recs.len(), "link")
		e2eRate(b, len(fx.ids), "id")
	})
}

// e2eIncrementalBatch is how many new records each view of
// BenchmarkGraphIncremental follows.
const e2eIncrementalBatch = 1000

// BenchmarkGraphIncremental links 1,000 new records to the resolved world
// and takes a new view, per operation. Half the records are new devices of
// known people (a new ECID with the person's declared identities), half
// logins of known people on someone else's device (which the CRM-unique
// rule of idbits may cut). impl=idbits: Graph.LinkMany and Graph.View,
// which resolves only the profiles the records touch and shares the rest
// with the previous view. impl=naive: naiveGraph.link and a new map from
// every identity to its profile, the naive way to publish a consistent
// view (readers keep the old map while the union-find moves on). Drawing
// the records is timed, for both. Each implementation links into graphs of
// its own (see e2eIncremental), so that no other benchmark meets the
// records this one adds, and every op meets about the world as generated.
// holes/number is the share of profile numbers the added records left
// unused (View.Numbers).
func BenchmarkGraphIncremental(b *testing.B) {
	e2eEach(b, func(b *testing.B, fx *e2eFixture, impl string) {
		var batch reconcile.Batch
		var rec []string
		holes := 0.0
		inc := fx.e2eIncremental()
		src := inc.src[impl] // the same records for both, new ones each run
		b.ReportAllocs()
		for b.Loop() {
			if inc.full(impl) {
				b.StopTimer()
				inc.rebuild(b, impl)
				b.StartTimer()
			}
			inc.added[impl] += e2eIncrementalBatch
			g, ng := inc.g, inc.ng
			switch impl {
			case "idbits":
				batch.Reset()
				for range e2eIncrementalBatch {
					at, ids := src.next()
					batch.Add(at, ids...)
				}
				if _, err := g.LinkMany(&batch); err != nil {
					b.Fatal(err)
				}
				v := g.View()
				if v.Identities() < len(fx.ids) {
					b.Fatalf("view holds %d identities, want at least %d", v.Identities(), len(fx.ids))
				}
				holes = float64(v.Numbers()-v.Len()) / float64(v.Numbers())
			case "naive":
				for range e2eIncrementalBatch {
					_, ids := src.next()
					rec = rec[:0]
					for _, id := range ids {
						rec = append(rec, id.Text())
					}
					ng.link(rec)
				}
				if v := ng.view(); len(v) < len(fx.ids) {
					b.Fatalf("view holds %d identities, want at least %d", len(v), len(fx.ids))
				}
			}
		}
		e2eRate(b, e2eIncrementalBatch, "link")
		if impl == "idbits" {
			// The share of profile numbers left as holes by merges and key
			// changes in the last view, at most 1% of the world's records
			// after the graph was built in one go.
			b.ReportMetric(holes, "holes/number")
		}
	})
}

// e2eIncrementalGraphs are the graphs BenchmarkGraphIncremental links
// into: built from the world's records like the shared ones, but its own,
// and built again (untimed) once the records added to one pass 1% of the
// world's, so that the benchmark measures views of about the world as
// generated, whatever the count of runs. Kept for the benchmark's runs.
type e2eIncrementalGraphs struct {
	fx    *e2eFixture
	g     *reconcile.Graph
	ng    *naiveGraph
	added map[string]int              // records linked since the graph was built
	src   map[string]*e2eRecordSource // one stream of records per implementation
}

func (fx *e2eFixture) e2eIncremental() *e2eIncrementalGraphs {
	return e2eExtra(fx, "incremental", func() *e2eIncrementalGraphs {
		inc := &e2eIncrementalGraphs{fx: fx, added: map[string]int{}, src: map[string]*e2eRecordSource{}}
		for _, impl := range e2eImpls {
			inc.src[impl] = newE2ERecordSource(fx, 1)
		}
		return inc
	})
}

// full reports whether impl's graph must be built (again) before the next
// batch of records.
func (inc *e2eIncrementalGraphs) full(impl string) bool {
	switch {
	case impl == "idbits" && inc.g == nil, impl == "naive" && inc.ng == nil:
		return true
	}
	return inc.added[impl]+e2eIncrementalBatch > max(e2eIncrementalBatch, inc.fx.recs.len()/100)
}

func (inc *e2eIncrementalGraphs) rebuild(tb testing.TB, impl string) {
	fx := inc.fx
	switch impl {
	case "idbits":
		inc.g = nil
		g := mustGraph(e2eRules)
		e2eLink(tb, g, fx)
		g.View()
		inc.g = g
	case "naive":
		inc.ng = nil
		inc.ng = fx.newE2ENaive()
	}
	inc.added[impl] = 0
}

// e2eRecordSource draws new records about the people of a world.
type e2eRecordSource struct {
	fx  *e2eFixture
	r   *rand.Rand
	at  time.Time
	buf []idtypes.ID
	odd bool
}

func newE2ERecordSource(fx *e2eFixture, stream uint64) *e2eRecordSource {
	_, end := fx.world.Window()
	return &e2eRecordSource{fx: fx, r: e2eRand(fx.n, 100+stream), at: end.Add(time.Duration(stream) * 24 * time.Hour)}
}

// next returns the next record: alternately a new device of a known person
// and a login of a known person on another person's device. The slice is
// reused by the next call.
func (s *e2eRecordSource) next() (time.Time, []idtypes.ID) {
	w := s.fx.world
	s.at = s.at.Add(time.Second)
	s.odd = !s.odd
	var declared []idtypes.ID
	for len(declared) == 0 {
		ids := w.IDs(s.r.IntN(w.People()))
		for i, id := range ids {
			if id.Namespace() != idtypes.ECID {
				declared = ids[i:]
				break
			}
		}
	}
	var device idtypes.ID
	if s.odd {
		var err error
		device, err = idtypes.FromHalves(idtypes.ECID, s.r.Uint64()>>1, s.r.Uint64()>>1)
		if err != nil {
			panic(err) // both halves are below 2^63
		}
	} else {
		other := w.IDs(s.r.IntN(w.People()))
		device = other[0] // everyone has an ECID first
	}
	s.buf = append(append(s.buf[:0], device), declared...)
	return s.at, s.buf
}
