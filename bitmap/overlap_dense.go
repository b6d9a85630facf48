package bitmap

import (
	"cmp"
	"encoding/binary"
	"math/bits"
	"slices"
	"sync/atomic"

	"golang.org/x/sync/errgroup"
)

// Overlap counts most pairs on a "dense form" of each audience, built once:
// its containers as 1024-word bitsets or sorted uint16 arrays, read from the
// audience's portable encoding. Counting a pair of bitsets is a popcount of
// their AND, far faster than roaring's intersection of two run containers.

// denseBudget bounds the memory, in bytes, of the dense forms one Overlap
// call builds. Audiences whose dense forms do not fit are counted with
// roaring. A variable so that tests can drive the fallback.
var denseBudget int64 = 256 << 20

const (
	bitsetWords  = 1 << 10         // uint64 words in a container's bitset
	bitsetBytes  = 8 * bitsetWords // its size
	denseRunMin  = 513             // run containers of this many members and denseRunsMin runs become bitsets...
	denseRunsMin = 32
	sparseRunMax = 64       // an audience with a run container of more members, not a bitset, is counted with roaring
	denseMin     = arrayMax // ...and any container of this many; smaller ones arrays
	denseMinK    = 3        // Overlap builds dense forms for this many audiences or more
	// An array container of this many members becomes a bitset too: an AND
	// and popcount of two bitsets (1024 words) is faster than merging two
	// sorted arrays of a few hundred members, which is what audiences of
	// about 1% to 6% of their universe, and the last, partial container of
	// denser ones, are made of.
	denseArrayMin = 512
	denseShared   = 96 // bytes of bookkeeping per container, a bound
)

// denseForm is an audience's containers in the form counted fastest: for
// keys[c], either bits[c] (a bitset of 1024 words) or, if that is nil,
// arrs[c] (the sorted low halves of the members).
type denseForm struct {
	keys []uint16
	bits [][]uint64
	arrs [][]uint16
}

// container locates one container in a portable encoding.
type container struct {
	key  uint16
	run  bool
	runs int // runs of a run container
	card int // members, 1 to 65536
	at   int // offset of its data
}

// containers returns the containers of enc, an encoding in the portable
// roaring format, or false if enc is not one it can read.
func containers(enc []byte) ([]container, bool) {
	if len(enc) < 8 {
		return nil, false
	}
	cookie := binary.LittleEndian.Uint32(enc)
	var (
		size       int
		runFlags   []byte
		headerAt   int
		hasOffsets bool
	)
	switch {
	case cookie&0xFFFF == cookieRuns:
		size = int(cookie>>16) + 1
		runFlags = enc[4:min(len(enc), 4+(size+7)/8)]
		headerAt = 4 + (size+7)/8
		hasOffsets = size >= offsetThreshold
	case cookie == cookieNoRuns:
		size = int(binary.LittleEndian.Uint32(enc[4:]))
		headerAt = 8
		hasOffsets = true
	default:
		return nil, false
	}
	if size > maxContainers {
		return nil, false
	}
	at := headerAt + 4*size
	if hasOffsets {
		at += 4 * size
	}
	if at > len(enc) {
		return nil, false
	}
	cs := make([]container, size)
	for i := range cs {
		h := headerAt + 4*i
		c := container{
			key:  binary.LittleEndian.Uint16(enc[h:]),
			card: int(binary.LittleEndian.Uint16(enc[h+2:])) + 1,
			run:  runFlags != nil && runFlags[i/8]&(1<<(i%8)) != 0,
			at:   at,
		}
		switch {
		case c.run:
			if at+2 > len(enc) {
				return nil, false
			}
			c.runs = int(binary.LittleEndian.Uint16(enc[at:]))
			at += 2 + 4*c.runs
		case c.card > arrayMax:
			at += bitmapBytes
		default:
			at += 2 * c.card
		}
		if at > len(enc) {
			return nil, false
		}
		cs[i] = c
	}
	return cs, true
}

// isBitset reports whether c becomes a bitset in a dense form.
func (c container) isBitset() bool {
	return c.card >= denseMin || !c.run && c.card >= denseArrayMin || c.run && c.card >= denseRunMin && c.runs >= denseRunsMin
}

