package table

import (
	"bytes"
	"encoding/binary"
	"sync"
	"sync/atomic"

	"golang.org/x/sync/errgroup"
)

// Encoder writes the key of item i into dst (which it may grow) and returns it
// with its class. ok false marks item i invalid. Bulk calls call it once per
// item, from several goroutines.
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

func (f *failures) merge(g failures) {
	if g.n > 0 {
		f.add(g.first, g.why)
		f.n += g.n - 1
	}
}

func (f *failures) report() Report {
	if f.n == 0 {
		return Report{First: -1}
	}
	return Report{Failed: f.n, First: f.first, Why: f.why}
}

// roundSize bounds the items a bulk call sorts at once, and so the memory it
// borrows: twice the records, about 70 bytes per item. Tests lower it.
var roundSize = 1 << 18

// smallBulk is the size under which bulk calls loop over single ones.
const smallBulk = 1 << 10

// A record is an item of a bulk call with its key and hash:
//
//	item (4 bytes, in the round), hash (8), class (2), key length (uvarint), key
const recordHead = 4 + 8 + 2

func appendRecord(p []byte, item uint32, h uint64, class uint16, key []byte) []byte {
	p = binary.LittleEndian.AppendUint32(p, item)
	p = binary.LittleEndian.AppendUint64(p, h)
	p = binary.LittleEndian.AppendUint16(p, class)
	p = binary.AppendUvarint(p, uint64(len(key)))
	return append(p, key...)
}

// nextRecord parses the record at the start of p and returns the rest.
func nextRecord(p []byte) (item uint32, h uint64, class uint16, key, rest []byte) {
	item = binary.LittleEndian.Uint32(p)
	h = binary.LittleEndian.Uint64(p[4:])
	class = binary.LittleEndian.Uint16(p[12:])
	p = p[recordHead:]
	n, k := int(p[0]), 1
	if n >= 0x80 {
		u, kk := binary.Uvarint(p)
		n, k = int(u), kk
	}
	return item, h, class, p[k : k+n], p[k+n:]
}

// batch is the state of one bulk call. A round sorts its items by shard
// with a counting sort: pass one encodes and hashes the items of each chunk
// (one chunk per worker) into records in item order and counts their bytes
// per shard; pass two copies each record into its shard's part of sorted,
// chunk after chunk, so each shard reads its records in item order and from
// consecutive memory.
type batch struct {
	t       *Table
	enc     Encoder
	ords    []uint32
	workers int
	base    int                   // first item of the round
	future  int                   // items after the round
	seq     [][]byte              // per chunk: its records in item order
	at      [][numShards]int      // per chunk: record bytes per shard, then where they go
	n       [][numShards]int      // per chunk: records per shard
	sorted  []byte                // the round's records by shard
	start   [numShards + 1]int    // shard si's records are sorted[start[si]:start[si+1]]
	recs    [numShards]int        // records per shard
	cfail   []failures            // per chunk
	fresh   []bool                // items of the round that are new
	sh      [numShards]shardBatch // per shard
}

// shardBatch is what a bulk add keeps per shard while it holds the lock.
type shardBatch struct {
	pend []pending
	dups []dup
	fail failures
}

// pending is a key a bulk add inserted before it knew the ordinal.
type pending struct {
	item uint32 // in the round
	slot uint32
	rev  uint64 // the reverse entry, for the ordinal still unknown
}

// dup is a later item repeating the key of pending entry pend.
type dup struct{ item, pend uint32 }

// batches keeps the scratch of finished bulk calls (their records, counts
// and per-shard lists) for the next ones, so that a caller making many
// calls, such as an import looking up one block of identifiers after
// another, does not allocate it anew each time.
var batches sync.Pool

func newBatch(t *Table, enc Encoder, ords []uint32, workers, n int) *batch {
	workers = max(workers, 1)
	b, _ := batches.Get().(*batch)
	if b == nil || len(b.seq) != workers {
		b = &batch{
			seq:   make([][]byte, workers),
			at:    make([][numShards]int, workers),
			n:     make([][numShards]int, workers),
			cfail: make([]failures, workers),
		}
	}
	b.t, b.enc, b.ords, b.workers = t, enc, ords, workers
	per := min(n, roundSize)/workers + 1
	for c := range b.seq {
		if cap(b.seq[c]) < per*40 {
			b.seq[c] = make([]byte, 0, per*40)
		}
	}
	return b
}

