package bench_test

import (
	"slices"
	"strconv"
	"sync"
	"testing"

	"golang.org/x/sync/errgroup"

	"github.com/idbits/idbits/bench"
	"github.com/idbits/idbits/bitmap"
	"github.com/idbits/idbits/idtypes"
	"github.com/idbits/idbits/reconcile"
)

// The profile-space benchmarks (issue 11) run on a world where no profile
// merges: every person has one CRM ID, one email address (and its hash) and
// a few ECIDs, and no device is shared, so the graph has exactly one profile
// per person. Audiences of a tenth of the profiles, drawn uniformly, are
// measured three ways:
//
//   - impl=idbits: profiles of the graph's view, as the view numbers them,
//     through the reconcile API (View.Profile, JoinLen, Overlap);
//   - impl=dense: the same people as roaring bitmaps numbered 0..n-1, built
//     directly with bitmap.Builder: the lower bound of any numbering;
//   - impl=pairwise: the idbits audiences counted with a loop of
//     bitmap.AndLen, one pair at a time (on two workers for the matrix).
//
// Sizes are in people: 1e6 by default, profileShortPeople with -short.

// profileSizes are the world sizes, in people.
var profileSizes = []int{1e6}

const profileShortPeople = 2e4

// profileAudienceCount is how many audiences the overlap matrix takes.
const profileAudienceCount = 50

// profileImpls are the implementations the profile benchmarks compare.
var profileImpls = []string{"idbits", "dense", "pairwise"}

// profileFixture is the no-merge world of some people, its graph and its
// audiences, built once per size.
type profileFixture struct {
	people int
	fx     *e2eFixture
	graph  *reconcile.Graph
	view   *reconcile.View
	crm    []idtypes.ID // by person: the CRM ID
	// Each audience as the profiles of the graph's view (idbits) and as the
	// same people numbered 0..n-1 (dense); members of each as people.
	idbits  []bitmap.Audience
	typed   []reconcile.Profiles // idbits as profiles of the view
	dense   []bitmap.Audience
	members [][]uint32 // sorted person numbers
}

var profileWorlds struct {
	sync.Mutex
	m map[int]*profileFixture
}

// profileWorld returns the fixture of people people, building it on first
// use.
func profileWorld(b *testing.B, people int) *profileFixture {
	profileWorlds.Lock()
	defer profileWorlds.Unlock()
	if pf, ok := profileWorlds.m[people]; ok {
		return pf
	}
	if profileWorlds.m == nil {
		profileWorlds.m = map[int]*profileFixture{}
	}
	clear(profileWorlds.m) // one world at a time
	cfg := bench.Config{Seed: 2026, People: people, CRMShare: 1, EmailShare: 1, PhoneShare: -1, SharedShare: -1}
	fx := newE2EFixture(b, people, cfg)
	pf := &profileFixture{people: people, fx: fx, crm: make([]idtypes.ID, people)}
	for p := range people {
		for _, id := range fx.world.IDs(p) {
			if id.Namespace() == idtypes.CRMID {
				pf.crm[p] = id
			}
		}
		if !pf.crm[p].IsValid() {
			b.Fatalf("person %d has no CRM ID", p)
		}
	}
	// One CRM ID per profile and no size cap: a person with many ECIDs
	// stays one profile.
	g := mustGraph(reconcile.Rules{Unique: []idtypes.Namespace{idtypes.CRMID}})
	e2eLink(b, g, fx)
	v := g.View()
	pf.graph, pf.view = g, v
	if v.Len() != people {
		b.Fatalf("the graph has %d profiles for %d people: some merged or split", v.Len(), people)
	}
	r := e2eRand(people, 11)
	perm := make([]uint32, people)
	for i := range perm {
		perm[i] = uint32(i)
	}
	m := people / 10
	for range profileAudienceCount {
		// A partial Fisher-Yates shuffle draws m people.
		for j := range m {
			k := j + r.IntN(people-j)
			perm[j], perm[k] = perm[k], perm[j]
		}
		s := slices.Clone(perm[:m])
		slices.Sort(s)
		pf.members = append(pf.members, s)
		a := pf.profilesOf(b, v, s)
		pf.idbits = append(pf.idbits, a.Audience())
		pf.typed = append(pf.typed, a)
		var bl bitmap.Builder
		bl.AddMany(s)
		pf.dense = append(pf.dense, bl.Audience())
	}
	profileWorlds.m[people] = pf
	b.Logf("no-merge world of %d people, %d identities, %d profiles", people, v.Identities(), v.Len())
	return pf
}

// profilesOf returns the profiles of v holding the CRM IDs of people.
func (pf *profileFixture) profilesOf(b *testing.B, v *reconcile.View, people []uint32) reconcile.Profiles {
	var bl bitmap.Builder
	for _, p := range people {
		q, ok := v.Profile(pf.crm[p])
		if !ok {
			b.Fatalf("the CRM ID of person %d is in no profile", p)
		}
		bl.Add(uint32(q))
	}
	a, err := v.AsProfiles(bl.Audience())
	if err != nil {
		b.Fatal(err)
	}
	return a
}

// profileEach runs f as BenchmarkX/people=N/impl=I for every size and for
// impls.
func profileEach(b *testing.B, impls []string, f func(b *testing.B, pf *profileFixture, impl string)) {
	sizes := profileSizes
	if testing.Short() {
		sizes = []int{profileShortPeople}
	}
	for _, n := range sizes {
		for _, impl := range impls {
			b.Run("people="+e2eSizeName(n)+"/impl="+impl, func(b *testing.B) {
				f(b, profileWorld(b, n), impl)
			})
		}
	}
}

