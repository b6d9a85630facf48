package reconcile_test

import (
	"cmp"
	"encoding/json"
	"fmt"
	"math/big"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/idbits/idbits/bitmap"
	"github.com/idbits/idbits/reconcile"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestOverlap(t *testing.T) {
	rnd := rand.New(rand.NewPCG(40, 41))
	for _, tc := range []struct {
		name  string
		n     int // audiences
		floor uint64
	}{
		{name: "none", n: 0},
		{name: "one", n: 1},
		{name: "five", n: 5},
		{name: "five, floor 1", n: 5, floor: 1},
		{name: "six, floor 40", n: 6, floor: 40},
		{name: "six, floor 300", n: 6, floor: 300},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var as []reconcile.NamedAudience
			var sets []map[uint32]bool
			for i := range tc.n {
				s := map[uint32]bool{}
				var b bitmap.Builder
				size := []int{0, 10, 50, 200, 400, 1000}[i%6]
				for range size {
					x := uint32(rnd.IntN(1500))
					s[x] = true
					b.Add(x)
				}
				sets = append(sets, s)
				as = append(as, reconcile.NamedAudience{Name: fmt.Sprint("aud", i), Audience: b.Audience()})
			}
			withheld := func(x uint64) bool { return x > 0 && x < tc.floor && tc.floor > 1 }
			rep := reconcile.Overlap(as, reconcile.OverlapOptions{Floor: tc.floor})
			require.Len(t, rep.Audiences, tc.n)
			for i, a := range rep.Audiences {
				size := uint64(len(sets[i]))
				assert.Equal(t, as[i].Name, a.Name)
				assert.Equal(t, withheld(size), a.Withheld, a.Name)
				if !a.Withheld {
					assert.Equal(t, size, a.Size, a.Name)
				} else {
					assert.Zero(t, a.Size)
				}
			}
			k := 0
			for i := range tc.n {
				for j := i + 1; j < tc.n; j++ {
					p := rep.Pairs[k]
					k++
					var inter, union uint64
					for x := range sets[i] {
						if sets[j][x] {
							inter++
						}
					}
					union = uint64(len(sets[i])+len(sets[j])) - inter
					si, sj := uint64(len(sets[i])), uint64(len(sets[j]))
					require.Equal(t, as[i].Name, p.A)
					require.Equal(t, as[j].Name, p.B)
					if withheld(inter) || withheld(si) || withheld(sj) {
						require.Equal(t, reconcile.OverlapPair{A: p.A, B: p.B, Withheld: true}, p)
						continue
					}
					require.False(t, p.Withheld)
					assert.Equal(t, inter, p.Overlap)
					ratio := func(a, b uint64) float64 {
						if b == 0 {
							return 0
						}
						return float64(a) / float64(b)
					}
					assert.InDelta(t, ratio(inter, union), p.Jaccard, 1e-12)
					assert.InDelta(t, ratio(inter, si), p.AInB, 1e-12)
					assert.InDelta(t, ratio(inter, sj), p.BInA, 1e-12)
				}
			}
			require.Len(t, rep.Pairs, k)
			require.Len(t, rep.Matrix, tc.n)
		})
	}
}

func TestOverlapText(t *testing.T) {
	as := []reconcile.NamedAudience{
		{Name: "spring_sale", Audience: bitmap.Of(1, 2, 3, 4, 5, 6, 7, 8, 9, 10)},
		{Name: "crm_vip", Audience: bitmap.Of(8, 9, 10, 11)},
		{Name: "app", Audience: bitmap.Of(1, 20)},
	}
	want := `audience     members
spring_sale       10
crm_vip            4
app                2

a            b            overlap  jaccard   a in b   b in a
spring_sale  crm_vip            3   0.2727    30.0%    75.0%
spring_sale  app                1   0.0909    10.0%    50.0%
crm_vip      app                0   0.0000     0.0%     0.0%
`
	rep := reconcile.Overlap(as, reconcile.OverlapOptions{})
	var b strings.Builder
	n, err := rep.WriteTo(&b)
	require.NoError(t, err)
	require.Equal(t, want, b.String())
	require.Equal(t, int64(len(want)), n)
	require.Equal(t, want, rep.String())

	want = `audience     members
spring_sale       10
crm_vip            4
app               <3

a            b            overlap  jaccard   a in b   b in a
spring_sale  crm_vip            3   0.2727    30.0%    75.0%
spring_sale  app               <3        -        -        -
crm_vip      app               <3        -        -        -
`
	require.Equal(t, want, reconcile.Overlap(as, reconcile.OverlapOptions{Floor: 3}).String())

	// Every row of a section has the same width.
	for section := range strings.SplitSeq(strings.TrimSuffix(want, "\n"), "\n\n") {
		rows := strings.Split(section, "\n")
		for _, r := range rows {
			require.Equal(t, len(rows[0]), len(r), "%q", r)
		}
	}
	require.Equal(t, "audience  members\n", reconcile.Overlap(nil, reconcile.OverlapOptions{}).String())
}

