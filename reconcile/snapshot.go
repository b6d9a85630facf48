package reconcile

// # Snapshot format, version 1
//
// A snapshot holds a whole Graph: its dictionary (every ordinal, erased ones
// as tombstones without their identifier), its record log, its rules, the
// namespaces these use, and its Catalog. Profiles are not stored: loading
// resolves the records again, which gives the same profiles with the same
// keys (resolution is deterministic).
//
// Integers are little-endian and fixed width. A snapshot is a header, then
// sections, then an end marker:
//
//	header   magic "\x89idbits\n" (8 bytes), version uint32 = 1, flags uint32 = 0
//	section  tag [4]byte, length uint64, payload [length]byte, crc uint32
//	end      tag "END\x00", length uint64, crc uint32
//
// A section's crc is the CRC-32C (Castagnoli) of its payload; length is at
// most 2^30. The end marker's length is the number of bytes before it, and
// its crc is the CRC-32C of all those bytes (header and sections), so it
// also covers the tags and lengths. A snapshot ends with the end marker; a
// reader never reads past it.
//
// The sections come in this order, and a reader rejects any other tag:
//
//	NSPC  once   namespaces: count uint32, then count times: length uint8,
//	             code [length]byte (idtypes.Namespace.String). Every namespace
//	             of the dictionary and the rules is listed once; later sections
//	             name a namespace by its index here (uint16).
//	RULE  once   rules: MaxIdentities uint64, MaxPerRecord uint32, count
//	             uint16 and count namespace indexes for Unique, then the same
//	             for Priority.
//	DICT  any    dictionary: first uint32, count uint32, then the entries of
//	             ordinals first to first+count-1: length uint16, then either
//	             an identifier's binary key of that length (1 to 4096 bytes,
//	             idtypes.ID.AppendBinary: canonical, a custom namespace
//	             carries its code), or for length 0 a tombstone: namespace
//	             index uint16. Sections follow each other without gaps from
//	             ordinal 0; keys are distinct; the last ordinal is below
//	             2^32-1.
//	RECS  any    records: count uint32, then count times: time int64
//	             (nanoseconds since 1970 UTC; every value is valid), n uint16
//	             (1 to the rules' MaxPerRecord), n ordinals uint32, distinct,
//	             each in the dictionary and not a tombstone.
//	CATL  any    one catalog audience: name length uint16 (1 to 1024), name
//	             (UTF-8), then the audience's qualifying identities (ordinals
//	             in the dictionary, no tombstones) in the portable roaring
//	             format to the end of the payload. Names are in strictly
//	             increasing byte order.
//
// Writers split DICT and RECS into sections of a few MiB, so neither side
// needs the whole of either in memory. Other versions will change the
// version number; flags are reserved and must be zero.

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"time"

	"github.com/idbits/idbits/bitmap"
	"github.com/idbits/idbits/idtypes"
	"github.com/idbits/idbits/reconcile/internal/resolve"
	"github.com/idbits/idbits/reconcile/internal/table"
)

// Errors of ReadGraph and Load, inside a *SnapshotError; match them with
// errors.Is.
var (
	// ErrFormat: the input is not a graph snapshot (its magic bytes are
	// wrong).
	ErrFormat = errors.New("reconcile: not a graph snapshot")
	// ErrVersion: the snapshot has a version (or flags) this reader does not
	// know.
	ErrVersion = errors.New("reconcile: unsupported snapshot version")
	// ErrCorrupt: the snapshot is truncated, fails a checksum, or holds
	// something invalid.
	ErrCorrupt = errors.New("reconcile: corrupt snapshot")
)

// SnapshotError reports a snapshot that could not be read: where, and why.
type SnapshotError struct {
	// Section is the tag of the section at fault ("NSPC", "DICT", ...),
	// "header" or "end".
	Section string
	// Offset is the byte offset in the snapshot where the problem was
	// found.
	Offset int64
	// Reason says what was wrong.
	Reason string
	// Err is ErrFormat, ErrVersion or ErrCorrupt (sometimes joined with a
	// more precise cause, such as an *idtypes.ParseError), or the error of
	// the underlying reader.
	Err error
}

func (e *SnapshotError) Error() string {
	return "reconcile: snapshot " + e.Section + " at byte " + strconv.FormatInt(e.Offset, 10) + ": " + e.Reason + ": " + e.Err.Error()
}

func (e *SnapshotError) Unwrap() error { return e.Err }

