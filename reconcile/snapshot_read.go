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
// ReadGraph checks the whole snapshot (every section, namespace, key,
// tombstone, record and catalog audience) before it declares any namespace,
// and then declares (idtypes.DeclareNamespace) exactly the custom namespaces
// the snapshot's rules and identifiers use that this process has not
// declared yet. A snapshot that fails, however it was crafted, leaves the
// namespace registry as it was, and so does one that needs more custom
// namespaces than the registry has room left for (ErrCorrupt joined with
// idtypes.ErrNamespace). Two failures come after declaring: if other
// goroutines fill the registry while ReadGraph runs, declaring can fail
// half-way; and records that overflow the record log a graph can hold (some
// 2^32 identities in records, tens of GiB of snapshot) are found only as
// the graph is built.
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

	version uint32 // the snapshot's version, from the header
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
	s.version = binary.LittleEndian.Uint32(h[8:])
	if s.version != snapVersion && s.version != snapVersionBlocklist {
		return s.fail("header", 8, ErrVersion, "version %d, want %d or %d", s.version, snapVersion, snapVersionBlocklist)
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
	// The namespace table: by index, the code as listed, where it is in
	// the snapshot and the namespace. Until the snapshot has been checked
	// to its end, a code this process has not declared (a fresh one) has a
	// stand-in: a number no namespace of the table has, which build
	// replaces with the declared namespace.
	codes []string
	ats   []int64
	nss   []idtypes.Namespace
	fresh []bool
	used  []atomic.Bool     // named by the rules, a key or a tombstone
	index map[string]uint16 // lower-case code -> index

	rules Rules
	// pendingBlock holds the Blocklist entries of fresh namespaces,
	// added to rules.Blocklist once build has declared them.
	pendingBlock []pendingID
	// junk holds the ordinals whose keys idtypes now refuses as blocked:
	// erased by the load, and dropped from records and audiences.
	junk      map[uint32]bool
	d         *Dictionary
	recs      []snapSection // the RECS sections, read again by build
	audiences []catalogAudience

	// Scratch of the DICT sections, reused from one to the next.
	entries []snapEntry
	ords    []uint32
	tombs   []uint32
}

// pendingID is an identifier of a fresh namespace: its stand-in and its
// canonical value.
type pendingID struct {
	ns idtypes.Namespace
	v  string
}

