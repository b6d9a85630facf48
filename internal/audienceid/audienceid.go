// Package audienceid lets package reconcile recognize a bitmap.Audience it
// has seen before, by the identity of the immutable bitmap that holds the
// audience's members, without package bitmap exporting that bitmap.
//
// Package bitmap registers the function that returns an audience's bitmap
// (Register, in an init); package reconcile looks it up (Bitmap) and keeps
// the bitmaps of audiences it has checked in a Set. Copies of an audience
// share its bitmap, so they are recognized too; an audience with the same
// members built separately is not. Because the bitmap of an audience is
// never mutated, a fact about its members learned once stays true for as
// long as the bitmap lives.
//
// Register is meant for package initialization only. A Set is safe for
// concurrent use.
package audienceid

import (
	"runtime"
	"sync"
	"unsafe"
	"weak"

	"github.com/RoaringBitmap/roaring/v2"
)

// bitmapOf is the function given to Register: a func(A) *roaring.Bitmap.
// Its type cannot be spelled here, since package bitmap, which defines A,
// imports this package.
var bitmapOf any

// Register makes f the function that returns the bitmap holding the members
// of an audience of type A (nil for an empty audience). Package bitmap calls
// it once, in an init, with A = bitmap.Audience.
func Register[A any](f func(A) *roaring.Bitmap) { bitmapOf = f }

// Bitmap returns the function registered for A, or nil if there is none.
// Call it after package initialization (or during that of a package that
// imports the one calling Register).
func Bitmap[A any]() func(A) *roaring.Bitmap {
	f, _ := bitmapOf.(func(A) *roaring.Bitmap)
	return f
}

// Set is a set of bitmaps, by identity, that holds none of them alive: an
// entry leaves the set some time after its bitmap is collected, so the set
// holds at most the bitmaps still reachable elsewhere. The zero Set is empty
// and ready to use; do not copy a non-empty one.
//
// Each entry attaches a cleanup to its bitmap, and the cleanup refers to the
// set. Call Stop when the set's owner is collected, so that a long-lived
// bitmap does not keep the sets of owners long gone alive.
type Set struct {
	// m maps the address of each bitmap in the set to its entry. The
	// address finds the entry without making a weak pointer (which costs a
	// walk of the runtime's records for the bitmap's memory); the entry's
	// weak pointer tells the bitmap from a later one at the same address.
	m sync.Map // uintptr -> entry
}

// entry is the record of one bitmap in a Set.
type entry struct {
	w weak.Pointer[roaring.Bitmap]
	// c deletes the entry when the bitmap is collected.
	c runtime.Cleanup
}

// key returns the key of bm in Set.m.
func key(bm *roaring.Bitmap) uintptr { return uintptr(unsafe.Pointer(bm)) }

// Has reports whether bm is in s. It is false for a nil bm.
func (s *Set) Has(bm *roaring.Bitmap) bool {
	if bm == nil {
		return false
	}
	e, ok := s.m.Load(key(bm))
	return ok && e.(entry).w.Value() == bm
}

// Add adds bm to s. It does nothing for a nil bm, or one already in s.
func (s *Set) Add(bm *roaring.Bitmap) {
	if bm == nil || s.Has(bm) {
		return
	}
	k, w := key(bm), weak.Make(bm)
	e := entry{w: w, c: runtime.AddCleanup(bm, s.forget, gone{k, w})}
	for {
		old, loaded := s.m.LoadOrStore(k, e)
		if !loaded {
			return
		}
		if old.(entry).w == w {
			e.c.Stop() // another goroutine added bm first; bm is reachable here
			return
		}
		// The entry of a collected bitmap whose cleanup has not run yet.
		if s.m.CompareAndSwap(k, old, e) {
			return
		}
	}
}

// gone is the argument of the cleanup of an entry.
type gone struct {
	k uintptr
	w weak.Pointer[roaring.Bitmap]
}

// forget is the cleanup of the entry for a collected bitmap. It leaves alone
// the entry of a later bitmap at the same address.
func (s *Set) forget(g gone) {
	if e, ok := s.m.Load(g.k); ok && e.(entry).w == g.w {
		s.m.CompareAndDelete(g.k, e)
	}
}

// Len returns the number of bitmaps in s, collected ones whose cleanup has
// not run yet included.
func (s *Set) Len() int {
	n := 0
	for range s.m.Range {
		n++
	}
	return n
}

// Stop empties s and cancels the cleanups of its entries, so that their
// bitmaps no longer refer to s. Adds after Stop are kept again.
func (s *Set) Stop() {
	for k, e := range s.m.Range {
		e := e.(entry)
		if bm := e.w.Value(); bm != nil {
			e.c.Stop()
			runtime.KeepAlive(bm) // Stop needs bm reachable
		}
		s.m.CompareAndDelete(k, e)
	}
}