const (
	snapMagic   = "\x89idbits\n"
	snapVersion = 1
	// snapMaxSection is the longest section payload a reader accepts.
	snapMaxSection = 1 << 30
	// snapHeader is the size of a section's tag and length.
	snapHeader = 12

	tagNamespaces = "NSPC"
	tagRules      = "RULE"
	tagDict       = "DICT"
	tagRecords    = "RECS"
	tagCatalog    = "CATL"
	tagEnd        = "END\x00"
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// snapChunk is the payload size after which a writer starts a new DICT or
// RECS section. Tests lower it.
var snapChunk = 4 << 20

// snapRank orders the section tags; 0 is an unknown tag.
func snapRank(tag string) int {
	switch tag {
	case tagNamespaces:
		return 1
	case tagRules:
		return 2
	case tagDict:
		return 3
	case tagRecords:
		return 4
	case tagCatalog:
		return 5
	case tagEnd:
		return 6
	}
	return 0
}

// sectionName prints a tag for an error message.
func sectionName(tag string) string {
	if tag == tagEnd {
		return "end"
	}
	q := strconv.Quote(tag)
	return q[1 : len(q)-1]
}

// WriteTo writes a snapshot of the graph to w (see the format at the top of
// snapshot.go): the dictionary, the records, the rules and the catalog. It
// returns the number of bytes written and implements io.WriterTo.
//
// WriteTo holds no lock while it writes, so the graph keeps taking links: the
// snapshot holds the records linked and the audiences put before the call
// started, and the identifiers erased before it wrote their ordinals. It
// fails with the rules' error for a graph with invalid rules, and with the
// writer's error.
func (g *Graph) WriteTo(w io.Writer) (int64, error) {
	if g.err != nil {
		return 0, g.err
	}
	s := &snapWriter{w: w}
	err := s.graph(g)
	if err == nil {
		err = s.err
	}
	if err != nil {
		return s.n, fmt.Errorf("reconcile: write snapshot: %w", err)
	}
	return s.n, nil
}

// snapWriter writes a snapshot: it counts and checksums every byte.
type snapWriter struct {
	w   io.Writer
	n   int64
	crc uint32 // of every byte written
	err error  // the first write error
	buf []byte // the section being built
}

func (s *snapWriter) emit(b []byte) {
	if s.err != nil {
		return
	}
	n, err := s.w.Write(b)
	s.n += int64(n)
	s.crc = crc32.Update(s.crc, castagnoli, b[:n])
	if err == nil && n < len(b) {
		err = io.ErrShortWrite
	}
	s.err = err
}

// begin starts a section with tag in s.buf.
func (s *snapWriter) begin(tag string) {
	s.buf = append(s.buf[:0], tag...)
	s.buf = append(s.buf, make([]byte, 8)...)
}

// end finishes the section in s.buf and writes it.
func (s *snapWriter) end() error {
	payload := s.buf[snapHeader:]
	if len(payload) > snapMaxSection {
		return fmt.Errorf("section %s of %d bytes is over the limit of %d", sectionName(string(s.buf[:4])), len(payload), snapMaxSection)
	}
	binary.LittleEndian.PutUint64(s.buf[4:], uint64(len(payload)))
	s.buf = binary.LittleEndian.AppendUint32(s.buf, crc32.Checksum(payload, castagnoli))
	s.emit(s.buf)
	return s.err
}

// published waits until ordinal ord, counted by Len, has been published by
// the add handing it out, and returns its namespace.
func published(d *Dictionary, ord uint32) (idtypes.Namespace, error) {
	deadline := time.Time{}
	for i := 0; ; i++ {
		ns, ok, _ := d.meta(ord)
		if ok {
			return ns, nil
		}
		switch {
		case i < 1000:
			runtime.Gosched()
		case deadline.IsZero():
			deadline = time.Now().Add(10 * time.Second)
		case time.Now().After(deadline):
			return 0, fmt.Errorf("ordinal %d is still being added", ord)
		default:
			time.Sleep(time.Millisecond)
		}
	}
}

// tombstones is a bit set of the ordinals written as tombstones.
type tombstones []uint64

func (t tombstones) has(o uint32) bool { return t[o>>6]&(1<<(o&63)) != 0 }

func (s *snapWriter) graph(g *Graph) error {
	d := g.dict
	// Take the catalog and the records first: every ordinal they hold is
	// below the dictionary length read after them.
	var audiences []catalogAudience
	if st := g.catalogIfAny(); st != nil {
		audiences = st.entries()
	}
	g.mu.Lock()
	recs := g.rg.Records()
	g.mu.Unlock()
	n := uint32(d.Len())

	// Namespaces: those of the rules and of every ordinal.
	var seen [math.MaxUint16 + 1]bool
	var nss []idtypes.Namespace
	use := func(ns idtypes.Namespace) {
		if !seen[ns] {
			seen[ns] = true
			nss = append(nss, ns)
		}
	}
	rules := g.rs.Rules
	for _, ns := range rules.Unique {
		use(ns)
	}
	for _, ns := range rules.Priority {
		use(ns)
	}
	for o := range n {
		ns, err := published(d, o)
		if err != nil {
			return err
		}
		use(ns)
	}
	slices.SortFunc(nss, idtypes.Namespace.Compare)
	index := make(map[idtypes.Namespace]uint16, len(nss))
	for i, ns := range nss {
		index[ns] = uint16(i)
	}

	var head [16]byte
	copy(head[:], snapMagic)
	binary.LittleEndian.PutUint32(head[8:], snapVersion)
	s.emit(head[:])

	s.begin(tagNamespaces)
	s.buf = binary.LittleEndian.AppendUint32(s.buf, uint32(len(nss)))
	for _, ns := range nss {
		code := ns.String()
		s.buf = append(s.buf, byte(len(code)))
		s.buf = append(s.buf, code...)
	}
	if err := s.end(); err != nil {
		return err
	}

	s.begin(tagRules)
	s.buf = binary.LittleEndian.AppendUint64(s.buf, uint64(rules.MaxIdentities))
	s.buf = binary.LittleEndian.AppendUint32(s.buf, uint32(rules.MaxPerRecord))
	for _, l := range [][]idtypes.Namespace{rules.Unique, rules.Priority} {
		s.buf = binary.LittleEndian.AppendUint16(s.buf, uint16(len(l)))
		for _, ns := range l {
			s.buf = binary.LittleEndian.AppendUint16(s.buf, index[ns])
		}
	}
	if err := s.end(); err != nil {
		return err
	}

	tomb := make(tombstones, (uint64(n)+63)/64)
	if err := s.dictionary(d, n, index, tomb); err != nil {
		return err
	}
	if err := s.records(recs, n, tomb); err != nil {
		return err
	}
	for _, a := range audiences {
		if err := s.audience(a, n, tomb); err != nil {
			return err
		}
	}

	var end [16]byte
	copy(end[:], tagEnd)
	binary.LittleEndian.PutUint64(end[4:], uint64(s.n))
	binary.LittleEndian.PutUint32(end[12:], s.crc)
	s.emit(end[:])
	return s.err
}

// dictionary writes the DICT sections of ordinals [0, n), marking the
// erased ones in tomb.
func (s *snapWriter) dictionary(d *Dictionary, n uint32, index map[idtypes.Namespace]uint16, tomb tombstones) error {
	first, count := uint32(0), uint32(0)
	flush := func() error {
		binary.LittleEndian.PutUint32(s.buf[snapHeader:], first)
		binary.LittleEndian.PutUint32(s.buf[snapHeader+4:], count)
		return s.end()
	}
	for o := range n {
		if count == 0 {
			first = o
			s.begin(tagDict)
			s.buf = append(s.buf, make([]byte, 8)...)
		}
		key, class, st := d.t.Key(o)
		switch st {
		case table.OK:
			s.buf = binary.LittleEndian.AppendUint16(s.buf, uint16(len(key)))
			s.buf = append(s.buf, key...)
		case table.Erased:
			tomb[o>>6] |= 1 << (o & 63)
			s.buf = binary.LittleEndian.AppendUint16(s.buf, 0)
			s.buf = binary.LittleEndian.AppendUint16(s.buf, index[idtypes.Namespace(class)])
		default:
			return fmt.Errorf("ordinal %d vanished", o) // unreachable: it was published
		}
		count++
		if len(s.buf)-snapHeader >= snapChunk {
			if err := flush(); err != nil {
				return err
			}
			count = 0
		}
	}
	if count > 0 {
		return flush()
	}
	return nil
}

// records writes the RECS sections, leaving out the ordinals written as
// tombstones and the records left empty.
func (s *snapWriter) records(recs resolve.Records, n uint32, tomb tombstones) error {
	count := uint32(0)
	flush := func() error {
		binary.LittleEndian.PutUint32(s.buf[snapHeader:], count)
		return s.end()
	}
	for i := range recs.Len() {
		at, ords := recs.At(i)
		live := 0
		for _, o := range ords {
			if o >= n {
				return fmt.Errorf("record %d holds ordinal %d, beyond the dictionary's %d", i, o, n) // unreachable
			}
			if !tomb.has(o) {
				live++
			}
		}
		if live == 0 {
			continue
		}
		if count == 0 {
			s.begin(tagRecords)
			s.buf = append(s.buf, make([]byte, 4)...)
		}
		s.buf = binary.LittleEndian.AppendUint64(s.buf, uint64(at))
		s.buf = binary.LittleEndian.AppendUint16(s.buf, uint16(live))
		for _, o := range ords {
			if !tomb.has(o) {
				s.buf = binary.LittleEndian.AppendUint32(s.buf, o)
			}
		}
		count++
		if len(s.buf)-snapHeader >= snapChunk {
			if err := flush(); err != nil {
				return err
			}
			count = 0
		}
	}
	if count > 0 {
		return flush()
	}
	return nil
}

// audience writes one CATL section, leaving out erased identities.
func (s *snapWriter) audience(a catalogAudience, n uint32, tomb tombstones) error {
	var gone []uint32
	for o := range a.ids.All() {
		if o >= n || tomb.has(o) {
			gone = append(gone, o)
		}
	}
	ids := a.ids
	if len(gone) > 0 {
		ids = bitmap.AndNot(ids, bitmap.Of(gone...))
	}
	s.begin(tagCatalog)
	s.buf = binary.LittleEndian.AppendUint16(s.buf, uint16(len(a.name)))
	s.buf = append(s.buf, a.name...)
	s.buf = slices.Grow(s.buf, int(ids.SerializedSize())+4)
	w := bytes.NewBuffer(s.buf)
	if _, err := ids.WriteTo(w); err != nil {
		return err
	}
	s.buf = w.Bytes()
	return s.end()
}

// ReadGraph reads a snapshot written by Graph.WriteTo and rebuilds the graph:
// the same identifiers under the same ordinals (erased ones stay tombstones),
// the same records and rules, so the same profiles with the same keys, and
// the same catalog. It reads up to the snapshot's end marker and no further;
// give it a buffered reader or a file.
//
// A snapshot that is truncated, fails a checksum or holds anything invalid
// gives a *SnapshotError naming the section and byte offset, wrapping
// ErrCorrupt; a file that is not a snapshot wraps ErrFormat, and a snapshot of
// a version this reader does not know wraps ErrVersion. ReadGraph allocates
// as the bytes arrive, never on the word of a length or count, so a short
// hostile input cannot make it allocate much more than its own size. The
// custom namespaces a snapshot lists are declared (idtypes.DeclareNamespace)
// as it is read, even if it turns out to be corrupt further on.
//
// Loading resolves every record again when the graph's first View is taken.
//
// A snapshot keeps nothing of an erased identifier but its ordinal and
// namespace: the ordinal stays erased and is never handed out again, no
// record or audience holds it, but the loaded graph cannot tell the erased
// identifier itself from a new one, so linking it again adds it under a new
// ordinal (a graph that was never saved refuses it with ErrErased).
func ReadGraph(r io.Reader) (*Graph, error) {
	s := &snapReader{r: r}
	return s.graph()
}

// snapReader reads a snapshot, counting and checksumming every byte.
type snapReader struct {
	r   io.Reader
	off int64  // bytes read
	crc uint32 // of every byte read
	tag string // the current section
	at  int64  // offset of its payload
	buf bytes.Buffer
	pay []byte // its payload
}

func (s *snapReader) fail(section string, off int64, err error, format string, args ...any) *SnapshotError {
	return &SnapshotError{Section: section, Offset: off, Reason: fmt.Sprintf(format, args...), Err: err}
}

// read reads exactly len(p) bytes.
func (s *snapReader) read(section string, p []byte) error {
	n, err := io.ReadFull(s.r, p)
	s.crc = crc32.Update(s.crc, castagnoli, p[:n])
	s.off += int64(n)
	return s.readErr(section, err)
}

func (s *snapReader) readErr(section string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return s.fail(section, s.off, ErrCorrupt, "truncated")
	}
	return s.fail(section, s.off, err, "read")
}

