package resolve

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func simRecords(recs []rec) []SimRecord {
	out := make([]SimRecord, len(recs))
	for i, r := range recs {
		out[i] = SimRecord{At: r.at, Ords: slices.Clone(r.ords), NSs: nssFor(r.ords)}
	}
	return out
}

func TestSimulateMatchesAppend(t *testing.T) {
	for _, tc := range []struct {
		name string
		mode int8
	}{{"dense", scratchDense}, {"sparse", scratchSparse}} {
		t.Run("scratch="+tc.name, func(t *testing.T) { simulateMatchesAppend(t, tc.mode) })
	}
}

// simulateMatchesAppend checks Simulate against appending the records, with
// the pass scratch of mode.
func simulateMatchesAppend(t *testing.T, mode int8) {
	rnd := rand.New(rand.NewPCG(8, 8))
	for trial := range 40 {
		r := testRules(rnd.IntN(5))
		recs := randomRecords(rnd, 60, 80, 4, 3)
		extra := randomRecords(rnd, 1+rnd.IntN(4), 100, 5, 3) // some identities new
		g := build(r, recs)
		g.scratch = mode
		v := mustResolve(g)
		before := profiles(v, universeOf(recs))
		sim := g.Simulate(simRecords(extra))
		require.Same(t, v, g.View(), "the graph did not change")
		require.Equal(t, len(recs), g.Len())

		h := build(r, append(slices.Clone(recs), extra...))
		all := universeOf(append(slices.Clone(recs), extra...))
		after := profiles(mustResolve(h), all)
		var listed []string
		for _, p := range sim.Profiles {
			ms := slices.Clone(p.Members)
			require.Equal(t, p.Key, ms[0])
			slices.Sort(ms)
			listed = append(listed, short(profiles(fakeView(p.Key, ms), ms)))
			for _, k := range p.Before {
				require.True(t, v.Live(k), "profile before %d", k)
			}
		}
		var changed []string
		for _, p := range after {
			if !slices.Contains(before, p) {
				changed = append(changed, p)
			}
		}
		slices.Sort(listed)
		require.Equal(t, changed, listed, "trial %d", trial)

		// Cuts: the new ones are exactly those of the real resolution that
		// the view did not have (the same join of the same record, whichever
		// unique namespace is named).
		had := cutJoins(v.Cuts())
		var want []string
		for _, c := range cutJoins(mustResolve(h).Cuts()) {
			if !slices.Contains(had, c) {
				want = append(want, c)
			}
		}
		require.Equal(t, want, cutJoins(sim.Cuts), "trial %d", trial)
	}
}

// fakeView is a view holding one profile.
func fakeView(key uint32, members []uint32) *View {
	g := New(Rules{})
	for _, m := range members {
		g.grow(m)
	}
	v := &View{}
	b := &builder{v: v}
	p := b.fresh(key)
	prev := key
	for _, m := range members {
		if m != key {
			b.set(prev, p, m)
			prev = m
		}
	}
	b.set(prev, p, key)
	return v
}

func TestSimulateCounts(t *testing.T) {
	g := New(testRules(0))
	link(g, 1, 10, 14) // CRM 10 with ECID 14
	link(g, 1, 20, 24) // CRM 20 with ECID 24
	link(g, 1, 34)     // ECID 34 alone
	v := mustResolve(g)

	// CRM 20 logs in on 14: the device moves; ECID 34 joins 10; 44 and 54
	// are new.
	sim := g.Simulate([]SimRecord{
		{At: 2, Ords: []uint32{14, 20}, NSs: []uint16{nsECID, nsCRM}},
		{At: 2, Ords: []uint32{10, 34, 34}, NSs: []uint16{nsCRM, nsECID, nsECID}},
		{At: 2, Ords: []uint32{44, 54}, NSs: []uint16{nsECID, nsECID}},
	})
	assert.Equal(t, 1, sim.Moved, "14 moves from 10 to 20")
	assert.Equal(t, 1, sim.Merged, "34 merges into 10")
	assert.Equal(t, 1, sim.Changed, "20 gains 14")
	assert.Equal(t, 0, sim.Split)
	assert.Equal(t, 1, sim.Created)
	require.Len(t, sim.Profiles, 3)
	// Before: numbers of the view, compared by key.
	assert.Equal(t, SimProfile{Key: 10, Members: []uint32{10, 34}, Before: sim.Profiles[0].Before}, sim.Profiles[0])
	assert.Equal(t, []uint32{10, 34}, keysOf(v, sim.Profiles[0].Before))
	assert.Equal(t, SimProfile{Key: 20, Members: sim.Profiles[1].Members, Before: sim.Profiles[1].Before}, sim.Profiles[1])
	assert.Equal(t, []uint32{10, 20}, keysOf(v, sim.Profiles[1].Before))
	assert.ElementsMatch(t, []uint32{20, 14, 24}, sim.Profiles[1].Members)
	assert.Equal(t, uint32(54), sim.Profiles[2].Key, "reverse canonical order in the test rules")
	require.Len(t, sim.Cuts, 1)
	assert.Equal(t, uint32(0), sim.Cuts[0].Record, "the old login of 10 on 14 is cut")

	// Erased identities are ignored.
	g.Erase([]uint32{44})
	sim = g.Simulate([]SimRecord{{At: 3, Ords: []uint32{44}, NSs: []uint16{nsECID}}})
	assert.Empty(t, sim.Profiles)
}

func cutJoins(cs []Cut) []string {
	var out []string
	for _, c := range cs {
		out = append(out, fmt.Sprint(c.Record, c.Ord, c.Rule))
	}
	slices.Sort(out)
	return out
}
