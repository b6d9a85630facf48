package table

import (
	"encoding/binary"
	"sync/atomic"

	"golang.org/x/sync/errgroup"
)

// Encoder writes the key of item i into dst (which it may grow) and returns it
// with its class. ok false marks item i invalid.
type Encoder func(i int, dst []byte) (key []byte, class uint16, ok bool)

// Report sums up an AddMany.
type Report struct {
	Failed int    // items left at NoOrdinal
	First  int    // index of the first failed item, or -1
	Why    Status // why the first failed item failed
}

// failures counts failed items and remembers the first.
type failures struct {
	n, first int
	why      Status
}

func (f *failures) add(i int, why Status) {
	if f.n == 0 || i < f.first {
		f.first, f.why = i, why
	}
	f.n++
}

func (f *failures) report(n int) Report {
	if f.n == 0 {
		return Report{First: -1}
	}
	return Report{Failed: f.n, First: f.first, Why: f.why}
}

func (f *failures) merge(g failures) {
	if g.n > 0 {
		f.add(g.first, g.why)
		f.n += g.n - 1
	}
}

// roundSize bounds the items staged at once, and so the memory a bulk call
// borrows: about 16 bytes plus the key per item. Tests lower it.
var roundSize = 1 << 19

const (
	// smallBulk is the size under which bulk calls loop over single ones.
	smallBulk  = 1 << 10
	recordHead = 4 + 8 + 2 // item, hash, class; then the key, length-prefixed
)

// batch is the state of one bulk call.
type batch struct {
	t       *Table
	enc     Encoder
	ords    []uint32
	workers int
	base    int                   // first item of the round
	stage   [][numShards][]byte   // records staged per chunk and shard
	staged  [][numShards]int      // how many
	cfail   []failures            // per chunk
	fresh   []bool                // items of the round that are new
	sh      [numShards]shardBatch // per shard
	found   [numShards]int        // LookupMany hits per shard
}

// shardBatch is what a bulk add keeps per shard while it holds the lock.
type shardBatch struct {
	pend []pending
	dups []dup
	fail failures
	n    int // records staged for the shard this round
}

// pending is a key a bulk add inserted before it knew the ordinal.
type pending struct {
	item  uint32 // in the round
	slot  uint32
	off   uint64
	class uint16
}

// dup is a later item repeating the key of pending entry pend.
type dup struct{ item, pend uint32 }

func newBatch(t *Table, enc Encoder, ords []uint32, workers int) *batch {
	workers = max(workers, 1)
	return &batch{
		t: t, enc: enc, ords: ords, workers: workers,
		stage:  make([][numShards][]byte, workers),
		staged: make([][numShards]int, workers),
		cfail:  make([]failures, workers),
	}
}

// run stages items [base, end) in chunks, one per worker, then calls each
// for every shard that received records, fanning both out over errgroup.
func (b *batch) run(base, end int, each func(si int)) {
	b.base = base
	var g errgroup.Group
	g.SetLimit(b.workers)
	n := end - base
	for c := range b.workers {
		lo, hi := base+n*c/b.workers, base+n*(c+1)/b.workers
		g.Go(func() error { b.stageChunk(c, lo, hi); return nil })
	}
	g.Wait()
	for si := range numShards {
		k := 0
		for c := range b.staged {
			k += b.staged[c][si]
		}
		b.sh[si].n = k
		if k > 0 {
			g.Go(func() error { each(si); return nil })
		}
	}
	g.Wait()
}