func (s *snapReader) header() error {
	var h [16]byte
	n, err := io.ReadFull(s.r, h[:])
	s.crc = crc32.Update(s.crc, castagnoli, h[:n])
	s.off = int64(n)
	m := min(n, len(snapMagic))
	if string(h[:m]) != snapMagic[:m] {
		return s.fail("header", 0, ErrFormat, "magic bytes %q", h[:m])
	}
	if err != nil {
		return s.readErr("header", err)
	}
	if v := binary.LittleEndian.Uint32(h[8:]); v != snapVersion {
		return s.fail("header", 8, ErrVersion, "version %d, want %d", v, snapVersion)
	}
	if f := binary.LittleEndian.Uint32(h[12:]); f != 0 {
		return s.fail("header", 12, ErrVersion, "flags %#x, want 0", f)
	}
	return nil
}

// next reads the next section into s.tag and s.pay, checking its checksum
// and that its tag comes after the previous one (once for NSPC and RULE). It
// checks the end marker too, and returns with s.tag = tagEnd.
func (s *snapReader) next() error {
	start, crcBefore := s.off, s.crc
	prev := s.tag
	var h [snapHeader]byte
	if n, err := io.ReadFull(s.r, h[:4]); err != nil {
		s.crc = crc32.Update(s.crc, castagnoli, h[:n])
		s.off += int64(n)
		if n == 0 && err == io.EOF {
			return s.fail("end", s.off, ErrCorrupt, "truncated: no end marker")
		}
		return s.readErr("section tag", err)
	}
	s.crc = crc32.Update(s.crc, castagnoli, h[:4])
	s.off += 4
	tag := string(h[:4])
	r := snapRank(tag)
	switch {
	case r == 0:
		return s.fail(sectionName(tag), start, ErrCorrupt, "unknown section tag")
	case r < snapRank(prev), r == snapRank(prev) && r <= 2:
		return s.fail(sectionName(tag), start, ErrCorrupt, "section after %s", sectionName(prev))
	case prev == "" && tag != tagNamespaces, prev == tagNamespaces && tag != tagRules:
		return s.fail(sectionName(tag), start, ErrCorrupt, "section before NSPC and RULE")
	}
	s.tag = tag
	name := sectionName(tag)
	if err := s.read(name, h[4:]); err != nil {
		return err
	}
	length := binary.LittleEndian.Uint64(h[4:])
	if tag == tagEnd {
		var c [4]byte
		if err := s.read(name, c[:]); err != nil {
			return err
		}
		if length != uint64(start) {
			return s.fail(name, start+4, ErrCorrupt, "end marker says %d bytes precede it, not %d", length, start)
		}
		if got := binary.LittleEndian.Uint32(c[:]); got != crcBefore {
			return s.fail(name, start+12, ErrCorrupt, "checksum %#08x of the snapshot, computed %#08x", got, crcBefore)
		}
		return nil
	}
	if length > snapMaxSection {
		return s.fail(name, start+4, ErrCorrupt, "section length %d over the limit of %d", length, snapMaxSection)
	}
	s.at = s.off
	s.buf.Reset()
	got, err := s.buf.ReadFrom(io.LimitReader(s.r, int64(length)))
	s.pay = s.buf.Bytes()
	s.crc = crc32.Update(s.crc, castagnoli, s.pay)
	s.off += got
	if err != nil {
		return s.readErr(name, err)
	}
	if uint64(got) < length {
		return s.fail(name, s.off, ErrCorrupt, "truncated: %d of %d payload bytes", got, length)
	}
	var c [4]byte
	if err := s.read(name, c[:]); err != nil {
		return err
	}
	if want, have := binary.LittleEndian.Uint32(c[:]), crc32.Checksum(s.pay, castagnoli); want != have {
		return s.fail(name, s.off-4, ErrCorrupt, "checksum %#08x of the payload, computed %#08x", want, have)
	}
	return nil
}

