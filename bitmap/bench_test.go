package bitmap_test

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"testing"

	"github.com/idbits/idbits/bitmap"
)

// The benchmarks compare audiences (impl=idbits) with what a Go programmer
// would write without them (impl=naive: sorted []uint32 slices merged;
// impl=naive-map: a map[uint32]struct{} probed with a slice), on inputs of
// n members drawn from a universe of u*n ordinals, either clustered (runs
// of consecutive ordinals, as when ordinals are handed out in arrival
// order) or scattered (each ordinal a member independently). Inputs are
// generated once per configuration, outside the timing.
//
// Three tiers keep one pass (-benchtime=1x) short:
//   - -short: the 1M-member pairwise cases only.
//   - default: adds the 10M-member pairwise cases and the 50-way cases,
//     except those marked heavy.
//   - -bitmap.heavy: adds the heavy 50-way cases: a naive 50-way overlap
//     is 1225 merges of 2M members, tens of seconds per operation.

var heavy = flag.Bool("bitmap.heavy", false, "also run the heavy 50-way benchmarks")

type config struct {
	n        int     // members per audience
	universe float64 // universe size as a multiple of n
	layout   string  // "clustered" or "scattered"
	// For the 50-way cases: heavy skips the whole case without
	// -bitmap.heavy, heavyNaive only the naive overlap.
	heavy, heavyNaive bool
}

func (c config) name() string {
	return fmt.Sprintf("n=%s/u=%gx/%s", count(c.n), c.universe, c.layout)
}

func count(n int) string {
	if n%1_000_000 == 0 {
		return fmt.Sprintf("%dM", n/1_000_000)
	}
	return fmt.Sprint(n)
}

// pairConfigs are the inputs of the pairwise benchmarks.
var pairConfigs = func() []config {
	var cs []config
	for _, n := range []int{1_000_000, 10_000_000} {
		for _, u := range []float64{1.25, 10, 100} {
			for _, layout := range []string{"clustered", "scattered"} {
				cs = append(cs, config{n: n, universe: u, layout: layout})
			}
		}
	}
	return cs
}()

// manyConfigs are the inputs of the 50-way benchmarks. The naive baselines
// run at 1M members only: at 10M, 50 sorted slices take 2 GB and a naive
// 50-way overlap about a minute per operation.
var manyConfigs = []config{
	{n: 1_000_000, universe: 1.25, layout: "clustered"},
	{n: 1_000_000, universe: 1.25, layout: "scattered", heavyNaive: true},
	{n: 1_000_000, universe: 100, layout: "clustered", heavyNaive: true},
	{n: 1_000_000, universe: 100, layout: "scattered", heavy: true},
	{n: 10_000_000, universe: 1.25, layout: "clustered"},
	{n: 10_000_000, universe: 1.25, layout: "scattered", heavy: true},
}

const ways = 50

// members returns about c.n sorted members drawn with the given seed.
func members(c config, seed uint64) []uint32 {
	r := rand.New(rand.NewPCG(seed, uint64(c.n)))
	u := uint64(float64(c.n) * c.universe)
	out := make([]uint32, 0, c.n)
	next := uint64(0)
	switch c.layout {
	case "scattered": // each ordinal a member with p = 1/universe
		p := 1 / c.universe
		if p >= 0.5 { // dense: a coin per ordinal
			for ; next < u && len(out) < c.n; next++ {
				if r.Float64() < p {
					out = append(out, uint32(next))
				}
			}
			break
		}
		logq := math.Log(1 - p) // sparse: geometric gaps
		for len(out) < c.n {
			next += uint64(math.Log(1-r.Float64()) / logq)
			if next >= u {
				break
			}
			out = append(out, uint32(next))
			next++
		}
	case "clustered": // runs of 1 to 127 members, gaps keeping the density
		const meanRun = 64
		meanGap := meanRun * (c.universe - 1)
		for len(out) < c.n {
			next += uint64(r.Float64() * 2 * meanGap)
			run := 1 + r.IntN(2*meanRun-1)
			for ; run > 0 && len(out) < c.n && next < u; run-- {
				out = append(out, uint32(next))
				next++
			}
			if next >= u {
				break
			}
		}
	}
	return out
}