func (b *batch) stageChunk(c, lo, hi int) {
	var scratch [64]byte
	buf := scratch[:0]
	st := &b.stage[c]
	cnt := &b.staged[c]
	for si := range st {
		st[si] = st[si][:0]
		cnt[si] = 0
	}
	seed := b.t.seed
	for i := lo; i < hi; i++ {
		key, class, ok := b.enc(i, buf[:0])
		if !ok || len(key) > MaxKeyLen {
			b.ords[i] = NoOrdinal
			b.cfail[c].add(i, Invalid)
			continue
		}
		if cap(key) > cap(buf) {
			buf = key[:0]
		}
		h := hash(seed, key)
		p := st[h>>shardPos]
		p = binary.LittleEndian.AppendUint32(p, uint32(i-b.base))
		p = binary.LittleEndian.AppendUint64(p, h)
		p = binary.LittleEndian.AppendUint16(p, class)
		p = binary.AppendUvarint(p, uint64(len(key)))
		st[h>>shardPos] = append(p, key...)
		cnt[h>>shardPos]++
	}
}

// records calls fn for each record staged for shard si, in item order.
func (b *batch) records(si int, fn func(item uint32, h uint64, class uint16, key []byte)) {
	for c := range b.stage {
		p := b.stage[c][si]
		for len(p) > 0 {
			item := binary.LittleEndian.Uint32(p)
			h := binary.LittleEndian.Uint64(p[4:])
			class := binary.LittleEndian.Uint16(p[12:])
			p = p[recordHead:]
			n, k := int(p[0]), 1
			if n >= 0x80 {
				u, kk := binary.Uvarint(p)
				n, k = int(u), kk
			}
			fn(item, h, class, p[k:k+n])
			p = p[k+n:]
		}
	}
}

// AddMany adds the keys enc gives for items 0 to n-1 and stores their
// ordinals in ords[:n], NoOrdinal for items that fail. The ordinals are those
// calling Add for each item in turn would give: new keys get consecutive
// ordinals in item order (other writers' adds can interleave between rounds
// of roundSize items). Work fans out over up to workers goroutines; AddMany
// calls run one at a time, and hold each shard's lock from staging to
// publishing a round, so Add waits for them while Lookup keeps going.
func (t *Table) AddMany(n int, enc Encoder, ords []uint32, workers int) Report {
	ords = ords[:n]
	var fail failures
	if n < smallBulk {
		var scratch [64]byte
		for i := range n {
			key, class, ok := enc(i, scratch[:0])
			st := Invalid
			if ok {
				ords[i], st = t.Add(key, class)
			}
			if !ok || st != OK {
				ords[i] = NoOrdinal
				fail.add(i, st)
			}
		}
		return fail.report(n)
	}
	t.bulk.Lock()
	defer t.bulk.Unlock()
	b := newBatch(t, enc, ords, workers)
	for base := 0; base < n; base += roundSize {
		end := min(n, base+roundSize)
		if cap(b.fresh) < end-base {
			b.fresh = make([]bool, end-base)
		}
		b.fresh = b.fresh[:end-base]
		b.run(base, end, b.insert)
		b.assign()
		var g errgroup.Group
		g.SetLimit(b.workers)
		for si := range numShards {
			if b.sh[si].n > 0 {
				g.Go(func() error { b.publish(si); return nil })
			}
		}
		g.Wait()
	}
	for c := range b.cfail {
		fail.merge(b.cfail[c])
	}
	for si := range b.sh {
		fail.merge(b.sh[si].fail)
	}
	return fail.report(n)
}

// insert is the first half of a bulk add round for shard si: it takes the
// shard lock (released by publish), resolves known keys and inserts new ones
// as pending slots, numbered in item order, that readers skip.
func (b *batch) insert(si int) {
	t := b.t
	sh := &t.sh[si]
	sb := &b.sh[si]
	sh.mu.Lock()
	sh.bat = sb
	sb.pend, sb.dups = sb.pend[:0], sb.dups[:0]
	seen := 0
	b.records(si, func(item uint32, h uint64, class uint16, key []byte) {
		seen++
		i := b.base + int(item)
		tag := tagOf(h)
		idx, w := t.find(sh, tag, key)
		switch {
		case w == 0:
			if !sh.arena.fits(len(key)) {
				b.ords[i] = NoOrdinal
				sb.fail.add(i, Full)
				return
			}
			if sh.used >= maxUsed(len(sh.tab)) {
				// Size for the records left, at the rate of new keys so far.
				rate := float64(len(sb.pend)+1) / float64(seen)
				sh.grow(sh.used + 1 + int(float64(sb.n-seen)*rate))
				idx = sh.empty(tag)
			}
			j := len(sb.pend)
			sb.pend = append(sb.pend, pending{item: item, slot: uint32(idx), off: sh.arena.add(key), class: class})
			atomic.StoreUint64(&sh.tab[idx], tag|slotPending|uint64(j)+1)
			sh.used++
			b.fresh[item] = true
		case w&slotPending != 0:
			sb.dups = append(sb.dups, dup{item, uint32(w) - 1})
		case w&slotErased != 0:
			b.ords[i] = NoOrdinal
			sb.fail.add(i, Erased)
		default:
			b.ords[i] = uint32(w) - 1
		}
	})
}

