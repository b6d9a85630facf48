package table

import (
	"bytes"
	"math"
	"math/rand/v2"
	"sync"
	"sync/atomic"
)

// NoOrdinal is the ordinal of no key.
const NoOrdinal uint32 = math.MaxUint32

// MaxKeyLen is the length of the longest key a Table stores.
const MaxKeyLen = 1 << 12

// Status says how an operation on one key went.
type Status uint8

const (
	OK       Status = iota
	NotFound        // the key or ordinal is unknown
	Erased          // the key or ordinal was erased
	Full            // every ordinal is handed out
	Invalid         // the key is too long, or the caller could not encode it
)

const (
	shardBits = 6
	numShards = 1 << shardBits
	shardPos  = 64 - shardBits
)

// A slot is a uint64; zero means empty.
//
//	bits 34-63  tag: bits 2-31 of the key's hash, which place the slot
//	bit 33      pending: value is a batch position + 1, not an ordinal
//	bit 32      erased
//	bits 0-31   value: ordinal + 1 (0 with pending set: a dead slot)
const (
	slotTag     = 0xFFFFFFFC << 32
	slotPending = 1 << 33
	slotErased  = 1 << 32
	slotValue   = 1<<32 - 1
)

func tagOf(h uint64) uint64 { return h << 32 & slotTag }

// home returns the first slot to probe for tag in a table of n slots. It maps
// the 30-bit tag onto [0, n) by multiplication, so n need not be a power of
// two and the table can grow by a quarter at a time.
func home(tag uint64, n int) int { return int((tag >> 34) * uint64(n) >> 30) }

const minSlots = 64

// maxUsed returns how many slots of n may be occupied (a load of 0.8).
func maxUsed(n int) int { return n - n/5 }

// Table maps byte keys to dense ordinals 0, 1, 2, ... handed out in the order
// keys arrive, and back. Each key carries a class (a 16-bit tag of the
// caller's, such as a namespace) that reading an ordinal returns without
// touching the key. Ordinals are never reused: Erase tombstones one.
//
// Keys hash with a per-table random seed into one of 64 shards (by the top
// bits of the hash); each shard has its own lock, open-addressing slot array
// with linear probing, and arena of keys. Writers take the shard lock; Lookup,
// Key, Class and Len take no lock at all.
type Table struct {
	seed  uint64
	limit uint64        // ordinals that may be handed out
	next  atomic.Uint64 // ordinals handed out
	rev   revIndex
	bulk  sync.Mutex // one AddMany at a time holds every shard
	sh    [numShards]shard
}

type shard struct {
	mu    sync.Mutex
	tab   []uint64                 // the writer's view of the slots
	used  int                      // occupied slots, dead ones included
	slots atomic.Pointer[[]uint64] // the readers' view of the slots
	arena arena
	bat   *shardBatch // the AddMany holding the lock, if any
	_     [64]byte
}

// New returns an empty table with a random seed.
func New() *Table { return NewSeeded(rand.Uint64()) }

// NewSeeded returns an empty table hashing with seed. Tests use it to show
// what a known seed would let an attacker do.
func NewSeeded(seed uint64) *Table {
	return &Table{seed: seed, limit: uint64(NoOrdinal)}
}

// SetLimit lowers the number of ordinals t may hand out, so tests can fill a
// table. It must be called before t is used.
func (t *Table) SetLimit(n uint32) { t.limit = uint64(n) }

// Len returns the number of ordinals handed out, erased ones included. Some of
// the last ones may still be in the middle of being added.
func (t *Table) Len() int { return int(t.next.Load()) }

func (t *Table) hash(key []byte) uint64 { return hash(t.seed, key) }

// reserve hands out up to k consecutive ordinals and returns the first one
// and how many it got.
func (t *Table) reserve(k uint64) (uint32, uint64) {
	for {
		cur := t.next.Load()
		got := min(k, t.limit-cur)
		if got == 0 || t.next.CompareAndSwap(cur, cur+got) {
			return uint32(cur), got
		}
	}
}

// Add returns the ordinal of key, handing out the next one if key is new.
// A new key gets class; a known one keeps the class it has.
func (t *Table) Add(key []byte, class uint16) (uint32, Status) {
	if len(key) > MaxKeyLen {
		return NoOrdinal, Invalid
	}
	h := t.hash(key)
	si := int(h >> shardPos)
	sh := &t.sh[si]
	tag := tagOf(h)
	sh.mu.Lock()
	ord, st := t.addLocked(sh, si, tag, key, class)
	sh.mu.Unlock()
	return ord, st
}

