package reconcile

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/idbits/idbits/bitmap"
	"github.com/idbits/idbits/idtypes"
	"github.com/idbits/idbits/reconcile/internal/resolve"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestViewConcurrent(t *testing.T) {
	g := mustGraph(Rules{Unique: []idtypes.Namespace{idtypes.CRMID}, MaxIdentities: 20})
	const writers, readers, perWriter = 4, 3, 300
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range perWriter {
				n := w*perWriter + i
				err := g.Link(at(i%7), crm(fmt.Sprint("C", n%50)), ecid(n), ecid(n/3))
				if err != nil && !errors.Is(err, ErrErased) {
					t.Error(err)
					return
				}
				if i%100 == 0 {
					var b Batch
					b.Add(at(i), ecid(n), ecid(n+1))
					if _, err := g.LinkMany(&b); err != nil {
						t.Error(err)
					}
				}
			}
		})
	}
	wg.Go(func() {
		for i := range 20 {
			if _, err := g.Erase(ecid(i * 17)); err != nil {
				t.Error(err)
			}
			time.Sleep(time.Millisecond)
		}
	})
	wg.Go(func() {
		for i := range 20 {
			if _, err := g.Simulate(Record{At: at(9), IDs: []idtypes.ID{crm("C1"), ecid(i)}}); err != nil {
				t.Error(err)
			}
		}
	})
	for range readers {
		wg.Go(func() {
			for range 30 {
				v := g.View()
				n := 0
				for k := range v.Profiles().All() {
					for m := range v.MemberOrds(Profile(k)) {
						if p, ok := v.ProfileOf(m); ok && p != Profile(k) {
							t.Errorf("member %d of %d maps to %d", m, k, p)
						}
						n++
					}
				}
				_ = v.Namespaces()
				for range v.Cuts() {
				}
				for range g.Records() {
				}
			}
		})
	}
	wg.Wait()
	full, err := ReplayGraph(g.Dictionary(), g.Rules(), g.Records())
	require.NoError(t, err)
	require.Equal(t, canon(t, full.View()), canon(t, g.View()))
}

func TestRecordsAndReplayGraph(t *testing.T) {
	g := mustGraph(crmUnique)
	require.NoError(t, g.Link(at(1), crm("A"), ecid(1)))
	require.NoError(t, g.Link(at(2).In(time.FixedZone("x", 3600)), ecid(2), crm("A"), ecid(3)))
	require.NoError(t, g.Link(at(3), ecid(4)))
	_, err := g.Erase(ecid(4))
	require.NoError(t, err)
	var times []time.Time
	var recs [][]idtypes.ID
	for at, ords := range g.Records() {
		times = append(times, at)
		var ids []idtypes.ID
		for _, o := range ords {
			id, _ := g.Dictionary().ID(o)
			ids = append(ids, id)
		}
		recs = append(recs, ids)
	}
	require.Equal(t, []time.Time{at(1), at(2)}, times, "UTC, the emptied record skipped")
	require.Equal(t, [][]idtypes.ID{{crm("A"), ecid(1)}, {crm("A"), ecid(2), ecid(3)}}, recs, "join order")

	// Rebuild under other rules: order and duplicates do not matter.
	h, err := ReplayGraph(g.Dictionary(), Rules{MaxIdentities: 2}, g.Records())
	require.NoError(t, err)
	require.Equal(t, 3, h.View().Len(), "A with its newest device, two devices cut")

	// Stop early.
	n := 0
	for range g.Records() {
		n++
		break
	}
	require.Equal(t, 1, n)

	bad := func(yield func(time.Time, []uint32) bool) { yield(at(1), []uint32{0, 999}) }
	_, err = ReplayGraph(g.Dictionary(), Rules{}, bad)
	require.ErrorIs(t, err, ErrUnknownOrdinal)
	var re *RecordError
	require.True(t, errors.As(err, &re))
	require.Equal(t, 1, re.Pos)
	tooMany := func(yield func(time.Time, []uint32) bool) { yield(at(1), []uint32{0, 1, 2}) }
	_, err = ReplayGraph(g.Dictionary(), Rules{MaxPerRecord: 2}, tooMany)
	require.ErrorIs(t, err, ErrTooMany)
	huge := func(yield func(time.Time, []uint32) bool) { yield(at(1), make([]uint32, MaxRecordLimit+1)) }
	_, err = ReplayGraph(g.Dictionary(), Rules{}, huge)
	require.ErrorIs(t, err, ErrTooMany)
	badTime := func(yield func(time.Time, []uint32) bool) { yield(time.Time{}, []uint32{0}) }
	_, err = ReplayGraph(g.Dictionary(), Rules{}, badTime)
	require.ErrorIs(t, err, ErrTime)
}

