package bench_test

// The end-to-end benchmarks of the project: each runs the public API of
// idbits (impl=idbits) beside what a Go programmer would write with the
// standard library (impl=naive), on generated worlds of about 1M and 10M
// identities (IDBITS_BENCH_SIZES to choose, -short for 1e5 only). This file
// holds what they share: sizes, the worlds and graphs built once per size,
// the naive identity graph, and metric helpers.
//
// Memory: a run at 10M identities keeps both graphs and the world (about
// 6 GB live) and peaks near 10 GB while the naive snapshot is decoded; run
// it with GOMEMLIMIT=14GiB on a shared 24 GiB machine. At 100M identities
// the idbits graph alone takes about 12 GB (121.5 bytes per identity) and
// the generated world about 7 GB more; the naive graph would need 23 GB.

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/idbits/idbits/bench"
	"github.com/idbits/idbits/idtypes"
	"github.com/idbits/idbits/reconcile"
)

// e2eSizesEnv names the environment variable that lists the sizes, in
// identities, of the end-to-end benchmarks: "1e6,1e7,1e8".
const e2eSizesEnv = "IDBITS_BENCH_SIZES"

// e2eDefaultSizes are the sizes without IDBITS_BENCH_SIZES; -short runs
// e2eShortSize only.
var e2eDefaultSizes = []int{1e6, 1e7}

const e2eShortSize = 1e5

// e2eSizes returns the sizes to run, in identities. IDBITS_BENCH_SIZES wins
// over -short, so that a short run can still be pointed at one size.
func e2eSizes(b *testing.B) []int {
	env := os.Getenv(e2eSizesEnv)
	if env == "" {
		if testing.Short() {
			return []int{e2eShortSize}
		}
		return e2eDefaultSizes
	}
	sizes, err := e2eParseSizes(env)
	if err != nil {
		b.Fatalf("%s: %v", e2eSizesEnv, err)
	}
	return sizes
}

// e2eParseSizes parses a comma-separated list of sizes written as integers
// or in e-notation ("1e6", "2.5e6", "1000000").
func e2eParseSizes(s string) ([]int, error) {
	var sizes []int
	for f := range strings.SplitSeq(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		x, err := strconv.ParseFloat(f, 64)
		if err != nil || x < 1e3 || x > 3e8 || x != math.Trunc(x) {
			return nil, fmt.Errorf("size %q is not a whole number of identities from 1e3 to 3e8", f)
		}
		sizes = append(sizes, int(x))
	}
	if len(sizes) == 0 {
		return nil, fmt.Errorf("no size in %q", s)
	}
	return sizes, nil
}

// e2eSizeName writes n as benchmark names show it: 1e6, 25e5, 1234.
func e2eSizeName(n int) string {
	k := 0
	for n%10 == 0 && n > 0 {
		n /= 10
		k++
	}
	if k < 3 {
		for range k {
			n *= 10
		}
		return strconv.Itoa(n)
	}
	return strconv.Itoa(n) + "e" + strconv.Itoa(k)
}

// e2eImpls are the two implementations every end-to-end benchmark compares.
var e2eImpls = []string{"idbits", "naive"}

// e2eEach runs f as BenchmarkX/ids=N/impl=I for every size and
// implementation.
func e2eEach(b *testing.B, f func(b *testing.B, fx *e2eFixture, impl string)) {
	for _, n := range e2eSizes(b) {
		for _, impl := range e2eImpls {
			b.Run("ids="+e2eSizeName(n)+"/impl="+impl, func(b *testing.B) {
				f(b, e2eWorld(b, n), impl)
			})
		}
	}
}

// e2eIDsPerPerson is about how many identities a default world has per
// person (2.5 ECIDs, 0.7 CRM IDs, 0.6 emails and their hashes, 0.3 phones),
// to size worlds by identities.
const e2eIDsPerPerson = 4.7

// e2eRules are the linking rules of the benchmark graphs: one CRM ID per
// profile, at most 50 identities (Experience Platform's limits).
var e2eRules = reconcile.Rules{Unique: []idtypes.Namespace{idtypes.CRMID}, MaxIdentities: 50}

