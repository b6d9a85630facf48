package reconcile

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/idbits/idbits/bitmap"
	"github.com/idbits/idbits/idtypes"
	"github.com/stretchr/testify/require"
)

var crmUnique = Rules{Unique: []idtypes.Namespace{idtypes.CRMID}}

func TestLinkErrors(t *testing.T) {
	g := mustGraph(Rules{MaxPerRecord: 3})
	var re *RecordError

	err := g.Link(t0, ecid(1), idtypes.ID{}, ecid(2))
	require.ErrorIs(t, err, ErrInvalid)
	require.True(t, errors.As(err, &re))
	require.Equal(t, 1, re.Pos, "the position of the zero ID")

	err = g.Link(t0, ecid(1), ecid(2), ecid(3), ecid(4))
	require.ErrorIs(t, err, ErrTooMany)
	require.True(t, errors.As(err, &re))
	require.Equal(t, -1, re.Pos)

	require.ErrorIs(t, g.Link(time.Time{}, ecid(1)), ErrTime)
	require.ErrorIs(t, g.Link(time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC), ecid(1)), ErrTime)

	n := 0
	for range g.Records() {
		n++
	}
	require.Equal(t, 0, n, "nothing recorded")
	require.Equal(t, 0, g.View().Len())
	require.Equal(t, 0, g.Dictionary().Len(), "nothing added")

	rep, err := g.LinkMany(nil)
	require.NoError(t, err)
	require.Equal(t, LinkReport{}, rep)

	// Duplicates collapse: four identifiers, three distinct, fit.
	require.NoError(t, g.Link(t0, ecid(1), ecid(2), ecid(1), ecid(3)))
	require.NoError(t, g.Link(t0))
	for _, ords := range g.Records() {
		require.Equal(t, 3, len(ords))
	}
	require.Equal(t, []string{prof(ecid(1), ecid(2), ecid(3))}, canon(t, g.View()))
	require.Equal(t, 0, len(collectCuts(g.View())))
}

func TestLinkErased(t *testing.T) {
	g := mustGraph(crmUnique)
	a := crm("A")
	require.NoError(t, g.Link(at(1), a, ecid(1)))
	_, err := g.Erase(a)
	require.NoError(t, err)

	// Replaying the old record: a is dropped and reported, ecid(1) recorded.
	err = g.Link(at(1), ecid(2), a, ecid(1))
	require.ErrorIs(t, err, ErrErased)
	var re *RecordError
	require.True(t, errors.As(err, &re))
	require.Equal(t, 1, re.Pos)
	require.Equal(t, a, re.ID)
	require.Equal(t, []string{prof(ecid(1), ecid(2))}, canon(t, g.View()))
	_, ok := g.View().Profile(a)
	require.False(t, ok)

	// Only erased identifiers: nothing to record.
	require.ErrorIs(t, g.Link(at(2), a), ErrErased)
	require.Equal(t, 1, g.View().Len())

	// Never seen, erased first: it can never be linked.
	b := crm("B")
	_, err = g.Erase(b)
	require.NoError(t, err)
	require.ErrorIs(t, g.Link(at(3), b, ecid(7)), ErrErased)
	_, ok = g.View().Profile(b)
	require.False(t, ok)
	_, ok = g.View().Profile(ecid(7))
	require.True(t, ok)
}

func TestSharedDevice(t *testing.T) {
	g := mustGraph(crmUnique)
	e, a, b := ecid(1), crm("A"), crm("B")
	require.NoError(t, g.Link(at(1), e, a))
	require.NoError(t, g.Link(at(2), e, b))
	v := g.View()
	require.Equal(t, []string{prof(a), prof(b, e)}, canon(t, v), "the newest login wins the device")
	cuts := collectCuts(v)
	require.Equal(t, 1, len(cuts))
	require.Equal(t, Cut{Record: Record{At: at(1), IDs: []idtypes.ID{a, e}}, ID: e, Rule: RuleUnique, Namespace: idtypes.CRMID}, cuts[0])

	require.NoError(t, g.Link(at(3), a, e))
	v2 := g.View()
	require.Equal(t, []string{prof(a, e), prof(b)}, canon(t, v2), "a later login moves the device back")
	require.Equal(t, 2, len(canon(t, v)), "the old view is unchanged")
	pb, _ := v.Profile(b)
	require.True(t, slices.Contains(slices.Collect(v.Members(pb)), e), "old view: e still with B")
}

