package bitmap

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"slices"
	"strconv"

	"github.com/RoaringBitmap/roaring/v2"
)

// ErrCorrupt is the cause of a [DecodeError] for an encoding that violates
// the portable roaring format.
var ErrCorrupt = errors.New("corrupt encoding")

// DecodeError reports an encoding that could not be decoded.
type DecodeError struct {
	// Offset is the byte offset, from the start of the encoding, at which
	// the problem was found (for a truncated input, where it ended).
	Offset int64
	// Reason says what was wrong or what was being read.
	Reason string
	// Err is ErrCorrupt, io.ErrUnexpectedEOF, or the reader's error.
	Err error
}

func (e *DecodeError) Error() string {
	return "bitmap: decode audience at byte " + strconv.FormatInt(e.Offset, 10) + ": " + e.Reason + ": " + e.Err.Error()
}

func (e *DecodeError) Unwrap() error { return e.Err }

// Constants of the portable roaring format (RoaringFormatSpec).
const (
	cookieNoRuns    = 12346 // a uint32 cookie followed by a uint32 container count
	cookieRuns      = 12347 // the low 16 bits of a cookie whose high 16 bits are count-1
	maxContainers   = 1 << 16
	arrayMax        = 4096 // containers of more members are bitmaps (or runs)
	bitmapBytes     = 1 << 13
	offsetThreshold = 4 // with cookieRuns, offsets follow the header from this many containers
	emptySize       = 8 // the encoding of the empty audience: cookieNoRuns, 0
)

// WriteTo writes a in the portable roaring format and returns the number of
// bytes written. It implements io.WriterTo.
func (a Audience) WriteTo(w io.Writer) (int64, error) {
	if a.bm == nil {
		var b [emptySize]byte
		binary.LittleEndian.PutUint32(b[:], cookieNoRuns)
		n, err := w.Write(b[:])
		return int64(n), err
	}
	return a.bm.WriteTo(w)
}