// suited reports whether counting on the dense form of cs pays. A run
// container of a few long runs would be a bitset far larger than its
// runs, or an array slower to count than roaring counts runs.
func suited(cs []container) bool {
	for _, c := range cs {
		if c.run && c.card > sparseRunMax && !c.isBitset() {
			return false
		}
	}
	return true
}

// denseSize returns the bytes of the dense form of cs.
func denseSize(cs []container) int64 {
	n := int64(len(cs)) * denseShared
	for _, c := range cs {
		if c.isBitset() {
			n += bitsetBytes
		} else {
			n += 2 * int64(c.card)
		}
	}
	return n
}

// newDenseForm builds the dense form of the containers cs of enc, or
// returns nil if enc contradicts them.
func newDenseForm(enc []byte, cs []container) *denseForm {
	var nBits, nArr int
	for _, c := range cs {
		if c.isBitset() {
			nBits++
		} else {
			nArr += c.card
		}
	}
	d := &denseForm{
		keys: make([]uint16, len(cs)),
		bits: make([][]uint64, len(cs)),
		arrs: make([][]uint16, len(cs)),
	}
	words := make([]uint64, nBits*bitsetWords)
	members := make([]uint16, nArr)
	for i, c := range cs {
		d.keys[i] = c.key
		if c.isBitset() {
			w := words[:bitsetWords:bitsetWords]
			words = words[bitsetWords:]
			if !fillBitset(w, enc, c) {
				return nil
			}
			d.bits[i] = w
			continue
		}
		a := members[:c.card:c.card]
		members = members[c.card:]
		if !fillArray(a, enc, c) {
			return nil
		}
		d.arrs[i] = a
	}
	return d
}

// fillBitset sets in w, a zeroed bitset, the members of container c of enc.
func fillBitset(w []uint64, enc []byte, c container) bool {
	switch {
	case c.run:
		nr := int(binary.LittleEndian.Uint16(enc[c.at:]))
		runs := enc[c.at+2 : c.at+2+4*nr]
		for j := 0; j < len(runs); j += 4 {
			lo := int(binary.LittleEndian.Uint16(runs[j:]))
			hi := lo + int(binary.LittleEndian.Uint16(runs[j+2:]))
			if hi > 0xFFFF {
				return false
			}
			setRange(w, lo, hi)
		}
	case c.card > arrayMax:
		b := enc[c.at : c.at+bitmapBytes]
		for j := range w {
			w[j] = binary.LittleEndian.Uint64(b[8*j:])
		}
	default:
		b := enc[c.at : c.at+2*c.card]
		for j := 0; j < len(b); j += 2 {
			v := binary.LittleEndian.Uint16(b[j:])
			w[v>>6] |= 1 << (v & 63)
		}
	}
	return true
}

// setRange sets bits lo to hi, inclusive, of w.
func setRange(w []uint64, lo, hi int) {
	first, last := lo>>6, hi>>6
	loMask := ^uint64(0) << (lo & 63)
	hiMask := ^uint64(0) >> (63 - hi&63)
	if first == last {
		w[first] |= loMask & hiMask
		return
	}
	w[first] |= loMask
	for k := first + 1; k < last; k++ {
		w[k] = ^uint64(0)
	}
	w[last] |= hiMask
}

// fillArray writes into a, of c.card members, the members of container c
// of enc in increasing order.
func fillArray(a []uint16, enc []byte, c container) bool {
	switch {
	case c.run:
		nr := int(binary.LittleEndian.Uint16(enc[c.at:]))
		runs := enc[c.at+2 : c.at+2+4*nr]
		k := 0
		for j := 0; j < len(runs); j += 4 {
			lo := int(binary.LittleEndian.Uint16(runs[j:]))
			hi := lo + int(binary.LittleEndian.Uint16(runs[j+2:]))
			if hi > 0xFFFF || k+hi-lo+1 > len(a) {
				return false
			}
			for v := lo; v <= hi; v++ {
				a[k] = uint16(v)
				k++
			}
		}
		return k == len(a)
	case c.card > arrayMax:
		return false // bitmap containers always have more members than arrays hold
	default:
		b := enc[c.at : c.at+2*c.card]
		for j := range a {
			a[j] = binary.LittleEndian.Uint16(b[2*j:])
		}
		return true
	}
}