func TestCRMReusedByMistake(t *testing.T) {
	// Two people, each with an email and a device; the second was given the
	// first one's CRM ID by mistake. Emails are unique and outrank CRM IDs,
	// so the people stay apart and the reused CRM ID stays with the newest.
	rules := Rules{Unique: []idtypes.Namespace{idtypes.Email, idtypes.CRMID}, Priority: []idtypes.Namespace{idtypes.Email, idtypes.CRMID}}
	g := mustGraph(rules)
	x, ann, bob := crm("X"), email("ann@example.com"), email("bob@example.com")
	require.NoError(t, g.Link(at(1), x, ann, ecid(1)))
	require.NoError(t, g.Link(at(2), x, bob, ecid(2)))
	require.Equal(t, []string{prof(ann, ecid(1)), prof(bob, x, ecid(2))}, canon(t, g.View()))
	cuts := cutStrings(collectCuts(g.View()))
	require.Equal(t, 1, len(cuts), cuts)
}

func TestMaxIdentities(t *testing.T) {
	// A cookie that collects 60 identities, one login at a time.
	g := mustGraph(Rules{MaxIdentities: 50})
	cookie := ecid(0)
	for i := 1; i <= 60; i++ {
		require.NoError(t, g.Link(at(i), cookie, email("p"+string(rune('a'+i%26))+string(rune('a'+i/26))+"@example.com")))
	}
	v := g.View()
	p, ok := v.Profile(cookie)
	require.True(t, ok)
	require.Equal(t, 50, len(slices.Collect(v.MemberOrds(p))))
	cuts := collectCuts(v)
	// The cookie and the 49 newest emails; the 11 oldest logins are cut.
	require.Equal(t, 11, len(cuts))
	for _, c := range cuts {
		require.Equal(t, RuleMaxIdentities, c.Rule)
		require.Equal(t, cookie, c.ID)
		require.True(t, c.Record.At.Before(at(12)), "the oldest are cut: %v", c.Record.At)
	}
	require.Equal(t, 12, v.Len())
	require.Equal(t, NamespaceCount{idtypes.Email, 60, 12}, v.Count(idtypes.Email))
	require.Equal(t, NamespaceCount{idtypes.ECID, 1, 1}, v.Count(idtypes.ECID))
	require.Equal(t, NamespaceCount{idtypes.CRMID, 0, 0}, v.Count(idtypes.CRMID))
	require.Equal(t, []NamespaceCount{{idtypes.ECID, 1, 1}, {idtypes.Email, 60, 12}}, v.Namespaces())
}

func TestKeys(t *testing.T) {
	g := mustGraph(Rules{Priority: []idtypes.Namespace{idtypes.CRMID}})
	require.NoError(t, g.Link(at(1), ecid(2), email("z@example.com"), ecid(1), crm("K")))
	require.NoError(t, g.Link(at(1), ecid(4), ecid(3)))
	require.NoError(t, g.Link(at(1), email("b@example.com"), ecid(5)))
	v := g.View()
	for _, tc := range []struct{ member, key idtypes.ID }{
		{ecid(1), crm("K")},                // listed first
		{ecid(4), minID(ecid(3), ecid(4))}, // ties: ID.Compare
		{ecid(5), email("b@example.com")},  // declared before visitor
		{email("z@example.com"), crm("K")},
	} {
		p, ok := v.Profile(tc.member)
		require.True(t, ok)
		require.Equal(t, tc.key, v.Key(p), tc.member.Text())
		o, _ := g.Dictionary().Lookup(tc.key)
		q, ok := v.ProfileOf(o)
		require.True(t, ok)
		require.Equal(t, q, p, "the key is a member of its profile")
	}
	require.Equal(t, idtypes.ID{}, v.Key(Profile(12345)))
	require.Equal(t, 0, len(slices.Collect(v.Members(Profile(12345)))))
	_, ok := v.ProfileOf(12345)
	require.False(t, ok)
}

