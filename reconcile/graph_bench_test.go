package reconcile

import (
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/idbits/idbits/idtypes"
)

// graphWorld is a synthetic identity graph: people with one CRM ID and three
// devices, each device linked to its owner by a login record, and one person
// in a hundred also logging in on someone else's device (a shared device the
// rules must cut). It is built once per size and never timed.
type graphWorld struct {
	ids     int          // distinct identifiers
	recs    []Record     // in arrival order
	batch   *Batch       // the same records
	crms    []idtypes.ID // by person
	devices []idtypes.ID // by person*3 + k
}

var graphWorlds struct {
	sync.Mutex
	m map[int]*graphWorld
}

var graphBenchRules = Rules{Unique: []idtypes.Namespace{idtypes.CRMID}, MaxIdentities: 50}

func benchECID(n uint64) idtypes.ID {
	id, err := idtypes.FromHalves(idtypes.ECID, n*0x9e3779b97f4a7c15>>2, n)
	if err != nil {
		panic(err)
	}
	return id
}

func world(n int) *graphWorld {
	graphWorlds.Lock()
	defer graphWorlds.Unlock()
	if w, ok := graphWorlds.m[n]; ok {
		return w
	}
	rnd := rand.New(rand.NewPCG(uint64(n), 42))
	people := n / 4
	w := &graphWorld{ids: 4 * people, batch: &Batch{}}
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for p := range people {
		w.crms = append(w.crms, idtypes.MustParse(idtypes.CRMID, "C"+strconv.Itoa(p)))
		for k := range 3 {
			w.devices = append(w.devices, benchECID(uint64(3*p+k)))
		}
	}
	for p := range people {
		for k := range 3 {
			at := start.Add(time.Duration(rnd.IntN(30*24*3600)) * time.Second)
			w.recs = append(w.recs, Record{At: at, IDs: []idtypes.ID{w.crms[p], w.devices[3*p+k]}})
		}
		if p%100 == 99 {
			at := start.Add(time.Duration(rnd.IntN(30*24*3600)) * time.Second)
			w.recs = append(w.recs, Record{At: at, IDs: []idtypes.ID{w.crms[p], w.devices[3*(p-1)]}})
		}
	}
	rnd.Shuffle(len(w.recs), func(i, j int) { w.recs[i], w.recs[j] = w.recs[j], w.recs[i] })
	for _, r := range w.recs {
		w.batch.Add(r.At, r.IDs...)
	}
	if graphWorlds.m == nil {
		graphWorlds.m = map[int]*graphWorld{}
	}
	graphWorlds.m[n] = w
	return w
}

func graphBenchSizes() []int {
	if os.Getenv("IDBITS_BENCH_LARGE") == "1" {
		return []int{1e5, 1e6, 1e7}
	}
	return []int{1e5, 1e6}
}

func sizeName(n int) string {
	switch {
	case n >= 1e6:
		return strconv.Itoa(n/1e6) + "M"
	case n >= 1e3:
		return strconv.Itoa(n/1e3) + "k"
	}
	return strconv.Itoa(n)
}

// naiveGraph is the identity graph a Go programmer would write first:
// union-find in a map over identifier text, no rules, and a view that maps
// every identifier to its root.
type naiveGraph struct{ parent map[string]string }

func (g *naiveGraph) find(x string) string {
	for {
		p, ok := g.parent[x]
		if !ok {
			g.parent[x] = x
			return x
		}
		if p == x {
			return x
		}
		gp := g.parent[p]
		g.parent[x] = gp
		x = gp
	}
}

func (g *naiveGraph) link(ids []idtypes.ID) {
	r0 := g.find(ids[0].Text())
	for _, id := range ids[1:] {
		if r := g.find(id.Text()); r != r0 {
			g.parent[r] = r0
		}
	}
}

func (g *naiveGraph) view() map[string]string {
	v := make(map[string]string, len(g.parent))
	for x := range g.parent {
		v[x] = g.find(x)
	}
	return v
}

// BenchmarkGraphBuild builds a graph from scratch and takes its view:
// impl=idbits loads the records with LinkMany under CRM-unique rules,
// impl=naive runs the map union-find. links/s counts records.
func BenchmarkGraphBuild(b *testing.B) {
	for _, n := range graphBenchSizes() {
		for _, impl := range []string{"idbits", "naive"} {
			b.Run("ids="+sizeName(n)+"/impl="+impl, func(b *testing.B) {
				w := world(n)
				runtime.GC()
				b.ReportAllocs()
				for b.Loop() {
					switch impl {
					case "idbits":
						g := mustGraph(graphBenchRules)
						if _, err := g.LinkMany(w.batch); err != nil {
							b.Fatal(err)
						}
						if v := g.View(); v.Identities() != w.ids {
							b.Fatalf("view holds %d identities, want %d", v.Identities(), w.ids)
						}
					case "naive":
						g := &naiveGraph{parent: map[string]string{}}
						for _, r := range w.recs {
							g.link(r.IDs)
						}
						if v := g.view(); len(v) != w.ids {
							b.Fatalf("view holds %d identities, want %d", len(v), w.ids)
						}
					}
				}
				s := b.Elapsed().Seconds()
				b.ReportMetric(float64(len(w.recs)*b.N)/s, "links/s")
				b.ReportMetric(float64(w.ids*b.N)/s, "ids/s")
				b.ReportMetric(s*1e9/float64(b.N)/float64(w.ids), "ns/id")
			})
		}
	}
}

// BenchmarkGraphView links 1,000 new records to a built graph and takes a
// view, per iteration: the records touch existing profiles (new devices of
// known people, and logins on other people's devices). impl=idbits resolves
// only the touched profiles; impl=naive must map every identifier again.
func BenchmarkGraphView(b *testing.B) {
	const batch = 1000
	for _, n := range graphBenchSizes() {
		for _, impl := range []string{"idbits", "naive"} {
			b.Run("ids="+sizeName(n)+"/impl="+impl, func(b *testing.B) {
				w := world(n)
				var g *Graph
				var ng *naiveGraph
				switch impl {
				case "idbits":
					g = mustGraph(graphBenchRules)
					if _, err := g.LinkMany(w.batch); err != nil {
						b.Fatal(err)
					}
					g.View()
				case "naive":
					ng = &naiveGraph{parent: map[string]string{}}
					for _, r := range w.recs {
						ng.link(r.IDs)
					}
				}
				rnd := rand.New(rand.NewPCG(7, uint64(n)))
				next := uint64(len(w.devices))
				at := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
				ids := make([]idtypes.ID, 2)
				runtime.GC()
				b.ReportAllocs()
				for b.Loop() {
					for i := range batch {
						p := rnd.IntN(len(w.crms))
						if i%2 == 0 {
							ids[0], ids[1] = w.devices[3*p+rnd.IntN(3)], benchECID(next) // a new device
							next++
						} else {
							ids[0], ids[1] = w.crms[p], w.devices[rnd.IntN(len(w.devices))] // a login
						}
						at = at.Add(time.Second)
						switch impl {
						case "idbits":
							if err := g.Link(at, ids...); err != nil {
								b.Fatal(err)
							}
						case "naive":
							ng.link(ids)
						}
					}
					switch impl {
					case "idbits":
						g.View()
					case "naive":
						ng.view()
					}
				}
				b.ReportMetric(b.Elapsed().Seconds()*1e9/float64(b.N), "ns/view")
				b.ReportMetric(float64(batch*b.N)/b.Elapsed().Seconds(), "links/s")
			})
		}
	}
}
