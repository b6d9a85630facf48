package reconcile

import (
	"math/rand/v2"
	"testing"

	"github.com/idbits/idbits/bitmap"
	"github.com/idbits/idbits/idtypes"
	"github.com/stretchr/testify/require"
)

// TestProfileNumbers walks the numbering through a scripted history: dense
// after a build in one go, kept by unrelated links and by profiles that
// gain members, lost by merges and key changes, never handed out again.
func TestProfileNumbers(t *testing.T) {
	g := mustGraph(crmUnique)
	e := func(i int) idtypes.ID { return ecid(100 + i) }
	for i := range 6 {
		require.NoError(t, g.Link(at(1), e(i)))
	}
	v1 := g.View()
	requireDenseNumbers(t, v1)
	require.True(t, bitmap.Of(0, 1, 2, 3, 4, 5).Equal(v1.Profiles().Audience()))
	num := func(v *View, id idtypes.ID) Profile {
		t.Helper()
		p, ok := v.Profile(id)
		require.True(t, ok, id.Text())
		return p
	}

	// An unrelated profile arrives and e(0) gains a member: every number
	// stays, the new profile takes the next one.
	require.NoError(t, g.Link(at(2), e(10)))
	require.NoError(t, g.Link(at(2), e(0), ecid(999)))
	v2 := g.View()
	for i := range 6 {
		require.Equal(t, num(v1, e(i)), num(v2, e(i)), "profile of %v keeps its number", e(i).Text())
	}
	require.Equal(t, Profile(6), num(v2, e(10)))
	require.Equal(t, 7, v2.Numbers())
	require.Equal(t, v2.Len(), v2.Numbers(), "no hole yet")

	// e(1) and e(2) merge: the one whose key stays keeps its number, the
	// other's dies, leaving a hole.
	require.NoError(t, g.Link(at(3), e(1), e(2)))
	v3 := g.View()
	p12 := num(v3, e(1))
	require.Equal(t, p12, num(v3, e(2)))
	require.Contains(t, []Profile{num(v1, e(1)), num(v1, e(2))}, p12)
	require.Equal(t, 7, v3.Numbers(), "a merge hands out no number")
	require.Equal(t, v3.Len()+1, v3.Numbers(), "one hole")

	// A CRM ID joins e(3): the key changes, so the profile is born again
	// under a fresh number and e(3)'s dies.
	require.NoError(t, g.Link(at(4), crm("K3"), e(3)))
	v4 := g.View()
	require.Equal(t, Profile(7), num(v4, e(3)))
	require.Equal(t, crm("K3"), v4.Key(num(v4, e(3))))
	require.False(t, v4.Key(num(v3, e(3))).IsValid(), "the old number is no profile")
	require.Equal(t, v4.Len()+2, v4.Numbers(), "two holes")

	// Old audiences follow their keys.
	old := v1.Profiles()
	want := bitmap.Of(uint32(num(v4, e(0))), uint32(p12), uint32(num(v4, e(3))), uint32(num(v4, e(4))), uint32(num(v4, e(5))))
	got := mustProject(t, v4, old)
	require.True(t, want.Equal(got), "got %v", got.AppendTo(nil))
	// And a newer audience projects onto an older view: the born numbers
	// go to the profiles of their keys there, if any.
	of := func(v *View, ps ...Profile) Profiles {
		var b bitmap.Builder
		for _, p := range ps {
			b.Add(uint32(p))
		}
		return mustProfiles(t, v, b.Audience())
	}
	require.True(t, mustProject(t, v1, of(v4, num(v4, e(3)))).IsEmpty(), "the key of number 7, K3, is in no profile of v1")
	require.True(t, bitmap.Of(uint32(p12)).Equal(mustProject(t, v1, of(v3, p12))))
	require.True(t, mustProject(t, v1, of(v2, num(v2, e(10)))).IsEmpty(), "e(10) is in no profile of v1")
	require.True(t, bitmap.Of(uint32(num(v2, e(10)))).Equal(mustProject(t, v3, of(v2, num(v2, e(10))))))

	// No number is handed out twice, also across erasures.
	_, err := g.Erase(e(0))
	require.NoError(t, err)
	v5 := g.View()
	require.GreaterOrEqual(t, v5.Numbers(), v4.Numbers())
	p, ok := v5.Profile(ecid(999))
	require.True(t, ok)
	require.GreaterOrEqual(t, int(p), v4.Numbers(), "the profile lost its key: a fresh number")

	// A graph rebuilt from the records has no hole.
	full, err := ReplayGraph(g.Dictionary(), crmUnique, g.Records())
	require.NoError(t, err)
	requireDenseNumbers(t, full.View())
	require.Equal(t, profileKeys(v5, v5.Profiles()), profileKeys(full.View(), full.View().Profiles()))
}

