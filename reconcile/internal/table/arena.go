package table

import (
	"encoding/binary"
	"sync/atomic"
)

const (
	pageBits     = 16
	maxPageSize  = 1 << pageBits // an entry never spans pages
	minPageSize  = 1 << 10
	maxPages     = 1 << 22 // offsets are 38 bits: page index, then position in page
	offsetBits   = pageBits + 22
	offsetMask   = 1<<offsetBits - 1
	withinMask   = maxPageSize - 1
	maxEntrySize = binary.MaxVarintLen16 + MaxKeyLen
)

// arena holds the keys of one shard as length-prefixed byte strings in pages
// that are never moved or reused, so a key handed out stays valid forever.
// An offset is the page index shifted left by pageBits, plus the position in
// the page. Pages start small and double up to maxPageSize, so a small table
// wastes little.
//
// One writer (the shard's lock holder) appends; readers find pages through dir,
// which the writer republishes whenever it adds a page. Readers only follow
// offsets they learned through an atomic load that happened after the append.
type arena struct {
	pages [][]byte                 // the writer's view
	used  int                      // bytes used in the last page
	dir   atomic.Pointer[[][]byte] // the readers' view
}

// fits reports whether a key of n bytes can be appended.
func (a *arena) fits(n int) bool {
	need := uvarintLen(n) + n
	return len(a.pages) < maxPages || a.used+need <= len(a.pages[len(a.pages)-1])
}

// add appends key and returns its offset. The caller checked fits.
func (a *arena) add(key []byte) uint64 {
	need := uvarintLen(len(key)) + len(key)
	if len(a.pages) == 0 || a.used+need > len(a.pages[len(a.pages)-1]) {
		size := minPageSize
		if len(a.pages) > 0 {
			size = min(2*len(a.pages[len(a.pages)-1]), maxPageSize)
		}
		a.pages = append(a.pages, make([]byte, max(size, need)))
		a.used = 0
		dir := a.pages
		a.dir.Store(&dir)
	}
	page := a.pages[len(a.pages)-1]
	off := uint64(len(a.pages)-1)<<pageBits | uint64(a.used)
	n := binary.PutUvarint(page[a.used:], uint64(len(key)))
	copy(page[a.used+n:], key)
	a.used += n + len(key)
	return off
}

// key returns the key at off, for readers.
func (a *arena) key(off uint64) []byte {
	return entryAt(*a.dir.Load(), off)
}

// ownKey returns the key at off, for the writer.
func (a *arena) ownKey(off uint64) []byte {
	return entryAt(a.pages, off)
}

func entryAt(pages [][]byte, off uint64) []byte {
	p := pages[off>>pageBits][off&withinMask:]
	if n := int(p[0]); n < 0x80 {
		return p[1 : 1+n]
	}
	n, k := binary.Uvarint(p)
	return p[k : k+int(n)]
}

// bytes returns the memory held by the pages.
func (a *arena) bytes() int {
	n := 0
	for _, p := range a.pages {
		n += len(p)
	}
	return n
}

func uvarintLen(n int) int {
	if n < 0x80 {
		return 1
	}
	if n < 0x4000 {
		return 2
	}
	return 3
}
