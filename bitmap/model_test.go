package bitmap

import (
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// model is the plain set the tests check audiences against.
type model map[uint32]struct{}

func (m model) sorted() []uint32 { return slices.Sorted(maps.Keys(m)) }

func modelOf(xs []uint32) model {
	m := make(model, len(xs))
	for _, x := range xs {
		m[x] = struct{}{}
	}
	return m
}

func modelAnd(a, b model) model {
	out := model{}
	for x := range a {
		if _, ok := b[x]; ok {
			out[x] = struct{}{}
		}
	}
	return out
}

func modelOr(a, b model) model {
	out := maps.Clone(a)
	if out == nil {
		out = model{}
	}
	maps.Copy(out, b)
	return out
}

func modelAndNot(a, b model) model {
	out := model{}
	for x := range a {
		if _, ok := b[x]; !ok {
			out[x] = struct{}{}
		}
	}
	return out
}

func modelXor(a, b model) model { return modelOr(modelAndNot(a, b), modelAndNot(b, a)) }

// shapes are the kinds of random audiences the tests draw: each exercises
// other roaring containers (arrays, bitmaps, runs) and the ends of the
// ordinal range.
var shapes = []string{"empty", "one", "sparse", "dense", "runs", "mixed", "edges", "full-container"}

// gen returns the members of a random audience of the given shape, unsorted
// and with duplicates.
func gen(r *rand.Rand, shape string) []uint32 {
	var xs []uint32
	switch shape {
	case "empty":
	case "one":
		xs = append(xs, r.Uint32())
	case "sparse": // array containers across the whole range
		for range 1 + r.IntN(2000) {
			xs = append(xs, r.Uint32())
		}
	case "dense": // bitmap containers in a few 2^16 blocks
		base := uint32(r.IntN(8)) << 16
		for range 4500 + r.IntN(8000) {
			xs = append(xs, base+uint32(r.IntN(1<<16)))
		}
	case "runs": // run containers
		for range 1 + r.IntN(8) {
			lo := uint32(r.IntN(1 << 20))
			for x := lo; x < lo+uint32(r.IntN(3000)); x++ {
				xs = append(xs, x)
			}
		}
	case "mixed":
		for _, s := range []string{"sparse", "dense", "runs", "edges"} {
			xs = append(xs, gen(r, s)...)
		}
	case "edges": // members near 0 and near 2^32-1, runs crossing nothing
		for range 1 + r.IntN(200) {
			xs = append(xs, uint32(r.IntN(300)), math.MaxUint32-uint32(r.IntN(300)))
		}
		xs = append(xs, 0, math.MaxUint32)
		for x := uint32(math.MaxUint32 - 70000); x < math.MaxUint32-67000; x++ {
			xs = append(xs, x)
		}
	case "full-container": // a whole 2^16 block, and its neighbours' edges
		base := uint32(1+r.IntN(100)) << 16
		for x := base - 10; x < base+1<<16+10; x++ {
			xs = append(xs, x)
		}
	default:
		panic("unknown shape " + shape)
	}
	if len(xs) > 1 {
		xs = append(xs, xs[r.IntN(len(xs))]) // a duplicate
	}
	r.Shuffle(len(xs), func(i, j int) { xs[i], xs[j] = xs[j], xs[i] })
	return xs
}

// pair is an audience and its model.
type pair struct {
	name string
	a    Audience
	m    model
}

func genPair(r *rand.Rand, shape string) pair {
	xs := gen(r, shape)
	return pair{name: shape, a: Of(xs...), m: modelOf(xs)}
}

// genPairs returns copies audiences of every shape, and two more that
// overlap.
func genPairs(t testing.TB, seed uint64, copies int) []pair {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 1))
	var ps []pair
	for _, s := range shapes {
		for range copies {
			ps = append(ps, genPair(r, s))
		}
	}
	// Overlapping audiences, so that intersections are not all empty.
	base := genPair(r, "mixed")
	other := genPair(r, "mixed")
	var b Builder
	for x := range base.a.All() {
		if x%3 != 0 {
			b.Add(x)
		}
	}
	for x := range other.a.All() {
		b.Add(x)
	}
	derived := b.Audience()
	ps = append(ps, base, pair{name: "derived", a: derived, m: modelOf(slices.Collect(derived.All()))})
	return ps
}