// profileBits reports the portable size of audiences in bits per member.
func profileBits(b *testing.B, as []bitmap.Audience) {
	b.ReportMetric(portableBits(as), "bits/member")
}

// BenchmarkProfileAudience builds an audience of a tenth of the profiles
// from the CRM IDs of its people, and reports its size in the portable
// roaring format (bits/member: the target is at most 11).
// impl=idbits: View.Profile of each CRM ID into a bitmap.Builder, then
// View.AsProfiles.
// impl=dense: the person numbers 0..n-1 into a bitmap.Builder. The figure
// of interest is bits/member; members/s shows what mapping identifiers to
// profiles costs beside building the bitmap.
func BenchmarkProfileAudience(b *testing.B) {
	profileEach(b, []string{"idbits", "dense"}, func(b *testing.B, pf *profileFixture, impl string) {
		v := pf.view
		s := pf.members[0]
		var a bitmap.Audience
		b.ReportAllocs()
		for b.Loop() {
			switch impl {
			case "idbits":
				a = pf.profilesOf(b, v, s).Audience()
			case "dense":
				var bl bitmap.Builder
				bl.AddMany(s)
				a = bl.Audience()
			}
		}
		if a.Len() != uint64(len(s)) {
			b.Fatalf("audience of %d members, want %d", a.Len(), len(s))
		}
		e2eRate(b, len(s), "member")
		profileBits(b, []bitmap.Audience{a})
	})
}

// BenchmarkProfileJoinLen counts the intersection of two audiences of a
// tenth of the profiles. impl=idbits: reconcile.JoinLen with JoinAnd under
// the view, of profiles made under it (so nothing is checked or
// projected). impl=dense: bitmap.AndLen of the same people numbered 0..n-1.
// impl=pairwise: bitmap.AndLen of the idbits audiences, without the view.
func BenchmarkProfileJoinLen(b *testing.B) {
	profileEach(b, profileImpls, func(b *testing.B, pf *profileFixture, impl string) {
		v := pf.view
		want := bitmap.AndLen(pf.dense[0], pf.dense[1])
		var got uint64
		b.ReportAllocs()
		for b.Loop() {
			switch impl {
			case "idbits":
				n, err := reconcile.JoinLen(v, reconcile.JoinAnd, pf.typed[0], pf.typed[1])
				if err != nil {
					b.Fatal(err)
				}
				got = n
			case "dense":
				got = bitmap.AndLen(pf.dense[0], pf.dense[1])
			case "pairwise":
				got = bitmap.AndLen(pf.idbits[0], pf.idbits[1])
			}
		}
		if got != want {
			b.Fatalf("intersection of %d members, want %d", got, want)
		}
		e2eRate(b, 2*len(pf.members[0]), "member")
		if impl == "dense" {
			profileBits(b, pf.dense[:2])
		} else {
			profileBits(b, pf.idbits[:2])
		}
	})
}

// BenchmarkProfileOverlap50 computes the 50x50 overlap matrix of 50
// audiences of a tenth of the profiles. impl=idbits: reconcile.Overlap of
// the view's audiences. impl=dense: reconcile.Overlap of the same people
// numbered 0..n-1. impl=pairwise: bitmap.AndLen of each of the 1,225 pairs
// of idbits audiences, on two workers. members/s counts the members the
// 1,225 intersections take in.
func BenchmarkProfileOverlap50(b *testing.B) {
	profileEach(b, profileImpls, func(b *testing.B, pf *profileFixture, impl string) {
		named := func(as []bitmap.Audience) []reconcile.NamedAudience {
			out := make([]reconcile.NamedAudience, len(as))
			for i, a := range as {
				out[i] = reconcile.NamedAudience{Name: "segment-" + strconv.Itoa(i), Audience: a}
			}
			return out
		}
		ni, nd := named(pf.idbits), named(pf.dense)
		n := len(pf.idbits)
		var m [][]uint64
		b.ReportAllocs()
		for b.Loop() {
			switch impl {
			case "idbits":
				m = reconcile.Overlap(ni, reconcile.OverlapOptions{}).Matrix
			case "dense":
				m = reconcile.Overlap(nd, reconcile.OverlapOptions{}).Matrix
			case "pairwise":
				m = pairwiseOverlap(pf.idbits)
			}
		}
		if got, want := m[0][1], bitmap.AndLen(pf.dense[0], pf.dense[1]); got != want {
			b.Fatalf("overlap of audiences 0 and 1 is %d, want %d", got, want)
		}
		if got, want := m[7][7], uint64(len(pf.members[7])); got != want {
			b.Fatalf("size of audience 7 is %d, want %d", got, want)
		}
		e2eRate(b, n*(n-1)*len(pf.members[0]), "member")
		if impl == "dense" {
			profileBits(b, pf.dense)
		} else {
			profileBits(b, pf.idbits)
		}
	})
}

// pairwiseOverlap counts each pairwise intersection with bitmap.AndLen, rows
// split between two workers.
func pairwiseOverlap(as []bitmap.Audience) [][]uint64 {
	n := len(as)
	m := make([][]uint64, n)
	for i := range m {
		m[i] = make([]uint64, n)
		m[i][i] = as[i].Len()
	}
	var eg errgroup.Group
	for w := range 2 {
		eg.Go(func() error {
			for i := w; i < n; i += 2 {
				for j := i + 1; j < n; j++ {
					c := bitmap.AndLen(as[i], as[j])
					m[i][j], m[j][i] = c, c
				}
			}
			return nil
		})
	}
	_ = eg.Wait()
	return m
}
