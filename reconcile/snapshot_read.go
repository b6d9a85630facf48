package reconcile

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/idbits/idbits/bitmap"
	"github.com/idbits/idbits/idtypes"
	"github.com/idbits/idbits/reconcile/internal/table"
	"golang.org/x/sync/errgroup"
)

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
// hostile input cannot make it allocate much more than its own size. It
// holds the whole snapshot in memory while it loads.
//
// The custom namespaces a snapshot lists are declared
// (idtypes.DeclareNamespace) only after every section has passed its
// checksum, the snapshot its end marker and the namespace table its own
// checks, so a corrupt or truncated snapshot declares none. A snapshot whose
// checksums are right but whose identifiers, records or audiences are invalid
// (one crafted to be so) fails after the declaration.
//
// Loading resolves every record again when the graph's first View is taken.
//
// A snapshot keeps nothing of an erased identifier but its ordinal, its
// namespace and a salted digest of it: the ordinal stays erased and is never
// handed out again, no record or audience holds it, and adding or linking
// the identifier again fails with ErrErased, as in the graph that was saved.
// Checking the digest costs a SHA-256 per identifier new to a loaded graph
// that holds erasures.
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
	pay []byte // its payload

	secs []snapSection // the sections not yet parsed, read ahead by readAll
}

// snapSection is a section read and checked by readAll, not yet parsed.
type snapSection struct {
	tag string
	at  int64
	pay []byte
}

// readAll reads every section up to and including the end marker, checking
// their order, lengths and checksums and the snapshot's checksum, and keeps
// them in s.secs for next to hand out.
func (s *snapReader) readAll() error {
	for {
		if err := s.readSection(); err != nil {
			return err
		}
		s.secs = append(s.secs, snapSection{tag: s.tag, at: s.at, pay: s.pay})
		if s.tag == tagEnd {
			s.tag, s.at, s.pay = "", 0, nil
			return nil
		}
	}
}

