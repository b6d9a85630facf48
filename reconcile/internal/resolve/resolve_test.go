package resolve

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// naiveComponents is the plain union-find a Go programmer would write.
func naiveComponents(recs []rec) []string {
	parent := map[uint32]uint32{}
	var find func(uint32) uint32
	find = func(x uint32) uint32 {
		if _, ok := parent[x]; !ok {
			parent[x] = x
		}
		if parent[x] != x {
			parent[x] = find(parent[x])
		}
		return parent[x]
	}
	for _, r := range recs {
		for _, o := range r.ords {
			parent[find(o)] = find(r.ords[0])
		}
	}
	groups := map[uint32][]uint32{}
	for o := range parent {
		groups[find(o)] = append(groups[find(o)], o)
	}
	var out []string
	for _, ms := range groups {
		slices.Sort(ms)
		out = append(out, fmt.Sprint(ms))
	}
	slices.Sort(out)
	return out
}

// memberSets drops the keys from a canonical profile list.
func memberSets(ps []string) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		_, ms, _ := cutString(p, ":")
		out[i] = ms
	}
	slices.Sort(out)
	return out
}

func cutString(s, sep string) (string, string, bool) {
	for i := range len(s) - len(sep) + 1 {
		if s[i:i+len(sep)] == sep {
			return s[:i], s[i+len(sep):], true
		}
	}
	return s, "", false
}

func TestNoRulesIsConnectedComponents(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	for trial := range 50 {
		n := 1 + rnd.IntN(300)
		recs := randomRecords(rnd, n, 1+rnd.IntN(400), 5, 4)
		g := build(Rules{}, recs)
		v, _ := g.Resolve()
		got := viewProfiles(t, v, universeOf(recs))
		require.Equal(t, naiveComponents(recs), memberSets(got), "trial %d", trial)
		require.Equal(t, reference(Rules{}, recs, nil), got, "trial %d: keys", trial)
		require.Empty(t, v.Cuts())
	}
}

func TestSharedDevice(t *testing.T) {
	// ECID 14 is shared by CRM IDs 10 (login at t=1) and 20 (login at t=2).
	g := New(testRules(0))
	link(g, 1, 14, 10)
	link(g, 2, 20, 14)
	v, _ := g.Resolve()
	u := []uint32{10, 14, 20}
	assert.Equal(t, []string{"10:[10]", "20:[14 20]"}, viewProfiles(t, v, u), "newest login wins")
	require.Len(t, v.Cuts(), 1)
	c := v.Cuts()[0]
	assert.Equal(t, Cut{Record: 0, At: 1, Ords: []uint32{10, 14}, Ord: 14, Rule: RuleUnique, NS: nsCRM}, c)

	link(g, 3, 14, 10) // 10 logs in again on the device
	v2, d := g.Resolve()
	assert.Equal(t, []string{"10:[10 14]", "20:[20]"}, viewProfiles(t, v2, u), "a later login moves the device back")
	assert.Equal(t, []uint32{10, 20}, keysOf(v, d.Changed))
	assert.Equal(t, []uint32{v.Profile(10), v.Profile(20)}, d.Changed, "the two keep their numbers")
	assert.Empty(t, d.Died)
	assert.Equal(t, []string{"10:[10]", "20:[14 20]"}, viewProfiles(t, v, u), "the old view is unchanged")
	require.Len(t, v2.Cuts(), 1, "the old login at t=1 now agrees with the newest")
	assert.Equal(t, uint32(1), v2.Cuts()[0].Record, "the login of 20 is cut")
}

func TestMaxIdentities(t *testing.T) {
	// A cookie (4) collects 60 ECIDs, one record each, the newest last.
	g := New(testRules(50))
	var u []uint32
	for i := range 60 {
		o := uint32(100 + 10*i + 4)
		link(g, int64(i), 4, o)
		u = append(u, o)
	}
	v, _ := g.Resolve()
	k := v.Profile(4)
	n := 0
	v.Members(k, func(uint32) bool { n++; return true })
	assert.Equal(t, 50, n)
	for i, o := range u {
		if i < 11 {
			assert.NotEqual(t, k, v.Profile(o), "old ECID %d is cut", o)
		} else {
			assert.Equal(t, k, v.Profile(o), "new ECID %d joins", o)
		}
	}
	require.Len(t, v.Cuts(), 11)
	for _, c := range v.Cuts() {
		assert.Equal(t, RuleMaxIdentities, c.Rule)
	}
}

