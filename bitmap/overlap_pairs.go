package bitmap

import (
	"cmp"
	"container/heap"
	"iter"
	"math/bits"
	"slices"
	"sort"
)

// Pair is the overlap of two audiences of a slice, as [Pairs] and
// [TopPairs] return it: the indexes I < J of the audiences, the number of
// members they share, and their sizes.
type Pair struct {
	I, J       int
	Len        uint64 // members of both
	LenI, LenJ uint64 // members of audience I, of audience J
}

// Jaccard returns the Jaccard index of the pair, Len / |I ∪ J|, from 0
// (disjoint) to 1 (equal). Two empty audiences have index 0.
func (p Pair) Jaccard() float64 {
	u := p.LenI + p.LenJ - p.Len
	if u == 0 {
		return 0
	}
	return float64(p.Len) / float64(u)
}

// Rank is the order in which [TopPairs] ranks pairs. The zero Rank is
// [ByLen].
type Rank int

const (
	// ByLen ranks pairs by the number of members they share.
	ByLen Rank = iota
	// ByJaccard ranks pairs by their Jaccard index.
	ByJaccard
)

// TopOptions configure [TopPairs]. The zero value ranks by [ByLen] every
// pair that shares a member.
type TopOptions struct {
	// By is the measure pairs are ranked by.
	By Rank
	// Min leaves out pairs sharing fewer than Min members. Zero or one
	// leaves out only the pairs that share none.
	Min uint64
}

// Pairs returns the pairs of as that share at least one member, in row
// order: by I, then by J. Pairs sharing no member are left out, so that
// many small audiences yield few pairs. Pairs keeps memory in proportion
// to len(as), not to the number of pairs, beyond a scratch of bounded size,
// and counts pairwise or by co-occurrence, whichever costs less for the
// input (see [TopPairs]); the consumer may stop at any pair. For a matrix
// of a few audiences, [Overlap] is faster.
func Pairs(as ...Audience) iter.Seq[Pair] {
	return func(yield func(Pair) bool) {
		order := make([]int, 0, len(as))
		for i, a := range as {
			if a.bm != nil {
				order = append(order, i)
			}
		}
		e := newPairCounter(as, order)
		if e.co != nil {
			sc := e.scratch()
			for r := range order {
				e.coRow(r, len(order), sc)
				slices.Sort(sc.touched)
				for _, s := range sc.touched {
					if !yield(e.pair(r, int(s), uint64(sc.count[s]))) {
						return
					}
				}
				sc.reset()
			}
			return
		}
		for r := range order {
			for s := r + 1; s < len(order); s++ {
				if n := e.andLen(r, s); n > 0 && !yield(e.pair(r, s, n)) {
					return
				}
			}
		}
	}
}