func TestSimulate(t *testing.T) {
	g := mustGraph(crmUnique)
	e, a, b := ecid(1), crm("A"), crm("B")
	require.NoError(t, g.Link(at(1), a, e))
	require.NoError(t, g.Link(at(1), b, ecid(2)))
	require.NoError(t, g.Link(at(1), ecid(30)))
	v := g.View()
	dictLen := g.Dictionary().Len()
	pa, _ := v.Profile(a)
	pb, _ := v.Profile(b)

	// B logs in on A's device: the device would move to B.
	sim, err := g.Simulate(Record{At: at(2), IDs: []idtypes.ID{e, b}})
	require.NoError(t, err)
	require.Equal(t, 0, sim.Merged)
	require.Equal(t, 0, sim.Created)
	require.Equal(t, 0, sim.Split)
	require.Equal(t, 2, sim.Changed)
	require.Equal(t, 1, sim.Moved)
	require.Equal(t, 2, len(sim.Profiles))
	require.Equal(t, SimulatedProfile{Key: a, Members: []idtypes.ID{a}, Before: []Profile{pa}}, sim.Profiles[0])
	require.Equal(t, b, sim.Profiles[1].Key)
	require.Equal(t, 3, len(sim.Profiles[1].Members))
	require.Equal(t, []Profile{pa, pb}, sim.Profiles[1].Before, "e comes from A")
	require.Equal(t, cutStrings([]Cut{{Record: Record{At: at(1), IDs: []idtypes.ID{a, e}}, ID: e, Rule: RuleUnique, Namespace: idtypes.CRMID}}), cutStrings(sim.Cuts))
	require.True(t, v == g.View(), "the graph did not change")
	require.Equal(t, dictLen, g.Dictionary().Len(), "nor its dictionary")

	// A merge and a creation.
	c, f := crm("C"), ecid(50)
	p30, _ := v.Profile(ecid(30))
	sim, err = g.Simulate(
		Record{At: at(3), IDs: []idtypes.ID{ecid(30), e}},
		Record{At: at(3), IDs: []idtypes.ID{c, f}},
	)
	require.NoError(t, err)
	require.Equal(t, 1, sim.Merged)
	require.Equal(t, 1, sim.Created)
	require.Equal(t, 0, sim.Changed)
	require.Equal(t, 0, sim.Moved)
	require.Equal(t, 0, len(sim.Cuts))
	require.Equal(t, 2, len(sim.Profiles))
	want := []Profile{pa, p30}
	slices.Sort(want)
	require.Equal(t, SimulatedProfile{Key: a, Members: sim.Profiles[0].Members, Before: want}, sim.Profiles[0])
	require.Equal(t, prof(a, e, ecid(30)), prof(a, sim.Profiles[0].Members[1:]...))
	require.Equal(t, SimulatedProfile{Key: c, Members: []idtypes.ID{c, f}}, sim.Profiles[1])
	require.Equal(t, dictLen, g.Dictionary().Len())

	// A split can only come from erasure, which Simulate does not do; an
	// erased identifier is ignored.
	_, err = g.Erase(ecid(2))
	require.NoError(t, err)
	sim, err = g.Simulate(Record{At: at(4), IDs: []idtypes.ID{ecid(2), ecid(60)}})
	require.NoError(t, err)
	require.Equal(t, 1, sim.Created)
	require.Equal(t, []idtypes.ID{ecid(60)}, sim.Profiles[0].Members)

	_, err = g.Simulate(Record{At: at(1), IDs: []idtypes.ID{{}}})
	require.ErrorIs(t, err, ErrInvalid)
	_, err = g.Simulate(Record{IDs: []idtypes.ID{e}})
	require.ErrorIs(t, err, ErrTime)
}