func TestKeyIsHighestPriority(t *testing.T) {
	g := New(testRules(0))
	link(g, 1, 14, 24, 31, 40) // ECIDs 14, 24; email 31; CRM 40
	v, _ := g.Resolve()
	assert.Equal(t, uint32(40), v.KeyOf(14), "the CRM ID is the key")
	g2 := New(testRules(0))
	link(g2, 1, 14, 24)
	v2, _ := g2.Resolve()
	assert.Equal(t, uint32(24), v2.KeyOf(14), "ties: canonical order (reversed ordinals here)")
}

func TestIncrementalMatchesReference(t *testing.T) {
	for _, tc := range []struct {
		name string
		mode int8
	}{{"auto", scratchAuto}, {"dense", scratchDense}, {"sparse", scratchSparse}} {
		t.Run("scratch="+tc.name, func(t *testing.T) { incrementalMatchesReference(t, tc.mode) })
	}
}

// incrementalMatchesReference resolves random links and erasures, with
// the pass scratch of mode, and checks every view against the reference and
// a full rebuild.
func incrementalMatchesReference(t *testing.T, mode int8) {
	rnd := rand.New(rand.NewPCG(3, 4))
	for trial := range 40 {
		r := testRules(rnd.IntN(6))
		g := New(r)
		g.scratch = mode
		var recs []rec
		erased := map[uint32]bool{}
		ids := 20 + rnd.IntN(200)
		prev := g.View()
		dead := map[uint32]bool{}
		var prevProfiles []string
		for step := range 30 {
			switch op := rnd.IntN(10); {
			case op < 7:
				for _, x := range randomRecords(rnd, 1+rnd.IntN(10), ids, 6, 4) {
					recs = append(recs, x)
					link(g, x.at, x.ords...)
				}
			case op < 9:
				var es []uint32
				for range 1 + rnd.IntN(3) {
					es = append(es, uint32(rnd.IntN(ids)))
				}
				g.Erase(es)
				for _, e := range es {
					erased[e] = true
				}
			}
			if rnd.IntN(3) == 0 {
				continue // let changes pile up
			}
			var all []uint32
			for o := range uint32(ids) {
				all = append(all, o)
			}
			v, d := g.Resolve()
			got := viewProfiles(t, v, all)
			require.Equal(t, reference(r, recs, erased), got, "trial %d step %d", trial, step)
			full := fromRecords(g.Records(), r)
			fv, _ := full.Resolve()
			require.Equal(t, got, viewProfiles(t, fv, all), "incremental == full rebuild")
			require.Equal(t, cutSet(fv.Cuts()), cutSet(v.Cuts()), "cuts")
			require.True(t, slices.IsSortedFunc(v.Cuts(), cmpCut), "cuts in record order")
			checkCounts(t, v, all)
			checkFullNumbering(t, fv)
			checkNumbering(t, prev, v, d, dead)
			if prev.Numbers() == 0 {
				checkFullNumbering(t, v)
			}
			require.Equal(t, changed(prevProfiles, got), keysOf(prev, d.Changed), "trial %d step %d: Delta.Changed", trial, step)
			for e := range erased {
				require.Equal(t, None, v.Profile(e), "erased %d", e)
			}
			prev, prevProfiles = v, got
		}
	}
}

// fromRecords rebuilds a graph from a snapshot.
func fromRecords(rs Records, r Rules) *Graph {
	g := New(r)
	for i := range rs.Len() {
		at, ords := rs.At(i)
		if len(ords) > 0 {
			link(g, at, ords...)
		}
	}
	return g
}

func cutSet(cs []Cut) []string {
	var out []string
	for _, c := range cs {
		out = append(out, fmt.Sprint(c.At, c.Ords, c.Ord, c.Rule, c.NS))
	}
	slices.Sort(out)
	return out
}