// checkAudience checks every query of a against m.
func checkAudience(t *testing.T, a Audience, m model) {
	t.Helper()
	want := m.sorted()
	if got := a.Len(); got != uint64(len(want)) {
		t.Fatalf("Len() = %d, want %d", got, len(want))
	}
	if got := a.IsEmpty(); got != (len(want) == 0) {
		t.Errorf("IsEmpty() = %v, want %v", got, len(want) == 0)
	}
	if got := slices.Collect(a.All()); !slices.Equal(got, want) {
		t.Fatalf("All() = %s, want %s", brief(got), brief(want))
	}
	if got := a.AppendTo([]uint32{7}); !slices.Equal(got, append([]uint32{7}, want...)) {
		t.Errorf("AppendTo([7]) = %s, want 7 then %s", brief(got), brief(want))
	}
	var batched []uint32
	for chunk := range a.Batches(make([]uint32, 1000)) {
		if len(chunk) == 0 || len(chunk) > 1000 {
			t.Fatalf("Batches gave a chunk of %d members, want 1 to 1000", len(chunk))
		}
		batched = append(batched, chunk...)
	}
	if !slices.Equal(batched, want) {
		t.Errorf("Batches = %s, want %s", brief(batched), brief(want))
	}
	lo, okLo := a.Min()
	hi, okHi := a.Max()
	if okLo != (len(want) > 0) || okHi != (len(want) > 0) {
		t.Errorf("Min, Max ok = %v, %v, want %v", okLo, okHi, len(want) > 0)
	}
	if len(want) > 0 && (lo != want[0] || hi != want[len(want)-1]) {
		t.Errorf("Min, Max = %d, %d, want %d, %d", lo, hi, want[0], want[len(want)-1])
	}
	// Contains: a sample of members, and neighbours that may or may not be.
	for i, x := range want {
		if i%97 != 0 && i != len(want)-1 {
			continue
		}
		for _, y := range []uint32{x, x - 1, x + 1, x ^ 0x8000} {
			_, in := m[y]
			if got := a.Contains(y); got != in {
				t.Errorf("Contains(%d) = %v, want %v", y, got, in)
			}
		}
	}
	if !a.Equal(Of(want...)) {
		t.Errorf("Equal(rebuilt copy) = false")
	}
}

// checkMembers checks the members of a against m, more cheaply than
// checkAudience.
func checkMembers(t *testing.T, a Audience, m model) {
	t.Helper()
	want := m.sorted()
	if got := a.Len(); got != uint64(len(want)) {
		t.Fatalf("Len() = %d, want %d", got, len(want))
	}
	if got := a.AppendTo(nil); !slices.Equal(got, want) {
		t.Fatalf("members = %s, want %s", brief(got), brief(want))
	}
}

// brief formats a member list for a failure message.
func brief(xs []uint32) string {
	if len(xs) <= 8 {
		return fmt.Sprint(xs)
	}
	return fmt.Sprintf("%v... (%d members)", xs[:8], len(xs))
}

func TestOf(t *testing.T) {
	for _, p := range genPairs(t, 1, 2) {
		t.Run(p.name, func(t *testing.T) { checkAudience(t, p.a, p.m) })
	}
	checkAudience(t, Audience{}, model{})
	checkAudience(t, Of(), model{})
	if (Audience{}).Contains(0) {
		t.Error("Audience{}.Contains(0) = true")
	}
}