// snapEntry is a dictionary entry read from a DICT section.
type snapEntry struct {
	key    []byte // in the payload; nil for a tombstone
	digest []byte // a tombstone's digest, in the payload
	class  uint16 // the namespace or its stand-in
	at     int32  // offset in the payload
	err    error  // why the key is invalid
	junk   bool   // the key holds a value idtypes now refuses as blocked
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
			class, err := l.keyClass(e.key)
			if err != nil {
				if class, ok := l.junkClass(err); ok {
					e.class, e.junk = class, true
					continue
				}
				e.err = err
				bad.Store(true)
				return
			}
			e.class = class
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

// keyClass checks an identifier's binary key, and that its namespace is one
// the snapshot lists, and returns the class of the namespace (its number, or
// its stand-in). It declares nothing.
func (l *snapLoad) keyClass(key []byte) (uint16, error) {
	if len(key) > table.MaxKeyLen {
		return 0, fmt.Errorf("key of %d bytes, the longest is %d", len(key), table.MaxKeyLen)
	}
	code, err := idtypes.KeyCode(key)
	if err != nil {
		return 0, err
	}
	i, ok := l.index[code]
	if !ok {
		return 0, fmt.Errorf("namespace %s not listed in NSPC", code)
	}
	l.use(i)
	return uint16(l.nss[i]), nil
}

// junkClass returns the class of the namespace of a key that keyClass
// refused only because its value is blocked (idtypes.ErrBlocked: the SHA-256
// of a blank value, a well-known placeholder). Snapshots written before such
// values were refused hold them; a load keeps their ordinals as tombstones,
// so they link no one.
func (l *snapLoad) junkClass(err error) (uint16, bool) {
	var pe *idtypes.ParseError
	if !errors.Is(err, idtypes.ErrBlocked) || !errors.As(err, &pe) || !pe.Namespace.IsValid() {
		return 0, false
	}
	i, ok := l.index[strings.ToLower(pe.Namespace.String())]
	if !ok {
		return 0, false
	}
	l.use(i)
	return uint16(l.nss[i]), true
}

// use notes that the namespace of index i is used.
func (l *snapLoad) use(i uint16) {
	if u := &l.used[i]; !u.Load() { // keys of one namespace share the flag: read it first
		u.Store(true)
	}
}

// ReadGraph and ReadGraphFile read a snapshot in two steps. check reads the whole
// snapshot and checks all of it: the framing and checksums of every section
// and of the snapshot, the namespace table, the rules, every key, tombstone,
// record and catalog audience. It builds the dictionary, but under stand-ins
// for the namespaces this process has not declared yet, and declares
// nothing. build then declares the namespaces the snapshot uses, gives the
// dictionary and the rules their numbers, and builds the graph. A snapshot
// that fails leaves the namespace registry as it was.

// graph reads a snapshot and builds its graph.
func (s *snapReader) graph() (*Graph, error) {
	l, err := s.check()
	if err != nil {
		return nil, err
	}
	return s.build(l)
}

// check reads the snapshot up to its end marker and checks all of it,
// declaring nothing.
func (s *snapReader) check() (*snapLoad, error) {
	if err := s.header(); err != nil {
		return nil, err
	}
	if err := s.readAll(); err != nil {
		return nil, err
	}
	l := new(snapLoad)
	if err := s.next(); err != nil {
		return nil, err
	}
	if err := s.namespaces(l); err != nil {
		return nil, err
	}
	if err := s.next(); err != nil {
		return nil, err
	}
	if err := s.rules(l); err != nil {
		return nil, err
	}
	l.d = NewDictionary()
	if err := s.next(); err != nil {
		return nil, err
	}
	for s.tag == tagDict {
		if err := s.dictionary(l); err != nil {
			return nil, err
		}
		if err := s.next(); err != nil {
			return nil, err
		}
	}
	for s.tag == tagRecords {
		l.recs = append(l.recs, snapSection{tag: s.tag, at: s.at, pay: s.pay})
		if err := s.next(); err != nil {
			return nil, err
		}
	}
	tag, at, pay := s.tag, s.at, s.pay // records moves s through l.recs
	if err := s.records(l, nil); err != nil {
		return nil, err
	}
	s.tag, s.at, s.pay = tag, at, pay
	prev := ""
	for s.tag == tagCatalog {
		if err := s.audience(l, &prev); err != nil {
			return nil, err
		}
		if err := s.next(); err != nil {
			return nil, err
		}
	}
	// s.tag is tagEnd: next accepts nothing else after CATL.

	// The snapshot is valid. What is left is room in the registry for the
	// fresh namespaces it uses.
	need := 0
	for i := range l.codes {
		if l.fresh[i] && l.used[i].Load() {
			need++
		}
	}
	taken := 0
	for range idtypes.CustomNamespaces() {
		taken++
	}
	if room := idtypes.MaxCustomNamespaces - taken; need > room {
		return nil, s.fail(tagNamespaces, l.ats[0], errors.Join(ErrCorrupt, idtypes.ErrNamespace),
			"%d custom namespaces to declare, the registry has room for %d more (it holds %d of %d)", need, room, taken, idtypes.MaxCustomNamespaces)
	}
	return l, nil
}

// build declares the fresh namespaces the snapshot uses and builds the
// graph check has checked.
func (s *snapReader) build(l *snapLoad) (*Graph, error) {
	var to *[1 << 16]uint16 // stand-in -> namespace, if any differs
	for i, code := range l.codes {
		if !l.fresh[i] || !l.used[i].Load() {
			continue
		}
		// Fails only if other goroutines fill the registry meanwhile.
		ns, err := idtypes.DeclareNamespace(code)
		if err != nil {
			return nil, s.fail(tagNamespaces, l.ats[i], errors.Join(ErrCorrupt, err), "namespace %d", i)
		}
		if ns == l.nss[i] {
			continue
		}
		if to == nil {
			to = new([1 << 16]uint16)
			for c := range to {
				to[c] = uint16(c)
			}
		}
		to[l.nss[i]] = uint16(ns)
	}
	if to != nil {
		l.d.t.Reclass(to)
		for _, list := range [][]idtypes.Namespace{l.rules.Unique, l.rules.Priority} {
			for k, ns := range list {
				list[k] = idtypes.Namespace(to[ns])
			}
		}
	}
	for _, p := range l.pendingBlock {
		ns := p.ns
		if to != nil {
			ns = idtypes.Namespace(to[ns])
		}
		id, err := idtypes.Parse(ns, p.v)
		if err != nil { // unreachable: check parsed it as a custom value
			return nil, s.fail(tagRules, s.at, errors.Join(ErrCorrupt, err), "Blocklist")
		}
		l.rules.Blocklist = append(l.rules.Blocklist, id)
	}
	var recErr error
	g, err := ReplayGraph(l.d, l.rules, func(yield func(time.Time, []uint32) bool) {
		recErr = s.records(l, yield)
	})
	if recErr != nil {
		return nil, recErr // unreachable: check read the records
	}
	if err != nil {
		return nil, s.fail(tagRecords, s.at, errors.Join(ErrCorrupt, err), "records do not load")
	}
	st := g.catalogState()
	st.mu.Lock()
	for _, a := range l.audiences {
		st.sets[a.name] = &catalogEntry{ids: a.ids}
	}
	st.mu.Unlock()
	return g, nil
}

func (s *snapReader) namespaces(l *snapLoad) error {
	c := s.cursor()
	count := c.u32("namespace count")
	if c.err == nil && uint64(count) > uint64(len(c.b)-c.pos)/2 {
		c.failAt(c.off()-4, ErrCorrupt, "%d namespaces in %d bytes", count, len(c.b)-c.pos)
	}
	// Every code well formed, none repeated (ignoring case, as namespaces
	// do), no more fresh ones than a process can declare. Declared and
	// standard codes get their namespace, fresh ones a stand-in.
	l.index = make(map[string]uint16, min(count, 1024))
	taken := make(map[idtypes.Namespace]bool)
	nfresh := 0
	for i := uint32(0); i < count && c.err == nil; i++ {
		at := c.off()
		code := string(c.bytes(int(c.u8("code length")), "namespace code"))
		if c.err != nil {
			break
		}
		ns, err := idtypes.ParseNamespace(code)
		if err != nil {
			if !validNamespaceCode(code) {
				c.failAt(at, errors.Join(ErrCorrupt, idtypes.ErrSyntax), "namespace %d: code %q", i, code)
				break
			}
			nfresh++
		}
		folded := strings.ToLower(code)
		if _, dup := l.index[folded]; dup {
			c.failAt(at, ErrCorrupt, "namespace %d repeats %s", i, code)
			break
		}
		if i > math.MaxUint16 { // unreachable: ParseNamespace or the limit below fails first
			c.failAt(at, ErrCorrupt, "namespace %d: more than an index can name", i)
			break
		}
		l.index[folded] = uint16(i)
		l.codes, l.ats = append(l.codes, code), append(l.ats, at)
		l.nss, l.fresh = append(l.nss, ns), append(l.fresh, err != nil)
		taken[ns] = true
		if nfresh > idtypes.MaxCustomNamespaces {
			c.failAt(s.at, ErrCorrupt, "%d custom namespaces or more, a process holds at most %d", nfresh, idtypes.MaxCustomNamespaces)
		}
	}
	if err := c.done(); err != nil {
		return err
	}
	stand := idtypes.Namespace(math.MaxUint16)
	for i := range l.nss {
		if !l.fresh[i] {
			continue
		}
		for taken[stand] {
			stand--
		}
		l.nss[i] = stand
		taken[stand] = true
	}
	l.used = make([]atomic.Bool, len(l.nss))
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

// namespace reads a namespace index, and notes that the namespace is used.
// It returns the namespace, or the stand-in of a fresh one.
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
	l.use(i)
	return l.nss[i]
}

// checkRules is Rules.Validate for the rules read from RULE, which may name
// stand-ins: those are valid, and none may be listed twice.
func (l *snapLoad) checkRules() error {
	standIns := make(map[idtypes.Namespace]string)
	for i, ns := range l.nss {
		if l.fresh[i] {
			standIns[ns] = l.codes[i]
		}
	}
	r := l.rules
	for k, list := range [][]idtypes.Namespace{r.Unique, r.Priority} {
		seen := make(map[idtypes.Namespace]bool, len(list))
		declared := make([]idtypes.Namespace, 0, len(list))
		for _, ns := range list {
			code, stand := standIns[ns]
			switch {
			case !stand:
				declared = append(declared, ns) // Validate checks them
			case seen[ns]:
				return fmt.Errorf("%w: %s lists %s twice", ErrRules, []string{"Unique", "Priority"}[k], code)
			}
			seen[ns] = true
		}
		if k == 0 {
			r.Unique = declared
		} else {
			r.Priority = declared
		}
	}
	seen := make(map[pendingID]bool, len(l.pendingBlock))
	for _, p := range l.pendingBlock {
		if seen[p] {
			return fmt.Errorf("%w: Blocklist lists %s:%s twice", ErrRules, standIns[p.ns], p.v)
		}
		seen[p] = true
	}
	return r.Validate()
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
	var block []idtypes.ID
	if s.version == snapVersionBlocklist {
		block = c.blocklist(l)
	}
	if err := c.done(); err != nil {
		return err
	}
	l.rules = Rules{Unique: lists[0], Priority: lists[1], MaxIdentities: int(maxIDs), MaxPerRecord: int(maxPer), Blocklist: block}
	if err := l.checkRules(); err != nil {
		return s.fail(tagRules, s.at, errors.Join(ErrCorrupt, err), "invalid rules")
	}
	return nil
}

// blocklist reads the Blocklist of a version 2 RULE section. Entries of a
// namespace with a stand-in go to l.pendingBlock, checked by the rules of
// custom values (those of CRMID), and become identifiers in build.
func (c *cursor) blocklist(l *snapLoad) []idtypes.ID {
	at := c.off()
	n := c.u32("Blocklist count")
	const minEntry = 2 + 2 + 1 // namespace index, length, a byte of value
	if c.err == nil && (n == 0 || uint64(n) > uint64(len(c.b)-c.pos)/minEntry) {
		c.failAt(at, ErrCorrupt, "Blocklist count %d for %d bytes", n, len(c.b)-c.pos)
	}
	var block []idtypes.ID
	for k := range n {
		if c.err != nil {
			break
		}
		at := c.off()
		ns := c.namespace(l, "Blocklist namespace")
		v := string(c.bytes(int(c.u16("Blocklist value length")), "Blocklist value"))
		if c.err != nil {
			break
		}
		standIn := l.isStandIn(ns)
		parseAs := ns
		if standIn {
			parseAs = idtypes.CRMID // custom values follow its rules
		}
		id, err := idtypes.Parse(parseAs, v)
		if err == nil && id.String() != v {
			err = fmt.Errorf("%q is not canonical (%q)", v, id.String())
		}
		if err != nil {
			c.failAt(at, errors.Join(ErrCorrupt, err), "Blocklist entry %d", k)
			break
		}
		if standIn {
			l.pendingBlock = append(l.pendingBlock, pendingID{ns: ns, v: v})
			continue
		}
		block = append(block, id)
	}
	return block
}

// isStandIn reports whether ns is the stand-in of a fresh namespace.
func (l *snapLoad) isStandIn(ns idtypes.Namespace) bool {
	for i, n := range l.nss {
		if n == ns {
			return l.fresh[i]
		}
	}
	return false
}

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
	for i := range entries {
		if e := &entries[i]; e.junk {
			sum := l.d.erasedDigest(e.key)
			e.key, e.digest = nil, sum[:]
			tombs = append(tombs, first+uint32(i))
			if l.junk == nil {
				l.junk = make(map[uint32]bool)
			}
			l.junk[first+uint32(i)] = true
		}
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
		l.d.erase(o)
	}
	if len(tombs) > 0 {
		l.d.erasure.loaded.Store(true)
	}
	return nil
}

