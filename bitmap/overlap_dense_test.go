package bitmap

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// OverlapRoaring is Overlap counting every pair with roaring, never on
// dense forms: the benchmarks compare the two.
func OverlapRoaring(as ...Audience) Matrix { return overlap(as, false) }

// genBlocks returns the members of an audience whose 2^16 blocks each hold
// one kind of container, chosen at random, of every size that decides
// between a bitset and an array in a dense form.
func genBlocks(r *rand.Rand) []uint32 {
	var xs []uint32
	for block := range uint32(6) {
		base := block<<16 + uint32(r.IntN(3))<<16 // neighbours sometimes share keys
		switch r.IntN(8) {
		case 0: // nothing
		case 1: // a few runs, fewer members than denseRunMin
			xs = appendRuns(r, xs, base, 1+r.IntN(4), 100)
		case 2: // runs of between denseRunMin and denseMin members
			xs = appendRuns(r, xs, base, 2+r.IntN(8), 400)
		case 3: // many runs, more members than denseMin
			xs = appendRuns(r, xs, base, 100+r.IntN(400), 120)
		case 4: // an array of exactly arrayMax members: a roaring array, a dense bitset
			xs = appendScattered(r, xs, base, arrayMax)
		case 5: // an array of a few hundred members
			xs = appendScattered(r, xs, base, 1+r.IntN(800))
		case 7: // many short runs, between denseRunMin and denseMin members
			xs = appendRuns(r, xs, base, 40+r.IntN(20), 40)
		case 6: // a bitmap
			xs = appendScattered(r, xs, base, arrayMax+1+r.IntN(20000))
		}
	}
	return xs
}

// appendRuns appends about n runs of up to maxLen members within the
// block at base.
func appendRuns(r *rand.Rand, xs []uint32, base uint32, n, maxLen int) []uint32 {
	for range n {
		lo := r.IntN(1 << 16)
		hi := min(1<<16, lo+1+r.IntN(maxLen))
		for x := lo; x < hi; x++ {
			xs = append(xs, base+uint32(x))
		}
	}
	return xs
}

// appendScattered appends exactly n distinct members of the block at base.
func appendScattered(r *rand.Rand, xs []uint32, base uint32, n int) []uint32 {
	for _, x := range r.Perm(1 << 16)[:n] {
		xs = append(xs, base+uint32(x))
	}
	return xs
}

func TestOverlapDense(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	var as []Audience
	var ms []model
	for _, p := range genPairs(t, 12, 2) {
		as, ms = append(as, p.a), append(ms, p.m)
	}
	for range 12 {
		xs := genBlocks(r)
		as, ms = append(as, Of(xs...)), append(ms, modelOf(xs))
	}
	want := make(Matrix, len(as))
	for i := range as {
		want[i] = make([]uint64, len(as))
		for j := range as {
			want[i][j] = AndLen(as[i], as[j])
		}
	}
	checkOverlap(t, want, ms)
	var all int64 // a budget for every dense form
	nonEmpty := 0
	for _, a := range as {
		if !a.IsEmpty() {
			nonEmpty++
		}
		enc, err := a.MarshalBinary()
		require.NoError(t, err)
		cs, ok := containers(enc)
		require.True(t, ok, "containers of an audience's own encoding")
		if !suited(cs) {
			nonEmpty--
			continue
		}
		all += denseSize(cs)
	}
	tests := []struct {
		name     string
		budget   int64
		wantAll  bool // every non-empty audience has a dense form
		wantNone bool // no audience has one
	}{
		{"every audience dense", all, true, false},
		{"some audiences counted with roaring", all - 1, false, false},
		{"most audiences counted with roaring", all / 8, false, false},
		{"all counted with roaring", 0, false, true},
	}
	for _, tt := range tests {
		for _, mode := range []string{"sequential", "parallel"} {
			t.Run(tt.name+"/"+mode, func(t *testing.T) {
				old := denseBudget
				denseBudget = tt.budget
				t.Cleanup(func() { denseBudget = old })
				if mode == "parallel" {
					forceParallel(t)
				}
				ds := denseForms(as, mode == "parallel")
				var dense int
				for i, d := range ds {
					if d != nil {
						dense++
						assert.False(t, as[i].IsEmpty(), "an empty audience has a dense form")
					}
				}
				if tt.wantAll {
					assert.Equal(t, nonEmpty, dense, "audiences with dense forms")
				}
				if tt.wantNone {
					assert.Zero(t, dense, "audiences with dense forms")
				} else {
					assert.Positive(t, dense, "audiences with dense forms")
				}
				if !tt.wantAll && !tt.wantNone {
					assert.Less(t, dense, nonEmpty, "audiences with dense forms")
				}
				got := overlap(as, true)
				require.Equal(t, want, got, "overlap on dense forms and pairwise AndLen")
				for k := range min(len(as), 6) { // every size, also below denseMinK
					require.Equal(t, Overlap(as[:k]...), overlap(as[:k], true), "overlap of %d audiences", k)
				}
			})
		}
	}
}

func TestSetRange(t *testing.T) {
	for _, r := range [][2]int{{0, 0}, {0, 63}, {0, 64}, {1, 62}, {63, 64}, {5, 700}, {64, 127}, {65535, 65535}, {0, 65535}, {100, 65534}} {
		t.Run(fmt.Sprint(r), func(t *testing.T) {
			w := make([]uint64, bitsetWords)
			w[0] = 1 << 40 // already set bits stay set
			setRange(w, r[0], r[1])
			for v := range 1 << 16 {
				want := v >= r[0] && v <= r[1] || v == 40
				if got := w[v>>6]>>(v&63)&1 == 1; got != want {
					t.Fatalf("bit %d = %v, want %v", v, got, want)
				}
			}
		})
	}
}

func TestContainersRejectsOthers(t *testing.T) {
	enc, err := Of(1, 2, 3, 70000).MarshalBinary()
	require.NoError(t, err)
	for cut := range len(enc) {
		_, ok := containers(enc[:cut])
		assert.False(t, ok, "containers of an encoding cut at %d bytes", cut)
	}
	_, ok := containers([]byte{1, 2, 3, 4, 5, 6, 7, 8})
	assert.False(t, ok, "containers of an unknown cookie")
}