func TestSimulateMatchesLink(t *testing.T) {
	rules := Rules{Unique: []idtypes.Namespace{idtypes.CRMID, idtypes.Email}, MaxIdentities: 5}
	for trial := range 10 {
		rnd := newRand(uint64(trial))
		recs := randomRecords(rnd, 100, 60)
		extra := randomRecords(rnd, 5, 80)
		g := mustGraph(rules)
		linkAll(t, g, recs)
		before := profilesByKey(g.View())
		sim, err := g.Simulate(extra...)
		require.NoError(t, err)
		h := mustGraph(rules)
		linkAll(t, h, append(slices.Clone(recs), extra...))
		after := canon(t, h.View())
		// Every profile after is either unchanged or listed by Simulate.
		var listed []string
		for _, p := range sim.Profiles {
			listed = append(listed, prof(p.Key, p.Members[1:]...))
		}
		unchanged := map[string]bool{}
		for _, s := range before {
			unchanged[s] = true
		}
		for _, s := range after {
			if !unchanged[s] {
				require.True(t, slices.Contains(listed, s), "trial %d: %s not in %v", trial, s, listed)
			}
		}
		for _, s := range listed {
			require.True(t, slices.Contains(after, s) && !unchanged[s], s)
		}
	}
}

// rememberWorld links 40 people of three ECIDs each (ecid(3p) is the key
// identity's partner of a CRM ID) and returns the graph, its view, and the
// ordinals of the people's first and second ECIDs.
func rememberWorld(t *testing.T) (g *Graph, v *View, first, second []uint32) {
	t.Helper()
	g = mustGraph(Rules{})
	for p := range 40 {
		require.NoError(t, g.Link(at(p), crm(fmt.Sprint("C", p)), ecid(3*p), ecid(3*p+1)))
	}
	v = g.View()
	for p := range 40 {
		o1, ok1 := g.Dictionary().Lookup(ecid(3 * p))
		o2, ok2 := g.Dictionary().Lookup(ecid(3*p + 1))
		require.True(t, ok1 && ok2)
		first, second = append(first, o1), append(second, o2)
	}
	return g, v, first, second
}

// slowProject maps the members of a, made under a view of v's graph no
// newer than v, to the profile of their key in v, one by one.
func slowProject(v *View, a Profiles) bitmap.Audience {
	var b bitmap.Builder
	for m := range a.All() {
		if k := v.rv.Key(uint32(m)); k != resolve.None {
			if p, ok := v.ProfileOf(k); ok {
				b.Add(uint32(p))
			}
		}
	}
	return b.Audience()
}

// TestProjectAfterErasure checks that once an identity is erased, a view
// taken before no longer takes its own profiles as they are: the profile
// whose key was erased drops out, in the old view and in the new one.
func TestProjectAfterErasure(t *testing.T) {
	g, v, first, _ := rememberWorld(t)
	keys := v.ProfilesOf(bitmap.Of(first...))
	require.Equal(t, uint64(40), keys.Len())

	// Erase the CRM ID of person 0 (the key of its profile): its ECIDs stay,
	// in a profile under another key in new views.
	_, err := g.Erase(crm("C0"))
	require.NoError(t, err)
	require.False(t, v.current())
	k0, ok := v.Profile(ecid(0))
	require.True(t, ok, "the old view keeps the profile's shape")
	require.True(t, keys.Contains(k0))
	require.False(t, v.Key(k0).IsValid(), "the key was erased")

	for _, view := range []*View{v, g.View()} {
		want := slowProject(view, keys)
		got, err := view.Project(keys)
		require.NoError(t, err)
		require.Same(t, view, got.View())
		require.True(t, want.Equal(got.Audience()), "Project = %v, want %v", got.Audience().AppendTo(nil), want.AppendTo(nil))
		n, err := JoinLen(view, JoinAnd, keys, keys)
		require.NoError(t, err)
		assert.Equal(t, uint64(39), n, "the erased key is no profile")
		_, err = view.AsProfiles(keys.Audience())
		require.ErrorIs(t, err, ErrNotProfile, "a profile whose key was erased")
	}
}