// cursor reads the fields of a payload. The first field it cannot read sets
// err, and later reads return zeros.
type cursor struct {
	s   *snapReader
	b   []byte
	pos int
	err error
}

func (s *snapReader) cursor() *cursor { return &cursor{s: s, b: s.pay} }

// off is the offset in the snapshot of the next byte.
func (c *cursor) off() int64 { return c.s.at + int64(c.pos) }

// failAt records an error at offset off, unless one is recorded already.
func (c *cursor) failAt(off int64, err error, format string, args ...any) {
	if c.err == nil {
		c.err = c.s.fail(sectionName(c.s.tag), off, err, format, args...)
	}
}

func (c *cursor) bytes(n int, what string) []byte {
	if c.err != nil {
		return nil
	}
	if n > len(c.b)-c.pos {
		c.failAt(c.off(), ErrCorrupt, "%s: %d bytes needed, %d left in the section", what, n, len(c.b)-c.pos)
		return nil
	}
	p := c.b[c.pos : c.pos+n]
	c.pos += n
	return p
}

func (c *cursor) u8(what string) uint8 {
	if p := c.bytes(1, what); p != nil {
		return p[0]
	}
	return 0
}

func (c *cursor) u16(what string) uint16 {
	if p := c.bytes(2, what); p != nil {
		return binary.LittleEndian.Uint16(p)
	}
	return 0
}

