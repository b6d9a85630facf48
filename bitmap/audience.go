package bitmap

import (
	"iter"
	"slices"

	"github.com/RoaringBitmap/roaring/v2"
)

// Audience is an immutable set of uint32 ordinals. The zero Audience is
// empty. Audiences are small values that share their members when copied,
// so copy them freely; compare their members with [Audience.Equal]. They are
// not comparable with == (which could only compare identity) and cannot be
// map keys. Any number of goroutines may read the same Audience at once.
type Audience struct {
	_ [0]func() // not comparable: == would compare identity, not members

	// bm holds the members; nil if and only if the audience is empty. It is
	// never mutated once it is in an Audience, and never has roaring's
	// copy-on-write mode enabled.
	bm *roaring.Bitmap
	// n is the cardinality of bm, computed once.
	n uint64
	// runs reports that bm has run containers.
	runs bool
	// view reports that bm shares memory with a caller's byte slice (see
	// View). Operations never return such a bitmap as their result: they
	// copy it, so derived audiences do not depend on the slice.
	view bool
}

// wrap makes an Audience of bm, a bitmap that no other value refers to.
// Containers that bm shares with a viewed byte slice are copied, so the
// result owns all of its memory.
func wrap(bm *roaring.Bitmap) Audience {
	n := bm.GetCardinality()
	if n == 0 {
		return Audience{}
	}
	bm.CloneCopyOnWriteContainers()
	return Audience{bm: bm, n: n, runs: bm.HasRunCompression()}
}

// owned returns a, or a private copy of a if a shares memory with a viewed
// byte slice.
func (a Audience) owned() Audience {
	if !a.view {
		return a
	}
	return wrap(a.bm.Clone())
}

// Of returns the audience of the given members. Duplicates are allowed.
func Of(members ...uint32) Audience {
	var b Builder
	b.AddMany(members)
	return b.Audience()
}

// Builder accumulates members for an Audience. The zero Builder is empty and
// ready to use. A Builder is not safe for concurrent use.
type Builder struct {
	bm *roaring.Bitmap
}

func (b *Builder) bitmap() *roaring.Bitmap {
	if b.bm == nil {
		b.bm = roaring.New()
	}
	return b.bm
}

// Add adds x.
func (b *Builder) Add(x uint32) {
	b.bitmap().Add(x)
}

// AddMany adds every member of xs. Sorted input is added fastest.
func (b *Builder) AddMany(xs []uint32) {
	if len(xs) == 0 {
		return
	}
	b.bitmap().AddMany(xs)
}

// AddRange adds the half-open range [lo, hi): lo, lo+1, ..., hi-1. It adds
// nothing if hi <= lo. Because the range is half-open it cannot reach
// math.MaxUint32; add that member with Add.
func (b *Builder) AddRange(lo, hi uint32) {
	if hi <= lo {
		return
	}
	b.bitmap().AddRange(uint64(lo), uint64(hi))
}

// Len returns the number of distinct members added so far.
func (b *Builder) Len() uint64 {
	if b.bm == nil {
		return 0
	}
	return b.bm.GetCardinality()
}

// Audience returns the audience of the members added so far, compressed
// (runs of consecutive members are stored as runs), and resets the builder
// to empty so that it can be reused for another audience. It does not copy
// the members.
func (b *Builder) Audience() Audience {
	bm := b.bm
	b.bm = nil
	if bm == nil {
		return Audience{}
	}
	bm.RunOptimize()
	return wrap(bm)
}

// Len returns the number of members.
func (a Audience) Len() uint64 {
	return a.n
}

// IsEmpty reports whether a has no members.
func (a Audience) IsEmpty() bool {
	return a.bm == nil
}

// Contains reports whether x is a member of a.
func (a Audience) Contains(x uint32) bool {
	return a.bm != nil && a.bm.Contains(x)
}

// Min returns the smallest member, or false if a is empty.
func (a Audience) Min() (uint32, bool) {
	if a.bm == nil {
		return 0, false
	}
	return a.bm.Minimum(), true
}

// Max returns the largest member, or false if a is empty.
func (a Audience) Max() (uint32, bool) {
	if a.bm == nil {
		return 0, false
	}
	return a.bm.Maximum(), true
}

// Equal reports whether a and b have the same members.
func (a Audience) Equal(b Audience) bool {
	if a.n != b.n {
		return false
	}
	if a.bm == nil || a.bm == b.bm {
		return true
	}
	return a.bm.Equals(b.bm)
}

// All returns the members in increasing order.
func (a Audience) All() iter.Seq[uint32] {
	return func(yield func(uint32) bool) {
		if a.bm == nil {
			return
		}
		a.bm.Iterate(yield)
	}
}

// defaultBatch is the batch size Batches uses when given no buffer.
const defaultBatch = 4096

// Batches returns the members in increasing order, in consecutive chunks
// written into buf: each chunk is buf[:k] for some 0 < k <= len(buf), and is
// overwritten by the next one, so copy what must outlive an iteration. Use
// it to export a large audience in bounded memory. If buf is empty, Batches
// allocates a buffer of 4096 members.
func (a Audience) Batches(buf []uint32) iter.Seq[[]uint32] {
	return func(yield func([]uint32) bool) {
		if a.bm == nil {
			return
		}
		if len(buf) == 0 {
			buf = make([]uint32, defaultBatch)
		}
		it := a.bm.ManyIterator()
		for {
			k := it.NextMany(buf)
			if k == 0 || !yield(buf[:k]) {
				return
			}
		}
	}
}

// AppendTo appends the members of a to dst in increasing order and returns
// the extended slice. It allocates at most once, to grow dst.
func (a Audience) AppendTo(dst []uint32) []uint32 {
	if a.bm == nil {
		return dst
	}
	n := len(dst)
	dst = slices.Grow(dst, int(a.n))[:n+int(a.n)]
	out := dst[n:]
	a.bm.ToExistingArray(&out)
	return dst
}

// SerializedSize returns the length in bytes of a's portable encoding, as
// written by [Audience.WriteTo]. 8*SerializedSize()/Len() is the audience's
// size in bits per member.
func (a Audience) SerializedSize() int64 {
	if a.bm == nil {
		return emptySize
	}
	return int64(a.bm.GetSerializedSizeInBytes())
}
