package reconcile_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/idbits/idbits/bitmap"
	"github.com/idbits/idbits/idtypes"
	"github.com/idbits/idbits/reconcile"
	"github.com/stretchr/testify/require"
)

// The flow tests check the flows against a model of their own: people with
// known identities, linked one record per person, so that with no linking
// rules each person is one profile; later records and erasures merge and
// split profiles, and the model follows them with a map-based union-find
// over identifiers. The model never asks the Graph or the View who is who.

var flowT0 = time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC)

// flowWorld is a generated graph and its model.
type flowWorld struct {
	g      *reconcile.Graph
	people [][]idtypes.ID      // identities of each person, as linked
	owner  map[idtypes.ID]int  // person of each identity
	model  *flowModel          // components of every record linked, minus erasures
	rnd    *rand.Rand          // for fresh identifiers
	seq    int                 // counter for fresh declared identifiers
	extra  map[idtypes.ID]bool // fresh identifiers handed out (never linked)
}

// flowGen makes a world of n people under rules. Each person has one to
// three ECIDs; 70% a CRM ID, 50% an email, 30% a hashed email, 20% a phone.
func flowGen(tb testing.TB, seed uint64, n int, rules reconcile.Rules) *flowWorld {
	tb.Helper()
	w := &flowWorld{
		g:     mustGraph(rules),
		owner: make(map[idtypes.ID]int, 3*n),
		model: newFlowModel(),
		rnd:   rand.New(rand.NewPCG(seed, 0xf10)),
		extra: map[idtypes.ID]bool{},
	}
	var b reconcile.Batch
	for p := range n {
		var ids []idtypes.ID
		for range 1 + w.rnd.IntN(3) {
			ids = append(ids, w.freshECID())
		}
		if w.rnd.IntN(10) < 7 {
			ids = append(ids, idtypes.MustParse(idtypes.CRMID, fmt.Sprintf("C%09d", p)))
		}
		if w.rnd.IntN(10) < 5 {
			ids = append(ids, idtypes.MustParse(idtypes.Email, fmt.Sprintf("person.%d@example.com", p)))
		}
		if w.rnd.IntN(10) < 3 {
			h, err := idtypes.HashEmail(fmt.Sprintf("hashed.%d@example.org", p))
			require.NoError(tb, err)
			ids = append(ids, h)
		}
		if w.rnd.IntN(10) < 2 {
			ids = append(ids, idtypes.MustParse(idtypes.Phone, fmt.Sprintf("+4479%08d", p)))
		}
		for _, id := range ids {
			w.owner[id] = p
			delete(w.extra, id)
		}
		w.people = append(w.people, ids)
		w.model.link(ids)
		b.Add(flowT0.Add(time.Duration(p)*time.Second), ids...)
	}
	rep, err := w.g.LinkMany(&b)
	require.NoError(tb, err)
	require.Equal(tb, n, rep.Linked)
	return w
}

// freshECID returns an ECID no one has, with random halves.
func (w *flowWorld) freshECID() idtypes.ID {
	for {
		id, err := idtypes.FromHalves(idtypes.ECID, w.rnd.Uint64()>>1, w.rnd.Uint64()>>1)
		if err != nil {
			panic(err) // halves below 2^63 always parse
		}
		if _, taken := w.owner[id]; !taken && !w.extra[id] {
			w.extra[id] = true
			return id
		}
	}
}

// freshCRM returns a CRM ID no one has.
func (w *flowWorld) freshCRM() idtypes.ID {
	w.seq++
	id := idtypes.MustParse(idtypes.CRMID, fmt.Sprintf("X%09d", w.seq))
	w.extra[id] = true
	return id
}

// link links ids together in the graph and the model.
func (w *flowWorld) link(tb testing.TB, at int, ids ...idtypes.ID) {
	tb.Helper()
	require.NoError(tb, w.g.Link(flowT0.Add(time.Duration(at)*time.Hour), ids...))
	w.model.link(ids)
}

