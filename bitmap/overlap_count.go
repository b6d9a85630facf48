package bitmap

import (
	"slices"

	"github.com/RoaringBitmap/roaring/v2"
)

// A pairCounter counts the pairs of some audiences, named by their
// position in an order: either pairwise (on dense forms where they fit) or
// from a co-occurrence index.

// coBudget bounds the memory, in bytes, of a co-occurrence index. A
// variable so that tests can drive the pairwise way.
var coBudget int64 = 256 << 20

// coAlways makes the counters use a co-occurrence index whenever it fits
// coBudget, whatever it costs; for tests.
var coAlways bool

// Cost model, in about nanoseconds on one core, measured with
// BenchmarkTopPairs: counting a pair pairwise costs pairCost plus the
// weight of its lighter audience (see weight); a co-occurrence index
// costs coMember per member of each audience to build, as much again to
// walk (most of it a cache miss), plus one per pair of audiences sharing
// a member.
const (
	pairCost = 40
	coMember = 30
)

// weight estimates what counting an audience against another costs beyond
// pairCost: about 3 ns a member while its containers are arrays (fewer
// than one member in 16 ordinals), and 1 ns per 200 ordinals of its span
// once they are bitsets.
func weight(a Audience) uint64 {
	lo, _ := a.Min()
	hi, _ := a.Max()
	span := uint64(hi-lo) + 1
	if 16*a.n < span {
		return 3 * a.n
	}
	return span / 200
}

type pairCounter struct {
	as    []Audience
	order []int        // position -> index into as
	ds    []*denseForm // by position, nil entries counted with roaring; nil if none
	co    *coIndex     // nil: count pairwise
	// weights[r] is the sum of the weights of the audiences at positions
	// before r.
	weights []uint64
}

// coIndex lists, for each ordinal x in [lo, lo+len(off)-1), the positions of
// the audiences holding it, in increasing order:
// holders[off[x-lo]:off[x-lo+1]].
type coIndex struct {
	lo      uint32
	off     []uint32
	holders []uint32
}

// coScratch is one row's counters: count[s] for the positions s touched.
type coScratch struct {
	count   []uint32
	touched []uint32
	buf     []uint32
	it      roaring.ManyIntIterator
}

func (sc *coScratch) reset() {
	for _, s := range sc.touched {
		sc.count[s] = 0
	}
	sc.touched = sc.touched[:0]
}

// newPairCounter prepares to count the pairs of the non-empty audiences
// as[order[0]], as[order[1]], ...
func newPairCounter(as []Audience, order []int) *pairCounter {
	e := &pairCounter{as: as, order: order}
	k := len(order)
	if k < 2 {
		return e
	}
	var total uint64
	lo, hi := uint32(1<<32-1), uint32(0)
	e.weights = make([]uint64, k+1)
	for r, i := range order {
		a := as[i]
		total += a.n
		mn, _ := a.Min()
		mx, _ := a.Max()
		lo, hi = min(lo, mn), max(hi, mx)
		e.weights[r+1] = e.weights[r] + weight(a)
	}
	weights := make([]uint64, k)
	for r := range weights {
		weights[r] = e.weights[r+1] - e.weights[r]
	}
	// The pairwise cost: every pair costs pairCost plus the weight of its
	// lighter audience.
	slices.Sort(weights)
	pairwise := uint64(k) * uint64(k-1) / 2 * pairCost
	for r, w := range weights {
		pairwise += w * uint64(k-1-r)
	}
	span := uint64(hi-lo) + 1
	if coSize := 4*(int64(span)+2) + 4*int64(total); coSize <= coBudget && total < 1<<32 && (coAlways || coMember*total < pairwise) {
		if co, ok := newCoIndex(as, order, lo, span, total, pairwise); ok {
			e.co = co
			return e
		}
	}
	if k >= denseMinK {
		sub := make([]Audience, k)
		for r, i := range order {
			sub[r] = as[i]
		}
		p := workers(k * (k - 1) / 2)
		e.ds = denseForms(sub, p >= 2 && total*uint64(k-1) >= parallelMin)
	}
	return e
}

// newCoIndex builds the co-occurrence index of the audiences in order, of
// total members between lo and lo+span-1, or returns false if counting with
// it would cost more than pairwise.
func newCoIndex(as []Audience, order []int, lo uint32, span, total, pairwise uint64) (*coIndex, bool) {
	off := make([]uint32, span+1)
	buf := make([]uint32, defaultBatch)
	var it roaring.ManyIntIterator // reused: ManyIterator allocates one per call
	for _, i := range order {
		it.Initialize(as[i].bm)
		for {
			n := it.NextMany(buf)
			if n == 0 {
				break
			}
			for _, x := range buf[:n] {
				off[x-lo+1]++
			}
		}
	}
	cost := coMember * total
	for _, d := range off {
		cost += uint64(d) * uint64(d-min(d, 1)) / 2
		if cost >= pairwise && !coAlways {
			return nil, false
		}
	}
	for x := 1; x < len(off); x++ {
		off[x] += off[x-1]
	}
	// off[x-lo] is now where x's holders start; fill them, moving it to
	// where they end, which is where x+1's start. Then shift back.
	holders := make([]uint32, total)
	for r, i := range order {
		it.Initialize(as[i].bm)
		for {
			n := it.NextMany(buf)
			if n == 0 {
				break
			}
			for _, x := range buf[:n] {
				holders[off[x-lo]] = uint32(r)
				off[x-lo]++
			}
		}
	}
	copy(off[1:], off[:len(off)-1])
	off[0] = 0
	return &coIndex{lo: lo, off: off, holders: holders}, true
}

func (e *pairCounter) scratch() *coScratch {
	return &coScratch{count: make([]uint32, len(e.order)), buf: make([]uint32, defaultBatch)}
}

// coRow counts in sc the members the audience at position r shares with
// each audience at a position s, r < s < end, listing the s with a count
// in sc.touched.
func (e *pairCounter) coRow(r, end int, sc *coScratch) {
	c := e.co
	sc.it.Initialize(e.as[e.order[r]].bm)
	for {
		n := sc.it.NextMany(sc.buf)
		if n == 0 {
			return
		}
		for _, x := range sc.buf[:n] {
			hs := c.holders[c.off[x-c.lo]:c.off[x-c.lo+1]]
			at, _ := slices.BinarySearch(hs, uint32(r))
			for _, s := range hs[at+1:] {
				if int(s) >= end {
					break
				}
				if sc.count[s] == 0 {
					sc.touched = append(sc.touched, s)
				}
				sc.count[s]++
			}
		}
	}
}

// andLen counts the members the audiences at positions r and s share.
func (e *pairCounter) andLen(r, s int) uint64 {
	if e.ds != nil && e.ds[r] != nil && e.ds[s] != nil {
		return e.ds[r].andLen(e.ds[s])
	}
	return AndLen(e.as[e.order[r]], e.as[e.order[s]])
}

// pair returns the pair of the audiences at positions r and s sharing n
// members.
func (e *pairCounter) pair(r, s int, n uint64) Pair {
	i, j := e.order[r], e.order[s]
	if i > j {
		i, j = j, i
	}
	return Pair{I: i, J: j, Len: n, LenI: e.as[i].n, LenJ: e.as[j].n}
}