// andLen returns the number of members common to d and e.
func (d *denseForm) andLen(e *denseForm) uint64 {
	var n uint64
	i, j := 0, 0
	for i < len(d.keys) && j < len(e.keys) {
		switch ki, kj := d.keys[i], e.keys[j]; {
		case ki < kj:
			i++
		case ki > kj:
			j++
		default:
			switch bi, bj := d.bits[i], e.bits[j]; {
			case bi != nil && bj != nil:
				n += andBitsets(bi, bj)
			case bi != nil:
				n += andBitsetArray(bi, e.arrs[j])
			case bj != nil:
				n += andBitsetArray(bj, d.arrs[i])
			default:
				n += andArrays(d.arrs[i], e.arrs[j])
			}
			i++
			j++
		}
	}
	return n
}

// andBitsets returns the number of bits set in both a and b, bitsets of
// 1024 words.
func andBitsets(a, b []uint64) uint64 {
	a, b = a[:bitsetWords], b[:bitsetWords]
	var n0, n1, n2, n3 int
	for k := 0; k < bitsetWords; k += 4 {
		n0 += bits.OnesCount64(a[k] & b[k])
		n1 += bits.OnesCount64(a[k+1] & b[k+1])
		n2 += bits.OnesCount64(a[k+2] & b[k+2])
		n3 += bits.OnesCount64(a[k+3] & b[k+3])
	}
	return uint64(n0 + n1 + n2 + n3)
}

// andBitsetArray returns the number of members of arr set in w, a bitset of
// 1024 words.
func andBitsetArray(w []uint64, arr []uint16) uint64 {
	w = w[:bitsetWords]
	var n uint64
	for _, v := range arr {
		n += w[v>>6] >> (v & 63) & 1
	}
	return n
}

// andArrays returns the number of members common to the sorted arrays a
// and b.
func andArrays(a, b []uint16) uint64 {
	var n uint64
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		x, y := a[i], b[j]
		if x == y {
			n++
		}
		if x <= y {
			i++
		}
		if y <= x {
			j++
		}
	}
	return n
}

// denseForms returns the dense forms of as, nil for an audience counted
// with roaring: an empty one, one not suited, or one that does not fit in
// denseBudget. The
// smallest forms are admitted first. (Turning run containers into arrays to
// save memory does not pay: counting those arrays is slower than counting
// the runs with roaring.)
func denseForms(as []Audience, parallel bool) []*denseForm {
	encs := make([][]byte, len(as))
	cons := make([][]container, len(as))
	forEach(len(as), parallel, func(i int) {
		if as[i].bm == nil {
			return
		}
		enc, err := as[i].MarshalBinary()
		if err != nil {
			return
		}
		if cs, ok := containers(enc); ok && suited(cs) {
			encs[i], cons[i] = enc, cs
		}
	})
	// Admit the smallest forms first, so that as many pairs as possible
	// are counted on dense forms.
	size := make([]int64, len(as))
	order := make([]int, 0, len(as))
	for i, cs := range cons {
		if cs != nil {
			size[i] = denseSize(cs)
			order = append(order, i)
		}
	}
	slices.SortFunc(order, func(i, j int) int { return cmp.Compare(size[i], size[j]) })
	take := make([]bool, len(as))
	var total int64
	for _, i := range order {
		if total += size[i]; total > denseBudget {
			break
		}
		take[i] = true
	}
	ds := make([]*denseForm, len(as))
	forEach(len(as), parallel, func(i int) {
		if take[i] {
			ds[i] = newDenseForm(encs[i], cons[i])
		}
		encs[i], cons[i] = nil, nil
	})
	return ds
}

// forEach calls f(0), ..., f(n-1), spread over at most GOMAXPROCS
// goroutines if parallel. Each goroutine takes the next index as it
// finishes one.
func forEach(n int, parallel bool, f func(i int)) {
	p := workers(n)
	if !parallel || p < 2 {
		for i := range n {
			f(i)
		}
		return
	}
	var next atomic.Int64
	var g errgroup.Group
	for range p {
		g.Go(func() error {
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return nil
				}
				f(i)
			}
		})
	}
	_ = g.Wait() // the tasks return no errors
}
