package reconcile

// # Snapshot format, versions 1 and 2
//
// A snapshot holds a whole Graph: its dictionary (every ordinal, erased ones
// as tombstones without their identifier), its record log, its rules, the
// namespaces these use, and its Catalog. Profiles are not stored: loading
// resolves the records again, which gives the same profiles with the same
// keys (resolution is deterministic), numbered afresh 0..P-1 in key order.
// The Catalog stores identity ordinals, so its audiences are unaffected.
//
// Integers are little-endian and fixed width. A snapshot is a header, then
// sections, then an end marker:
//
//	header   magic "\x89idbits\n" (8 bytes), version uint32 = 1 or 2, flags uint32 = 0
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
//	             for Priority. In version 2 only, then the Blocklist: count
//	             uint32 (at least 1), then count times: namespace index
//	             uint16, length uint16, and the identifier's value of that
//	             length (idtypes.ID.String, which idtypes.Parse gives back
//	             unchanged); the identifiers are distinct.
//	DICT  any    dictionary: first uint32, count uint32, salt [16]byte (the
//	             same in every DICT section), then the entries of ordinals
//	             first to first+count-1: length uint16, then either an
//	             identifier's binary key of that length (1 to 4096 bytes,
//	             idtypes.ID.AppendBinary: canonical, a custom namespace
//	             carries its code), or for length 0 a tombstone: namespace
//	             index uint16, then the erased identifier's digest [16]byte:
//	             the first 16 bytes of SHA-256(salt || binary key), so that a
//	             loaded graph still refuses the identifier without the
//	             snapshot holding it. Sections follow each other without gaps
//	             from ordinal 0; keys and digests are distinct; the last
//	             ordinal is below 2^32-1.
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
// needs the whole of either in memory. Version 2 differs from version 1 only
// by the Blocklist in RULE; writers write version 1 when the Blocklist is
// empty, so a reader of version 1 reads every snapshot without one, and
// refuses one with a blocklist by its version rather than misreading it.
// Other versions will change the version number; flags are reserved and
// must be zero.

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"runtime"
	"slices"
	"strconv"
	"time"

	"github.com/idbits/idbits/bitmap"
	"github.com/idbits/idbits/idtypes"
	"github.com/idbits/idbits/reconcile/internal/resolve"
	"github.com/idbits/idbits/reconcile/internal/table"
)

// Errors of ReadGraph and ReadGraphFile, inside a *SnapshotError; match them with
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
	// snapVersionBlocklist is the version of a snapshot whose rules have a
	// Blocklist.
	snapVersionBlocklist = 2
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
// fails with the writer's error.
func (g *Graph) WriteTo(w io.Writer) (int64, error) {
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
	for _, id := range rules.Blocklist {
		use(id.Namespace())
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
	version := uint32(snapVersion)
	if len(rules.Blocklist) > 0 {
		version = snapVersionBlocklist
	}
	binary.LittleEndian.PutUint32(head[8:], version)
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
	if len(rules.Blocklist) > 0 {
		s.buf = binary.LittleEndian.AppendUint32(s.buf, uint32(len(rules.Blocklist)))
		for _, id := range rules.Blocklist {
			s.buf = binary.LittleEndian.AppendUint16(s.buf, index[id.Namespace()])
			n := len(s.buf)
			s.buf = binary.LittleEndian.AppendUint16(s.buf, 0)
			s.buf = id.AppendValue(s.buf)
			binary.LittleEndian.PutUint16(s.buf[n:], uint16(len(s.buf)-n-2))
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
	salt := d.erasureSalt()
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
			s.buf = append(s.buf, salt[:]...)
		}
		key, class, st := d.t.Key(o)
		switch st {
		case table.OK:
			s.buf = binary.LittleEndian.AppendUint16(s.buf, uint16(len(key)))
			s.buf = append(s.buf, key...)
		case table.Erased:
			tomb[o>>6] |= 1 << (o & 63)
			gone, _, _ := d.t.ErasedKey(o)
			sum := d.tombstoneDigest(gone)
			s.buf = binary.LittleEndian.AppendUint16(s.buf, 0)
			s.buf = binary.LittleEndian.AppendUint16(s.buf, index[idtypes.Namespace(class)])
			s.buf = append(s.buf, sum[:]...)
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