func (t *Table) addLocked(sh *shard, si int, tag uint64, key []byte, class uint16) (uint32, Status) {
	i, w := t.find(sh, tag, key)
	switch {
	case w&slotErased != 0:
		return NoOrdinal, Erased
	case w != 0:
		return uint32(w) - 1, OK
	case !sh.arena.fits(len(key)):
		return NoOrdinal, Full
	}
	if sh.used >= maxUsed(len(sh.tab)) {
		sh.grow(sh.used + 1)
		i = sh.empty(tag)
	}
	ord, got := t.reserve(1)
	if got == 0 {
		return NoOrdinal, Full
	}
	off := sh.arena.add(key)
	t.rev.ensure(uint64(ord) + 1)
	// Readers must find the key by its slot before they see its ordinal
	// published: the reverse entry first holds only where the key is (for
	// the slot's key comparison), then the slot, then the published flag.
	rev := revEntry(class, si, off)
	atomic.StoreUint64(t.rev.slot(ord), rev&^revPublished)
	atomic.StoreUint64(&sh.tab[i], tag|uint64(ord)+1)
	atomic.StoreUint64(t.rev.slot(ord), rev)
	sh.used++
	return ord, OK
}

// find returns the index and content of the slot holding key, or the index
// of the empty slot that ends its probe sequence and zero. The shard lock is
// held. Slots pending in the shard's batch count; dead ones never match.
func (t *Table) find(sh *shard, tag uint64, key []byte) (int, uint64) {
	s := sh.tab
	n := len(s)
	if n == 0 {
		return 0, 0
	}
	for i := home(tag, n); ; {
		w := s[i]
		if w == 0 {
			return i, 0
		}
		if w&slotTag == tag && t.ownKeyEqual(sh, w, key) {
			return i, w
		}
		if i++; i == n {
			i = 0
		}
	}
}

// ownKeyEqual reports whether the occupied slot w holds key. The shard lock
// is held.
func (t *Table) ownKeyEqual(sh *shard, w uint64, key []byte) bool {
	v := uint32(w)
	if w&slotPending != 0 {
		if v == 0 || sh.bat == nil {
			return false
		}
		return bytes.Equal(sh.arena.ownKey(sh.bat.pend[v-1].rev&offsetMask), key)
	}
	return bytes.Equal(sh.arena.ownKey(t.rev.load(v-1)&offsetMask), key)
}

// empty returns the first empty slot of tag's probe sequence. The shard lock
// is held and the key is known to be absent.
func (sh *shard) empty(tag uint64) int {
	s := sh.tab
	n := len(s)
	i := home(tag, n)
	for s[i] != 0 {
		if i++; i == n {
			i = 0
		}
	}
	return i
}

// grow replaces the slots with a larger array that keeps at least need
// occupied slots under the maximum load, placing each slot again by its
// stored tag: no key is read or hashed again. Dead slots are dropped, and the
// shard's batch learns where its pending slots went.
func (sh *shard) grow(need int) {
	n := max(minSlots, len(sh.tab)+len(sh.tab)/4)
	if maxUsed(n) < need {
		n = need + need/4 + 1 // exactly room for need: bulk adds ask for what they expect
	}
	s := make([]uint64, n)
	used := 0
	for _, w := range sh.tab {
		if w == 0 || w&(slotPending|slotValue) == slotPending {
			continue
		}
		i := home(w&slotTag, n)
		for s[i] != 0 {
			if i++; i == n {
				i = 0
			}
		}
		s[i] = w
		used++
		if w&slotPending != 0 {
			sh.bat.pend[uint32(w)-1].slot = uint32(i)
		}
	}
	sh.tab = s
	sh.used = used
	sh.slots.Store(&s)
}

// Lookup returns the ordinal of key: NotFound if it was never added (or its
// add has not finished), Erased if it was erased. It takes no lock.
func (t *Table) Lookup(key []byte) (uint32, Status) {
	h := t.hash(key)
	return t.lookup(&t.sh[h>>shardPos], tagOf(h), key)
}

