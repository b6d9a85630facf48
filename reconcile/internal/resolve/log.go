package resolve

import "errors"

// Records live in chunks of at most chunkSize entries; a record never spans
// two chunks, so it is always one subslice. Chunks are only appended to; an
// erasure rewrites a copy of each chunk it touches. A Records snapshot keeps
// the slice headers of the moment it was taken, so it reads a consistent log
// without holding any lock while the Graph goes on appending and erasing.
const (
	chunkBits = 16
	chunkSize = 1 << chunkBits
	chunkMask = chunkSize - 1
)

// MaxRecordLen is the most identities one record may hold.
const MaxRecordLen = chunkSize

// ErrFull: the log holds as many records or entries as it can address.
var ErrFull = errors.New("resolve: record log full")

// A record's start packs its chunk and offset in 32 bits, so the log holds
// at most maxChunks chunks: about 2^32 entries. A record's index is a uint32
// and None is no record, so it holds at most maxRecords records. append
// checks both before it changes anything; tests lower them (SetLogLimit).
const (
	maxChunks  = 1 << (32 - chunkBits)
	maxRecords = uint64(None)
)

// A record ends where the next record of its chunk starts, or at the end of
// the chunk: no length is stored.
type log struct {
	at     []int64
	start  []uint32 // chunk<<chunkBits | offset
	chunks [][]uint32

	// Limits lowered by tests; zero means maxChunks and maxRecords.
	limChunks  int
	limRecords uint64
}

func (l *log) len() int { return len(l.at) }

// room reports whether append can store a record of n entries.
func (l *log) room(n int) bool {
	chunks, records := maxChunks, maxRecords
	if l.limChunks > 0 {
		chunks, records = l.limChunks, l.limRecords
	}
	if uint64(len(l.at)) >= records {
		return false
	}
	c := len(l.chunks) - 1
	return c >= 0 && len(l.chunks[c])+n <= chunkSize || len(l.chunks) < chunks
}

// append stores a record and returns its index. len(ords) <= MaxRecordLen,
// and room(len(ords)) must hold.
func (l *log) append(at int64, ords []uint32) uint32 {
	c := len(l.chunks) - 1
	if c < 0 || len(l.chunks[c])+len(ords) > chunkSize {
		size := chunkSize // later chunks are born full size
		if c < 0 {
			size = min(chunkSize, 64+2*len(ords))
		}
		l.chunks = append(l.chunks, make([]uint32, 0, size))
		c++
	}
	idx := uint32(len(l.at))
	l.at = append(l.at, at)
	l.start = append(l.start, uint32(c)<<chunkBits|uint32(len(l.chunks[c])))
	l.chunks[c] = append(l.chunks[c], ords...)
	return idx
}

// full returns record i's entries, erased ones included (as None at the end).
func (l *log) full(i uint32) []uint32 {
	s := l.start[i]
	ch := l.chunks[s>>chunkBits]
	end := uint32(len(ch))
	if j := i + 1; j < uint32(len(l.start)) && l.start[j]>>chunkBits == s>>chunkBits {
		end = l.start[j] & chunkMask
	}
	return ch[s&chunkMask : end]
}

// record returns the live identities of record i (erased ones removed).
func (l *log) record(i uint32) []uint32 {
	r := l.full(i)
	for len(r) > 0 && r[len(r)-1] == None {
		r = r[:len(r)-1]
	}
	return r
}

// rewrite returns record i's full entries for writing, copying its chunk the
// first time in one erasure (copied tracks the chunks already copied).
func (l *log) rewrite(i uint32, copied map[uint32]bool) []uint32 {
	c := l.start[i] >> chunkBits
	if !copied[c] {
		old := l.chunks[c]
		nc := make([]uint32, len(old), cap(old))
		copy(nc, old)
		l.chunks[c] = nc
		copied[c] = true
	}
	return l.full(i)
}

// SetLogLimit lowers how many chunks of 1<<16 entries and how many records
// g's log may hold, so that tests can fill it. chunks must be at least 1 and
// at most the real limit (1<<16); records at most the real limit (None).
func (g *Graph) SetLogLimit(chunks int, records uint32) {
	g.log.limChunks = min(max(chunks, 1), maxChunks)
	g.log.limRecords = min(uint64(records), maxRecords)
}

// Records is a snapshot of the log: immutable, safe for concurrent readers.
type Records struct{ l log }

// Len is the number of records, including those emptied by erasure.
func (r Records) Len() int { return len(r.l.at) }

// At returns record i's time and live identities in join order. The slice is
// shared: read only. It is empty for a record all of whose identities were
// erased.
func (r Records) At(i int) (int64, []uint32) {
	return r.l.at[i], r.l.record(uint32(i))
}

func (l *log) snapshot() Records {
	return Records{log{
		at:     l.at[:len(l.at):len(l.at)],
		start:  l.start[:len(l.start):len(l.start)],
		chunks: append([][]uint32(nil), l.chunks...),
	}}
}