// release hands b's scratch back for later calls, dropping the caller's
// data and the failures counted. The encoded keys are zeroed, so that pooled
// scratch never keeps identifiers (erased ones among them) readable in memory.
func (b *batch) release() {
	for c := range b.seq {
		clear(b.seq[c][:cap(b.seq[c])])
		b.seq[c] = b.seq[c][:0]
	}
	b.t, b.enc, b.ords = nil, nil, nil
	b.base, b.future = 0, 0
	clear(b.cfail)
	for si := range b.sh {
		b.sh[si].fail = failures{}
	}
	b.fresh = b.fresh[:0]
	batches.Put(b)
}

// run sorts items [base, end) by shard, then calls each for every shard that
// received some, fanning every pass out over errgroup.
func (b *batch) run(base, end int, each func(si int)) {
	b.base = base
	m := end - base
	var g errgroup.Group
	g.SetLimit(b.workers)
	for c := range b.workers {
		lo, hi := base+m*c/b.workers, base+m*(c+1)/b.workers
		g.Go(func() error { b.stage(c, lo, hi); return nil })
	}
	g.Wait()
	at := 0
	for si := range numShards {
		b.start[si] = at
		b.recs[si] = 0
		for c := range b.at {
			n := b.at[c][si]
			b.at[c][si] = at
			at += n
			b.recs[si] += b.n[c][si]
		}
	}
	b.start[numShards] = at
	if cap(b.sorted) < at {
		b.sorted = make([]byte, at+at/8)
	}
	b.sorted = b.sorted[:at]
	for c := range b.workers {
		g.Go(func() error { b.scatter(c); return nil })
	}
	g.Wait()
	var next atomic.Int32 // shards are taken in turn by the workers
	for range b.workers {
		g.Go(func() error {
			for si := int(next.Add(1) - 1); si < numShards; si = int(next.Add(1) - 1) {
				if b.recs[si] > 0 {
					each(si)
				}
			}
			return nil
		})
	}
	g.Wait()
}

// stage encodes and hashes items [lo, hi) into chunk c's records.
func (b *batch) stage(c, lo, hi int) {
	var scratch [64]byte
	buf := scratch[:0]
	p := b.seq[c][:0]
	size, n := &b.at[c], &b.n[c]
	*size, *n = [numShards]int{}, [numShards]int{}
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
		k := len(p)
		p = appendRecord(p, uint32(i-b.base), h, class, key)
		size[h>>shardPos] += len(p) - k
		n[h>>shardPos]++
	}
	b.seq[c] = p
}

// scatter copies chunk c's records to their shards' parts of sorted.
func (b *batch) scatter(c int) {
	at := &b.at[c]
	for p := b.seq[c]; len(p) > 0; {
		_, h, _, _, rest := nextRecord(p)
		rec := p[:len(p)-len(rest)]
		si := h >> shardPos
		at[si] += copy(b.sorted[at[si]:], rec)
		p = rest
	}
}