func minID(a, b idtypes.ID) idtypes.ID {
	if a.Compare(b) < 0 {
		return a
	}
	return b
}

func TestNoRulesMatchesNaive(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 1))
	for trial := range 20 {
		recs := randomRecords(rnd, 1+rnd.IntN(200), 5+rnd.IntN(200))
		g := mustGraph(Rules{})
		linkAll(t, g, recs)
		require.Equal(t, naiveProfiles(recs), memberSets(canon(t, g.View())), "trial %d", trial)
	}
}

func TestArrivalOrderDoesNotMatter(t *testing.T) {
	rnd := rand.New(rand.NewPCG(2, 2))
	rules := Rules{Unique: []idtypes.Namespace{idtypes.CRMID, idtypes.Email}, MaxIdentities: 4}
	for trial := range 10 {
		recs := randomRecords(rnd, 150, 80)
		var want, wantCuts []string
		for range 4 {
			rnd.Shuffle(len(recs), func(i, j int) { recs[i], recs[j] = recs[j], recs[i] })
			g := mustGraph(rules)
			// Warm the dictionary in another order, so ordinals differ.
			ids := []idtypes.ID{}
			for _, r := range recs {
				ids = append(ids, r.IDs...)
			}
			rnd.Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
			for _, id := range ids {
				g.Dictionary().Add(id)
			}
			linkAll(t, g, recs)
			got, gotCuts := canon(t, g.View()), cutStrings(collectCuts(g.View()))
			if want == nil {
				want, wantCuts = got, gotCuts
				continue
			}
			require.Equal(t, want, got, "trial %d", trial)
			require.Equal(t, wantCuts, gotCuts, "trial %d", trial)
		}
	}
}

func TestLinkManyMatchesLink(t *testing.T) {
	rnd := rand.New(rand.NewPCG(3, 3))
	rules := Rules{Unique: []idtypes.Namespace{idtypes.CRMID}, MaxIdentities: 5, MaxPerRecord: 2}
	recs := randomRecords(rnd, 500, 300)
	one, many := mustGraph(rules), mustGraph(rules)
	_, err := one.Erase(ecid(7))
	require.NoError(t, err)
	_, err = many.Erase(ecid(7))
	require.NoError(t, err)
	var b Batch
	var linkErrs int
	for _, r := range recs {
		if err := one.Link(r.At, r.IDs...); err != nil {
			linkErrs++
		}
		b.Add(r.At, r.IDs...)
	}
	b.Add(time.Time{}, ecid(1))
	b.Add(at(1), ecid(1), idtypes.ID{})
	b.Add(at(1))
	rep, err := many.LinkMany(&b)
	require.NoError(t, err)
	require.Equal(t, canon(t, one.View()), canon(t, many.View()))
	require.Equal(t, len(recs)+3, rep.Records)
	require.True(t, rep.Rejected >= 2)
	require.Equal(t, linkErrs+2, len(rep.Errors), "one error per Link error, and the two bad records")
	require.ErrorIs(t, rep.Errors[len(rep.Errors)-2], ErrTime)
	require.Equal(t, len(recs), rep.Errors[len(rep.Errors)-2].Record)
	require.ErrorIs(t, rep.Errors[len(rep.Errors)-1], ErrInvalid)
	require.Equal(t, 1, rep.Errors[len(rep.Errors)-1].Pos)
	dropped := 0
	for _, e := range rep.Errors {
		if errors.Is(e, ErrErased) {
			dropped++
		}
	}
	require.Equal(t, dropped, rep.Dropped)
	require.Equal(t, len(recs)+3, rep.Linked+rep.Rejected+1, "the empty record is neither")

	// Reusing the batch after Reset.
	b.Reset()
	require.Equal(t, 0, b.Len())
	b.Add(at(9), ecid(1000), ecid(1001))
	rep, err = many.LinkMany(&b)
	require.NoError(t, err)
	require.Equal(t, 1, rep.Linked)
	p1, _ := many.View().Profile(ecid(1000))
	p2, _ := many.View().Profile(ecid(1001))
	require.Equal(t, p1, p2)
}

