package reconcile_test

import (
	"math/rand/v2"
	"strconv"
	"sync"
	"testing"

	"github.com/idbits/idbits/bitmap"
	"github.com/idbits/idbits/idtypes"
	"github.com/idbits/idbits/reconcile"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// churn is a world whose profiles merged and split after audiences were
// built: old holds audiences built under the first view (v1), mid under the
// second (v2), ids an audience of identity ordinals (ECIDs, not profiles) as
// another system would send, and id their profiles under the third view,
// the graph's current one.
type churn struct {
	w            *flowWorld
	old, mid, id reconcile.Profiles
	ids          bitmap.Audience
	v1, v2       *reconcile.View
	a, b, c, d   int // people merged and split
}

func newChurn(t *testing.T, seed uint64) *churn {
	w := flowGen(t, seed, 400, reconcile.Rules{})
	rnd := rand.New(rand.NewPCG(seed, 99))
	ch := &churn{w: w, a: 10, b: 11, c: 20, d: 21}
	pick := func(v *reconcile.View, must ...int) reconcile.Profiles {
		var ids []idtypes.ID
		for _, p := range must {
			ids = append(ids, w.people[p][0])
		}
		for range 120 {
			p := w.people[rnd.IntN(len(w.people))]
			ids = append(ids, p[rnd.IntN(len(p))])
		}
		return keySet(t, v, ids...)
	}

	v1 := w.g.View()
	ch.v1 = v1
	ch.old = pick(v1, ch.a, ch.c)

	// a and b merge through a shared device, c and d through a CRM row.
	bridge := w.freshECID()
	w.link(t, 1, bridge, w.people[ch.a][0])
	w.link(t, 2, bridge, w.people[ch.b][0])
	w.link(t, 3, w.people[ch.c][0], w.people[ch.d][len(w.people[ch.d])-1])
	v2 := w.g.View()
	_, ok := v2.Profile(bridge)
	require.True(t, ok)
	ch.v2 = v2
	ch.mid = pick(v2, ch.b, ch.d)

	// The device is erased: a and b split again. 30 and 31 merge.
	w.erase(t, bridge)
	w.link(t, 4, w.people[30][0], w.people[31][0])

	var ib bitmap.Builder
	for range 150 {
		for _, id := range w.people[rnd.IntN(len(w.people))] {
			if id.Namespace() == idtypes.ECID {
				o, ok := w.g.Dictionary().Lookup(id)
				require.True(t, ok)
				ib.Add(o)
				break
			}
		}
	}
	ch.ids = ib.Audience()
	ch.id = w.g.View().ProfilesOf(ch.ids)
	return ch
}

// modelProject maps profiles made under view under (or identity ordinals if
// under is nil) to the model's components of the identities they stand
// for: each profile's key identity under its view.
func (ch *churn) modelProject(t *testing.T, a bitmap.Audience, under *reconcile.View) map[idtypes.ID]bool {
	out := map[idtypes.ID]bool{}
	for m := range a.All() {
		var id idtypes.ID
		if under == nil {
			id, _ = ch.w.g.Dictionary().ID(m)
		} else {
			id = under.Key(reconcile.Profile(m))
		}
		if !id.IsValid() {
			continue // erased
		}
		if c, ok := ch.w.model.comp(id); ok {
			out[c] = true
		}
	}
	return out
}

func modelJoin(op reconcile.JoinOp, sets ...map[idtypes.ID]bool) map[idtypes.ID]bool {
	out := map[idtypes.ID]bool{}
	if len(sets) == 0 {
		return out
	}
	for c := range sets[0] {
		keep := true
		for _, s := range sets[1:] {
			switch op {
			case reconcile.JoinAnd:
				keep = keep && s[c]
			case reconcile.JoinAndNot:
				keep = keep && !s[c]
			}
		}
		if keep {
			out[c] = true
		}
	}
	if op == reconcile.JoinOr {
		for _, s := range sets[1:] {
			for c := range s {
				out[c] = true
			}
		}
	}
	return out
}

func TestJoin(t *testing.T) {
	ch := newChurn(t, 30)
	v := ch.w.g.View()
	inputs := map[string]reconcile.Profiles{"old": ch.old, "mid": ch.mid, "ids": ch.id}
	// What the model projects: profiles through the view they were made
	// under, and for "ids" the identities ch.id was made of.
	models := map[string]map[idtypes.ID]bool{
		"old": ch.modelProject(t, ch.old.Audience(), ch.v1),
		"mid": ch.modelProject(t, ch.mid.Audience(), ch.v2),
		"ids": ch.modelProject(t, ch.ids, nil),
	}
	for _, tc := range []struct {
		name string
		in   []string
	}{
		{name: "old,mid", in: []string{"old", "mid"}},
		{name: "mid,old", in: []string{"mid", "old"}},
		{name: "old,ids", in: []string{"old", "ids"}},
		{name: "old,mid,ids", in: []string{"old", "mid", "ids"}},
		{name: "ids,mid,old", in: []string{"ids", "mid", "old"}},
		{name: "mid", in: []string{"mid"}},
		{name: "none"},
	} {
		for _, op := range []reconcile.JoinOp{reconcile.JoinAnd, reconcile.JoinOr, reconcile.JoinAndNot} {
			t.Run(tc.name+"/"+op.String(), func(t *testing.T) {
				var as []reconcile.Profiles
				var sets []map[idtypes.ID]bool
				for _, n := range tc.in {
					as = append(as, inputs[n])
					sets = append(sets, models[n])
				}
				want := modelJoin(op, sets...)

				// Inputs projected once and as they are give the same.
				for round := range 2 {
					if round == 1 {
						for i, a := range as {
							p, err := v.Project(a)
							require.NoError(t, err)
							as[i] = p
						}
					}
					got, rep, err := reconcile.Join(v, op, as...)
					require.NoError(t, err)
					require.Equal(t, want, comps(t, ch.w.model, v, got))
					require.Equal(t, op, rep.Op)
					require.Equal(t, uint64(len(want)), rep.Result)
					require.Len(t, rep.Inputs, len(as))
					for i, a := range as {
						assert.Equal(t, a.Len(), rep.Inputs[i].Members)
						assert.Equal(t, uint64(len(sets[i])), rep.Inputs[i].Profiles)
					}
					require.Same(t, v, got.View())

					n, err := reconcile.JoinLen(v, op, as...)
					require.NoError(t, err)
					require.Equal(t, rep.Result, n)

					// A result joins with itself as it is.
					again, arep, err := reconcile.Join(v, reconcile.JoinAnd, got, got)
					require.NoError(t, err)
					require.True(t, got.Equal(again))
					require.Equal(t, got.Len(), arep.Inputs[0].Profiles)
				}
			})
		}
	}
}

// TestJoinChurn checks the scenario itself: the merge and the split show in
// the projections, so the test above does exercise them.
func TestJoinChurn(t *testing.T) {
	ch := newChurn(t, 31)
	v := ch.w.g.View()
	// old holds a and c apart; mid holds b (merged with a then) and d
	// (merged with c, still). Under v, a and b are apart again: the merged
	// profile of mid went to the side its key identity is on.
	and, _, err := reconcile.Join(v, reconcile.JoinAnd, ch.old, ch.mid)
	require.NoError(t, err)
	pc, ok := v.Profile(ch.w.people[ch.c][0])
	require.True(t, ok)
	pd, ok := v.Profile(ch.w.people[ch.d][0])
	require.True(t, ok)
	require.Equal(t, pc, pd, "c and d merged")
	require.True(t, and.Contains(pc), "c (old) and d (mid) are one profile in both")
	pa, _ := v.Profile(ch.w.people[ch.a][0])
	pb, _ := v.Profile(ch.w.people[ch.b][0])
	require.NotEqual(t, pa, pb, "a and b split")
	mid, err := v.Project(ch.mid)
	require.NoError(t, err)
	require.NotEqual(t, mid.Contains(pa), mid.Contains(pb), "the merged profile went to one side")
}

func TestJoinBadOp(t *testing.T) {
	w := flowGen(t, 32, 10, reconcile.Rules{})
	for _, op := range []reconcile.JoinOp{0, 4, 255} {
		_, _, err := reconcile.Join(w.g.View(), op, w.g.View().Profiles())
		require.ErrorIs(t, err, reconcile.ErrJoinOp)
		_, err = reconcile.JoinLen(w.g.View(), op)
		require.ErrorIs(t, err, reconcile.ErrJoinOp)
	}
	assert.Equal(t, "JoinOp(9)", reconcile.JoinOp(9).String())
	b, err := reconcile.JoinAndNot.MarshalText()
	require.NoError(t, err)
	assert.Equal(t, "and-not", string(b))
}

// TestJoinSameView: audiences already of the view come back unchanged in
// the counts, and the join equals the plain bitmap operation.
func TestJoinSameView(t *testing.T) {
	w := flowGen(t, 33, 300, reconcile.Rules{})
	v := w.g.View()
	rnd := rand.New(rand.NewPCG(1, 2))
	var x, y []idtypes.ID
	for _, ids := range w.people {
		if rnd.IntN(2) == 0 {
			x = append(x, ids[0])
		}
		if rnd.IntN(3) == 0 {
			y = append(y, ids[len(ids)-1])
		}
	}
	a, b := keySet(t, v, x...), keySet(t, v, y...)
	x0, y0 := a.Audience(), b.Audience()
	for op, want := range map[reconcile.JoinOp]bitmap.Audience{
		reconcile.JoinAnd: bitmap.And(x0, y0), reconcile.JoinOr: bitmap.Or(x0, y0), reconcile.JoinAndNot: bitmap.AndNot(x0, y0),
	} {
		got, rep, err := reconcile.Join(v, op, a, b)
		require.NoError(t, err)
		require.True(t, want.Equal(got.Audience()), op)
		require.Equal(t, []reconcile.JoinInput{{Members: a.Len(), Profiles: a.Len()}, {Members: b.Len(), Profiles: b.Len()}}, rep.Inputs)
	}
}

// TestProjectIsProfiles checks what the flows rely on: a projection holds
// only profiles of the view, so it projects to itself, and AsProfiles takes
// it.
func TestProjectIsProfiles(t *testing.T) {
	ch := newChurn(t, 34)
	v := ch.w.g.View()
	for _, a := range []reconcile.Profiles{ch.old, ch.mid, ch.id} {
		p, err := v.Project(a)
		require.NoError(t, err)
		require.NotZero(t, p.Len())
		require.Zero(t, bitmap.AndNotLen(p.Audience(), v.Profiles().Audience()))
		for m := range p.All() {
			k := v.Key(m)
			require.True(t, k.IsValid())
			q, ok := v.Profile(k)
			require.True(t, ok)
			require.Equal(t, m, q)
		}
		again, err := v.Project(p)
		require.NoError(t, err)
		require.True(t, p.Equal(again))
		checked, err := v.AsProfiles(p.Audience())
		require.NoError(t, err)
		require.True(t, p.Equal(checked))
	}
}

// TestJoinConcurrent joins and counts the same profiles, made under
// several views, from several goroutines under one view, and checks every
// answer against one computed alone first.
func TestJoinConcurrent(t *testing.T) {
	ch := newChurn(t, 35)
	v := ch.w.g.View()
	keys := v.Profiles()
	var b bitmap.Builder
	for m := range keys.All() {
		if m%3 == 0 {
			b.Add(uint32(m))
		}
	}
	third, err := v.AsProfiles(b.Audience())
	require.NoError(t, err)
	inputs := [][]reconcile.Profiles{{ch.old, ch.mid}, {ch.id, third}, {third, keys}, {ch.old, ch.id, third}}
	type answer struct {
		out reconcile.Profiles
		rep reconcile.JoinReport
	}
	want := map[[2]int]answer{}
	for i, as := range inputs {
		for op := reconcile.JoinAnd; op <= reconcile.JoinAndNot; op++ {
			out, rep, err := reconcile.Join(v, op, as...)
			require.NoError(t, err)
			want[[2]int{i, int(op)}] = answer{out, rep}
		}
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for r := range 30 {
				i, op := (g+r)%len(inputs), reconcile.JoinOp(1+r%3)
				w := want[[2]int{i, int(op)}]
				as := inputs[i]
				out, rep, err := reconcile.Join(v, op, as...)
				if err != nil || !out.Equal(w.out) || rep.Result != w.rep.Result {
					t.Errorf("Join %d %v = %d, %v; want %d", i, op, rep.Result, err, w.rep.Result)
					return
				}
				n, err := reconcile.JoinLen(v, op, as...)
				if err != nil || n != w.rep.Result {
					t.Errorf("JoinLen %d %v = %d, %v; want %d", i, op, n, err, w.rep.Result)
					return
				}
			}
		})
	}
	wg.Wait()
}

