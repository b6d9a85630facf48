package reconcile

import (
	"fmt"
	"slices"
	"testing"

	"github.com/idbits/idbits/bitmap"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// profilesWorld links n profiles of one CRM ID and one ECID each, and
// returns the graph and its view.
func profilesWorld(t *testing.T, n int) (*Graph, *View) {
	t.Helper()
	g := mustGraph(Rules{})
	for p := range n {
		require.NoError(t, g.Link(at(p), crm(fmt.Sprint("P", p)), ecid(p)))
	}
	return g, g.View()
}

func TestProfilesZero(t *testing.T) {
	var z Profiles
	assert.Nil(t, z.View())
	assert.True(t, z.IsEmpty())
	assert.Zero(t, z.Len())
	assert.False(t, z.Contains(0))
	assert.Empty(t, slices.Collect(z.All()))
	assert.True(t, z.Audience().IsEmpty())
	assert.True(t, z.Equal(Profiles{}))

	_, v := profilesWorld(t, 3)
	p, err := v.Project(z)
	require.NoError(t, err)
	assert.Same(t, v, p.View(), "the zero Profiles projects to no profile of v")
	assert.True(t, p.IsEmpty())
	assert.True(t, z.Equal(p), "two empty sets are equal")
	n, err := JoinLen(v, JoinOr, z, z)
	require.NoError(t, err)
	assert.Zero(t, n)
}

func TestProfilesMethods(t *testing.T) {
	g, v := profilesWorld(t, 5)
	all := v.Profiles()
	assert.Same(t, v, all.View())
	assert.Equal(t, uint64(5), all.Len())
	assert.Equal(t, []Profile{0, 1, 2, 3, 4}, slices.Collect(all.All()))
	assert.True(t, all.Contains(4))
	assert.False(t, all.Contains(5))

	some := mustProfiles(t, v, bitmap.Of(1, 3))
	assert.False(t, some.Equal(all))
	// The same numbers under a later view of the graph are the same
	// profiles; under another graph they are not.
	require.NoError(t, g.Link(at(9), ecid(99)))
	later := mustProfiles(t, g.View(), bitmap.Of(1, 3))
	assert.NotSame(t, v, later.View())
	assert.True(t, some.Equal(later))
	_, w := profilesWorld(t, 5)
	assert.False(t, some.Equal(mustProfiles(t, w, bitmap.Of(1, 3))))
}

// TestAsProfiles: the checked door from raw numbers refuses numbers that
// never were profiles, died, or lost their key to an erasure.
func TestAsProfiles(t *testing.T) {
	g, v := profilesWorld(t, 4)
	p, err := v.AsProfiles(bitmap.Of(0, 2))
	require.NoError(t, err)
	assert.Same(t, v, p.View())

	_, err = v.AsProfiles(bitmap.Of(0, 4))
	require.ErrorIs(t, err, ErrNotProfile, "never handed out")
	assert.ErrorContains(t, err, ": 4")
	_, err = v.AsProfiles(bitmap.Of(1 << 30))
	require.ErrorIs(t, err, ErrNotProfile)

	// P0 and P1 merge through a device: one of their numbers dies.
	require.NoError(t, g.Link(at(10), ecid(0), ecid(1)))
	v2 := g.View()
	require.Equal(t, 3, v2.Len())
	p0, _ := v2.Profile(ecid(0))
	dead := Profile(1 - p0)
	_, err = v2.AsProfiles(bitmap.Of(uint32(dead)))
	require.ErrorIs(t, err, ErrNotProfile, "died in a merge")
	_, err = v.AsProfiles(bitmap.Of(uint32(dead)))
	require.NoError(t, err, "still a profile of the view before the merge")

	// The key of P2 is erased: its number dies, and the view before the
	// erasure no longer takes it either.
	p2, _ := v2.Profile(crm("P2"))
	_, err = g.Erase(crm("P2"))
	require.NoError(t, err)
	_, err = v2.AsProfiles(bitmap.Of(uint32(p2)))
	require.ErrorIs(t, err, ErrNotProfile, "key erased")
	_, err = g.View().AsProfiles(bitmap.Of(uint32(p2)))
	require.ErrorIs(t, err, ErrNotProfile)
}

func TestProjectForeign(t *testing.T) {
	_, v := profilesWorld(t, 3)
	_, w := profilesWorld(t, 3) // the same identifiers, another graph
	_, err := v.Project(w.Profiles())
	require.ErrorIs(t, err, ErrForeignView)
	_, _, err = Join(v, JoinAnd, v.Profiles(), w.Profiles())
	require.ErrorIs(t, err, ErrForeignView)
	_, err = JoinLen(v, JoinAnd, v.Profiles(), w.Profiles())
	require.ErrorIs(t, err, ErrForeignView)
	_, err = Diff(v, w.Profiles(), v.Profiles())
	require.ErrorIs(t, err, ErrForeignView)
	_, err = Export(v, w.Profiles(), ExportOptions{})
	require.ErrorIs(t, err, ErrForeignView)
}

// TestProjectCheap: profiles made under v, or under an older view with no
// number dead since, are taken as they are: Project, Join's inputs and
// JoinLen build nothing. Once a number died, the live part is kept
// word-wide and the dead members follow their keys.
func TestProjectCheap(t *testing.T) {
	g, v := profilesWorld(t, 200)
	a := mustProfiles(t, v, bitmap.Of(1, 5, 9, 100, 150))
	b := v.Profiles()
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := v.Project(a); err != nil {
			t.Fatal(err)
		}
		if n, err := JoinLen(v, JoinAnd, a, b); err != nil || n != 5 {
			t.Fatal(n, err)
		}
		if n, err := JoinLen(v, JoinAndNot, b, a); err != nil || n != 195 {
			t.Fatal(n, err)
		}
	})
	assert.Zero(t, allocs, "same-view Project and JoinLen allocate nothing")

	// New profiles, no deaths: a still projects for free onto the new view.
	require.NoError(t, g.Link(at(300), ecid(300)))
	v2 := g.View()
	require.NotSame(t, v, v2)
	require.Equal(t, v.rv.Deaths(), v2.rv.Deaths())
	allocs = testing.AllocsPerRun(100, func() {
		p, err := v2.Project(a)
		if err != nil || p.View() != v2 {
			t.Fatal(err)
		}
		if n, err := JoinLen(v2, JoinAnd, a, v2.Profiles()); err != nil || n != 5 {
			t.Fatal(n, err)
		}
	})
	assert.Zero(t, allocs, "an older view with no death since projects for free")

	// Profile 5 merges into 9 (or 9 into 5): one number dies, and a maps
	// onto the survivor.
	require.NoError(t, g.Link(at(301), ecid(5), ecid(9)))
	v3 := g.View()
	require.Equal(t, v.rv.Deaths()+1, v3.rv.Deaths())
	p5, _ := v3.Profile(ecid(5))
	want := bitmap.Of(1, uint32(p5), 100, 150)
	assert.True(t, want.Equal(mustProject(t, v3, a)), "%v", mustProject(t, v3, a).AppendTo(nil))
	n, err := JoinLen(v3, JoinAnd, a, v3.Profiles())
	require.NoError(t, err)
	assert.Equal(t, uint64(4), n)
}

// TestJoinResultUnderView: Join's result is made under its view, so it
// joins again for free.
func TestJoinResultUnderView(t *testing.T) {
	_, v := profilesWorld(t, 50)
	a := mustProfiles(t, v, bitmap.Of(1, 2, 3))
	out, rep, err := Join(v, JoinOr, a, mustProfiles(t, v, bitmap.Of(3, 4)))
	require.NoError(t, err)
	assert.Same(t, v, out.View())
	assert.Equal(t, uint64(4), rep.Result)
	allocs := testing.AllocsPerRun(50, func() {
		if n, err := JoinLen(v, JoinAndNot, out, a); err != nil || n != 1 {
			t.Fatal(n, err)
		}
	})
	assert.Zero(t, allocs)
}
