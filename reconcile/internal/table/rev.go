package table

import (
	"math"
	"sync"
	"sync/atomic"
)

// A reverse entry describes one ordinal in a uint64:
//
//	bit 63      published: the ordinal's key is in the table
//	bit 62      erased
//	bits 46-61  class (the caller's namespace)
//	bits 38-45  shard
//	bits 0-37   arena offset
//
// Zero means the ordinal has not been published (out of range, or its add is
// still in progress).
const (
	revPublished = 1 << 63
	revErased    = 1 << 62
	revClassPos  = 46
	revShardPos  = offsetBits
)

func revEntry(class uint16, shard int, off uint64) uint64 {
	return revPublished | uint64(class)<<revClassPos | uint64(shard)<<revShardPos | off
}

func revClass(e uint64) uint16 { return uint16(e >> revClassPos) }
func revShard(e uint64) int    { return int(e>>revShardPos) & (numShards - 1) }

const (
	revPageBits = 14
	revPageSize = 1 << revPageBits
	revPageMask = revPageSize - 1
)

type revPage [revPageSize]uint64

// revIndex maps ordinals to reverse entries in fixed pages, so readers never
// see an entry move. Entries are read and written atomically; the page
// directory is republished whenever a page is added.
type revIndex struct {
	mu    sync.Mutex
	pages []*revPage
	dir   atomic.Pointer[[]*revPage]
}

// load returns the entry of ord, or zero if there is none.
func (r *revIndex) load(ord uint32) uint64 {
	d := r.dir.Load()
	if d == nil {
		return 0
	}
	pi := int(ord >> revPageBits)
	if pi >= len(*d) {
		return 0
	}
	return atomic.LoadUint64(&(*d)[pi][ord&revPageMask])
}

// slot returns the address of the entry of ord, whose page must exist.
func (r *revIndex) slot(ord uint32) *uint64 {
	return &(*r.dir.Load())[ord>>revPageBits][ord&revPageMask]
}

// ensure adds pages until every ordinal below end has one.
func (r *revIndex) ensure(end uint64) {
	need := int((end + revPageSize - 1) >> revPageBits)
	if d := r.dir.Load(); d != nil && len(*d) >= need {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.pages) >= need {
		return
	}
	for len(r.pages) < need {
		r.pages = append(r.pages, new(revPage))
	}
	d := r.pages
	r.dir.Store(&d)
}

// bytes returns the memory held by the pages.
func (r *revIndex) bytes() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.pages) * revPageSize * 8
}

// Reclass sets the class of every published ordinal to to[class]. It must
// not run alongside any other method: it is for a table that no one else
// holds yet, such as one being loaded.
func (t *Table) Reclass(to *[1 << 16]uint16) {
	const classMask = uint64(math.MaxUint16) << revClassPos
	d := t.rev.dir.Load()
	if d == nil {
		return
	}
	for _, p := range *d {
		for i, e := range p {
			if e&revPublished == 0 {
				continue
			}
			if c := revClass(e); to[c] != c {
				atomic.StoreUint64(&p[i], e&^classMask|uint64(to[c])<<revClassPos)
			}
		}
	}
}