// assign hands out ordinals to the round's new keys in item order and
// keys beyond the limit get NoOrdinal.
func (b *batch) assign() {
	k := 0
	for si := range b.sh {
		if b.sh[si].n > 0 {
			k += len(b.sh[si].pend)
		}
	}
	first, got := b.t.reserve(uint64(k))
	b.t.rev.ensure(uint64(first) + got)
	next, end := uint64(first), uint64(first)+got
	for item, fresh := range b.fresh {
		if !fresh {
			continue
		}
		b.fresh[item] = false
		if next < end {
			b.ords[b.base+item] = uint32(next)
			next++
		} else {
			b.ords[b.base+item] = NoOrdinal
		}
	}
}

// publish is the second half of a bulk add round for shard si: it writes the
// reverse entries, turns pending slots into ordinary ones (or dead ones, for
// keys that got no ordinal), resolves repeats and releases the lock.
func (b *batch) publish(si int) {
	t := b.t
	sh := &t.sh[si]
	sb := &b.sh[si]
	for _, p := range sb.pend {
		i := b.base + int(p.item)
		ord := b.ords[i]
		w := sh.tab[p.slot] & slotTag
		if ord == NoOrdinal {
			atomic.StoreUint64(&sh.tab[p.slot], w|slotPending)
			sb.fail.add(i, Full)
			continue
		}
		atomic.StoreUint64(t.rev.slot(ord), revEntry(p.class, si, p.off))
		atomic.StoreUint64(&sh.tab[p.slot], w|uint64(ord)+1)
	}
	for _, d := range sb.dups {
		i := b.base + int(d.item)
		ord := b.ords[b.base+int(sb.pend[d.pend].item)]
		b.ords[i] = ord
		if ord == NoOrdinal {
			sb.fail.add(i, Full)
		}
	}
	sh.bat = nil
	sh.mu.Unlock()
}

// LookupMany stores in ords[:n] the ordinals of the keys enc gives for items
// 0 to n-1, NoOrdinal for unknown, erased and invalid ones, and returns how
// many it found. Work fans out over up to workers goroutines; it takes no
// lock.
func (t *Table) LookupMany(n int, enc Encoder, ords []uint32, workers int) int {
	ords = ords[:n]
	if n < smallBulk {
		var scratch [64]byte
		found := 0
		for i := range n {
			ords[i] = NoOrdinal
			if key, _, ok := enc(i, scratch[:0]); ok && len(key) <= MaxKeyLen {
				var st Status
				if ords[i], st = t.Lookup(key); st == OK {
					found++
				}
			}
		}
		return found
	}
	b := newBatch(t, enc, ords, workers)
	found := 0
	for base := 0; base < n; base += roundSize {
		b.run(base, min(n, base+roundSize), b.lookup)
		for si := range b.found {
			found += b.found[si]
			b.found[si] = 0
		}
	}
	return found
}

func (b *batch) lookup(si int) {
	sh := &b.t.sh[si]
	found := 0
	b.records(si, func(item uint32, h uint64, _ uint16, key []byte) {
		ord, st := b.t.lookup(sh, tagOf(h), key)
		b.ords[b.base+int(item)] = ord
		if st == OK {
			found++
		}
	})
	b.found[si] = found
}
