package reconcile_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
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