func TestBuilder(t *testing.T) {
	tests := []struct {
		name   string
		build  func(b *Builder)
		expect []uint32
	}{
		{"zero", func(*Builder) {}, nil},
		{"add", func(b *Builder) { b.Add(5); b.Add(1); b.Add(5) }, []uint32{1, 5}},
		{"add-many", func(b *Builder) { b.AddMany([]uint32{9, 3, 3, 0}) }, []uint32{0, 3, 9}},
		{"range is half-open", func(b *Builder) { b.AddRange(10, 14) }, []uint32{10, 11, 12, 13}},
		{"empty range", func(b *Builder) { b.AddRange(10, 10); b.AddRange(11, 10) }, nil},
		{"range to the top", func(b *Builder) { b.AddRange(math.MaxUint32-2, math.MaxUint32); b.Add(math.MaxUint32) },
			[]uint32{math.MaxUint32 - 2, math.MaxUint32 - 1, math.MaxUint32}},
		{"range across containers", func(b *Builder) { b.AddRange(1<<16-2, 1<<16+2) }, []uint32{1<<16 - 2, 1<<16 - 1, 1 << 16, 1<<16 + 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b Builder
			tt.build(&b)
			if got := b.Len(); got != uint64(len(tt.expect)) {
				t.Errorf("Builder.Len() = %d, want %d", got, len(tt.expect))
			}
			a := b.Audience()
			checkAudience(t, a, modelOf(tt.expect))
			// The builder is reset and reusable; the audience is unaffected.
			if got := b.Len(); got != 0 {
				t.Errorf("Builder.Len() after Audience() = %d, want 0", got)
			}
			b.Add(77)
			checkAudience(t, a, modelOf(tt.expect))
			checkAudience(t, b.Audience(), modelOf([]uint32{77}))
		})
	}
}

func TestBuilderLargeRange(t *testing.T) {
	var b Builder
	b.AddRange(0, math.MaxUint32)
	a := b.Audience()
	if a.Len() != math.MaxUint32 || a.Contains(math.MaxUint32) || !a.Contains(math.MaxUint32-1) || !a.Contains(0) {
		t.Errorf("AddRange(0, MaxUint32): Len() = %d, Contains(0, Max-1, Max) = %v, %v, %v; want 2^32-1, true, true, false",
			a.Len(), a.Contains(0), a.Contains(math.MaxUint32-1), a.Contains(math.MaxUint32))
	}
	// Run-optimized: a full range costs a few bytes per container.
	if got := a.SerializedSize(); got > 1<<20 {
		t.Errorf("SerializedSize() = %d, want run containers (under 1 MiB)", got)
	}
}

func TestBinaryOps(t *testing.T) {
	ps := genPairs(t, 2, 1)
	for _, x := range ps {
		for _, y := range ps {
			t.Run(x.name+"/"+y.name, func(t *testing.T) {
				and, or, andNot, xor := modelAnd(x.m, y.m), modelOr(x.m, y.m), modelAndNot(x.m, y.m), modelXor(x.m, y.m)
				// The full check on one operation, the members on the others.
				checkAudience(t, And(x.a, y.a), and)
				checkMembers(t, Or(x.a, y.a), or)
				checkMembers(t, AndNot(x.a, y.a), andNot)
				checkMembers(t, Xor(x.a, y.a), xor)
				for _, c := range []struct {
					name      string
					got, want uint64
				}{
					{"AndLen", AndLen(x.a, y.a), uint64(len(and))},
					{"OrLen", OrLen(x.a, y.a), uint64(len(or))},
					{"AndNotLen", AndNotLen(x.a, y.a), uint64(len(andNot))},
					{"XorLen", XorLen(x.a, y.a), uint64(len(xor))},
				} {
					if c.got != c.want {
						t.Errorf("%s = %d, want %d", c.name, c.got, c.want)
					}
				}
				if got := Intersects(x.a, y.a); got != (len(and) > 0) {
					t.Errorf("Intersects = %v, want %v", got, len(and) > 0)
				}
				if got := x.a.Equal(y.a); got != (len(xor) == 0) {
					t.Errorf("Equal = %v, want %v", got, len(xor) == 0)
				}
				entered, exited := Diff(x.a, y.a)
				checkMembers(t, entered, modelAndNot(y.m, x.m))
				checkMembers(t, exited, andNot)
			})
		}
	}
}