// records reads the RECS sections of l.recs, yielding each record. check
// reads them with a nil yield, only checking them; build reads them again,
// dropping each section's payload once read.
func (s *snapReader) records(l *snapLoad, yield func(time.Time, []uint32) bool) error {
	maxPer := l.rules.MaxPerRecord
	if maxPer == 0 {
		maxPer = DefaultMaxPerRecord
	}
	dictLen := uint32(l.d.Len())
	var ords, sorted []uint32
	for k := range l.recs {
		sec := &l.recs[k]
		s.tag, s.at, s.pay = sec.tag, sec.at, sec.pay
		if yield != nil {
			sec.pay = nil
		}
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
				if o < dictLen && l.junk[o] {
					continue // erased by this load: dropped as Link drops erased identities
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
			if len(ords) == 0 {
				continue // it held only junk
			}
			if yield != nil && !yield(time.Unix(0, at), ords) {
				return nil
			}
		}
		if err := c.done(); err != nil {
			return err
		}
	}
	return nil
}

// audience reads a CATL section into l.audiences.
func (s *snapReader) audience(l *snapLoad, prev *string) error {
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
		return s.fail(tagCatalog, nameAt, ErrCorrupt, "audience %s after %s", quoteName(name), quoteName(*prev))
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
		return s.fail(tagCatalog, off, errors.Join(ErrCorrupt, err), "audience %s", quoteName(name))
	}
	dictLen := uint32(l.d.Len())
	if len(l.junk) > 0 {
		var junk bitmap.Builder
		for o := range l.junk {
			junk.Add(o)
		}
		ids = bitmap.AndNot(ids, junk.Audience())
	}
	for o := range ids.All() {
		if o >= dictLen || l.d.Erased(o) {
			return s.fail(tagCatalog, body, ErrCorrupt, "audience %s holds ordinal %d, not a live identity", quoteName(name), o)
		}
	}
	l.audiences = append(l.audiences, catalogAudience{name: name, ids: ids})
	return nil
}