// dataset is one configuration's inputs, in every representation.
type dataset struct {
	auds    []bitmap.Audience
	slices  [][]uint32 // nil where the naive baselines do not run
	mapOf1  map[uint32]struct{}
	mapBits float64 // bits per member of mapOf1
}

var (
	datasetsMu sync.Mutex
	datasets   = map[string]*dataset{}
)

// load returns the k audiences of c, generating them on first use; with
// keepSlices it keeps their sorted slices for the naive baselines.
func load(b *testing.B, c config, k int, keepSlices bool) *dataset {
	b.Helper()
	key := fmt.Sprintf("%s/k=%d/%v", c.name(), k, keepSlices)
	datasetsMu.Lock()
	defer datasetsMu.Unlock()
	if d, ok := datasets[key]; ok {
		return d
	}
	d := &dataset{}
	for i := range k {
		xs := members(c, uint64(i)+1)
		var bld bitmap.Builder
		bld.AddMany(xs)
		d.auds = append(d.auds, bld.Audience())
		if keepSlices {
			d.slices = append(d.slices, xs)
		}
	}
	datasets[key] = d
	return d
}

// mapOf returns a map holding the members of d's second audience, and its
// measured size in bits per member.
func (d *dataset) mapOf() (map[uint32]struct{}, float64) {
	datasetsMu.Lock()
	defer datasetsMu.Unlock()
	if d.mapOf1 == nil {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		m := make(map[uint32]struct{}, len(d.slices[1]))
		for _, x := range d.slices[1] {
			m[x] = struct{}{}
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		d.mapOf1 = m
		d.mapBits = 8 * float64(after.HeapAlloc-before.HeapAlloc) / float64(len(m))
	}
	return d.mapOf1, d.mapBits
}

func bitsPerMember(as ...bitmap.Audience) float64 {
	var size, n float64
	for _, a := range as {
		size += float64(a.SerializedSize())
		n += float64(a.Len())
	}
	return 8 * size / n
}

func report(b *testing.B, membersPerOp int, bits float64) {
	b.ReportMetric(float64(membersPerOp)*float64(b.N)/b.Elapsed().Seconds(), "members/s")
	b.ReportMetric(bits, "bits/member")
}

func skipLarge(b *testing.B, c config) {
	if testing.Short() && c.n > 1_000_000 {
		b.Skip("large input skipped in -short mode")
	}
}

// skipMap keeps the map baseline to 1M members: it is the slowest
// baseline, and a 10M-member map takes seconds to build.
func skipMap(b *testing.B, c config) {
	if c.n > 1_000_000 {
		b.Skip("map baseline runs at 1M members only")
	}
}

func skipMany(b *testing.B, c config) {
	switch {
	case testing.Short():
		b.Skip("50-way inputs skipped in -short mode")
	case c.heavy && !*heavy:
		b.Skip("heavy case: run with -bitmap.heavy")
	}
}

func BenchmarkAnd(b *testing.B) {
	for _, c := range pairConfigs {
		b.Run(c.name(), func(b *testing.B) {
			skipLarge(b, c)
			d := load(b, c, 2, true)
			x, y := d.auds[0], d.auds[1]
			xs, ys := d.slices[0], d.slices[1]
			in := len(xs) + len(ys)
			b.Run("impl=idbits", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					bitmap.And(x, y)
				}
				report(b, in, bitsPerMember(x, y))
			})
			b.Run("impl=naive", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					naiveAnd(xs, ys)
				}
				report(b, in, 32)
			})
			b.Run("impl=naive-map", func(b *testing.B) {
				skipMap(b, c)
				m, bits := d.mapOf()
				b.ReportAllocs()
				for b.Loop() {
					mapAnd(xs, m)
				}
				report(b, in, (32+bits)/2)
			})
		})
	}
}

func BenchmarkAndLen(b *testing.B) {
	for _, c := range pairConfigs {
		b.Run(c.name(), func(b *testing.B) {
			skipLarge(b, c)
			d := load(b, c, 2, true)
			x, y := d.auds[0], d.auds[1]
			xs, ys := d.slices[0], d.slices[1]
			in := len(xs) + len(ys)
			if got, want := bitmap.AndLen(x, y), uint64(naiveAndLen(xs, ys)); got != want {
				b.Fatalf("AndLen = %d, naive %d", got, want)
			}
			b.Run("impl=idbits", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					bitmap.AndLen(x, y)
				}
				report(b, in, bitsPerMember(x, y))
			})
			b.Run("impl=naive", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					naiveAndLen(xs, ys)
				}
				report(b, in, 32)
			})
			b.Run("impl=naive-map", func(b *testing.B) {
				skipMap(b, c)
				m, bits := d.mapOf()
				b.ReportAllocs()
				for b.Loop() {
					mapAndLen(xs, m)
				}
				report(b, in, (32+bits)/2)
			})
		})
	}
}