// changed lists the keys of before whose profile is not in after.
func changed(before, after []string) []uint32 {
	var out []uint32
	for _, p := range before {
		if !slices.Contains(after, p) {
			var k uint32
			fmt.Sscan(p[:indexColon(p)], &k)
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

func indexColon(s string) int {
	k, _, _ := cutString(s, ":")
	return len(k)
}

func checkCounts(t *testing.T, v *View, universe []uint32) {
	t.Helper()
	ids := map[uint16]int{}
	profs := map[uint16]map[uint32]bool{}
	for _, o := range universe {
		if k := v.KeyOf(o); k != None {
			ns := nsFor(o)
			ids[ns]++
			if profs[ns] == nil {
				profs[ns] = map[uint32]bool{}
			}
			profs[ns][k] = true
		}
	}
	var nss []uint16
	for ns := range ids {
		nss = append(nss, ns)
	}
	slices.Sort(nss)
	require.Equal(t, nss, v.Namespaces())
	for _, ns := range []uint16{0, nsECID, nsIDFA, nsCRM, nsEmail, 9} {
		i, p := v.Count(ns)
		require.Equal(t, ids[ns], i, "identities of %d", ns)
		require.Equal(t, len(profs[ns]), p, "profiles with %d", ns)
	}
}

func TestArrivalOrderDoesNotMatter(t *testing.T) {
	rnd := rand.New(rand.NewPCG(5, 6))
	for trial := range 20 {
		r := testRules(rnd.IntN(5))
		recs := randomRecords(rnd, 100, 80, 3, 4)
		want := viewProfiles(t, mustResolve(build(r, recs)), universeOf(recs))
		for range 5 {
			rnd.Shuffle(len(recs), func(i, j int) { recs[i], recs[j] = recs[j], recs[i] })
			g := build(r, recs)
			require.Equal(t, want, viewProfiles(t, mustResolve(g), universeOf(recs)), "trial %d", trial)
		}
	}
}

func mustResolve(g *Graph) *View {
	v, _ := g.Resolve()
	return v
}

func TestEraseSplits(t *testing.T) {
	// CRM 10 is the only declared identity joining ECIDs 14 and 24.
	g := New(testRules(0))
	link(g, 1, 10, 14)
	link(g, 2, 10, 24)
	v, _ := g.Resolve()
	u := []uint32{10, 14, 24}
	require.Equal(t, []string{"10:[10 14 24]"}, viewProfiles(t, v, u))
	g.Erase([]uint32{10})
	v2, d := g.Resolve()
	assert.Equal(t, []string{"14:[14]", "24:[24]"}, viewProfiles(t, v2, u))
	assert.Equal(t, []uint32{10}, keysOf(v, d.Changed))
	assert.Equal(t, d.Changed, d.Died, "the profile keyed by 10 is gone")
	assert.Equal(t, None, v2.Profile(10))
	assert.True(t, g.Erased(10))
	assert.False(t, g.Contains(10))

	// An old record replayed: the erased identity is dropped.
	ords, nss := []uint32{10, 14, 24}, []uint16{nsCRM, nsECID, nsECID}
	n := g.Order(ords, nss)
	dropped, err := g.Append(1, ords[:n], nss[:n])
	require.NoError(t, err)
	assert.Equal(t, 1, dropped)
	v3, _ := g.Resolve()
	assert.Equal(t, []string{"24:[14 24]"}, viewProfiles(t, v3, u))
}

func TestEraseBeforeResolve(t *testing.T) {
	g := New(testRules(0))
	link(g, 1, 10, 14)
	g.Erase([]uint32{14, 14, 99})
	v, d := g.Resolve()
	assert.Equal(t, []string{"10:[10]"}, viewProfiles(t, v, []uint32{10, 14, 99}))
	assert.Empty(t, d.Changed, "no profile existed before")
	assert.True(t, g.Erased(99), "an ordinal never linked is still marked")
	link(g, 2, 99, 10)
	v2, _ := g.Resolve()
	assert.Equal(t, []string{"10:[10]"}, viewProfiles(t, v2, []uint32{10, 14, 99}))
}

func TestEraseEverything(t *testing.T) {
	g := New(testRules(0))
	link(g, 1, 10, 14)
	link(g, 1, 14)
	v0, _ := g.Resolve()
	g.Erase([]uint32{10, 14})
	v, d := g.Resolve()
	assert.Equal(t, 0, v.Len())
	assert.Equal(t, 0, v.Identities())
	assert.Empty(t, v.Namespaces())
	assert.Equal(t, []uint32{10}, keysOf(v0, d.Changed))
	assert.Equal(t, []uint32{0}, d.Died)
	assert.Equal(t, uint32(1), v.Numbers(), "the dead number is not handed out again")
	rs := g.Records()
	require.Equal(t, 2, rs.Len())
	for i := range rs.Len() {
		_, ords := rs.At(i)
		assert.Empty(t, ords)
	}
}

func TestRecordsSnapshot(t *testing.T) {
	g := New(testRules(0))
	link(g, 5, 14, 10)
	snap := g.Records()
	g.Erase([]uint32{14})
	link(g, 6, 24)
	require.Equal(t, 1, snap.Len())
	at, ords := snap.At(0)
	assert.Equal(t, int64(5), at)
	assert.Equal(t, []uint32{10, 14}, ords, "the snapshot keeps the erased identity")
	now := g.Records()
	require.Equal(t, 2, now.Len())
	_, ords = now.At(0)
	assert.Equal(t, []uint32{10}, ords)
}

func TestManyChunks(t *testing.T) {
	// Enough records to fill several chunks, then erase across them.
	g := New(Rules{})
	link(g, 0, 5) // a first, small chunk
	g.Reserve(2*chunkSize/3, 2*chunkSize, 1_000_010)
	g.Reserve(0, 0, None)
	var recs []rec
	recs = append(recs, rec{0, []uint32{5}})
	for i := range 2 * chunkSize / 3 {
		x := rec{at: int64(i), ords: []uint32{uint32(i), uint32(i + 1), uint32(i%7 + 1_000_000)}}
		recs = append(recs, x)
		link(g, x.at, x.ords...)
	}
	g.Erase([]uint32{1_000_000, 1_000_003})
	rs := g.Records()
	require.Equal(t, len(recs), rs.Len())
	for i := 1; i < rs.Len(); i++ {
		at, ords := rs.At(i)
		require.Equal(t, int64(i-1), at)
		want := slices.DeleteFunc(slices.Clone(recs[i].ords), func(o uint32) bool { return o == 1_000_000 || o == 1_000_003 })
		require.ElementsMatch(t, want, ords)
	}
	v, _ := g.Resolve()
	assert.Equal(t, 1, v.Len(), "the chain keeps everything connected")
}

func TestOrder(t *testing.T) {
	g := New(testRules(0))
	ords := []uint32{14, 24, 10, 14, 31, 24}
	nss := nssFor(ords)
	n := g.Order(ords, nss)
	assert.Equal(t, []uint32{10, 24, 14, 31}, ords[:n], "CRM first, then by namespace, ties in reverse ordinal order")
	assert.Equal(t, []uint16{nsCRM, nsECID, nsECID, nsEmail}, nss[:n])
}

func TestTrimAfterBigPass(t *testing.T) {
	rnd := rand.New(rand.NewPCG(9, 10))
	r := testRules(4)
	g := New(r)
	// Reserve far more than the records use, as a bulk load that
	// overestimates would.
	g.Reserve(4000, 20000, 5000)
	recs := randomRecords(rnd, 1000, 3000, 8, 4)
	for _, x := range recs {
		link(g, x.at, x.ords...)
	}
	mustResolve(g)
	n := len(g.parent)
	assert.LessOrEqual(t, cap(g.parent)-n, n/16, "per-identity room after the first pass")
	assert.LessOrEqual(t, cap(g.log.at)-g.Len(), g.Len()/16, "per-record room after the first pass")
	assert.Less(t, n, 5000, "ordinals past the last one in the graph are dropped")

	// A few records more fit in the room left.
	parent, at := &g.parent[0], &g.log.at[0]
	link(g, 100, uint32(n), uint32(n+10))
	mustResolve(g)
	assert.Same(t, parent, &g.parent[0], "per-identity arrays not copied")
	assert.Same(t, at, &g.log.at[0], "per-record arrays not copied")
	recs = append(recs, rec{100, []uint32{uint32(n), uint32(n + 10)}})

	// The graph goes on growing and resolving after a trim.
	more := randomRecords(rnd, 200, 6000, 8, 4)
	erased := map[uint32]bool{}
	for _, x := range more {
		link(g, x.at, x.ords...)
	}
	g.Erase([]uint32{7, 2999})
	erased[7], erased[2999] = true, true
	recs = append(recs, more...)
	v := mustResolve(g)
	var all []uint32
	for o := range uint32(6000) {
		all = append(all, o)
	}
	require.Equal(t, reference(r, recs, erased), viewProfiles(t, v, all))
}
