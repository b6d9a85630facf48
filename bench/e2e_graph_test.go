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
				g := reconcile.NewGraph(e2eRules)
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
// the records is timed, for both. The graphs grow as the benchmark runs.
func BenchmarkGraphIncremental(b *testing.B) {
	calls := map[string]uint64{}
	e2eEach(b, func(b *testing.B, fx *e2eFixture, impl string) {
		// The same records for both implementations, new ones each time.
		calls[impl]++
		src := newE2ERecordSource(fx, calls[impl])
		var batch reconcile.Batch
		var rec []string
		var g *reconcile.Graph
		var ng *naiveGraph
		switch impl {
		case "idbits":
			g, _ = fx.e2eGraph(b)
		case "naive":
			ng, _ = fx.e2eNaive(b)
		}
		b.ReportAllocs()
		for b.Loop() {
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
				if v := g.View(); v.Identities() < len(fx.ids) {
					b.Fatalf("view holds %d identities, want at least %d", v.Identities(), len(fx.ids))
				}
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
	})
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