func BenchmarkOrAll(b *testing.B) {
	for _, c := range manyConfigs {
		b.Run(c.name()+fmt.Sprintf("/k=%d", ways), func(b *testing.B) {
			skipMany(b, c)
			naive := c.n <= 1_000_000
			d := load(b, c, ways, naive)
			in := 0
			for _, a := range d.auds {
				in += int(a.Len())
			}
			b.Run("impl=idbits", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					bitmap.OrAll(d.auds...)
				}
				report(b, in, bitsPerMember(d.auds...))
			})
			if naive {
				if got, want := bitmap.OrAll(d.auds...).Len(), uint64(len(naiveOrAll(d.slices))); got != want {
					b.Fatalf("OrAll has %d members, naive %d", got, want)
				}
				b.Run("impl=naive", func(b *testing.B) {
					b.ReportAllocs()
					for b.Loop() {
						naiveOrAll(d.slices)
					}
					report(b, in, 32)
				})
			}
		})
	}
}

func BenchmarkOverlap(b *testing.B) {
	for _, c := range manyConfigs {
		b.Run(c.name()+fmt.Sprintf("/k=%d", ways), func(b *testing.B) {
			skipMany(b, c)
			naive := c.n <= 1_000_000
			d := load(b, c, ways, naive)
			in := 0 // every pair reads both of its audiences
			for _, a := range d.auds {
				in += int(a.Len()) * (ways - 1)
			}
			b.Run("impl=idbits", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					bitmap.Overlap(d.auds...)
				}
				report(b, in, bitsPerMember(d.auds...))
			})
			// impl=roaring counts every pair with roaring's AndCardinality,
			// as Overlap did before it counted on dense forms.
			b.Run("impl=roaring", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					bitmap.OverlapRoaring(d.auds...)
				}
				report(b, in, bitsPerMember(d.auds...))
			})
			if naive && (!c.heavyNaive || *heavy) {
				b.Run("impl=naive", func(b *testing.B) {
					b.ReportAllocs()
					for b.Loop() {
						naiveOverlap(d.slices)
					}
					report(b, in, 32)
				})
			}
		})
	}
}

// segmentsOf returns k audiences in the shape of an Audience Manager
// file's segments: sizes from a long tail (exponential, mean 8) over the
// ordinals of users, and every thousandth segment large (a twentieth of
// the users).
func segmentsOf(k, users int) []bitmap.Audience {
	r := rand.New(rand.NewPCG(uint64(k), uint64(users)))
	as := make([]bitmap.Audience, k)
	var xs []uint32
	for i := range as {
		size := int(1 + r.ExpFloat64()*8)
		if i%1000 == 0 {
			size = users / 20
		}
		xs = xs[:0]
		for range size {
			xs = append(xs, uint32(r.IntN(users)))
		}
		as[i] = bitmap.Of(xs...)
	}
	return as
}