func (c *cursor) u32(what string) uint32 {
	if p := c.bytes(4, what); p != nil {
		return binary.LittleEndian.Uint32(p)
	}
	return 0
}

func (c *cursor) u64(what string) uint64 {
	if p := c.bytes(8, what); p != nil {
		return binary.LittleEndian.Uint64(p)
	}
	return 0
}

// done fails unless the payload was read to its end.
func (c *cursor) done() error {
	if c.err == nil && c.pos != len(c.b) {
		c.failAt(c.off(), ErrCorrupt, "%d bytes left over", len(c.b)-c.pos)
	}
	return c.err
}

// snapLoad is what a reader has learned so far.
type snapLoad struct {
	nss   []idtypes.Namespace            // by index
	known map[idtypes.Namespace]struct{} // the same, as a set
	rules Rules
	d     *Dictionary

	// Scratch of the DICT sections, reused from one to the next.
	entries []snapEntry
	ords    []uint32
	tombs   []uint32
}

// snapEntry is a dictionary entry read from a DICT section.
type snapEntry struct {
	key   []byte // in the payload; nil for a tombstone
	class uint16
}

func (s *snapReader) graph() (*Graph, error) {
	if err := s.header(); err != nil {
		return nil, err
	}
	var l snapLoad
	if err := s.next(); err != nil {
		return nil, err
	}
	if err := s.namespaces(&l); err != nil {
		return nil, err
	}
	if err := s.next(); err != nil {
		return nil, err
	}
	if err := s.rules(&l); err != nil {
		return nil, err
	}
	l.d = NewDictionary()
	if err := s.next(); err != nil {
		return nil, err
	}
	for s.tag == tagDict {
		if err := s.dictionary(&l); err != nil {
			return nil, err
		}
		if err := s.next(); err != nil {
			return nil, err
		}
	}
	var recErr error
	g, err := LoadGraph(l.d, l.rules, func(yield func(time.Time, []uint32) bool) {
		recErr = s.records(&l, yield)
	})
	if recErr != nil {
		return nil, recErr
	}
	if err != nil {
		return nil, s.fail(tagRecords, s.at, errors.Join(ErrCorrupt, err), "records do not load")
	}
	st := g.catalogState()
	prev := ""
	for s.tag == tagCatalog {
		if err := s.audience(&l, st, &prev); err != nil {
			return nil, err
		}
		if err := s.next(); err != nil {
			return nil, err
		}
	}
	return g, nil // s.tag is tagEnd: next accepts nothing else after CATL
}