// TopPairs returns the n pairs of as ranked highest by opts.By, best
// first, among those sharing at least max(opts.Min, 1) members; fewer if
// fewer pairs qualify. Pairs that rank equal are ordered by I, then by J,
// so the result is deterministic. The order of ranks is exact: Jaccard
// indexes are compared as fractions, not as floating-point numbers.
//
// TopPairs keeps memory in proportion to len(as) and n, whatever the
// number of pairs. It visits the audiences from the largest down, each
// with the smaller ones, and skips every pair whose bound (a pair shares
// at most the members of its smaller audience, and its Jaccard index is at
// most the ratio of the sizes) cannot beat the n-th best pair found so
// far. It counts the pairs left in one of two ways, chosen by the shape of
// the input and then for each audience by an estimate of their costs:
//
//   - Pairwise: each pair's intersection, on the fast forms that [Overlap]
//     builds for several audiences. Suits a few large audiences, and the
//     large audiences of many once the bound leaves them few partners.
//   - By co-occurrence: an index lists, for each member, the audiences
//     holding it (4 bytes per member of each audience and per ordinal of
//     the members' span, built only within a fixed budget of 256 MiB);
//     an audience's pairs are then counted in one pass over its members,
//     in an array of len(as) counters. The cost grows with the sum, over
//     members, of the number of audiences holding each, squared, not with
//     len(as)². Suits many small audiences.
//
// Counting is exact either way. The worst input is many audiences that
// all share a member and have no pair far above the rest, where the
// bounds skip little: one user in every segment, the segments otherwise
// apart, costs len(as)²/2 counter increments.
func TopPairs(as []Audience, n int, opts TopOptions) []Pair {
	if n <= 0 {
		return nil
	}
	minLen := max(opts.Min, 1)
	order := make([]int, 0, len(as))
	for i, a := range as {
		if a.n >= minLen {
			order = append(order, i)
		}
	}
	// The largest first, ties by index: bounds fall as rows and columns
	// go on.
	slices.SortStableFunc(order, func(i, j int) int { return cmp.Compare(as[j].n, as[i].n) })
	t := &topHeap{by: opts.By}
	e := newPairCounter(as, order)
	// sufMin[r] is the smallest index of the audiences at order[r:], the
	// best I a pair of row r could have.
	sufMin := make([]int, len(order)+1)
	sufMin[len(order)] = len(as)
	for r := len(order) - 1; r >= 0; r-- {
		sufMin[r] = min(order[r], sufMin[r+1])
	}
	// beaten reports whether a pair of row r with the bound inter/union
	// and its first index at least i can no longer enter the top n.
	beaten := func(inter, union uint64, i int) bool {
		if len(t.ps) < n {
			return false
		}
		w := t.ps[0]
		return t.compare(inter, union, i, 0, w) < 0
	}
	// rowBound returns the best figure a pair of row r can reach.
	rowBound := func(r int) (inter, union uint64) {
		lr := as[order[r]].n
		if opts.By == ByJaccard {
			if r+1 < len(order) {
				return as[order[r+1]].n, lr
			}
			return 0, 1
		}
		return lr, 1
	}
	push := func(p Pair) {
		if p.Len < minLen {
			return
		}
		if len(t.ps) < n {
			heap.Push(t, p)
			return
		}
		if t.better(p, t.ps[0]) {
			t.ps[0] = p
			heap.Fix(t, 0)
		}
	}
	// bound returns the best figure a pair of the audiences at positions
	// r and s > r can reach: the smaller size, or the ratio of the sizes.
	bound := func(r, s int) (inter, union uint64) {
		if opts.By == ByJaccard {
			return as[order[s]].n, as[order[r]].n
		}
		return as[order[s]].n, 1
	}
	// cut returns the first position s > r from which no pair of row r can
	// enter the top n: its bound, which only falls with s, is below the
	// n-th best figure.
	cut := func(r int) int {
		if len(t.ps) < n {
			return len(order)
		}
		w := t.ps[0]
		return r + 1 + sort.Search(len(order)-r-1, func(q int) bool {
			inter, union := bound(r, r+1+q)
			return t.compare(inter, union, -1, 0, w) < 0
		})
	}
	var sc *coScratch
	if e.co != nil {
		sc = e.scratch()
	}
	for r := range order {
		if r+1 == len(order) {
			break
		}
		inter, union := rowBound(r)
		if beaten(inter, union, min(order[r], sufMin[r+1])) {
			continue
		}
		end := cut(r)
		// By co-occurrence when counting the row's pairs one by one would
		// cost more, as it does when few pairs are left above the cut.
		if sc != nil && coMember*as[order[r]].n < uint64(end-r-1)*pairCost+e.weights[end]-e.weights[r+1] {
			e.coRow(r, end, sc)
			for _, s := range sc.touched {
				push(e.pair(r, int(s), uint64(sc.count[s])))
			}
			sc.reset()
			continue
		}
		for s := r + 1; s < end; s++ {
			if len(t.ps) == n {
				// A pair whose bound equals the n-th best figure can still
				// enter by its indexes.
				inter, union := bound(r, s)
				i, j := order[r], order[s]
				if t.compare(inter, union, min(i, j), max(i, j), t.ps[0]) < 0 {
					continue
				}
			}
			push(e.pair(r, s, e.andLen(r, s)))
		}
	}
	out := t.ps
	slices.SortFunc(out, func(a, b Pair) int {
		switch {
		case t.better(a, b):
			return -1
		case t.better(b, a):
			return 1
		}
		return 0
	})
	return out
}

// topHeap holds the best pairs found so far, the worst on top.
type topHeap struct {
	by Rank
	ps []Pair
}

// compare compares a pair with the figure inter/union (inter alone for
// ByLen) and indexes i, j with the pair w: positive if it ranks above w,
// negative if below.
func (t *topHeap) compare(inter, union uint64, i, j int, w Pair) int {
	var c int
	if t.by == ByJaccard {
		// inter/union against w.Len/wu, exactly: inter*wu against
		// w.Len*union in 128 bits.
		wu := w.LenI + w.LenJ - w.Len
		h1, l1 := bits.Mul64(inter, wu)
		h2, l2 := bits.Mul64(w.Len, union)
		c = cmp.Or(cmp.Compare(h1, h2), cmp.Compare(l1, l2))
	} else {
		c = cmp.Compare(inter, w.Len)
	}
	return cmp.Or(c, cmp.Compare(w.I, i), cmp.Compare(w.J, j))
}

// better reports whether p ranks above q.
func (t *topHeap) better(p, q Pair) bool {
	return t.compare(p.Len, p.LenI+p.LenJ-p.Len, p.I, p.J, q) > 0
}

func (t *topHeap) Len() int           { return len(t.ps) }
func (t *topHeap) Less(i, j int) bool { return t.better(t.ps[j], t.ps[i]) }
func (t *topHeap) Swap(i, j int)      { t.ps[i], t.ps[j] = t.ps[j], t.ps[i] }
func (t *topHeap) Push(x any)         { t.ps = append(t.ps, x.(Pair)) }
func (t *topHeap) Pop() any {
	p := t.ps[len(t.ps)-1]
	t.ps = t.ps[:len(t.ps)-1]
	return p
}