// BenchmarkTopPairs ranks the 10 pairs sharing the most members, and the
// 10 of highest Jaccard index, of many segments (k up to 100,000, 5e9
// pairs) and of the 50 large audiences of BenchmarkOverlap. impl=naive
// counts every pair with AndLen and keeps the best, as a loop over the
// matrix would; it runs where it takes seconds at most. pairs/s counts
// every pair of the input, ranked or skipped.
func BenchmarkTopPairs(b *testing.B) {
	type input struct {
		name  string
		auds  func() []bitmap.Audience
		naive bool
	}
	inputs := []input{
		{"segments/k=1000", func() []bitmap.Audience { return segmentsOf(1000, 100_000) }, true},
		{"segments/k=10000", func() []bitmap.Audience { return segmentsOf(10_000, 1_000_000) }, !testing.Short()},
		{"segments/k=100000", func() []bitmap.Audience { return segmentsOf(100_000, 1_000_000) }, false},
		{"identical/k=100000", func() []bitmap.Audience { // one user in every segment
			as := make([]bitmap.Audience, 100_000)
			for i := range as {
				as[i] = bitmap.Of(42)
			}
			return as
		}, false},
		{"dense/" + manyConfigs[0].name() + "/k=50", func() []bitmap.Audience { return load(b, manyConfigs[0], ways, false).auds }, true},
	}
	for _, in := range inputs {
		b.Run(in.name, func(b *testing.B) {
			as := in.auds()
			pairs := float64(len(as)) * float64(len(as)-1) / 2
			for _, by := range []bitmap.Rank{bitmap.ByLen, bitmap.ByJaccard} {
				name := map[bitmap.Rank]string{bitmap.ByLen: "by=len", bitmap.ByJaccard: "by=jaccard"}[by]
				b.Run(name+"/impl=idbits", func(b *testing.B) {
					b.ReportAllocs()
					for b.Loop() {
						bitmap.TopPairs(as, 10, bitmap.TopOptions{By: by})
					}
					b.ReportMetric(pairs*float64(b.N)/b.Elapsed().Seconds(), "pairs/s")
				})
				if !in.naive {
					continue
				}
				if got, want := bitmap.TopPairs(as, 10, bitmap.TopOptions{By: by}), naiveTopPairs(as, 10, by); !slices.Equal(got, want) {
					b.Fatalf("TopPairs = %v, naive %v", got, want)
				}
				b.Run(name+"/impl=naive", func(b *testing.B) {
					b.ReportAllocs()
					for b.Loop() {
						naiveTopPairs(as, 10, by)
					}
					b.ReportMetric(pairs*float64(b.N)/b.Elapsed().Seconds(), "pairs/s")
				})
			}
		})
	}
}

// naiveTopPairs counts every pair with AndLen and keeps the n best that
// share a member, ranked as TopPairs ranks them (by float Jaccard: the
// inputs have no ties it would get wrong).
func naiveTopPairs(as []bitmap.Audience, n int, by bitmap.Rank) []bitmap.Pair {
	var ps []bitmap.Pair
	measure := func(p bitmap.Pair) float64 {
		if by == bitmap.ByJaccard {
			return p.Jaccard()
		}
		return float64(p.Len)
	}
	for i := range as {
		for j := i + 1; j < len(as); j++ {
			p := bitmap.Pair{I: i, J: j, Len: bitmap.AndLen(as[i], as[j]), LenI: as[i].Len(), LenJ: as[j].Len()}
			if p.Len == 0 {
				continue
			}
			ps = append(ps, p)
			if len(ps) >= 4*n {
				slices.SortFunc(ps, func(a, b bitmap.Pair) int {
					return cmp.Or(cmp.Compare(measure(b), measure(a)), cmp.Compare(a.I, b.I), cmp.Compare(a.J, b.J))
				})
				ps = ps[:n]
			}
		}
	}
	slices.SortFunc(ps, func(a, b bitmap.Pair) int {
		return cmp.Or(cmp.Compare(measure(b), measure(a)), cmp.Compare(a.I, b.I), cmp.Compare(a.J, b.J))
	})
	return ps[:min(n, len(ps))]
}

func BenchmarkWriteTo(b *testing.B) {
	for _, c := range pairConfigs {
		b.Run(c.name(), func(b *testing.B) {
			skipLarge(b, c)
			d := load(b, c, 2, true)
			a, xs := d.auds[0], d.slices[0]
			b.Run("impl=idbits", func(b *testing.B) {
				var buf bytes.Buffer
				buf.Grow(int(a.SerializedSize()))
				b.ReportAllocs()
				b.SetBytes(a.SerializedSize())
				for b.Loop() {
					buf.Reset()
					if _, err := a.WriteTo(&buf); err != nil {
						b.Fatal(err)
					}
				}
				report(b, len(xs), bitsPerMember(a))
			})
			b.Run("impl=naive", func(b *testing.B) {
				var buf bytes.Buffer
				buf.Grow(4 + 4*len(xs))
				b.ReportAllocs()
				b.SetBytes(int64(4 + 4*len(xs)))
				for b.Loop() {
					buf.Reset()
					if err := naiveWrite(&buf, xs); err != nil {
						b.Fatal(err)
					}
				}
				report(b, len(xs), 32)
			})
		})
	}
}