func (s *snapReader) namespaces(l *snapLoad) error {
	c := s.cursor()
	count := c.u32("namespace count")
	if c.err == nil && uint64(count) > uint64(len(c.b)-c.pos)/2 {
		c.failAt(c.off()-4, ErrCorrupt, "%d namespaces in %d bytes", count, len(c.b)-c.pos)
	}
	l.known = make(map[idtypes.Namespace]struct{})
	for i := uint32(0); i < count && c.err == nil; i++ {
		at := c.off()
		code := string(c.bytes(int(c.u8("code length")), "namespace code"))
		if c.err != nil {
			break
		}
		ns, err := idtypes.ParseNamespace(code)
		if errors.Is(err, idtypes.ErrNamespace) {
			ns, err = idtypes.DeclareNamespace(code)
		}
		if err != nil {
			c.failAt(at, errors.Join(ErrCorrupt, err), "namespace %d", i)
			break
		}
		if _, dup := l.known[ns]; dup {
			c.failAt(at, ErrCorrupt, "namespace %d repeats %s", i, ns)
			break
		}
		l.known[ns] = struct{}{}
		l.nss = append(l.nss, ns)
	}
	return c.done()
}

// namespace reads a namespace index.
func (c *cursor) namespace(l *snapLoad, what string) idtypes.Namespace {
	at := c.off()
	i := c.u16(what)
	if c.err == nil && int(i) >= len(l.nss) {
		c.failAt(at, ErrCorrupt, "%s: namespace index %d of %d", what, i, len(l.nss))
		return 0
	}
	if c.err != nil {
		return 0
	}
	return l.nss[i]
}

func (s *snapReader) rules(l *snapLoad) error {
	c := s.cursor()
	maxIDs := c.u64("MaxIdentities")
	maxPer := c.u32("MaxPerRecord")
	if c.err == nil && (maxIDs > math.MaxInt || maxPer > MaxRecordLimit) {
		c.failAt(s.at, ErrCorrupt, "limits %d and %d out of range", maxIDs, maxPer)
	}
	var lists [2][]idtypes.Namespace
	for k, what := range []string{"Unique", "Priority"} {
		n := int(c.u16(what + " count"))
		for range n {
			if c.err != nil {
				break
			}
			lists[k] = append(lists[k], c.namespace(l, what))
		}
	}
	if err := c.done(); err != nil {
		return err
	}
	l.rules = Rules{Unique: lists[0], Priority: lists[1], MaxIdentities: int(maxIDs), MaxPerRecord: int(maxPer)}
	if err := l.rules.Validate(); err != nil {
		return s.fail(tagRules, s.at, errors.Join(ErrCorrupt, err), "invalid rules")
	}
	return nil
}

// tagCustomKey is the first byte of the binary key of an identifier of a
// custom namespace: its code length and its lower-cased code follow.
const tagCustomKey = 0xFF

