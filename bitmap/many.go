package bitmap

import (
	"cmp"
	"runtime"
	"slices"
	"sync/atomic"

	"github.com/RoaringBitmap/roaring/v2"
	"golang.org/x/sync/errgroup"
)

// parallelMin is the amount of work, in members read, from which AndAll,
// OrAll and Overlap fan out over several goroutines. Below it the cost of
// starting goroutines and merging partial results is not repaid.
var parallelMin uint64 = 1 << 20 // a variable so that tests can force the parallel paths

// workers returns how many goroutines to use for jobs independent tasks.
func workers(jobs int) int {
	return max(1, min(runtime.GOMAXPROCS(0), jobs))
}

// bySize orders audiences by increasing size.
func bySize(a, b Audience) int { return cmp.Compare(a.n, b.n) }

// AndAll returns the members common to all of as, or the empty audience if
// as is empty. It intersects the smallest audiences first and stops as soon
// as the intersection is empty. Large inputs are split among at most
// GOMAXPROCS goroutines, each intersecting the smallest audience with its
// share of the others.
func AndAll(as ...Audience) Audience {
	switch len(as) {
	case 0:
		return Audience{}
	case 1:
		return as[0].owned()
	case 2:
		return And(as[0], as[1])
	}
	sorted := slices.Clone(as)
	slices.SortFunc(sorted, bySize)
	if sorted[0].bm == nil {
		return Audience{}
	}
	first, rest := sorted[0], sorted[1:]
	p := workers(len(rest) / 2)
	if p < 2 || first.n*uint64(len(rest)) < parallelMin {
		return wrap(andInto(first.bm, rest, nil))
	}
	// Deal the others out round-robin, smallest first, so that every
	// worker gets a similar mix and starts with its most selective input.
	var empty atomic.Bool
	partials := make([]*roaring.Bitmap, p)
	var g errgroup.Group
	for w := range p {
		var share []Audience
		for i := w; i < len(rest); i += p {
			share = append(share, rest[i])
		}
		g.Go(func() error {
			partials[w] = andInto(first.bm, share, &empty)
			return nil
		})
	}
	_ = g.Wait() // the tasks return no errors
	if empty.Load() {
		return Audience{}
	}
	slices.SortFunc(partials, func(a, b *roaring.Bitmap) int {
		return cmp.Compare(a.GetCardinality(), b.GetCardinality())
	})
	res := partials[0]
	for _, bm := range partials[1:] {
		if res.IsEmpty() {
			break
		}
		res.And(bm)
	}
	return wrap(res)
}

// andInto intersects first with each of rest in order, into a new bitmap,
// stopping early when the result is empty or when stop is set. It sets stop
// when its result is empty.
func andInto(first *roaring.Bitmap, rest []Audience, stop *atomic.Bool) *roaring.Bitmap {
	var res *roaring.Bitmap
	for _, a := range rest {
		if stop != nil && stop.Load() {
			break
		}
		if res == nil {
			res = roaring.And(first, a.bm)
		} else {
			res.And(a.bm) // in place: res is private to this call
		}
		if res.IsEmpty() {
			if stop != nil {
				stop.Store(true)
			}
			break
		}
	}
	switch {
	case res != nil:
		return res
	case len(rest) == 0:
		return first.Clone()
	}
	return roaring.New() // stopped: another worker found the result empty
}

// OrAll returns the members of any of as, or the empty audience if as is
// empty. Large inputs are split among at most GOMAXPROCS goroutines, each
// computing the union of its share; the partial unions are then merged.
func OrAll(as ...Audience) Audience {
	nonEmpty := make([]Audience, 0, len(as))
	var total uint64
	for _, a := range as {
		if a.bm != nil {
			nonEmpty = append(nonEmpty, a)
			total += a.n
		}
	}
	switch len(nonEmpty) {
	case 0:
		return Audience{}
	case 1:
		return nonEmpty[0].owned()
	}
	p := workers(len(nonEmpty) / 2)
	if p < 2 || total < parallelMin {
		return wrap(roaring.FastOr(bitmaps(nonEmpty)...))
	}
	// Deal the inputs out round-robin by decreasing size so that the
	// partial unions cost about the same.
	slices.SortFunc(nonEmpty, func(a, b Audience) int { return bySize(b, a) })
	partials := make([]*roaring.Bitmap, p)
	var g errgroup.Group
	for w := range p {
		var share []*roaring.Bitmap
		for i := w; i < len(nonEmpty); i += p {
			share = append(share, nonEmpty[i].bm)
		}
		g.Go(func() error {
			partials[w] = roaring.FastOr(share...)
			return nil
		})
	}
	_ = g.Wait() // the tasks return no errors
	return wrap(roaring.FastOr(partials...))
}

// bitmaps returns the bitmaps of as.
func bitmaps(as []Audience) []*roaring.Bitmap {
	bms := make([]*roaring.Bitmap, len(as))
	for i, a := range as {
		bms[i] = a.bm
	}
	return bms
}