// e2eFixture is a world of about n identities and what the benchmarks
// derive from it, each part built on first use, never timed, and kept for
// the rest of the run.
type e2eFixture struct {
	n     int
	world *bench.World
	ids   []idtypes.ID // world.Identities()
	recs  e2eRecords

	textsOnce sync.Once
	texts     []string // "NS:value" of ids, the naive input: see e2eTexts

	// graph holds recs linked under e2eRules, and view its view. The
	// incremental benchmark links more records to graph and naive: the
	// other benchmarks use view and naiveView, which never change.
	graphOnce sync.Once
	graph     *reconcile.Graph
	view      *reconcile.View

	naiveOnce sync.Once
	naive     *naiveGraph
	naiveView map[string]uint32 // "NS:value" -> profile, for the first len(naiveView) keys of naive

	extras map[string]any // see e2eExtra
}

// e2eKeep names the extras kept from one top-level benchmark to the next.
var e2eKeep = map[string]bool{"audiences": true}

// e2eExtra returns the extra named key of fx, building it on first use.
// Extras that e2eKeep does not name are dropped when another top-level
// benchmark starts, so that what one benchmark needs does not take memory
// from the next.
func e2eExtra[T any](fx *e2eFixture, key string, build func() T) T {
	e2eWorlds.Lock()
	x, ok := fx.extras[key]
	e2eWorlds.Unlock()
	if ok {
		return x.(T)
	}
	v := build()
	e2eWorlds.Lock()
	if fx.extras == nil {
		fx.extras = map[string]any{}
	}
	fx.extras[key] = v
	e2eWorlds.Unlock()
	return v
}

// e2eShuffled returns the identities and their texts in a random order,
// the same for both.
func (fx *e2eFixture) e2eShuffled() ([]idtypes.ID, []string) {
	type shuffled struct {
		ids   []idtypes.ID
		texts []string
	}
	s := e2eExtra(fx, "shuffled", func() shuffled {
		texts := fx.e2eTexts()
		perm := e2eRand(fx.n, 1).Perm(len(fx.ids))
		s := shuffled{make([]idtypes.ID, len(perm)), make([]string, len(perm))}
		for i, j := range perm {
			s.ids[i], s.texts[i] = fx.ids[j], texts[j]
		}
		return s
	})
	return s.ids, s.texts
}

// e2eRecords holds the world's records flat: record r was seen at at[r]
// and holds the identities ids[idx[k]] for k in end[r-1]:end[r].
type e2eRecords struct {
	at  []int64 // Unix nanoseconds
	end []uint32
	idx []uint32
}

func (rs *e2eRecords) len() int { return len(rs.at) }

// record returns the indexes of the identities of record r.
func (rs *e2eRecords) record(r int) []uint32 {
	lo := uint32(0)
	if r > 0 {
		lo = rs.end[r-1]
	}
	return rs.idx[lo:rs.end[r]]
}

// links counts the identifier occurrences of the records.
func (rs *e2eRecords) links() int { return len(rs.idx) }

var e2eWorlds struct {
	sync.Mutex
	m   map[int]*e2eFixture
	top string // the top-level benchmark that last asked for a fixture
}

// e2eBigSize is the size from which a fixture is not kept beside another:
// a world of 100M identities alone takes most of the machine.
const e2eBigSize = 5e7

// e2eWorld returns the fixture of about n identities, generating its world
// on first use. Fixtures of sizes below e2eBigSize are kept for the whole
// run; a larger one evicts every other and is evicted by any other. When a
// new top-level benchmark asks, the extras of the last one are dropped.
func e2eWorld(b *testing.B, n int) *e2eFixture {
	e2eWorlds.Lock()
	defer e2eWorlds.Unlock()
	if top, _, _ := strings.Cut(b.Name(), "/"); top != e2eWorlds.top {
		e2eWorlds.top = top
		for _, fx := range e2eWorlds.m {
			for k := range fx.extras {
				if !e2eKeep[k] {
					delete(fx.extras, k)
				}
			}
		}
	}
	if fx, ok := e2eWorlds.m[n]; ok {
		return fx
	}
	if e2eWorlds.m == nil {
		e2eWorlds.m = map[int]*e2eFixture{}
	}
	for k := range e2eWorlds.m {
		if k >= e2eBigSize || n >= e2eBigSize {
			delete(e2eWorlds.m, k)
		}
	}
	runtime.GC()
	start := time.Now()
	fx := newE2EFixture(b, n, bench.Config{Seed: 2026, People: int(float64(n) / e2eIDsPerPerson)})
	e2eWorlds.m[n] = fx
	b.Logf("world of %d identities, %d people, %d records: built in %v", len(fx.ids), fx.world.People(), fx.recs.len(), time.Since(start).Round(time.Millisecond))
	return fx
}

