package reconcile

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/idbits/idbits/idtypes"
	"github.com/stretchr/testify/require"
)

func TestEraseOnlyDeclaredID(t *testing.T) {
	// A person known by one CRM ID and three devices asks to be forgotten:
	// the profile splits into its devices.
	g := mustGraph(crmUnique)
	a := crm("A")
	for i := 1; i <= 3; i++ {
		require.NoError(t, g.Link(at(i), a, ecid(i)))
	}
	require.NoError(t, g.Link(at(4), ecid(9))) // an unrelated profile
	before := g.View()
	pa, _ := before.Profile(a)
	p9, _ := before.Profile(ecid(9))
	require.Equal(t, []string{prof(a, ecid(1), ecid(2), ecid(3)), prof(ecid(9))}, canon(t, before))

	rep, err := g.Erase(a)
	changed := slices.Collect(rep.Changed.All())
	require.NoError(t, err)
	require.Equal(t, []Profile{pa}, changed)
	after := g.View()
	require.Equal(t, []string{prof(ecid(1)), prof(ecid(2)), prof(ecid(3)), prof(ecid(9))}, canon(t, after))
	q9, _ := after.Profile(ecid(9))
	require.Equal(t, p9, q9, "untouched profiles keep their key")
	require.Equal(t, NamespaceCount{idtypes.CRMID, 0, 0}, after.Count(idtypes.CRMID))
	require.True(t, g.Dictionary().Erased(uint32(pa)))
	_, ok := g.Dictionary().Lookup(a)
	require.False(t, ok)

	// Nothing leaks: not the old view, not the records, not the cuts.
	require.Equal(t, idtypes.ID{}, before.Key(pa))
	require.Equal(t, []idtypes.ID{ecid(1), ecid(2), ecid(3)}, sortIDs(slices.Collect(before.Members(pa))), "the devices, not A")
	for _, ords := range g.Records() {
		require.False(t, slices.Contains(ords, uint32(pa)))
	}

	// Erasing again changes nothing.
	rep, err = g.Erase(a)
	changed = slices.Collect(rep.Changed.All())
	require.NoError(t, err)
	require.Equal(t, 0, len(changed))
}

func TestEraseThenOldRecordReplayed(t *testing.T) {
	g := mustGraph(crmUnique)
	a := crm("A")
	require.NoError(t, g.Link(at(1), a, ecid(1), ecid(2)))
	_, err := g.Erase(a)
	require.NoError(t, err)
	require.ErrorIs(t, g.Link(at(1), a, ecid(1), ecid(2)), ErrErased)
	require.Equal(t, []string{prof(ecid(1), ecid(2))}, canon(t, g.View()), "the record stays without the erased ID")
	for c := range g.View().Cuts() {
		require.False(t, slices.Contains(c.Record.IDs, a))
	}
}

func TestEraseUncuts(t *testing.T) {
	// Shared device: B's newer login holds e, A's login is cut. Erasing B
	// frees e, which joins A: both profiles change.
	g := mustGraph(crmUnique)
	e, a, b := ecid(1), crm("A"), crm("B")
	require.NoError(t, g.Link(at(1), a, e))
	require.NoError(t, g.Link(at(2), b, e))
	v := g.View()
	pa, _ := v.Profile(a)
	pb, _ := v.Profile(b)
	rep, err := g.Erase(b)
	changed := slices.Collect(rep.Changed.All())
	require.NoError(t, err)
	want := []Profile{pa, pb}
	slices.Sort(want)
	require.Equal(t, want, changed)
	require.Equal(t, []string{prof(a, e)}, canon(t, g.View()))
	require.Equal(t, 0, len(collectCuts(g.View())))
}

func TestEraseInvalid(t *testing.T) {
	g := mustGraph(Rules{})
	require.NoError(t, g.Link(at(1), ecid(1), ecid(2)))
	_, err := g.Erase(ecid(1), idtypes.ID{})
	require.ErrorIs(t, err, ErrInvalid)
	require.Equal(t, 1, g.View().Len(), "nothing erased")
	_, ok := g.View().Profile(ecid(1))
	require.True(t, ok)
}

func TestEraseCommutesWithReplay(t *testing.T) {
	// Linking records then erasing gives the same graph as erasing then
	// linking them again (the erased identifiers dropped).
	rnd := rand.New(rand.NewPCG(7, 7))
	rules := Rules{Unique: []idtypes.Namespace{idtypes.CRMID}, MaxIdentities: 5}
	for trial := range 10 {
		recs := randomRecords(rnd, 120, 60)
		victims := []idtypes.ID{recs[0].IDs[0], recs[1].IDs[0], recs[2].IDs[len(recs[2].IDs)-1]}
		g1 := mustGraph(rules)
		linkAll(t, g1, recs)
		_, err := g1.Erase(victims...)
		require.NoError(t, err)
		g2 := mustGraph(rules)
		_, err = g2.Erase(victims...)
		require.NoError(t, err)
		linkAllErased(t, g2, recs)
		require.Equal(t, canon(t, g1.View()), canon(t, g2.View()), "trial %d", trial)
		require.Equal(t, cutStrings(collectCuts(g1.View())), cutStrings(collectCuts(g2.View())))
	}
}