// MarshalBinary returns a in the portable roaring format. It implements
// encoding.BinaryMarshaler.
func (a Audience) MarshalBinary() ([]byte, error) {
	var buf bytes.Buffer
	buf.Grow(int(a.SerializedSize()))
	if _, err := a.WriteTo(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// UnmarshalBinary sets *a to the audience encoded in data, which must hold
// exactly one audience in the portable roaring format. It copies what it
// needs from data. It implements encoding.BinaryUnmarshaler. Like any
// assignment, it must not run concurrently with readers of *a; readers of
// the audience *a held before are unaffected.
func (a *Audience) UnmarshalBinary(data []byte) error {
	s := source{buf: data}
	n, err := s.decode()
	if err != nil {
		return err
	}
	if s.off != len(data) {
		return &DecodeError{Offset: int64(s.off), Reason: strconv.Itoa(len(data)-s.off) + " bytes after the audience", Err: ErrCorrupt}
	}
	bm, err := load(data)
	if err != nil {
		return err
	}
	*a = Audience{}
	if n > 0 {
		*a = Audience{bm: bm, n: n, runs: bm.HasRunCompression()}
	}
	return nil
}

// Read reads one audience in the portable roaring format from r. It reads
// exactly the bytes of that audience, so a stream of audiences written one
// after another with WriteTo can be read back with repeated calls. If r is at
// its end before the first byte, Read returns io.EOF itself.
//
// Read never reads past the audience, so it makes small reads: give it a
// buffered reader (bufio.Reader, bytes.Reader) rather than a raw file or
// connection. It allocates as bytes arrive, never on the word of a header,
// so a short hostile input cannot make it allocate much more than its own
// length.
func Read(r io.Reader) (Audience, error) {
	s := source{r: r}
	n, err := s.decode()
	if err != nil {
		if de, ok := err.(*DecodeError); ok && de.Offset == 0 && de.Err == io.ErrUnexpectedEOF && len(s.buf) == 0 {
			return Audience{}, io.EOF
		}
		return Audience{}, err
	}
	if n == 0 {
		return Audience{}, nil
	}
	bm, err := load(s.buf[:s.off])
	if err != nil {
		return Audience{}, err
	}
	return Audience{bm: bm, n: n, runs: bm.HasRunCompression()}, nil
}

// View returns the audience encoded in buf, which must hold exactly one
// audience in the portable roaring format, without copying the members: the
// audience refers to buf's memory. Use it on memory-mapped files. The
// audience is valid only while buf lives and is not modified; audiences
// computed from it (by And, Or, ...) do not refer to buf and stay valid.
// View checks the whole encoding first, so it reads all of buf once.
func View(buf []byte) (Audience, error) {
	s := source{buf: buf}
	n, err := s.decode()
	if err != nil {
		return Audience{}, err
	}
	if s.off != len(buf) {
		return Audience{}, &DecodeError{Offset: int64(s.off), Reason: strconv.Itoa(len(buf)-s.off) + " bytes after the audience", Err: ErrCorrupt}
	}
	if n == 0 {
		return Audience{}, nil
	}
	// FromBuffer marks every container as shared (copy-on-write) but leaves
	// the bitmap's own copy-on-write mode off. With the mode off, roaring
	// operations only read a shared container's mark, never write it, so
	// concurrent readers do not race; results that borrow a shared
	// container are copied by wrap before they leave the package.
	bm := roaring.New()
	if _, err := bm.FromBuffer(buf); err != nil {
		return Audience{}, &DecodeError{Offset: 0, Reason: "roaring rejected a checked encoding (" + err.Error() + ")", Err: ErrCorrupt}
	}
	return Audience{bm: bm, n: n, runs: bm.HasRunCompression(), view: true}, nil
}

// load builds a private bitmap from an encoding that decode accepted.
func load(enc []byte) (*roaring.Bitmap, error) {
	bm := roaring.New()
	// ReadFrom on a plain reader copies every container into memory of its
	// own, so the bitmap owns its memory and has no copy-on-write marks.
	if _, err := bm.ReadFrom(bytes.NewReader(enc)); err != nil {
		return nil, &DecodeError{Offset: 0, Reason: "roaring rejected a checked encoding (" + err.Error() + ")", Err: ErrCorrupt}
	}
	return bm, nil
}

// source yields the bytes of one encoding, from memory (r == nil) or from a
// reader.
type source struct {
	buf []byte    // the input, or the bytes read from r so far
	off int       // bytes consumed by decode
	r   io.Reader // nil for an in-memory input
}

// minChunk is the smallest read decode makes from a reader.
const minChunk = 512

// next consumes and returns the next n bytes, reading them from s.r if
// needed. The slice is valid until the next call. what names the bytes for
// an error.
func (s *source) next(n int, what string) ([]byte, error) {
	if n > len(s.buf)-s.off {
		if err := s.fill(s.off + n); err != nil {
			return nil, &DecodeError{Offset: int64(len(s.buf)), Reason: "reading " + what, Err: err}
		}
	}
	b := s.buf[s.off : s.off+n]
	s.off += n
	return b, nil
}

// fill reads from s.r until s.buf holds want bytes. Each read at most
// doubles s.buf, so memory grows with the bytes that actually arrive, not
// with the sizes a header declares.
func (s *source) fill(want int) error {
	if s.r == nil {
		return io.ErrUnexpectedEOF
	}
	for len(s.buf) < want {
		have := len(s.buf)
		chunk := min(want-have, max(have, minChunk))
		if have+chunk > cap(s.buf) {
			// Double, rather than let append grow by a quarter for large
			// slices: fewer copies, and still at most twice what arrived.
			grown := make([]byte, have, max(have+chunk, 2*have))
			copy(grown, s.buf)
			s.buf = grown
		}
		m, err := io.ReadFull(s.r, s.buf[have:have+chunk])
		s.buf = s.buf[:have+m]
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return err
		}
	}
	return nil
}

func corrupt(off int, format string, args ...any) error {
	return &DecodeError{Offset: int64(off), Reason: fmt.Sprintf(format, args...), Err: ErrCorrupt}
}

// decode checks one encoding in the portable roaring format, consuming
// exactly its bytes, and returns its number of members. It checks
// everything roaring's Validate checks (sorted unique keys, non-empty
// containers, sorted unique array members, bitmap cardinalities, sorted
// disjoint non-adjacent runs within their container) plus the declared
// cardinalities of run containers and the offset header, in time linear in
// the input; roaring's own Validate is quadratic in the runs of a container.
func (s *source) decode() (uint64, error) {
	b, err := s.next(4, "cookie")
	if err != nil {
		return 0, err
	}
	cookie := binary.LittleEndian.Uint32(b)
	var (
		size       int
		runFlags   []byte
		hasOffsets bool
	)
	switch {
	case cookie&0xFFFF == cookieRuns:
		size = int(cookie>>16) + 1
		b, err := s.next((size+7)/8, "run flags")
		if err != nil {
			return 0, err
		}
		runFlags = slices.Clone(b)
		hasOffsets = size >= offsetThreshold
	case cookie == cookieNoRuns:
		b, err := s.next(4, "container count")
		if err != nil {
			return 0, err
		}
		c := binary.LittleEndian.Uint32(b)
		if c > maxContainers {
			return 0, corrupt(4, "%d containers, more than the %d possible", c, maxContainers)
		}
		size = int(c)
		hasOffsets = true
	default:
		return 0, corrupt(0, "unknown cookie %#08x", cookie)
	}
	headerAt := s.off
	// The header is read in place: if s reads from a stream, later reads
	// may move s.buf, so keep offsets into it, not slices.
	if _, err := s.next(4*size, "container headers"); err != nil {
		return 0, err
	}
	offsetsAt := s.off
	if hasOffsets {
		if _, err := s.next(4*size, "container offsets"); err != nil {
			return 0, err
		}
	}
	var total uint64
	prevKey := -1
	for i := range size {
		h := headerAt + 4*i
		key := int(binary.LittleEndian.Uint16(s.buf[h:]))
		card := int(binary.LittleEndian.Uint16(s.buf[h+2:])) + 1
		if key <= prevKey {
			return 0, corrupt(h, "container %d has key %d, not above the previous key %d", i, key, prevKey)
		}
		prevKey = key
		if hasOffsets {
			o := offsetsAt + 4*i
			if got := binary.LittleEndian.Uint32(s.buf[o:]); int64(got) != int64(s.off) {
				return 0, corrupt(o, "container %d declares offset %d, but starts at %d", i, got, s.off)
			}
		}
		switch {
		case runFlags != nil && runFlags[i/8]&(1<<(i%8)) != 0:
			err = s.runs(i, card)
		case card > arrayMax:
			err = s.bitmap(i, card)
		default:
			err = s.array(i, card)
		}
		if err != nil {
			return 0, err
		}
		total += uint64(card)
	}
	return total, nil
}

// array checks array container i of card members.
func (s *source) array(i, card int) error {
	at := s.off
	b, err := s.next(2*card, "array container")
	if err != nil {
		return err
	}
	if increasing(b) {
		return nil
	}
	prev := -1 // find the culprit
	for j := 0; j < len(b); j += 2 {
		v := int(binary.LittleEndian.Uint16(b[j:]))
		if v <= prev {
			return corrupt(at+j, "array container %d: member %d not above the previous member %d", i, v, prev)
		}
		prev = v
	}
	return corrupt(at, "array container %d not increasing", i) // not reached
}

// increasing reports whether the little-endian uint16s in b increase
// strictly. It has no branch in its loops: it ORs together v-prev-1 for
// each pair of neighbours, which is negative for a pair out of order, and
// reads four members at a time.
func increasing(b []byte) bool {
	bad, prev := 0, -1
	for len(b) >= 8 {
		w := binary.LittleEndian.Uint64(b)
		v0, v1, v2, v3 := int(w&0xFFFF), int(w>>16&0xFFFF), int(w>>32&0xFFFF), int(w>>48)
		bad |= (v0 - prev - 1) | (v1 - v0 - 1) | (v2 - v1 - 1) | (v3 - v2 - 1)
		prev = v3
		b = b[8:]
	}
	for len(b) >= 2 {
		v := int(b[0]) | int(b[1])<<8
		bad |= v - prev - 1
		prev = v
		b = b[2:]
	}
	return bad >= 0
}

// bitmap checks bitmap container i of card members.
func (s *source) bitmap(i, card int) error {
	at := s.off
	b, err := s.next(bitmapBytes, "bitmap container")
	if err != nil {
		return err
	}
	n := 0
	for j := 0; j < len(b); j += 8 {
		n += bits.OnesCount64(binary.LittleEndian.Uint64(b[j:]))
	}
	if n != card {
		return corrupt(at, "bitmap container %d holds %d members but declares %d", i, n, card)
	}
	return nil
}

// runs checks run container i of card members.
func (s *source) runs(i, card int) error {
	at := s.off
	b, err := s.next(2, "run count")
	if err != nil {
		return err
	}
	nr := int(binary.LittleEndian.Uint16(b))
	if nr == 0 {
		return corrupt(at, "run container %d has no runs", i)
	}
	at = s.off
	b, err = s.next(4*nr, "run container")
	if err != nil {
		return err
	}
	n := 0
	prevLast := -2
	for j := 0; j < len(b); j += 4 {
		start := int(binary.LittleEndian.Uint16(b[j:]))
		last := start + int(binary.LittleEndian.Uint16(b[j+2:]))
		if last > 0xFFFF {
			return corrupt(at+j, "run container %d: run [%d, %d] passes the end of its container", i, start, last)
		}
		if start <= prevLast+1 {
			return corrupt(at+j, "run container %d: run at %d overlaps or touches the previous run ending at %d", i, start, prevLast)
		}
		prevLast = last
		n += last - start + 1
	}
	if n != card {
		return corrupt(at, "run container %d holds %d members but declares %d", i, n, card)
	}
	return nil
}