// dictionary reads a DICT section into l.d.
func (s *snapReader) dictionary(l *snapLoad) error {
	c := s.cursor()
	first := c.u32("first ordinal")
	count := c.u32("count")
	if c.err != nil {
		return c.err
	}
	if want := uint32(l.d.Len()); first != want {
		return s.fail(tagDict, s.at, ErrCorrupt, "section starts at ordinal %d, want %d", first, want)
	}
	if count == 0 || uint64(count) > uint64(len(c.b)-c.pos)/2 {
		return s.fail(tagDict, s.at+4, ErrCorrupt, "%d entries in %d bytes", count, len(c.b)-c.pos)
	}
	if uint64(first)+uint64(count) > uint64(NoOrdinal) {
		return s.fail(tagDict, s.at+4, ErrCorrupt, "ordinals up to %d, the last allowed is %d", uint64(first)+uint64(count)-1, NoOrdinal-1)
	}
	entries, tombs := l.entries[:0], l.tombs[:0]
	defer func() { l.entries, l.tombs = entries[:0], tombs[:0] }()
	for i := range count {
		at := c.off()
		n := int(c.u16("key length"))
		if n == 0 {
			ns := c.namespace(l, "tombstone")
			if c.err != nil {
				return c.err
			}
			entries = append(entries, snapEntry{nil, uint16(ns)})
			tombs = append(tombs, first+i)
			continue
		}
		key := c.bytes(n, "key")
		if c.err != nil {
			return c.err
		}
		id, err := l.decodeKey(key)
		if err != nil {
			return s.fail(tagDict, at, errors.Join(ErrCorrupt, err), "key of ordinal %d", first+i)
		}
		entries = append(entries, snapEntry{key, uint16(id.Namespace())})
	}
	if err := c.done(); err != nil {
		return err
	}
	enc := func(i int, dst []byte) ([]byte, uint16, bool) {
		e := entries[i]
		if e.key == nil {
			// A tombstone keeps its ordinal and namespace under a key no
			// identifier has (tag 0, then the ordinal): its identifier is
			// not in the snapshot.
			dst = append(dst, 0)
			return binary.LittleEndian.AppendUint32(dst, first+uint32(i)), e.class, true
		}
		return append(dst, e.key...), e.class, true
	}
	ords := slices.Grow(l.ords[:0], len(entries))[:len(entries)]
	l.ords = ords
	l.d.t.AddMany(len(entries), enc, ords, runtime.GOMAXPROCS(0))
	for i, o := range ords {
		if want := first + uint32(i); o != want {
			if o < want {
				return s.fail(tagDict, s.at, ErrCorrupt, "ordinal %d repeats the key of ordinal %d", want, o)
			}
			return s.fail(tagDict, s.at, ErrCorrupt, "ordinal %d not added", want) // unreachable
		}
	}
	for _, o := range tombs {
		l.d.Erase(o)
	}
	return nil
}

// decodeKey checks an identifier's binary key, and that its namespace is one
// the snapshot lists, without declaring a custom namespace it does not list.
func (l *snapLoad) decodeKey(key []byte) (idtypes.ID, error) {
	if len(key) > table.MaxKeyLen {
		return idtypes.ID{}, fmt.Errorf("key of %d bytes, the longest is %d", len(key), table.MaxKeyLen)
	}
	if key[0] == tagCustomKey {
		if len(key) < 2 || len(key) < 2+int(key[1]) {
			return idtypes.ID{}, errors.New("custom namespace code cut short")
		}
		ns, err := idtypes.ParseNamespace(string(key[2 : 2+int(key[1])]))
		if err != nil {
			return idtypes.ID{}, err
		}
		if _, ok := l.known[ns]; !ok {
			return idtypes.ID{}, fmt.Errorf("namespace %s not listed in NSPC", ns)
		}
	}
	var id idtypes.ID
	if err := id.UnmarshalBinary(key); err != nil {
		return idtypes.ID{}, err
	}
	if _, ok := l.known[id.Namespace()]; !ok {
		return idtypes.ID{}, fmt.Errorf("namespace %s not listed in NSPC", id.Namespace())
	}
	return id, nil
}