func TestIncrementalMatchesFull(t *testing.T) {
	rnd := rand.New(rand.NewPCG(4, 4))
	rules := Rules{Unique: []idtypes.Namespace{idtypes.CRMID, idtypes.Email}, MaxIdentities: 6}
	for trial := range 6 {
		g := mustGraph(rules)
		recs := randomRecords(rnd, 400, 150)
		var erased []idtypes.ID
		for done := 0; done < len(recs); {
			n := min(len(recs)-done, 1+rnd.IntN(30))
			linkAllErased(t, g, recs[done:done+n])
			done += n
			if rnd.IntN(3) == 0 {
				// Erase an identifier of a linked record, maybe one already erased.
				e := recs[rnd.IntN(done)].IDs[0]
				before := profilesByKey(g.View())
				rep, err := g.Erase(e)
				changed := slices.Collect(rep.Changed.All())
				require.NoError(t, err)
				erased = append(erased, e)
				checkChanged(t, before, g.View(), changed)
			}
			v := g.View()
			got := canon(t, v)
			full, err := ReplayGraph(g.Dictionary(), rules, g.Records())
			require.NoError(t, err)
			require.Equal(t, got, canon(t, full.View()), "trial %d: incremental == full rebuild", trial)
			require.Equal(t, cutStrings(collectCuts(v)), cutStrings(collectCuts(full.View())))
			// Compared by key: the full rebuild numbers its profiles afresh.
			require.Equal(t, profileKeys(v, v.Profiles()), profileKeys(full.View(), full.View().Profiles()))
			requireDenseNumbers(t, full.View())
			require.Equal(t, full.View().Namespaces(), v.Namespaces())
			for _, e := range erased {
				_, ok := v.Profile(e)
				require.False(t, ok)
			}
		}
	}
}

// profilesByKey describes each profile of a view as canon does, by key.
func profilesByKey(v *View) map[Profile]string {
	out := map[Profile]string{}
	for k := range v.Profiles().All() {
		p := Profile(k)
		out[p] = prof(v.Key(p), slices.DeleteFunc(slices.Collect(v.Members(p)), func(id idtypes.ID) bool { return id == v.Key(p) })...)
	}
	return out
}

// checkChanged verifies Erase's changed list against the profiles before
// (described before the erasure) and the view after: exactly the profiles
// before that are not identical after.
func checkChanged(t *testing.T, before map[Profile]string, after *View, changed []Profile) {
	t.Helper()
	afterCanon := canon(t, after)
	want := []Profile{}
	for p, s := range before {
		if !slices.Contains(afterCanon, s) {
			want = append(want, p)
		}
	}
	slices.Sort(want)
	require.Equal(t, want, append([]Profile{}, changed...))
}

func TestProject(t *testing.T) {
	g := mustGraph(crmUnique)
	e1, e2, e3, a := ecid(1), ecid(2), ecid(3), crm("A")
	require.NoError(t, g.Link(at(1), e1))
	require.NoError(t, g.Link(at(1), e2))
	require.NoError(t, g.Link(at(1), e3))
	v1 := g.View()
	p1, _ := v1.Profile(e1)
	p2, _ := v1.Profile(e2)
	p3, _ := v1.Profile(e3)
	aud := mustProfiles(t, v1, bitmap.Of(uint32(p1), uint32(p2), uint32(p3)))

	require.NoError(t, g.Link(at(2), a, e1))
	require.NoError(t, g.Link(at(2), a, e2)) // e1, e2 merge under A
	v2 := g.View()
	pa, _ := v2.Profile(a)
	q3, _ := v2.Profile(e3)
	require.True(t, bitmap.Of(uint32(pa), uint32(q3)).Equal(mustProject(t, v2, aud)))

	_, err := g.Erase(e3)
	require.NoError(t, err)
	v3 := g.View()
	require.True(t, bitmap.Of(uint32(pa)).Equal(mustProject(t, v3, aud)), "the erased member drops out")
	require.True(t, bitmap.Of(uint32(p1), uint32(p2)).Equal(mustProject(t, v1, aud)), "an old view drops the erased member too")
	_, ok := v1.Profile(e3)
	require.False(t, ok, "an old view hides the erased identifier too")
	require.Equal(t, 0, len(slices.Collect(v1.Members(p3))))

	_, err = g.Erase(a) // the profile splits back into its devices
	require.NoError(t, err)
	v4 := g.View()
	// The devices are profiles again, under numbers of their own: p1 and
	// p2 died in the merge and are never handed out again.
	require.Equal(t, []string{e1.Text(), e2.Text()}, profileKeys(v4, v4.Profiles()))
	r1, _ := v4.Profile(e1)
	r2, _ := v4.Profile(e2)
	require.False(t, v4.Profiles().Contains(p1) || v4.Profiles().Contains(p2))
	a3, err := v3.Project(aud)
	require.NoError(t, err)
	require.True(t, mustProject(t, v4, a3).IsEmpty(), "a profile whose key was erased drops out")
	old := mustProfiles(t, v1, bitmap.Of(uint32(p1), uint32(p2)))
	require.True(t, bitmap.Of(uint32(r1), uint32(r2)).Equal(mustProject(t, v4, old)), "old profiles follow their keys")
}