func TestOpsLeaveInputsUnchanged(t *testing.T) {
	ps := genPairs(t, 3, 1)
	before := make([][]byte, len(ps))
	for i, p := range ps {
		b, err := p.a.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		before[i] = b
	}
	all := make([]Audience, len(ps))
	for i, p := range ps {
		all[i] = p.a
	}
	for _, x := range ps {
		for _, y := range ps {
			And(x.a, y.a)
			Or(x.a, y.a)
			AndNot(x.a, y.a)
			Xor(x.a, y.a)
		}
	}
	AndAll(all...)
	OrAll(all...)
	Overlap(all...)
	for i, p := range ps {
		b, err := p.a.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(b, before[i]) {
			t.Errorf("audience %d (%s) changed", i, p.name)
		}
		checkAudience(t, p.a, p.m)
	}
}

// forceParallel makes the many-way operations fan out for any input size
// during a test.
func forceParallel(t *testing.T) {
	old := parallelMin
	parallelMin = 0
	t.Cleanup(func() { parallelMin = old })
}

func TestManyWay(t *testing.T) {
	for _, mode := range []string{"sequential", "parallel"} {
		t.Run(mode, func(t *testing.T) {
			if mode == "parallel" {
				forceParallel(t)
			}
			r := rand.New(rand.NewPCG(4, 4))
			ps := genPairs(t, 4, 1)
			// Audiences that overlap: subsets of a common mixed one.
			common := genPair(r, "mixed")
			for trial := range 12 {
				k := r.IntN(8)
				if trial%4 == 3 {
					k = len(ps)
				}
				var as []Audience
				var ms []model
				for range k {
					p := ps[r.IntN(len(ps))]
					if r.IntN(2) == 0 {
						keep := r.Uint32()
						var b Builder
						m := model{}
						for x := range common.m {
							if (x^keep)%4 != 0 {
								b.Add(x)
								m[x] = struct{}{}
							}
						}
						p = pair{a: b.Audience(), m: m}
					}
					as = append(as, p.a)
					ms = append(ms, p.m)
				}
				wantAnd, wantOr := model{}, model{}
				for i, m := range ms {
					if i == 0 {
						wantAnd = maps.Clone(m)
					} else {
						wantAnd = modelAnd(wantAnd, m)
					}
					wantOr = modelOr(wantOr, m)
				}
				t.Run(fmt.Sprintf("k=%d", k), func(t *testing.T) {
					checkAudience(t, AndAll(as...), wantAnd)
					checkAudience(t, OrAll(as...), wantOr)
					checkOverlap(t, Overlap(as...), ms)
				})
			}
		})
	}
}

func TestPairAt(t *testing.T) {
	for k := range 12 {
		p := 0
		for i := range k {
			for j := i + 1; j < k; j++ {
				gi, gj := pairAt(p, k)
				if gi != i || gj != j {
					t.Fatalf("pairAt(%d, %d) = %d, %d, want %d, %d", p, k, gi, gj, i, j)
				}
				p++
			}
		}
	}
}

func TestCountsAllocateNothing(t *testing.T) {
	ps := genPairs(t, 5, 2)
	for _, x := range ps {
		for _, y := range ps {
			allocs := testing.AllocsPerRun(5, func() {
				AndLen(x.a, y.a)
				OrLen(x.a, y.a)
				AndNotLen(x.a, y.a)
				XorLen(x.a, y.a)
				Intersects(x.a, y.a)
				x.a.Len()
				x.a.Contains(12345)
			})
			if allocs != 0 {
				t.Errorf("counting %s with %s: %v allocations, want 0", x.name, y.name, allocs)
			}
		}
	}
}

// checkOverlap checks an overlap matrix against the models it was computed
// from.
func checkOverlap(t *testing.T, m Matrix, ms []model) {
	t.Helper()
	if len(m) != len(ms) {
		t.Fatalf("Overlap of %d audiences has %d rows", len(ms), len(m))
	}
	for i := range ms {
		if len(m[i]) != len(ms) {
			t.Fatalf("Overlap row %d has %d cells, want %d", i, len(m[i]), len(ms))
		}
		for j := range ms {
			if want := uint64(len(modelAnd(ms[i], ms[j]))); m[i][j] != want {
				t.Errorf("Overlap[%d][%d] = %d, want %d", i, j, m[i][j], want)
			}
		}
	}
}