// next moves to the next section readAll read, dropping the payload of the
// current one so that its memory can go as the graph is built.
func (s *snapReader) next() error {
	if len(s.secs) == 0 { // unreachable: readAll ends with the end marker
		return s.fail("end", s.off, ErrCorrupt, "truncated: no end marker")
	}
	sec := s.secs[0]
	s.secs[0] = snapSection{}
	s.secs = s.secs[1:]
	s.tag, s.at, s.pay = sec.tag, sec.at, sec.pay
	return nil
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

// readSection reads the next section into s.tag and s.pay, checking its
// checksum and that its tag comes after the previous one (once for NSPC and
// RULE). It checks the end marker too, and returns with s.tag = tagEnd.
func (s *snapReader) readSection() error {
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
	var err error
	s.pay, err = s.payload(length)
	s.crc = crc32.Update(s.crc, castagnoli, s.pay)
	s.off += int64(len(s.pay))
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		return s.readErr(name, err)
	}
	if got := uint64(len(s.pay)); got < length {
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

// payload reads a section's n payload bytes, or as many as there are. It
// allocates as the bytes arrive, not on the word of n: first as many as the
// snapshot has given so far (at least 4 KiB), then doubling, so a length a
// hostile input claims costs at most about twice the bytes it holds, while
// the sections of a real snapshot mostly get one allocation of their size.
func (s *snapReader) payload(n uint64) ([]byte, error) {
	p := make([]byte, 0, min(n, max(4<<10, uint64(s.off))))
	for {
		m, err := io.ReadFull(s.r, p[len(p):min(uint64(cap(p)), n)]) // Grow may give more
		p = p[:len(p)+m]
		if err != nil || uint64(len(p)) == n {
			return p, err
		}
		p = slices.Grow(p, int(min(n-uint64(len(p)), uint64(len(p)))))
	}
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
	key    []byte // in the payload; nil for a tombstone
	digest []byte // a tombstone's digest, in the payload
	class  uint16 // the namespace
	at     int32  // offset in the payload
	err    error  // why the key is invalid
}

// decodeKeys checks the keys of entries and sets their classes, fanning out
// over GOMAXPROCS goroutines. It sets the err of invalid entries and returns
// an error if there is any.
func (l *snapLoad) decodeKeys(entries []snapEntry) error {
	var bad atomic.Bool
	check := func(es []snapEntry) {
		for i := range es {
			e := &es[i]
			if e.key == nil {
				continue
			}
			id, err := l.decodeKey(e.key)
			if err != nil {
				e.err = err
				bad.Store(true)
				return
			}
			e.class = uint16(id.Namespace())
		}
	}
	const chunk = 1 << 14
	if len(entries) <= chunk {
		check(entries)
	} else {
		var g errgroup.Group
		g.SetLimit(runtime.GOMAXPROCS(0))
		for lo := 0; lo < len(entries); lo += chunk {
			es := entries[lo:min(lo+chunk, len(entries))]
			g.Go(func() error { check(es); return nil })
		}
		g.Wait()
	}
	if bad.Load() {
		return ErrCorrupt
	}
	return nil
}

func (s *snapReader) graph() (*Graph, error) {
	if err := s.header(); err != nil {
		return nil, err
	}
	// Everything that can be checked without the snapshot's custom
	// namespaces is checked before any is declared: the framing and
	// checksums of every section and of the whole snapshot (readAll), then
	// the namespace table itself (namespaces). What is left needs namespace
	// values: a key's class is the number the registry gives its namespace,
	// and the rules and identifiers are checked against them. Only a
	// snapshot whose every checksum is right, one crafted so, reaches it.
	if err := s.readAll(); err != nil {
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
	// Check the whole table first, declaring nothing: every code well
	// formed, none repeated (ignoring case, as namespaces do), no more new
	// ones than a process can declare.
	codes := make([]string, 0, min(count, 1024))
	ats := make([]int64, 0, cap(codes))
	seen := make(map[string]struct{})
	unknown := 0
	for i := uint32(0); i < count && c.err == nil; i++ {
		at := c.off()
		code := string(c.bytes(int(c.u8("code length")), "namespace code"))
		if c.err != nil {
			break
		}
		if _, err := idtypes.ParseNamespace(code); err != nil {
			if !validNamespaceCode(code) {
				c.failAt(at, errors.Join(ErrCorrupt, idtypes.ErrSyntax), "namespace %d: code %q", i, code)
				break
			}
			unknown++
		}
		folded := strings.ToLower(code)
		if _, dup := seen[folded]; dup {
			c.failAt(at, ErrCorrupt, "namespace %d repeats %s", i, code)
			break
		}
		seen[folded] = struct{}{}
		codes, ats = append(codes, code), append(ats, at)
	}
	if c.err == nil && unknown > idtypes.MaxCustomNamespaces {
		c.failAt(s.at, ErrCorrupt, "%d custom namespaces, a process holds at most %d", unknown, idtypes.MaxCustomNamespaces)
	}
	if err := c.done(); err != nil {
		return err
	}
	l.known = make(map[idtypes.Namespace]struct{}, len(codes))
	l.nss = make([]idtypes.Namespace, 0, len(codes))
	for i, code := range codes {
		ns, err := idtypes.DeclareNamespace(code)
		if err != nil { // the registry is full
			return s.fail(tagNamespaces, ats[i], errors.Join(ErrCorrupt, err), "namespace %d", i)
		}
		l.known[ns] = struct{}{}
		l.nss = append(l.nss, ns)
	}
	return nil
}

// validNamespaceCode reports whether idtypes.DeclareNamespace accepts code:
// 1 to 64 bytes of ASCII letters, digits, '_', '.' and '-'.
func validNamespaceCode(code string) bool {
	if len(code) == 0 || len(code) > 64 {
		return false
	}
	for i := 0; i < len(code); i++ {
		switch c := code[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '_', c == '.', c == '-':
		default:
			return false
		}
	}
	return true
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
	salt := c.bytes(len(digestSalt{}), "salt")
	if c.err != nil {
		return c.err
	}
	if !l.d.setErasureSalt(digestSalt(salt)) {
		return s.fail(tagDict, s.at+8, ErrCorrupt, "salt differs from the first DICT section's")
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
			sum := c.bytes(digestLen, "erased digest")
			if c.err != nil {
				return c.err
			}
			entries = append(entries, snapEntry{digest: sum, class: uint16(ns), at: int32(at - s.at)})
			tombs = append(tombs, first+i)
			continue
		}
		key := c.bytes(n, "key")
		if c.err != nil {
			return c.err
		}
		entries = append(entries, snapEntry{key: key, at: int32(at - s.at)})
	}
	if err := c.done(); err != nil {
		return err
	}
	if err := l.decodeKeys(entries); err != nil {
		i := slices.IndexFunc(entries, func(e snapEntry) bool { return e.err != nil })
		return s.fail(tagDict, s.at+int64(entries[i].at), errors.Join(ErrCorrupt, entries[i].err), "key of ordinal %d", first+uint32(i))
	}
	enc := func(i int, dst []byte) ([]byte, uint16, bool) {
		e := entries[i]
		if e.key == nil {
			// A tombstone keeps its ordinal and namespace under a key no
			// identifier has (tag 0, then the digest of the identifier,
			// which is not in the snapshot), so that adding the identifier
			// again finds it erased.
			return forgottenKey(dst, [digestLen]byte(e.digest)), e.class, true
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
	if len(tombs) > 0 {
		l.d.erasure.loaded.Store(true)
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