func (t *Table) lookup(sh *shard, tag uint64, key []byte) (uint32, Status) {
	p := sh.slots.Load()
	if p == nil {
		return NoOrdinal, NotFound
	}
	s := *p
	n := len(s)
	for i := home(tag, n); ; {
		w := atomic.LoadUint64(&s[i])
		if w == 0 {
			return NoOrdinal, NotFound
		}
		if w&(slotTag|slotPending) == tag {
			ord := uint32(w) - 1
			if e := t.rev.load(ord); bytes.Equal(sh.arena.key(e&offsetMask), key) {
				if e&revPublished == 0 {
					return NoOrdinal, NotFound // its add is finishing
				}
				if w&slotErased != 0 {
					return NoOrdinal, Erased
				}
				return ord, OK
			}
		}
		if i++; i == n {
			i = 0
		}
	}
}

// Key returns the key and class of ord. The key aliases the table's memory
// and must not be modified; it stays valid for the table's life. The status
// is NotFound if ord was not handed out or its add has not finished, and
// Erased (with a nil key) if it was erased.
func (t *Table) Key(ord uint32) ([]byte, uint16, Status) {
	e := t.rev.load(ord)
	switch {
	case e&revPublished == 0:
		return nil, 0, NotFound
	case e&revErased != 0:
		return nil, revClass(e), Erased
	}
	return t.sh[revShard(e)].arena.key(e & offsetMask), revClass(e), OK
}

// Class returns the class of ord and whether ord is published. Erased
// ordinals keep their class.
func (t *Table) Class(ord uint32) (uint16, bool) {
	e := t.rev.load(ord)
	return revClass(e), e&revPublished != 0
}

// Meta returns the class of ord, whether it is published and whether it is
// erased, from one atomic load.
func (t *Table) Meta(ord uint32) (class uint16, published, erased bool) {
	e := t.rev.load(ord)
	return revClass(e), e&revPublished != 0, e&revErased != 0
}

// Erased reports whether ord was erased.
func (t *Table) Erased(ord uint32) bool { return t.rev.load(ord)&revErased != 0 }

// Erase tombstones ord: Lookup and Key report it Erased, Add of its key
// reports Erased, and the ordinal is never handed out again. It reports
// whether ord was live (published and not yet erased).
func (t *Table) Erase(ord uint32) bool {
	e := t.rev.load(ord)
	if e&revPublished == 0 || e&revErased != 0 {
		return false
	}
	sh := &t.sh[revShard(e)]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	rp := t.rev.slot(ord)
	if e = atomic.LoadUint64(rp); e&revErased != 0 {
		return false
	}
	tag := tagOf(t.hash(sh.arena.ownKey(e & offsetMask)))
	s := sh.tab
	n := len(s)
	for i := home(tag, n); ; {
		w := s[i]
		if w == 0 {
			break // unreachable: a published ordinal has a slot
		}
		if w&(slotTag|slotPending|slotValue) == tag|uint64(ord)+1 {
			atomic.StoreUint64(&s[i], w|slotErased)
			break
		}
		if i++; i == n {
			i = 0
		}
	}
	atomic.StoreUint64(rp, e|revErased)
	return true
}

// Stats describes how far slots sit from their home slot, over every shard.
type Stats struct {
	Keys        int     // occupied slots
	Slots       int     // slots allocated
	MaxProbe    int     // longest probe sequence: distance from home + 1
	MeanProbe   float64 // average probe length of a successful lookup
	SlotBytes   int     // memory held by slot arrays
	ArenaBytes  int     // memory held by key pages
	ArenaUsed   int     // bytes of length-prefixed keys in those pages
	ReverseSize int     // memory held by the reverse index
}

// Stats walks every shard under its lock. Tests and benchmarks use it.
func (t *Table) Stats() Stats {
	var st Stats
	total := 0
	for si := range t.sh {
		sh := &t.sh[si]
		sh.mu.Lock()
		n := len(sh.tab)
		for i, w := range sh.tab {
			if w == 0 {
				continue
			}
			d := i - home(w&slotTag, n)
			if d < 0 {
				d += n
			}
			st.Keys++
			total += d + 1
			st.MaxProbe = max(st.MaxProbe, d+1)
		}
		st.Slots += n
		st.SlotBytes += 8 * n
		st.ArenaBytes += sh.arena.bytes()
		for pi, p := range sh.arena.pages {
			if pi == len(sh.arena.pages)-1 {
				st.ArenaUsed += sh.arena.used
			} else {
				st.ArenaUsed += len(p)
			}
		}
		sh.mu.Unlock()
	}
	if st.Keys > 0 {
		st.MeanProbe = float64(total) / float64(st.Keys)
	}
	st.ReverseSize = t.rev.bytes()
	return st
}