func BenchmarkRead(b *testing.B) {
	for _, c := range pairConfigs {
		b.Run(c.name(), func(b *testing.B) {
			skipLarge(b, c)
			d := load(b, c, 2, true)
			a, xs := d.auds[0], d.slices[0]
			enc, err := a.MarshalBinary()
			if err != nil {
				b.Fatal(err)
			}
			var naiveEnc bytes.Buffer
			if err := naiveWrite(&naiveEnc, xs); err != nil {
				b.Fatal(err)
			}
			b.Run("impl=idbits", func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(len(enc)))
				for b.Loop() {
					if _, err := bitmap.Read(bytes.NewReader(enc)); err != nil {
						b.Fatal(err)
					}
				}
				report(b, len(xs), bitsPerMember(a))
			})
			b.Run("impl=idbits-view", func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(len(enc)))
				for b.Loop() {
					if _, err := bitmap.View(enc); err != nil {
						b.Fatal(err)
					}
				}
				report(b, len(xs), bitsPerMember(a))
			})
			b.Run("impl=naive", func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(naiveEnc.Len()))
				for b.Loop() {
					if _, err := naiveRead(bytes.NewReader(naiveEnc.Bytes())); err != nil {
						b.Fatal(err)
					}
				}
				report(b, len(xs), 32)
			})
		})
	}
}

// The naive baselines.

func naiveAnd(a, b []uint32) []uint32 {
	out := make([]uint32, 0, min(len(a), len(b)))
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i] < b[j]:
			i++
		case a[i] > b[j]:
			j++
		default:
			out = append(out, a[i])
			i++
			j++
		}
	}
	return out
}

func naiveAndLen(a, b []uint32) int {
	n, i, j := 0, 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i] < b[j]:
			i++
		case a[i] > b[j]:
			j++
		default:
			n++
			i++
			j++
		}
	}
	return n
}

func naiveOr(a, b []uint32) []uint32 {
	out := make([]uint32, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i] < b[j]:
			out = append(out, a[i])
			i++
		case a[i] > b[j]:
			out = append(out, b[j])
			j++
		default:
			out = append(out, a[i])
			i++
			j++
		}
	}
	out = append(out, a[i:]...)
	return append(out, b[j:]...)
}

func naiveOrAll(as [][]uint32) []uint32 {
	var out []uint32
	for _, a := range as {
		out = naiveOr(out, a)
	}
	return out
}

func naiveOverlap(as [][]uint32) [][]uint64 {
	m := make([][]uint64, len(as))
	for i := range as {
		m[i] = make([]uint64, len(as))
		m[i][i] = uint64(len(as[i]))
	}
	for i := range as {
		for j := i + 1; j < len(as); j++ {
			n := uint64(naiveAndLen(as[i], as[j]))
			m[i][j], m[j][i] = n, n
		}
	}
	return m
}

func mapAnd(a []uint32, b map[uint32]struct{}) []uint32 {
	var out []uint32
	for _, x := range a {
		if _, ok := b[x]; ok {
			out = append(out, x)
		}
	}
	return out
}

func mapAndLen(a []uint32, b map[uint32]struct{}) int {
	n := 0
	for _, x := range a {
		if _, ok := b[x]; ok {
			n++
		}
	}
	return n
}

// naiveWrite writes a member count and the members, 4 bytes each.
func naiveWrite(w io.Writer, xs []uint32) error {
	if err := binary.Write(w, binary.LittleEndian, uint32(len(xs))); err != nil {
		return err
	}
	return binary.Write(w, binary.LittleEndian, xs)
}

// naiveRead reads what naiveWrite wrote and checks that the members are
// sorted and unique, as the set invariant requires.
func naiveRead(r io.Reader) ([]uint32, error) {
	var n uint32
	if err := binary.Read(r, binary.LittleEndian, &n); err != nil {
		return nil, err
	}
	xs := make([]uint32, n)
	if err := binary.Read(r, binary.LittleEndian, xs); err != nil {
		return nil, err
	}
	for i := 1; i < len(xs); i++ {
		if xs[i] <= xs[i-1] {
			return nil, errors.New("members not sorted and unique")
		}
	}
	return xs, nil
}
