package reconcile

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/idbits/idbits/bitmap"
	"github.com/idbits/idbits/idtypes"
	"github.com/stretchr/testify/require"
)

// t0 is the base time of test records; at(n) is n minutes later.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func at(n int) time.Time { return t0.Add(time.Duration(n) * time.Minute) }

// ecid returns a distinct ECID per n.
func ecid(n int) idtypes.ID {
	id, err := idtypes.FromHalves(idtypes.ECID, uint64(n)*7919+1, uint64(n))
	if err != nil {
		panic(err)
	}
	return id
}

func crm(s string) idtypes.ID   { return idtypes.MustParse(idtypes.CRMID, s) }
func email(s string) idtypes.ID { return idtypes.MustParse(idtypes.Email, s) }

// canon describes a view by identifiers only: each profile as
// "key: member member ...", members sorted by Text, profiles sorted.
func canon(t testing.TB, v *View) []string {
	t.Helper()
	var out []string
	n := 0
	for k := range v.Profiles().All() {
		p := Profile(k)
		key := v.Key(p)
		if !key.IsValid() {
			t.Fatalf("profile %d of Profiles has no key", k)
		}
		var ms []string
		for id := range v.Members(p) {
			ms = append(ms, id.Text())
			if got, ok := v.Profile(id); !ok || got != p {
				t.Fatalf("Profile(%v) = %d, %v; want %d", id.Text(), got, ok, p)
			}
		}
		if len(ms) == 0 || ms[0] != key.Text() {
			t.Fatalf("Members(%v) = %v: key not first", key.Text(), ms)
		}
		n += len(ms)
		slices.Sort(ms)
		out = append(out, key.Text()+": "+strings.Join(ms, " "))
	}
	slices.Sort(out)
	if len(out) != v.Len() {
		t.Fatalf("Len = %d, Profiles has %d", v.Len(), len(out))
	}
	if n != v.Identities() {
		t.Fatalf("Identities = %d, members %d", v.Identities(), n)
	}
	return out
}

// randomRecords makes records over a pool of identifiers: ECIDs, CRM IDs and
// emails, times among a few minutes so that ties happen.
func randomRecords(rnd *rand.Rand, n, pool int) []Record {
	ids := make([]idtypes.ID, pool)
	for i := range ids {
		switch i % 5 {
		case 0:
			ids[i] = crm(fmt.Sprint("C", i))
		case 1:
			ids[i] = email(fmt.Sprintf("p%d@example.com", i))
		default:
			ids[i] = ecid(i)
		}
	}
	recs := make([]Record, n)
	for i := range recs {
		r := Record{At: at(rnd.IntN(4))}
		for range 1 + rnd.IntN(3) {
			r.IDs = append(r.IDs, ids[rnd.IntN(pool)])
		}
		recs[i] = r
	}
	return recs
}

// naiveProfiles is plain union-find over identifier text: the baseline a Go
// programmer would write, used as the specification with no rules.
func naiveProfiles(recs []Record) []string {
	parent := map[string]string{}
	find := func(x string) string {
		if _, ok := parent[x]; !ok {
			parent[x] = x
		}
		for parent[x] != x {
			parent[x] = parent[parent[x]]
			x = parent[x]
		}
		return x
	}
	for _, r := range recs {
		for _, id := range r.IDs {
			parent[find(id.Text())] = find(r.IDs[0].Text())
		}
	}
	groups := map[string][]string{}
	for x := range parent {
		groups[find(x)] = append(groups[find(x)], x)
	}
	var out []string
	for _, ms := range groups {
		slices.Sort(ms)
		out = append(out, strings.Join(ms, " "))
	}
	slices.Sort(out)
	return out
}

// memberSets drops the keys of canon's output.
func memberSets(ps []string) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		_, ms, _ := strings.Cut(p, ": ")
		out[i] = ms
	}
	slices.Sort(out)
	return out
}

func linkAll(t testing.TB, g *Graph, recs []Record) {
	t.Helper()
	for _, r := range recs {
		if err := g.Link(r.At, r.IDs...); err != nil {
			t.Fatalf("Link(%v): %v", r, err)
		}
	}
}

func cutStrings(cs []Cut) []string {
	var out []string
	for _, c := range cs {
		var ids []string
		for _, id := range c.Record.IDs {
			ids = append(ids, id.Text())
		}
		out = append(out, fmt.Sprintf("%s [%s] %s %v %v", c.Record.At.Format(time.TimeOnly), strings.Join(ids, " "), c.ID.Text(), c.Rule, c.Namespace))
	}
	slices.Sort(out)
	return out
}

func collectCuts(v *View) []Cut {
	var out []Cut
	for c := range v.Cuts() {
		out = append(out, c)
	}
	return out
}

// prof formats a profile as canon does.
func prof(key idtypes.ID, members ...idtypes.ID) string {
	ms := []string{key.Text()}
	for _, m := range members {
		ms = append(ms, m.Text())
	}
	slices.Sort(ms)
	return key.Text() + ": " + strings.Join(ms, " ")
}

// linkAllErased links records, accepting that erased identifiers are dropped.
func linkAllErased(t testing.TB, g *Graph, recs []Record) {
	t.Helper()
	for _, r := range recs {
		if err := g.Link(r.At, r.IDs...); err != nil && !errors.Is(err, ErrErased) {
			t.Fatalf("Link(%v): %v", r, err)
		}
	}
}

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x5eed)) }

func sortIDs(ids []idtypes.ID) []idtypes.ID {
	slices.SortFunc(ids, idtypes.ID.Compare)
	return ids
}

// profileKeys returns the key identifiers, as text and sorted, of the
// profiles of v in a: how tests compare audiences of two graphs, or of views
// that numbered their profiles differently. A member of a that is not a
// profile of v shows as "-".
func profileKeys(v *View, a Profiles) []string {
	out := []string{}
	for p := range a.All() {
		if k := v.Key(Profile(p)); k.IsValid() {
			out = append(out, k.Text())
		} else {
			out = append(out, "-")
		}
	}
	slices.Sort(out)
	return out
}

// requireDenseNumbers checks that v numbers its profiles 0..Len()-1 in the
// order of their keys' ordinals, as a graph resolved in one go does.
func requireDenseNumbers(t testing.TB, v *View) {
	t.Helper()
	require.Equal(t, v.Len(), v.Numbers(), "no hole")
	require.Equal(t, uint64(v.Len()), v.Profiles().Len())
	prev := -1
	for p := range v.Profiles().All() {
		o, ok := v.dict.Lookup(v.Key(Profile(p)))
		require.True(t, ok)
		require.Less(t, prev, int(o), "profile %d: numbers follow key ordinals", p)
		prev = int(o)
	}
	if v.Len() > 0 {
		last, _ := v.Profiles().Audience().Max()
		require.Equal(t, uint32(v.Len()-1), last)
	}
}

// mustProject is View.Project for tests: it fails on an error, checks that
// the result is under v, and returns its numbers.
func mustProject(t testing.TB, v *View, a Profiles) bitmap.Audience {
	t.Helper()
	p, err := v.Project(a)
	require.NoError(t, err)
	require.Same(t, v, p.View())
	return p.Audience()
}

// mustProfiles is View.AsProfiles for tests: it fails on an error.
func mustProfiles(t testing.TB, v *View, a bitmap.Audience) Profiles {
	t.Helper()
	p, err := v.AsProfiles(a)
	require.NoError(t, err)
	return p
}

// mustGraph returns a new graph under rules, which must be valid.
func mustGraph(rules Rules) *Graph {
	g, err := NewGraph(rules)
	if err != nil {
		panic(err)
	}
	return g
}