func TestOverlapJSON(t *testing.T) {
	rep := reconcile.Overlap([]reconcile.NamedAudience{
		{Name: "a", Audience: bitmap.Of(1, 2, 3)},
		{Name: "b", Audience: bitmap.Of(3, 4)},
	}, reconcile.OverlapOptions{})
	b, err := json.Marshal(rep)
	require.NoError(t, err)
	require.JSONEq(t, `{"audiences":[{"name":"a","size":3},{"name":"b","size":2}],
		"pairs":[{"a":"a","b":"b","overlap":1,"jaccard":0.25,"a_in_b":0.3333333333333333,"b_in_a":0.5}]}`, string(b))
}

// failAfter fails writes after n bytes.
type failAfter struct{ n int }

func (f *failAfter) Write(p []byte) (int, error) {
	if len(p) > f.n {
		k := f.n
		f.n = 0
		return k, errWrite
	}
	f.n -= len(p)
	return len(p), nil
}

func TestOverlapWriteError(t *testing.T) {
	rep := reconcile.Overlap([]reconcile.NamedAudience{{Name: "a", Audience: bitmap.Of(1)}, {Name: "b"}}, reconcile.OverlapOptions{})
	n, err := rep.WriteTo(&failAfter{n: 10})
	require.ErrorIs(t, err, errWrite)
	require.Equal(t, int64(10), n)
}

// rankModel is the naive model of a ranking: every pair i < j of sets
// sharing at least max(floor, 1) members, neither of size below the
// floor, sorted by the measure (exact fractions) highest first, then by
// i, then by j; the first top.
func rankModel(sets [][]uint32, top int, floor uint64, jaccard bool) [][2]int {
	type cand struct {
		i, j        int
		inter, size [3]uint64 // inter in [0], sizes in [1], [2]
	}
	var cs []cand
	for i := range sets {
		for j := i + 1; j < len(sets); j++ {
			var c cand
			c.i, c.j = i, j
			c.size[1], c.size[2] = uint64(len(sets[i])), uint64(len(sets[j]))
			in := map[uint32]bool{}
			for _, x := range sets[i] {
				in[x] = true
			}
			for _, x := range sets[j] {
				if in[x] {
					c.inter[0]++
				}
			}
			if c.inter[0] == 0 || c.inter[0] < floor || c.size[1] < floor || c.size[2] < floor {
				continue
			}
			cs = append(cs, c)
		}
	}
	measure := func(c cand) *big.Rat {
		if jaccard {
			return big.NewRat(int64(c.inter[0]), int64(c.size[1]+c.size[2]-c.inter[0]))
		}
		return big.NewRat(int64(c.inter[0]), 1)
	}
	slices.SortFunc(cs, func(a, b cand) int {
		return cmp.Or(measure(b).Cmp(measure(a)), cmp.Compare(a.i, b.i), cmp.Compare(a.j, b.j))
	})
	var out [][2]int
	for _, c := range cs[:min(top, len(cs))] {
		out = append(out, [2]int{c.i, c.j})
	}
	return out
}

func TestOverlapRanked(t *testing.T) {
	rnd := rand.New(rand.NewPCG(50, 51))
	for _, tc := range []struct {
		name  string
		n     int // audiences
		top   int
		floor uint64
	}{
		{name: "more than listed, default top", n: reconcile.OverlapListMax + 30},
		{name: "few, top 3", n: 8, top: 3},
		{name: "top 5, floor 20", n: 120, top: 5, floor: 20},
		{name: "top more than pairs", n: 6, top: 100},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var as []reconcile.NamedAudience
			var sets [][]uint32
			for i := range tc.n {
				var b bitmap.Builder
				size := []int{0, 3, 15, 40, 120}[i%5]
				for range size {
					b.Add(uint32(rnd.IntN(300)))
				}
				a := b.Audience()
				sets = append(sets, slices.Collect(a.All()))
				as = append(as, reconcile.NamedAudience{Name: fmt.Sprint("seg", i), Audience: a})
			}
			rep := reconcile.Overlap(as, reconcile.OverlapOptions{Floor: tc.floor, Top: tc.top})
			top := cmp.Or(tc.top, reconcile.OverlapTopDefault)
			require.Equal(t, top, rep.Top)
			require.Nil(t, rep.Pairs, "a ranking lists no pairs")
			require.Nil(t, rep.Matrix)
			require.Len(t, rep.Audiences, tc.n)
			for i, a := range rep.Audiences {
				size := uint64(len(sets[i]))
				assert.Equal(t, size > 0 && size < tc.floor, a.Withheld, a.Name)
				if !a.Withheld {
					assert.Equal(t, size, a.Size)
				}
			}
			for _, jaccard := range []bool{false, true} {
				ranked := rep.TopOverlap
				if jaccard {
					ranked = rep.TopJaccard
				}
				want := rankModel(sets, top, tc.floor, jaccard)
				require.Len(t, ranked, len(want), "jaccard %v", jaccard)
				for k, ij := range want {
					p := ranked[k]
					si, sj := uint64(len(sets[ij[0]])), uint64(len(sets[ij[1]]))
					require.Equal(t, [2]string{as[ij[0]].Name, as[ij[1]].Name}, [2]string{p.A, p.B}, "rank %d, jaccard %v", k, jaccard)
					require.False(t, p.Withheld)
					require.GreaterOrEqual(t, p.Overlap, max(tc.floor, 1))
					assert.InDelta(t, float64(p.Overlap)/float64(si+sj-p.Overlap), p.Jaccard, 1e-12)
					assert.InDelta(t, float64(p.Overlap)/float64(si), p.AInB, 1e-12)
					assert.InDelta(t, float64(p.Overlap)/float64(sj), p.BInA, 1e-12)
				}
			}
		})
	}
}