// TestGraphFull lowers the log's limits: records past them are refused with
// ErrGraphFull from Link and LinkMany, and the graph keeps what it had.
func TestGraphFull(t *testing.T) {
	t.Run("records", func(t *testing.T) {
		g := mustGraph(crmUnique)
		g.rg.SetLogLimit(1<<16, 3)
		require.NoError(t, g.Link(at(1), crm("A"), ecid(1)))
		require.NoError(t, g.Link(at(2), crm("B"), ecid(2)))
		require.NoError(t, g.Link(at(3), ecid(1), ecid(3)))
		want := []string{prof(crm("A"), ecid(1), ecid(3)), prof(crm("B"), ecid(2))}
		require.Equal(t, want, canon(t, g.View()))

		err := g.Link(at(4), crm("A"), ecid(2))
		require.ErrorIs(t, err, ErrGraphFull)
		var re *RecordError
		require.ErrorAs(t, err, &re)
		require.Equal(t, -1, re.Pos)

		var b Batch
		b.Add(at(5), ecid(9), ecid(10))
		b.Add(at(6), crm("B"), ecid(1))
		rep, err := g.LinkMany(&b)
		require.NoError(t, err)
		require.Equal(t, LinkReport{Records: 2, Rejected: 2, Errors: rep.Errors}, rep)
		require.Len(t, rep.Errors, 2)
		for i, re := range rep.Errors {
			require.ErrorIs(t, re, ErrGraphFull)
			require.Equal(t, i, re.Record)
		}

		require.Equal(t, want, canon(t, g.View()), "refused records change no profile")
		_, ok := g.View().Profile(ecid(9))
		require.False(t, ok)
		n := 0
		for range g.Records() {
			n++
		}
		require.Equal(t, 3, n)
	})
	t.Run("entries", func(t *testing.T) {
		// One chunk of 1<<16 entries holds 1<<15 records of two identities.
		g := mustGraph(Rules{})
		g.rg.SetLogLimit(1, math.MaxUint32)
		const n = 1<<15 + 100
		var b Batch
		for i := range n {
			b.Add(at(int(i)), ecid(2*i+1), ecid(2*i+2))
		}
		rep, err := g.LinkMany(&b)
		require.NoError(t, err)
		require.Equal(t, 1<<15, rep.Linked)
		require.Equal(t, 100, rep.Rejected)
		for i, re := range rep.Errors {
			require.ErrorIs(t, re, ErrGraphFull)
			require.Equal(t, 1<<15+i, re.Record)
		}
		require.ErrorIs(t, g.Link(at(0), ecid(1), ecid(3)), ErrGraphFull)

		v := g.View()
		require.Equal(t, 1<<15, v.Len())
		p, ok := v.Profile(ecid(1))
		require.True(t, ok)
		require.ElementsMatch(t, []idtypes.ID{ecid(1), ecid(2)}, slices.Collect(v.Members(p)))
		_, ok = v.Profile(ecid(3))
		require.True(t, ok)
		_, ok = v.Profile(ecid(2*(1<<15) + 1))
		require.False(t, ok, "the first refused record")
	})
}