// newE2EFixture generates the world cfg describes and lays it out for the
// benchmarks; n names its size.
func newE2EFixture(tb testing.TB, n int, cfg bench.Config) *e2eFixture {
	w := bench.Generate(cfg)
	fx := &e2eFixture{n: n, world: w, ids: w.Identities()}
	fx.recs = e2eFlatten(tb, w)
	return fx
}

// e2eTexts returns the "NS:value" text of every identity, the naive input,
// making it on first use.
func (fx *e2eFixture) e2eTexts() []string {
	fx.textsOnce.Do(func() {
		fx.texts = make([]string, len(fx.ids))
		for i, id := range fx.ids {
			fx.texts[i] = id.Text()
		}
	})
	return fx.texts
}

// e2eFlatten lays the world's records out flat, as indexes into its
// identities.
func e2eFlatten(tb testing.TB, w *bench.World) e2eRecords {
	ids := w.Identities()
	off := make([]uint32, w.People()+1) // identities of person p: ids[off[p]:off[p+1]]
	for p := range w.People() {
		off[p+1] = off[p] + uint32(len(w.IDs(p)))
	}
	owner := map[idtypes.ID]uint32{} // shared devices: the ECID's index
	for _, s := range w.SharedDevices() {
		i := slices.Index(w.IDs(s.Owner), s.ECID)
		if i < 0 {
			tb.Fatalf("shared device %v is not an identity of its owner %d", s.ECID, s.Owner)
		}
		owner[s.ECID] = off[s.Owner] + uint32(i)
	}
	rs := e2eRecords{
		at:  make([]int64, 0, w.RecordCount()),
		end: make([]uint32, 0, w.RecordCount()),
		idx: make([]uint32, 0, 3*w.RecordCount()),
	}
	for rec := range w.Records() {
		mine := ids[off[rec.Person]:off[rec.Person+1]]
		for _, id := range rec.IDs {
			if i := slices.Index(mine, id); i >= 0 {
				rs.idx = append(rs.idx, off[rec.Person]+uint32(i))
				continue
			}
			i, ok := owner[id]
			if !ok {
				tb.Fatalf("record of person %d holds %v, which is neither theirs nor a shared device", rec.Person, id)
			}
			rs.idx = append(rs.idx, i)
		}
		rs.at = append(rs.at, rec.At.UnixNano())
		rs.end = append(rs.end, uint32(len(rs.idx)))
	}
	return rs
}

// e2eChunk is how many records go to one LinkMany call: records arrive in
// chunks, as from a file read in blocks, and a Batch is reused.
const e2eChunk = 1 << 16

// e2eLink links the records to g in chunks through one reused Batch.
func e2eLink(tb testing.TB, g *reconcile.Graph, fx *e2eFixture) {
	var batch reconcile.Batch
	buf := make([]idtypes.ID, 0, 64)
	for lo := 0; lo < fx.recs.len(); lo += e2eChunk {
		batch.Reset()
		for r := lo; r < min(lo+e2eChunk, fx.recs.len()); r++ {
			buf = buf[:0]
			for _, i := range fx.recs.record(r) {
				buf = append(buf, fx.ids[i])
			}
			batch.Add(time.Unix(0, fx.recs.at[r]), buf...)
		}
		rep, err := g.LinkMany(&batch)
		if err != nil {
			tb.Fatal(err)
		}
		if rep.Rejected != 0 {
			tb.Fatalf("LinkMany rejected %d records: %v", rep.Rejected, rep.Errors[0])
		}
	}
}

// e2eGraph returns the fixture's graph of all its records under e2eRules
// and the view of those records, building them on first use.
func (fx *e2eFixture) e2eGraph(tb testing.TB) (*reconcile.Graph, *reconcile.View) {
	fx.graphOnce.Do(func() {
		start := time.Now()
		g := mustGraph(e2eRules)
		e2eLink(tb, g, fx)
		fx.graph, fx.view = g, g.View()
		tb.Logf("graph of %d identities, %d profiles: built in %v", fx.view.Identities(), fx.view.Len(), time.Since(start).Round(time.Millisecond))
	})
	if fx.view == nil {
		tb.Fatal("the graph could not be built")
	}
	return fx.graph, fx.view
}