// AddMany adds the keys enc gives for items 0 to n-1 and stores their
// ordinals in ords[:n], NoOrdinal for items that fail. The ordinals are those
// calling Add for each item in turn would give: new keys get consecutive
// ordinals in item order (other writers' adds can interleave between rounds
// of roundSize items). Work fans out over up to workers goroutines; AddMany
// calls run one at a time, and hold the lock of each shard they touch from
// resolving a round's keys to publishing them, so Add waits for them while
// Lookup keeps going.
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
		return fail.report()
	}
	t.bulk.Lock()
	defer t.bulk.Unlock()
	b := newBatch(t, enc, ords, workers, n)
	defer b.release()
	if m := min(n, roundSize); cap(b.fresh) < m {
		b.fresh = make([]bool, m)
	} else {
		b.fresh = b.fresh[:m]
		clear(b.fresh)
	}
	for base := 0; base < n; base += roundSize {
		end := min(n, base+roundSize)
		b.future = n - end
		b.run(base, end, b.insert)
		b.assign(end - base)
		var g errgroup.Group
		g.SetLimit(b.workers)
		for si := range numShards {
			if b.recs[si] > 0 {
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
	return fail.report()
}

// insert is the first half of a bulk add round for shard si: it takes the
// shard lock (publish releases it), resolves known keys and inserts new ones
// as pending slots, numbered in item order, that readers skip.
func (b *batch) insert(si int) {
	t := b.t
	sh := &t.sh[si]
	sb := &b.sh[si]
	sh.mu.Lock()
	sh.bat = sb
	sb.pend, sb.dups = sb.pend[:0], sb.dups[:0]
	seen := 0
	for p := b.sorted[b.start[si]:b.start[si+1]]; len(p) > 0; seen++ {
		item, h, class, key, rest := nextRecord(p)
		p = rest
		i := b.base + int(item)
		tag := tagOf(h)
		idx, w := t.find(sh, tag, key)
		switch {
		case w == 0:
			if !sh.arena.fits(len(key)) {
				b.ords[i] = NoOrdinal
				sb.fail.add(i, Full)
				continue
			}
			if sh.used >= maxUsed(len(sh.tab)) {
				sh.grow(sh.used + 1 + b.expectNew(si, seen))
				idx = sh.empty(tag)
			}
			j := len(sb.pend)
			sb.pend = append(sb.pend, pending{item: item, slot: uint32(idx), rev: revEntry(class, si, sh.arena.add(key))})
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
	}
}

// expectNew estimates how many new keys shard si will get in the rest of the
// call, after seen of its records in this round: the rest of its records in
// this round and its share of later rounds, at the rate of new keys so far.
// Growing for them at once spares a bulk load most of its rehashing.
func (b *batch) expectNew(si, seen int) int {
	rate := float64(len(b.sh[si].pend)+1) / float64(seen+1)
	left := b.recs[si] - seen + b.future/numShards
	return int(1.02*rate*float64(left)) + 16 // shards get a little more or less than their share
}

// assign hands out ordinals to the new keys of the round's m items in item
// order; keys beyond the limit get NoOrdinal.
func (b *batch) assign(m int) {
	k := 0
	for si := range b.sh {
		if b.recs[si] > 0 {
			k += len(b.sh[si].pend)
		}
	}
	first, got := b.t.reserve(uint64(k))
	b.t.rev.ensure(uint64(first) + got)
	next, end := uint64(first), uint64(first)+got
	ords := b.ords[b.base : b.base+m]
	for item, fresh := range b.fresh[:m] {
		if !fresh {
			continue
		}
		b.fresh[item] = false
		if next < end {
			ords[item] = uint32(next)
			next++
		} else {
			ords[item] = NoOrdinal
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
	ords := b.ords[b.base:]
	for _, p := range sb.pend {
		ord := ords[p.item]
		w := sh.tab[p.slot] & slotTag
		if ord == NoOrdinal {
			atomic.StoreUint64(&sh.tab[p.slot], w|slotPending)
			sb.fail.add(b.base+int(p.item), Full)
			continue
		}
		// As in Add: findable by its slot before its ordinal is published.
		atomic.StoreUint64(t.rev.slot(ord), p.rev&^revPublished)
		atomic.StoreUint64(&sh.tab[p.slot], w|uint64(ord)+1)
		atomic.StoreUint64(t.rev.slot(ord), p.rev)
	}
	for _, d := range sb.dups {
		ord := ords[sb.pend[d.pend].item]
		ords[d.item] = ord
		if ord == NoOrdinal {
			sb.fail.add(b.base+int(d.item), Full)
		}
	}
	sh.bat = nil
	sh.mu.Unlock()
}

// LookupMany stores in ords[:n] the ordinals of the keys enc gives for items
// 0 to n-1, NoOrdinal for unknown, erased and invalid ones, and returns how
// many it found. Work fans out over up to workers goroutines, which take
// blocks of lookupBlock items in turn; it takes no lock.
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
	workers = max(1, min(workers, (n+lookupBlock-1)/lookupBlock))
	var (
		next  atomic.Int64 // the next block to take
		found atomic.Int64
		g     errgroup.Group
	)
	for range workers {
		g.Go(func() error {
			l := lookups.Get().(*looker)
			defer l.release()
			k := 0
			for lo := int(next.Add(lookupBlock) - lookupBlock); lo < n; lo = int(next.Add(lookupBlock) - lookupBlock) {
				k += l.lookup(t, enc, ords, lo, min(n, lo+lookupBlock))
			}
			found.Add(int64(k))
			return nil
		})
	}
	g.Wait()
	return int(found.Load())
}

// lookupBlock is how many items a LookupMany worker takes at a time: small
// enough that workers finish together, large enough that taking is rare.
const lookupBlock = 1 << 10

// lookupGroup is how many lookups run side by side, so that their reads,
// which mostly miss the cache, overlap instead of waiting one for another.
const lookupGroup = 16

// looker is the scratch of one LookupMany worker: the keys of a group.
type looker struct {
	buf []byte
}

// release zeroes l's keys, as batch.release does, and hands l back.
func (l *looker) release() {
	clear(l.buf[:cap(l.buf)])
	lookups.Put(l)
}

// lookups keeps lookers for later LookupMany calls.
var lookups = sync.Pool{New: func() any { return &looker{buf: make([]byte, 0, lookupGroup*64)} }}

// lookup resolves items [lo, hi) a group at a time, in stages that each
// issue one independent read per item: the home slot, then the rest of the
// probe to the first slot whose tag matches, then that candidate's reverse
// entry, then its key. A key that does not match its candidate (rare: the
// tags agree in 30 bits) takes the plain path. It returns how many it found.
func (l *looker) lookup(t *Table, enc Encoder, ords []uint32, lo, hi int) int {
	found := 0
	var (
		items [lookupGroup]int
		shs   [lookupGroup]*shard
		tags  [lookupGroup]uint64
		keys  [lookupGroup][]byte
		slots [lookupGroup][]uint64
		at    [lookupGroup]int    // home slot, then the candidate's
		cand  [lookupGroup]uint64 // the candidate slot, or 0
		revs  [lookupGroup]uint64
		held  [lookupGroup][]byte // the candidates' keys
	)
	seed := t.seed
	for i := lo; i < hi; {
		buf := l.buf[:0]
		g, used := 0, 0
		for ; g < lookupGroup && i < hi; i++ {
			key, _, ok := enc(i, buf)
			if !ok || len(key) > MaxKeyLen {
				ords[i] = NoOrdinal
				continue
			}
			used += len(key)
			buf = key[len(key):] // if enc outgrew buf, the next keys go after key, and the earlier ones stay where they are
			h := hash(seed, key)
			sh := &t.sh[h>>shardPos]
			var s []uint64
			if sp := sh.slots.Load(); sp != nil {
				s = *sp
			}
			items[g], shs[g], tags[g], keys[g], slots[g] = i, sh, tagOf(h), key, s
			if len(s) > 0 {
				at[g] = home(tags[g], len(s))
			}
			g++
		}
		if used > cap(l.buf) {
			l.buf = make([]byte, 0, 2*used) // room for the next groups' keys
		}
		for k := range g {
			cand[k] = 0
			if len(slots[k]) > 0 {
				cand[k] = atomic.LoadUint64(&slots[k][at[k]])
			}
		}
		for k := range g {
			s := slots[k]
			for i, w := at[k], cand[k]; ; {
				if w == 0 || w&(slotTag|slotPending) == tags[k] {
					at[k], cand[k] = i, w
					break
				}
				if i++; i == len(s) {
					i = 0
				}
				w = atomic.LoadUint64(&s[i])
			}
		}
		for k := range g {
			if cand[k] != 0 {
				revs[k] = t.rev.load(uint32(cand[k]) - 1)
			}
		}
		for k := range g {
			if cand[k] != 0 {
				held[k] = shs[k].arena.key(revs[k] & offsetMask)
			}
		}
		for k := range g {
			ord, st := NoOrdinal, NotFound
			switch w := cand[k]; {
			case w == 0:
			case bytes.Equal(held[k], keys[k]):
				ord, st = uint32(w)-1, OK
				switch {
				case revs[k]&revPublished == 0:
					ord, st = NoOrdinal, NotFound // its add is finishing
				case w&slotErased != 0:
					ord, st = NoOrdinal, Erased
				}
			default:
				ord, st = t.lookup(shs[k], tags[k], keys[k])
			}
			ords[items[k]] = ord
			if st == OK {
				found++
			}
		}
	}
	clear(shs[:])
	clear(keys[:])
	clear(slots[:])
	clear(held[:])
	return found
}