// BenchmarkJoinLenFirst counts the intersection of two audiences of
// profiles of the view. audiences=typed: Profiles made under the view, so
// JoinLen costs bitmap.AndLen. audiences=new: untyped copies of the numbers,
// which View.AsProfiles checks against the view's profiles on every call
// before JoinLen (nothing remembers a check): the cost of an audience read
// back from storage. impl=naive: a counting
// merge of the two as sorted []uint32. members/s counts both inputs.
func BenchmarkJoinLenFirst(b *testing.B) {
	for _, n := range sizes(1e5, 4e5) {
		b.Run("profiles="+strconv.Itoa(n), func(b *testing.B) {
			w := getBenchWorld(b)
			x, y := w.audience(w.v, n, 7), w.audience(w.v, n, 8)
			sx, sy := x.Audience().AppendTo(nil), y.Audience().AppendTo(nil)
			bx, by := bitmap.Of(sx...), bitmap.Of(sy...)
			_, want := naiveAnd(sx, sy, true)
			for _, mode := range []string{"audiences=typed/impl=idbits", "audiences=new/impl=idbits", "impl=naive"} {
				b.Run(mode, func(b *testing.B) {
					b.ReportAllocs()
					got := 0
					for b.Loop() {
						switch mode {
						case "impl=naive":
							_, got = naiveAnd(sx, sy, true)
							continue
						case "audiences=new/impl=idbits":
							var err error
							if x, err = w.v.AsProfiles(bx); err != nil {
								b.Fatal(err)
							}
							if y, err = w.v.AsProfiles(by); err != nil {
								b.Fatal(err)
							}
						}
						n, err := reconcile.JoinLen(w.v, reconcile.JoinAnd, x, y)
						if err != nil {
							b.Fatal(err)
						}
						got = int(n)
					}
					if got != want {
						b.Fatalf("join counts %d, want %d", got, want)
					}
					b.ReportMetric(float64(2*n*b.N)/b.Elapsed().Seconds(), "members/s")
				})
			}
		})
	}
}