// newE2ENaive builds a naive graph of the world's records.
func (fx *e2eFixture) newE2ENaive() *naiveGraph {
	g := newNaiveGraph()
	texts := fx.e2eTexts()
	var rec []string
	for r := range fx.recs.len() {
		rec = rec[:0]
		for _, i := range fx.recs.record(r) {
			rec = append(rec, texts[i])
		}
		g.link(rec)
	}
	return g
}

// e2eNaive returns the naive graph of the fixture's records and its view,
// building them on first use.
func (fx *e2eFixture) e2eNaive(tb testing.TB) (*naiveGraph, map[string]uint32) {
	fx.naiveOnce.Do(func() {
		start := time.Now()
		g := fx.newE2ENaive()
		fx.naive, fx.naiveView = g, g.view()
		tb.Logf("naive graph of %d identities: built in %v", len(fx.naiveView), time.Since(start).Round(time.Millisecond))
	})
	if fx.naiveView == nil {
		tb.Fatal("the naive graph could not be built")
	}
	return fx.naive, fx.naiveView
}

// naiveGraph is the identity graph a Go programmer would write first with
// the standard library: a dictionary from "NS:value" text to an ordinal and
// back, and a union-find over the same text with path compression and union
// by size. It applies no linking rules: its profiles are the plain
// connected components of the records, which is less work than resolving
// them under rules.
type naiveGraph struct {
	ords   map[string]uint32 // "NS:value" -> ordinal, in order of arrival
	keys   []string          // ordinal -> "NS:value"
	parent map[string]string // union-find parent; roots are their own
	size   map[string]int    // identities under each root
}

func newNaiveGraph() *naiveGraph {
	return &naiveGraph{ords: map[string]uint32{}, parent: map[string]string{}, size: map[string]int{}}
}

// add returns the ordinal of t, handing out the next one if t is new.
func (g *naiveGraph) add(t string) uint32 {
	if o, ok := g.ords[t]; ok {
		return o
	}
	o := uint32(len(g.keys))
	g.ords[t] = o
	g.keys = append(g.keys, t)
	g.parent[t] = t
	g.size[t] = 1
	return o
}

// find returns the root of t, compressing the path to it.
func (g *naiveGraph) find(t string) string {
	root := t
	for {
		p := g.parent[root]
		if p == root {
			break
		}
		root = p
	}
	for t != root {
		p := g.parent[t]
		g.parent[t] = root
		t = p
	}
	return root
}

// link records identities seen together: it adds them and unites their
// components.
func (g *naiveGraph) link(rec []string) {
	if len(rec) == 0 {
		return
	}
	g.add(rec[0])
	r0 := g.find(rec[0])
	for _, t := range rec[1:] {
		g.add(t)
		r := g.find(t)
		if r == r0 {
			continue
		}
		if g.size[r] > g.size[r0] {
			r, r0 = r0, r
		}
		g.parent[r] = r0
		g.size[r0] += g.size[r]
		delete(g.size, r)
	}
}

// view maps every identity to its profile: the ordinal of its component's
// root.
func (g *naiveGraph) view() map[string]uint32 {
	v := make(map[string]uint32, len(g.keys))
	for _, t := range g.keys {
		v[t] = g.ords[g.find(t)]
	}
	return v
}

// e2eRand returns a random source for the benchmark inputs of size n.
func e2eRand(n int, stream uint64) *rand.Rand {
	return rand.New(rand.NewPCG(uint64(n), stream))
}

// e2eRate reports count things per operation as <unit>s/s and ns/<unit>.
func e2eRate(b *testing.B, count int, unit string) {
	s := b.Elapsed().Seconds()
	total := float64(count) * float64(b.N)
	b.ReportMetric(total/s, unit+"s/s")
	b.ReportMetric(s*1e9/total, "ns/"+unit)
}

// e2eHeap returns the live heap after a full collection.
func e2eHeap() uint64 {
	runtime.GC()
	runtime.GC() // the first may leave finalizers and sweeping behind
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// mustGraph returns a new graph under rules, which must be valid.
func mustGraph(rules reconcile.Rules) *reconcile.Graph {
	g, err := reconcile.NewGraph(rules)
	if err != nil {
		panic(err)
	}
	return g
}
