package bitmap

import (
	"cmp"
	"fmt"
	"math/big"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// countModes runs f once per way of counting pairs: chosen by cost,
// always pairwise, always by co-occurrence.
func countModes(t *testing.T, f func(t *testing.T)) {
	for _, mode := range []string{"auto", "pairwise", "co-occurrence"} {
		t.Run(mode, func(t *testing.T) {
			oldBudget, oldAlways := coBudget, coAlways
			t.Cleanup(func() { coBudget, coAlways = oldBudget, oldAlways })
			switch mode {
			case "pairwise":
				coBudget = 0
			case "co-occurrence":
				coAlways = true
			}
			f(t)
		})
	}
}

// naivePairs returns every pair i < j of as with its AndLen, in row order,
// zeros included.
func naivePairs(as []Audience) []Pair {
	var ps []Pair
	for i := range as {
		for j := i + 1; j < len(as); j++ {
			ps = append(ps, Pair{I: i, J: j, Len: AndLen(as[i], as[j]), LenI: as[i].n, LenJ: as[j].n})
		}
	}
	return ps
}

// naiveTop is the model of TopPairs: every pair sharing at least
// max(min, 1) members, sorted by the measure (compared as exact
// fractions), highest first, then by I, then by J; the first n.
func naiveTop(as []Audience, n int, opts TopOptions) []Pair {
	var ps []Pair
	for _, p := range naivePairs(as) {
		if p.Len >= max(opts.Min, 1) {
			ps = append(ps, p)
		}
	}
	measure := make(map[Pair]*big.Rat, len(ps))
	for _, p := range ps {
		measure[p] = big.NewRat(int64(p.Len), 1)
		if opts.By == ByJaccard {
			measure[p] = big.NewRat(int64(p.Len), int64(p.LenI+p.LenJ-p.Len))
		}
	}
	slices.SortFunc(ps, func(a, b Pair) int {
		return cmp.Or(measure[b].Cmp(measure[a]), cmp.Compare(a.I, b.I), cmp.Compare(a.J, b.J))
	})
	return ps[:min(n, len(ps))]
}

// pairInputs returns sets of audiences of several shapes: the model
// shapes, dense blocks, many small audiences with ties, identical ones.
func pairInputs(t *testing.T) map[string][]Audience {
	r := rand.New(rand.NewPCG(21, 22))
	in := map[string][]Audience{}
	var mixed []Audience
	for _, p := range genPairs(t, 23, 2) {
		mixed = append(mixed, p.a)
	}
	for range 6 {
		mixed = append(mixed, Of(genBlocks(r)...))
	}
	in["mixed"] = mixed
	var small []Audience
	for range 300 {
		var xs []uint32
		for range r.IntN(12) {
			xs = append(xs, uint32(r.IntN(400)))
		}
		small = append(small, Of(xs...))
	}
	in["many small"] = small
	var same []Audience
	for range 200 {
		same = append(same, Of(7))
	}
	same = append(same, Of(), Of(7, 8))
	in["identical"] = same
	var hub []Audience // every audience holds member 0: all pairs tie
	for i := range uint32(150) {
		hub = append(hub, Of(0, 1000+i, 5000+i%7))
	}
	in["hub"] = hub
	in["none"] = nil
	in["one"] = []Audience{Of(1, 2)}
	in["empty"] = []Audience{{}, {}, Of(3)}
	return in
}

func TestPairsModel(t *testing.T) {
	inputs := pairInputs(t)
	countModes(t, func(t *testing.T) {
		for name, as := range inputs {
			t.Run(name, func(t *testing.T) {
				var want []Pair
				for _, p := range naivePairs(as) {
					if p.Len > 0 {
						want = append(want, p)
					}
				}
				require.Equal(t, want, slices.Collect(Pairs(as...)))
				// And the old matrix, rebuilt from the pairs.
				m := Overlap(as...)
				got := make(Matrix, len(as))
				for i := range got {
					got[i] = make([]uint64, len(as))
					got[i][i] = as[i].Len()
				}
				for p := range Pairs(as...) {
					got[p.I][p.J], got[p.J][p.I] = p.Len, p.Len
				}
				require.Equal(t, m, got)
			})
		}
	})
}

func TestTopPairsModel(t *testing.T) {
	inputs := pairInputs(t)
	allOpts := []TopOptions{{}, {By: ByJaccard}, {Min: 2}, {By: ByJaccard, Min: 3}, {Min: 1 << 40}}
	ranked := map[string][][]Pair{} // by input, then by options: naiveTop of every pair
	for name, as := range inputs {
		for _, opts := range allOpts {
			ranked[name] = append(ranked[name], naiveTop(as, len(as)*len(as), opts))
		}
	}
	countModes(t, func(t *testing.T) {
		for name, as := range inputs {
			for o, opts := range allOpts {
				for _, n := range []int{0, 1, 3, 10, 1000000} {
					t.Run(fmt.Sprintf("%s/n=%d/%+v", name, n, opts), func(t *testing.T) {
						want := ranked[name][o]
						want = want[:min(n, len(want))]
						got := TopPairs(as, n, opts)
						if len(want) == 0 {
							require.Empty(t, got)
							return
						}
						require.Equal(t, want, got)
					})
				}
			}
		}
	})
}

func TestPairsStop(t *testing.T) {
	as := pairInputs(t)["identical"]
	countModes(t, func(t *testing.T) {
		n := 0
		for p := range Pairs(as...) {
			n++
			if n == 5 {
				assert.Equal(t, Pair{I: 0, J: 5, Len: 1, LenI: 1, LenJ: 1}, p)
				break
			}
		}
		assert.Equal(t, 5, n)
	})
}

func TestPairJaccard(t *testing.T) {
	assert.InDelta(t, 0.25, Pair{Len: 1, LenI: 3, LenJ: 2}.Jaccard(), 1e-15)
	assert.Zero(t, Pair{}.Jaccard())
	assert.Equal(t, 1.0, Pair{Len: 4, LenI: 4, LenJ: 4}.Jaccard())
}

// manyAudiences returns k audiences in the shape of an Audience Manager
// file of many segments: sizes from a long tail over users ordinals.
func manyAudiences(k, users int, seed uint64) []Audience {
	r := rand.New(rand.NewPCG(seed, 7))
	as := make([]Audience, k)
	var xs []uint32
	for i := range as {
		size := int(1 + r.ExpFloat64()*8)
		if i%1000 == 0 {
			size = users / 20 // a few large segments
		}
		xs = xs[:0]
		for range size {
			xs = append(xs, uint32(r.IntN(users)))
		}
		as[i] = Of(xs...)
	}
	return as
}

// TopPairs of 100,000 audiences keeps memory in proportion to the
// audiences, not to their 5e9 pairs, whether all pairs tie (every audience
// the same single member, the shape of one user in every segment) or not.
func TestTopPairsManyBounded(t *testing.T) {
	const k = 100_000
	same := make([]Audience, k)
	one := Of(42)
	for i := range same {
		same[i] = one
	}
	for name, as := range map[string][]Audience{
		"identical": same,
		"long tail": manyAudiences(k, 200_000, 5),
	} {
		t.Run(name, func(t *testing.T) {
			for _, by := range []Rank{ByLen, ByJaccard} {
				runtime.GC()
				var before, after runtime.MemStats
				runtime.ReadMemStats(&before)
				top := TopPairs(as, 10, TopOptions{By: by})
				runtime.ReadMemStats(&after)
				require.Len(t, top, 10)
				alloc := after.TotalAlloc - before.TotalAlloc
				assert.Less(t, alloc, uint64(64<<20), "TopPairs by %d allocated %d bytes", by, alloc)
				n := 0
				for range Pairs(as...) {
					if n++; n == 1000 {
						break
					}
				}
				assert.Equal(t, 1000, n)
			}
			if name == "identical" {
				want := []Pair{}
				for j := 1; j <= 10; j++ {
					want = append(want, Pair{I: 0, J: j, Len: 1, LenI: 1, LenJ: 1})
				}
				require.Equal(t, want, TopPairs(as, 10, TopOptions{By: ByJaccard}))
			}
		})
	}
}

// FuzzPairs checks the streamed pairs against the matrix of Overlap and
// TopPairs against its model, on audiences drawn from the input: each
// byte pair adds a member (from a small universe, so that audiences
// overlap) to one of up to 12 audiences, counted both ways.
func FuzzPairs(f *testing.F) {
	f.Add([]byte{0, 1, 1, 1, 2, 1, 0, 2}, false, uint8(3))
	f.Add([]byte{0, 0, 1, 0, 2, 0, 3, 0, 4, 0}, true, uint8(1))
	f.Fuzz(func(t *testing.T, data []byte, co bool, n uint8) {
		oldBudget, oldAlways := coBudget, coAlways
		defer func() { coBudget, coAlways = oldBudget, oldAlways }()
		if co {
			coAlways = true
		} else {
			coBudget = 0
		}
		bs := make([]Builder, 12)
		for i := 0; i+1 < len(data); i += 2 {
			k := int(data[i]) % len(bs)
			x := uint32(data[i+1])
			if data[i]&0x80 != 0 {
				x += 1 << 16 // a second container
			}
			bs[k].Add(x)
		}
		as := make([]Audience, int(n)%len(bs)+1)
		for i := range as {
			as[i] = bs[i].Audience()
		}
		m := Overlap(as...)
		seen := 0
		last := Pair{I: -1}
		for p := range Pairs(as...) {
			if p.I < last.I || p.I == last.I && p.J <= last.J {
				t.Fatalf("pair %v after %v: not in row order", p, last)
			}
			last = p
			if p.Len == 0 || m[p.I][p.J] != p.Len || p.LenI != m[p.I][p.I] || p.LenJ != m[p.J][p.J] {
				t.Fatalf("pair %v, matrix %v", p, m)
			}
			seen++
		}
		for i := range m {
			for j := i + 1; j < len(m); j++ {
				if m[i][j] > 0 {
					seen--
				}
			}
		}
		if seen != 0 {
			t.Fatalf("Pairs yields %d pairs more than the matrix has", seen)
		}
		for _, opts := range []TopOptions{{}, {By: ByJaccard}, {Min: 2}} {
			want := naiveTop(as, int(n)%7, opts)
			got := TopPairs(as, int(n)%7, opts)
			if !slices.Equal(got, want) {
				t.Fatalf("TopPairs(%d, %+v) = %v, want %v", int(n)%7, opts, got, want)
			}
		}
	})
}