// TestProjectEqualsKeyModel checks Project over random histories of links
// and erasures against its specification, written with the public API
// alone: a member p of an audience made under view u goes, in view v, to the
// profile holding u.Key(p), if that identifier is still in a profile of v
// (for views taken before an erasure, if it was not erased since). It also
// checks the numbering between consecutive views: a number live in both
// keeps its key; a number that died never lives again; new numbers come
// from Numbers() up; Profiles() is exactly the numbers with a key.
func TestProjectEqualsKeyModel(t *testing.T) {
	rules := Rules{Unique: []idtypes.Namespace{idtypes.CRMID, idtypes.Email}, MaxIdentities: 6}
	moved := 0 // members that went to another number: the histories churn
	for trial := range 8 {
		rnd := rand.New(rand.NewPCG(uint64(trial), 11))
		g := mustGraph(rules)
		recs := randomRecords(rnd, 300, 120)
		var views []*View
		var auds []Profiles // auds[i] is made under views[i]
		dead := map[Profile]bool{}
		for done := 0; done < len(recs); {
			n := min(len(recs)-done, 1+rnd.IntN(25))
			linkAllErased(t, g, recs[done:done+n])
			done += n
			if rnd.IntN(4) == 0 {
				_, err := g.Erase(recs[rnd.IntN(done)].IDs[0])
				require.NoError(t, err)
			}
			v := g.View()
			checkLiveNumbers(t, v)
			if len(views) > 0 {
				checkNumbersKept(t, views[len(views)-1], v, dead)
			}
			// An audience of about half the profiles.
			var b bitmap.Builder
			for p := range v.Profiles().All() {
				if rnd.IntN(2) == 0 {
					b.Add(uint32(p))
				}
			}
			views, auds = append(views, v), append(auds, mustProfiles(t, v, b.Audience()))
		}
		// Every audience onto every view, older and newer.
		for i, a := range auds {
			for _, v := range views {
				want := modelProject(views[i], v, a.Audience())
				got := mustProject(t, v, a)
				require.True(t, want.Equal(got), "trial %d: audience %d: got %v, want %v", trial, i, got.AppendTo(nil), want.AppendTo(nil))
				moved += int(bitmap.AndNotLen(got, a.Audience()))
				// Join takes the same path, also for audiences of v.
				joined, _, err := Join(v, JoinOr, a)
				require.NoError(t, err)
				require.True(t, want.Equal(joined.Audience()), "trial %d: join of audience %d", trial, i)
				n, err := JoinLen(v, JoinAnd, a, a)
				require.NoError(t, err)
				require.Equal(t, want.Len(), n, "trial %d: count of audience %d", trial, i)
			}
		}
	}
	require.Greater(t, moved, 100, "projections moved members")
}

// modelProject is Project's specification: each member of a, made under u,
// goes to v's profile of its key under u.
func modelProject(u, v *View, a bitmap.Audience) bitmap.Audience {
	var b bitmap.Builder
	for p := range a.All() {
		k := u.Key(Profile(p))
		if !k.IsValid() {
			continue // erased since u was taken
		}
		if q, ok := v.Profile(k); ok {
			b.Add(uint32(q))
		}
	}
	return b.Audience()
}

// checkLiveNumbers checks that Profiles() holds exactly the numbers below
// Numbers() that are profiles of v, each with its own key.
func checkLiveNumbers(t *testing.T, v *View) {
	t.Helper()
	var live bitmap.Builder
	keys := map[idtypes.ID]bool{}
	for p := range uint32(v.Numbers()) {
		if v.rv.Live(p) {
			live.Add(p)
			k, _ := v.dict.ID(v.rv.Key(p))
			require.False(t, keys[k], "two live numbers for key %v", k.Text())
			keys[k] = true
		}
	}
	require.True(t, live.Audience().Equal(v.Profiles().Audience()), "Profiles is the live numbers")
	require.Equal(t, v.Len(), len(keys))
}

// checkNumbersKept checks the numbering from view u to the next view v.
func checkNumbersKept(t *testing.T, u, v *View, dead map[Profile]bool) {
	t.Helper()
	require.GreaterOrEqual(t, v.Numbers(), u.Numbers())
	for p := range Profile(v.Numbers()) {
		lu, lv := int(p) < u.Numbers() && u.rv.Live(uint32(p)), v.rv.Live(uint32(p))
		switch {
		case dead[p]:
			require.False(t, lv, "dead number %d lives again", p)
		case lu && lv:
			require.Equal(t, u.rv.Key(uint32(p)), v.rv.Key(uint32(p)), "number %d keeps its key", p)
		case lu:
			dead[p] = true
		case lv:
			require.GreaterOrEqual(t, int(p), u.Numbers(), "number %d is new", p)
		}
	}
}
