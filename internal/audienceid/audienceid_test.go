package audienceid

import (
	"runtime"
	"sync"
	"testing"
	"weak"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// collected runs the collector until done reports true, a bounded number of
// times, and reports whether it did.
func collected(done func() bool) bool {
	for range 50 {
		runtime.GC()
		if done() {
			return true
		}
		runtime.Gosched()
	}
	return false
}

func TestSetHasAdd(t *testing.T) {
	var s Set
	a, b := roaring.BitmapOf(1, 2, 3), roaring.BitmapOf(1, 2, 3)
	assert.False(t, s.Has(a))
	s.Add(a)
	assert.True(t, s.Has(a))
	assert.False(t, s.Has(b), "a bitmap with the same members is another bitmap")
	s.Add(a)
	assert.Equal(t, 1, s.Len(), "adding twice keeps one entry")
	s.Add(nil)
	assert.False(t, s.Has(nil))
	assert.Equal(t, 1, s.Len())
	s.Add(b)
	assert.True(t, s.Has(b))
	assert.Equal(t, 2, s.Len())
	runtime.KeepAlive(a)
	runtime.KeepAlive(b)
}

// TestSetAddressReuse checks that a bitmap allocated where a collected one
// was is not taken for it, and that the late cleanup of the collected one
// leaves the entry of the new one alone.
func TestSetAddressReuse(t *testing.T) {
	var s Set
	bm, old := roaring.BitmapOf(1), roaring.BitmapOf(2)
	// An entry at bm's address for another bitmap: one collected before bm
	// was allocated there, whose cleanup has not run yet.
	s.m.Store(key(bm), entry{w: weak.Make(old)})
	assert.False(t, s.Has(bm))
	s.Add(bm)
	assert.True(t, s.Has(bm))
	s.forget(gone{key(bm), weak.Make(old)})
	assert.True(t, s.Has(bm), "the cleanup of the old bitmap removed the new one")
	s.forget(gone{key(bm), weak.Make(bm)})
	assert.False(t, s.Has(bm))
	runtime.KeepAlive(old)
	runtime.KeepAlive(bm)
}

func TestRegister(t *testing.T) {
	type audience struct{ bm *roaring.Bitmap }
	old := bitmapOf
	t.Cleanup(func() { bitmapOf = old })
	bitmapOf = nil
	require.Nil(t, Bitmap[audience]())
	Register(func(a audience) *roaring.Bitmap { return a.bm })
	bm := roaring.BitmapOf(7)
	f := Bitmap[audience]()
	require.NotNil(t, f)
	assert.Same(t, bm, f(audience{bm: bm}))
	assert.Nil(t, Bitmap[int](), "another type has no function")
}

// TestSetForgetsCollected checks that the set holds no bitmap alive and that
// the entry of a collected bitmap leaves the set.
func TestSetForgetsCollected(t *testing.T) {
	var s Set
	keep := roaring.BitmapOf(1)
	s.Add(keep)
	gone := weak.Make(add(&s))
	require.Equal(t, 2, s.Len())
	require.True(t, collected(func() bool { return gone.Value() == nil && s.Len() == 1 }),
		"bitmap collected: %v, entries %d, want true, 1", gone.Value() == nil, s.Len())
	assert.True(t, s.Has(keep))
	runtime.KeepAlive(keep)
}

// add adds a new bitmap to s and returns it; the caller drops it.
//
//go:noinline
func add(s *Set) *roaring.Bitmap {
	bm := roaring.BitmapOf(2, 3)
	s.Add(bm)
	return bm
}

// TestSetStop checks that a set with an entry for a live bitmap stays alive
// until Stop, and can be collected after it.
func TestSetStop(t *testing.T) {
	bm := roaring.BitmapOf(4)
	for _, stop := range []bool{false, true} {
		s := new(Set)
		s.Add(bm)
		if stop {
			s.Stop()
			assert.Zero(t, s.Len())
			assert.False(t, s.Has(bm))
		}
		ws := weak.Make(s)
		s = nil
		got := collected(func() bool { return ws.Value() == nil })
		assert.Equal(t, stop, got, "set collected with Stop %v = %v, want %v", stop, got, stop)
	}
	runtime.KeepAlive(bm)
}

func TestSetConcurrent(t *testing.T) {
	var s Set
	bms := make([]*roaring.Bitmap, 64)
	for i := range bms {
		bms[i] = roaring.BitmapOf(uint32(i))
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i, bm := range bms {
				if (i+g)%2 == 0 {
					s.Add(bm)
				}
				s.Has(bm)
				s.Add(roaring.BitmapOf(uint32(g))) // garbage, collected meanwhile
			}
			if g == 0 {
				runtime.GC()
			}
		})
	}
	wg.Wait()
	for _, bm := range bms {
		assert.True(t, s.Has(bm))
	}
	s.Stop()
	assert.Zero(t, s.Len())
}

// BenchmarkSetHas measures the lookup a join makes per input: impl=idbits
// looks a bitmap up in a Set of 1,000; impl=naive in a map keyed by the
// pointer, which would hold every bitmap alive.
func BenchmarkSetHas(b *testing.B) {
	bms := make([]*roaring.Bitmap, 1000)
	var s Set
	naive := map[*roaring.Bitmap]bool{}
	for i := range bms {
		bms[i] = roaring.BitmapOf(uint32(i))
		s.Add(bms[i])
		naive[bms[i]] = true
	}
	for _, impl := range []string{"idbits", "naive"} {
		b.Run("impl="+impl, func(b *testing.B) {
			b.ReportAllocs()
			i, found := 0, 0
			for b.Loop() {
				bm := bms[i%len(bms)]
				if (impl == "idbits" && s.Has(bm)) || (impl == "naive" && naive[bm]) {
					found++
				}
				i++
			}
			if found != i {
				b.Fatalf("found %d of %d", found, i)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(i), "ns/lookup")
		})
	}
}