// records reads the RECS sections, yielding each record, until the next
// section is not RECS.
func (s *snapReader) records(l *snapLoad, yield func(time.Time, []uint32) bool) error {
	maxPer := l.rules.MaxPerRecord
	if maxPer == 0 {
		maxPer = DefaultMaxPerRecord
	}
	dictLen := uint32(l.d.Len())
	var ords, sorted []uint32
	for s.tag == tagRecords {
		c := s.cursor()
		count := c.u32("count")
		if c.err == nil && (count == 0 || uint64(count) > uint64(len(c.b)-c.pos)/14) {
			c.failAt(s.at, ErrCorrupt, "%d records in %d bytes", count, len(c.b)-c.pos)
		}
		for i := uint32(0); i < count && c.err == nil; i++ {
			at := int64(c.u64("time"))
			rat := c.off()
			n := int(c.u16("identity count"))
			if c.err == nil && (n == 0 || n > maxPer) {
				c.failAt(rat, ErrCorrupt, "record %d of the section holds %d identities, not 1 to %d", i, n, maxPer)
			}
			ords = ords[:0]
			for range n {
				oat := c.off()
				o := c.u32("ordinal")
				if c.err != nil {
					break
				}
				if o >= dictLen || l.d.Erased(o) {
					c.failAt(oat, ErrCorrupt, "record %d of the section: ordinal %d is not a live identity", i, o)
					break
				}
				ords = append(ords, o)
			}
			if c.err != nil {
				break
			}
			sorted = append(sorted[:0], ords...)
			slices.Sort(sorted)
			if k := len(slices.Compact(sorted)); k != len(ords) {
				c.failAt(rat, ErrCorrupt, "record %d of the section repeats an identity", i)
				break
			}
			if !yield(time.Unix(0, at), ords) {
				return nil
			}
		}
		if err := c.done(); err != nil {
			return err
		}
		if err := s.next(); err != nil {
			return err
		}
	}
	return nil
}

// audience reads a CATL section into st.
func (s *snapReader) audience(l *snapLoad, st *catalogState, prev *string) error {
	c := s.cursor()
	nameAt := c.off()
	name := string(c.bytes(int(c.u16("name length")), "name"))
	if c.err != nil {
		return c.err
	}
	if err := checkAudienceName(name); err != nil {
		return s.fail(tagCatalog, nameAt, errors.Join(ErrCorrupt, err), "audience name")
	}
	if cmp.Compare(name, *prev) <= 0 {
		return s.fail(tagCatalog, nameAt, ErrCorrupt, "audience %q after %q", truncateName(name), truncateName(*prev))
	}
	*prev = name
	body := c.off()
	var ids bitmap.Audience
	if err := ids.UnmarshalBinary(c.b[c.pos:]); err != nil {
		off := body
		var de *bitmap.DecodeError
		if errors.As(err, &de) {
			off += de.Offset
		}
		return s.fail(tagCatalog, off, errors.Join(ErrCorrupt, err), "audience %q", truncateName(name))
	}
	dictLen := uint32(l.d.Len())
	for o := range ids.All() {
		if o >= dictLen || l.d.Erased(o) {
			return s.fail(tagCatalog, body, ErrCorrupt, "audience %q holds ordinal %d, not a live identity", truncateName(name), o)
		}
	}
	st.mu.Lock()
	st.sets[name] = &catalogEntry{ids: ids}
	st.mu.Unlock()
	return nil
}

// Save writes a snapshot of the graph to the file at path, atomically: it
// writes a temporary file in the same folder, syncs it to disk, renames it
// over path and syncs the folder. If anything fails before the rename, the
// file at path is untouched and the temporary file is removed. The file is
// readable by its owner only (it holds personal data).
func (g *Graph) Save(path string) error { return g.save(path, nil) }

// save is Save with a hook that tests use to make writes fail.
func (g *Graph) save(path string, wrap func(io.Writer) io.Writer) (err error) {
	if g.err != nil {
		return g.err
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".*.tmp")
	if err != nil {
		return fmt.Errorf("reconcile: save snapshot: %w", err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	var w io.Writer = f
	if wrap != nil {
		w = wrap(f)
	}
	if _, err = g.WriteTo(w); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("reconcile: save snapshot: %w", err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("reconcile: save snapshot: %w", err)
	}
	if err = os.Rename(tmp, path); err != nil {
		return fmt.Errorf("reconcile: save snapshot: %w", err)
	}
	if runtime.GOOS != "windows" {
		if d, derr := os.Open(dir); derr == nil {
			derr = d.Sync()
			d.Close()
			if derr != nil {
				return fmt.Errorf("reconcile: save snapshot: the file is in place, but syncing its folder failed: %w", derr)
			}
		}
	}
	return nil
}

// Load reads the snapshot in the file at path (see ReadGraph), and fails
// with ErrCorrupt if bytes follow its end marker.
func Load(path string) (*Graph, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reconcile: load snapshot: %w", err)
	}
	defer f.Close()
	s := &snapReader{r: f}
	g, err := s.graph()
	if err != nil {
		return nil, err
	}
	var one [1]byte
	switch _, err := io.ReadFull(f, one[:]); {
	case err == nil:
		return nil, s.fail("end", s.off, ErrCorrupt, "bytes after the end marker")
	case err != io.EOF:
		return nil, s.fail("end", s.off, err, "read")
	}
	return g, nil
}
