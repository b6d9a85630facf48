package bitmap

import "github.com/RoaringBitmap/roaring/v2"

// And returns the members of both a and b.
func And(a, b Audience) Audience {
	if a.bm == nil || b.bm == nil {
		return Audience{}
	}
	return wrap(roaring.And(a.bm, b.bm))
}

// Or returns the members of a, of b, or of both.
func Or(a, b Audience) Audience {
	switch {
	case a.bm == nil:
		return b.owned()
	case b.bm == nil:
		return a.owned()
	}
	return wrap(roaring.Or(a.bm, b.bm))
}

// AndNot returns the members of a that are not members of b.
func AndNot(a, b Audience) Audience {
	switch {
	case a.bm == nil:
		return Audience{}
	case b.bm == nil:
		return a.owned()
	}
	return wrap(roaring.AndNot(a.bm, b.bm))
}

// Xor returns the members of exactly one of a and b.
func Xor(a, b Audience) Audience {
	switch {
	case a.bm == nil:
		return b.owned()
	case b.bm == nil:
		return a.owned()
	}
	return wrap(roaring.Xor(a.bm, b.bm))
}

// AndLen returns And(a, b).Len() without building the intersection. It
// allocates nothing.
func AndLen(a, b Audience) uint64 {
	if a.bm == nil || b.bm == nil {
		return 0
	}
	return a.bm.AndCardinality(b.bm)
}

// OrLen returns Or(a, b).Len() without building the union. It allocates
// nothing.
func OrLen(a, b Audience) uint64 {
	return a.n + b.n - AndLen(a, b)
}

// AndNotLen returns AndNot(a, b).Len() without building the difference. It
// allocates nothing.
func AndNotLen(a, b Audience) uint64 {
	return a.n - AndLen(a, b)
}

// XorLen returns Xor(a, b).Len() without building the symmetric difference.
// It allocates nothing.
func XorLen(a, b Audience) uint64 {
	return a.n + b.n - 2*AndLen(a, b)
}

// Intersects reports whether a and b have a member in common. It stops at
// the first common member and allocates nothing.
func Intersects(a, b Audience) bool {
	switch {
	case a.bm == nil || b.bm == nil:
		return false
	case a.runs || b.runs:
		// roaring's Intersects builds the intersection of run containers
		// to test it; counting allocates nothing.
		return a.bm.AndCardinality(b.bm) > 0
	}
	return a.bm.Intersects(b.bm)
}

// Diff returns the membership changes from the snapshot prev to the snapshot
// cur: entered holds the members of cur that were not in prev, exited the
// members of prev that are no longer in cur.
func Diff(prev, cur Audience) (entered, exited Audience) {
	return AndNot(cur, prev), AndNot(prev, cur)
}