func TestOverlapRankedText(t *testing.T) {
	as := []reconcile.NamedAudience{
		{Name: "spring_sale", Audience: bitmap.Of(1, 2, 3, 4, 5, 6, 7, 8, 9, 10)},
		{Name: "crm_vip", Audience: bitmap.Of(8, 9, 10, 11)},
		{Name: "app", Audience: bitmap.Of(1, 20)},
		{Name: "tiny", Audience: bitmap.Of(9)},
	}
	want := `4 audiences (1 of fewer than 2 members); the 2 largest:
audience     members
spring_sale       10
crm_vip            4

top 2 pairs by overlap (of those sharing 2 members or more)
a            b            overlap  jaccard   a in b   b in a
spring_sale  crm_vip            3   0.2727    30.0%    75.0%

top 2 pairs by jaccard (of those sharing 2 members or more)
a            b            overlap  jaccard   a in b   b in a
spring_sale  crm_vip            3   0.2727    30.0%    75.0%
`
	rep := reconcile.Overlap(as, reconcile.OverlapOptions{Floor: 2, Top: 2})
	require.Equal(t, want, rep.String())
	b, err := json.Marshal(rep)
	require.NoError(t, err)
	require.JSONEq(t, `{"floor":2,"top":2,
		"audiences":[{"name":"spring_sale","size":10},{"name":"crm_vip","size":4},{"name":"app","size":2},{"name":"tiny","size":0,"withheld":true}],
		"top_overlap":[{"a":"spring_sale","b":"crm_vip","overlap":3,"jaccard":0.2727272727272727,"a_in_b":0.3,"b_in_a":0.75}],
		"top_jaccard":[{"a":"spring_sale","b":"crm_vip","overlap":3,"jaccard":0.2727272727272727,"a_in_b":0.3,"b_in_a":0.75}]}`, string(b))

	want = `4 audiences; the 3 largest:
audience     members
spring_sale       10
crm_vip            4
app                2

top 3 pairs by overlap
a            b            overlap  jaccard   a in b   b in a
spring_sale  crm_vip            3   0.2727    30.0%    75.0%
spring_sale  app                1   0.0909    10.0%    50.0%
spring_sale  tiny               1   0.1000    10.0%   100.0%

top 3 pairs by jaccard
a            b            overlap  jaccard   a in b   b in a
spring_sale  crm_vip            3   0.2727    30.0%    75.0%
crm_vip      tiny               1   0.2500    25.0%   100.0%
spring_sale  tiny               1   0.1000    10.0%   100.0%
`
	require.Equal(t, want, reconcile.Overlap(as, reconcile.OverlapOptions{Top: 3}).String())

	// Nothing to rank.
	want = `1 audiences; the 1 largest:
audience  members
a               1

top 10 pairs by overlap
(no pair)

top 10 pairs by jaccard
(no pair)
`
	require.Equal(t, want, reconcile.Overlap([]reconcile.NamedAudience{{Name: "a", Audience: bitmap.Of(1)}}, reconcile.OverlapOptions{Top: 10}).String())
}

// An overlap of many audiences holds no pair of every audience, so its
// memory grows with the audiences, not with their pairs: 5,000 audiences
// have 12.5 million pairs.
func TestOverlapManyBounded(t *testing.T) {
	const k = 5000
	rnd := rand.New(rand.NewPCG(60, 61))
	as := make([]reconcile.NamedAudience, k)
	for i := range as {
		var b bitmap.Builder
		for range 1 + rnd.IntN(20) {
			b.Add(uint32(rnd.IntN(50_000)))
		}
		as[i] = reconcile.NamedAudience{Name: fmt.Sprint(i), Audience: b.Audience()}
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	rep := reconcile.Overlap(as, reconcile.OverlapOptions{Floor: 2})
	runtime.ReadMemStats(&after)
	alloc := after.TotalAlloc - before.TotalAlloc
	assert.Less(t, alloc, uint64(16<<20), "Overlap of %d audiences allocated %d bytes", k, alloc)
	assert.Nil(t, rep.Pairs)
	assert.Nil(t, rep.Matrix)
	assert.Len(t, rep.TopOverlap, reconcile.OverlapTopDefault)
	assert.Len(t, rep.TopJaccard, reconcile.OverlapTopDefault)
	assert.Len(t, rep.Audiences, k)
	assert.Less(t, len(rep.String()), 4096, "the text of a ranking is bounded")
}