// erase erases ids in the graph and the model.
func (w *flowWorld) erase(tb testing.TB, ids ...idtypes.ID) {
	tb.Helper()
	_, err := w.g.Erase(ids...)
	require.NoError(tb, err)
	w.model.erase(ids...)
}

// flowModel is the profiles of a log of records with no linking rules: the
// connected components of its records after erasures, computed with maps.
type flowModel struct {
	records [][]idtypes.ID
	erased  map[idtypes.ID]bool
	parent  map[idtypes.ID]idtypes.ID // union-find; rebuilt after an erasure
}

func newFlowModel() *flowModel {
	return &flowModel{erased: map[idtypes.ID]bool{}, parent: map[idtypes.ID]idtypes.ID{}}
}

func (m *flowModel) link(ids []idtypes.ID) {
	m.records = append(m.records, slices.Clone(ids))
	m.union(ids)
}

func (m *flowModel) union(ids []idtypes.ID) {
	var first idtypes.ID
	for _, id := range ids {
		if m.erased[id] {
			continue
		}
		if _, ok := m.parent[id]; !ok {
			m.parent[id] = id
		}
		if !first.IsValid() {
			first = id
			continue
		}
		a, b := m.find(first), m.find(id)
		if a != b {
			m.parent[a] = b
		}
	}
}

func (m *flowModel) erase(ids ...idtypes.ID) {
	for _, id := range ids {
		m.erased[id] = true
	}
	m.parent = map[idtypes.ID]idtypes.ID{}
	for _, r := range m.records {
		m.union(r)
	}
}

func (m *flowModel) find(id idtypes.ID) idtypes.ID {
	for m.parent[id] != id {
		m.parent[id] = m.parent[m.parent[id]]
		id = m.parent[id]
	}
	return id
}

// comp returns the component of id (a representative identifier), and
// false if id is in none (never linked, or erased).
func (m *flowModel) comp(id idtypes.ID) (idtypes.ID, bool) {
	if _, ok := m.parent[id]; !ok {
		return idtypes.ID{}, false
	}
	return m.find(id), true
}

// members returns the identifiers of every component, by representative.
func (m *flowModel) members() map[idtypes.ID][]idtypes.ID {
	out := map[idtypes.ID][]idtypes.ID{}
	for id := range m.parent {
		r := m.find(id)
		out[r] = append(out[r], id)
	}
	return out
}

// comps maps a profile audience under view v to the model's components,
// checking on the way that each profile of v holds exactly the identifiers
// of one component.
func comps(tb testing.TB, m *flowModel, v *reconcile.View, a reconcile.Profiles) map[idtypes.ID]bool {
	tb.Helper()
	if !a.IsEmpty() {
		require.Same(tb, v, a.View(), "profiles of another view")
	}
	out := map[idtypes.ID]bool{}
	all := m.members()
	for k := range a.All() {
		p := k
		var ms []idtypes.ID
		for id := range v.Members(p) {
			ms = append(ms, id)
		}
		require.NotEmpty(tb, ms, "profile %d has no members", k)
		r, ok := m.comp(ms[0])
		require.True(tb, ok, "member %v of profile %d is in no component", ms[0].Text(), k)
		require.ElementsMatch(tb, all[r], ms, "profile %d", k)
		require.False(tb, out[r], "two profiles for component of %v", r.Text())
		out[r] = true
	}
	return out
}

// keySet returns the audience of profiles (key ordinals) of ids under v.
func keySet(tb testing.TB, v *reconcile.View, ids ...idtypes.ID) reconcile.Profiles {
	tb.Helper()
	var b bitmap.Builder
	for _, id := range ids {
		p, ok := v.Profile(id)
		require.True(tb, ok, "%v has no profile", id.Text())
		b.Add(uint32(p))
	}
	a, err := v.AsProfiles(b.Audience())
	require.NoError(tb, err)
	return a
}

// mustGraph returns a new graph under rules, which must be valid.
func mustGraph(rules reconcile.Rules) *reconcile.Graph {
	g, err := reconcile.NewGraph(rules)
	if err != nil {
		panic(err)
	}
	return g
}
