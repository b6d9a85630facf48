package bench

import (
	"iter"
	"math"
	"math/bits"
	"math/rand/v2"
	"strconv"

	"github.com/idbits/idbits/idtypes"
)

// DefaultDensity is the density of a segment whose SegmentSpec.Density is zero.
const DefaultDensity = 0.01

// UnknownNamespaceCode is the namespace code of the lines with
// [FlawNamespace]: Adobe Target's TNTID, a real code that idtypes does not
// know (unless a program declares it).
const UnknownNamespaceCode = "TNTID"

// SegmentSpec describes a segment (an audience) to draw from a world.
type SegmentSpec struct {
	// Seed selects the segment; the same spec on the same world always
	// gives the same segment.
	Seed uint64
	// Density is the share of eligible people in the segment, default
	// DefaultDensity; values above 1 mean 1. Eligible people are those with
	// an identity in Namespace: everyone for ECIDs, about 70% for CRM IDs.
	// A positive density selects at least one person.
	Density float64
	// Clustered selects the people who arrived last (recent visitors, a
	// run of consecutive people) rather than people scattered uniformly.
	Clustered bool
	// Namespace is what the segment's lines hold: ECID (the default), CRMID,
	// Email, EmailSHA256 or Phone. A member person gives one line per
	// identity of the namespace: all their ECIDs, or their one declared ID.
	// Other namespaces give an empty segment.
	Namespace idtypes.Namespace
	// Unknown is the share of lines that hold a well-formed identifier that
	// no record contains, in [0, 0.9].
	Unknown float64
	// Malformed is the share of lines whose value fails idtypes.Parse, in
	// [0, 0.9]. Unknown and Malformed together are at most 0.9; larger
	// values are scaled down.
	Malformed float64
}

// LineKind classifies a segment line.
type LineKind uint8

// Kinds of segment lines.
const (
	Known     LineKind = 1 + iota // an identity of a member person
	Unknown                       // a well-formed identifier no record contains
	Malformed                     // a value that does not parse
)

// String returns "known", "unknown" or "malformed".
func (k LineKind) String() string {
	switch k {
	case Known:
		return "known"
	case Unknown:
		return "unknown"
	case Malformed:
		return "malformed"
	}
	return "LineKind(" + strconv.Itoa(int(k)) + ")"
}

// Flaw says what is wrong with a malformed line. Each namespace has the
// flaws that make sense for it, and a segment's malformed lines cycle
// through them, so that a segment with enough malformed lines has every
// one.
type Flaw uint8

// Flaws of malformed lines, with the namespaces that have them.
const (
	// FlawLength: wrong number of characters (ECID, EmailSHA256, Phone).
	FlawLength Flaw = 1 + iota
	// FlawCharacter: a character the namespace does not allow, such as a
	// letter in an ECID (ECID, EmailSHA256, Phone).
	FlawCharacter
	// FlawRange: an ECID half above 2^63-1 (ECID).
	FlawRange
	// FlawBlocked: "null", "anonymous", "invalid", "undefined" in some case,
	// or blanks (every namespace).
	FlawBlocked
	// FlawEmpty: an empty value (every namespace).
	FlawEmpty
	// FlawEmail: not an address: no '@', two of them, an empty local part,
	// a domain without a dot, a space (Email).
	FlawEmail
	// FlawNamespace: the line names UnknownNamespaceCode rather than the
	// segment's namespace, and its value (a Target ID) is not valid in the
	// segment's namespace either, so formats without a namespace per line
	// reject it too (ECID, Email, EmailSHA256, Phone; a CRM ID can be any
	// text).
	FlawNamespace
	// FlawTooLong: a value far over any limit: over 1024 bytes for a CRM ID,
	// over 254 for an email address (ECID, CRMID, Email, EmailSHA256).
	FlawTooLong
)

var flawNames = [...]string{
	FlawLength: "length", FlawCharacter: "character", FlawRange: "range", FlawBlocked: "blocked",
	FlawEmpty: "empty", FlawEmail: "email", FlawNamespace: "namespace", FlawTooLong: "too long",
}

// String returns a short lower-case name, such as "length".
func (f Flaw) String() string {
	if f > 0 && int(f) < len(flawNames) {
		return flawNames[f]
	}
	return "Flaw(" + strconv.Itoa(int(f)) + ")"
}

// flaws lists the flaws of each namespace in the order malformed lines
// cycle through them.
func flaws(ns idtypes.Namespace) []Flaw {
	switch ns {
	case idtypes.ECID:
		return []Flaw{FlawLength, FlawCharacter, FlawRange, FlawBlocked, FlawEmpty, FlawNamespace, FlawTooLong}
	case idtypes.CRMID:
		return []Flaw{FlawBlocked, FlawEmpty, FlawTooLong}
	case idtypes.Email:
		return []Flaw{FlawEmail, FlawBlocked, FlawEmpty, FlawNamespace, FlawTooLong}
	case idtypes.EmailSHA256:
		return []Flaw{FlawLength, FlawCharacter, FlawBlocked, FlawEmpty, FlawNamespace, FlawTooLong}
	case idtypes.Phone:
		return []Flaw{FlawLength, FlawCharacter, FlawBlocked, FlawEmpty, FlawNamespace}
	}
	return nil
}

// A Line is one line of a segment file.
type Line struct {
	Kind LineKind
	// Flaw is what is wrong with a Malformed line; zero otherwise.
	Flaw Flaw
	// ID is the identifier of a Known or Unknown line; zero for Malformed.
	ID idtypes.ID
	// Person is the member a Known line belongs to; -1 otherwise.
	Person int
	// Value is the text of a Malformed line, as written after the namespace
	// code (UnknownNamespaceCode for FlawNamespace, else the segment's).
	Value string
}

// Segment is a set of people of a world, and the lines of a file that
// expresses it in one namespace, with the ground truth of every line. The
// zero Segment is empty. A Segment is immutable and safe for concurrent
// use.
type Segment struct {
	w       *World
	ns      idtypes.Namespace
	members []uint64 // bit p is set if person p is a member
	size    int
	counts  [Malformed + 1]int // lines by kind
	extras  []extra            // unknown and malformed lines, in line order
}

// extra is an unknown or malformed line and its position in the file.
type extra struct {
	at   int
	line Line
}

// Segment draws the segment spec describes. Its lines are the identities
// of its members in person order, with unknown and malformed lines at
// random places among them.
func (w *World) Segment(spec SegmentSpec) Segment {
	ns := spec.Namespace
	if ns == 0 {
		ns = idtypes.ECID
	}
	s := Segment{w: w, ns: ns, members: make([]uint64, (w.People()+63)/64)}
	density := spec.Density
	switch {
	case density == 0 || density != density: // zero or NaN
		density = DefaultDensity
	case density > 1:
		density = 1
	case density < 0:
		density = 0
	}
	unknown, malformed := fraction(spec.Unknown), fraction(spec.Malformed)
	if sum := unknown + malformed; sum > 0.9 {
		unknown, malformed = unknown*0.9/sum, malformed*0.9/sum
	}
	r := newRand(w.cfg.Seed, streamSegment, mix(spec.Seed)^uint64(ns))

	eligible := 0
	for p := range w.People() {
		if w.has(p, ns) {
			eligible++
		}
	}
	m := int(math.Round(density * float64(eligible)))
	if m == 0 && density > 0 && eligible > 0 {
		m = 1
	}
	known := 0
	add := func(p int) {
		s.members[p/64] |= 1 << (p % 64)
		s.size++
		known += len(w.idsIn(p, ns))
	}
	if spec.Clustered {
		for p := w.People() - 1; p >= 0 && s.size < m; p-- {
			if w.has(p, ns) {
				add(p)
			}
		}
	} else {
		// Selection sampling (Knuth's algorithm S): exactly m of the
		// eligible people, each with the same chance.
		seen := 0
		for p := 0; p < w.People() && s.size < m; p++ {
			if !w.has(p, ns) {
				continue
			}
			if r.IntN(eligible-seen) < m-s.size {
				add(p)
			}
			seen++
		}
	}

	var nu, nm int
	if rest := 1 - unknown - malformed; rest > 0 {
		nu = int(math.Round(float64(known) * unknown / rest))
		nm = int(math.Round(float64(known) * malformed / rest))
	}
	s.counts[Known], s.counts[Unknown], s.counts[Malformed] = known, nu, nm
	if nu+nm > 0 {
		s.extras = make([]extra, 0, nu+nm)
		m := maker{w: w, ns: ns, r: r, next: uint64(w.People()) + r.Uint64N(unknownRoom(ns, w.People(), nu))}
		fl := flaws(ns)
		ku, km := nu, nm
		for at, left := 0, known+nu+nm; ku+km > 0; at, left = at+1, left-1 {
			switch x := r.IntN(left); {
			case x < ku:
				s.extras = append(s.extras, extra{at, Line{Kind: Unknown, ID: m.unknown(), Person: -1}})
				ku--
			case x < ku+km:
				f := fl[(nm-km)%len(fl)]
				s.extras = append(s.extras, extra{at, Line{Kind: Malformed, Flaw: f, Person: -1, Value: m.malformed(f)}})
				km--
			}
		}
	}
	return s
}

// fraction clamps a share of lines to [0, 0.9].
func fraction(v float64) float64 {
	if v != v || v < 0 {
		return 0
	}
	return min(v, 0.9)
}

// has reports whether person p has an identity in ns.
func (w *World) has(p int, ns idtypes.Namespace) bool {
	switch ns {
	case idtypes.ECID:
		return true
	case idtypes.CRMID:
		return w.flags[p]&hasCRM != 0
	case idtypes.Email, idtypes.EmailSHA256:
		return w.flags[p]&hasEmail != 0
	case idtypes.Phone:
		return w.flags[p]&hasPhone != 0
	}
	return false
}

// idsIn returns the identities of person p in ns.
func (w *World) idsIn(p int, ns idtypes.Namespace) []idtypes.ID {
	ids := w.IDs(p)
	k := int(w.nECID[p])
	if ns == idtypes.ECID {
		return ids[:k]
	}
	for i := k; i < len(ids); i++ {
		if ids[i].Namespace() == ns {
			return ids[i : i+1]
		}
	}
	return nil
}

// Namespace returns the namespace of the segment's lines.
func (s Segment) Namespace() idtypes.Namespace { return s.ns }

// Len returns the number of people in the segment.
func (s Segment) Len() int { return s.size }

// Contains reports whether person p is in the segment.
func (s Segment) Contains(p int) bool {
	return p >= 0 && p/64 < len(s.members) && s.members[p/64]&(1<<(p%64)) != 0
}

// People returns the members in increasing order.
func (s Segment) People() iter.Seq[int] {
	return func(yield func(int) bool) {
		for i, word := range s.members {
			for word != 0 {
				p := i*64 + bits.TrailingZeros64(word)
				word &= word - 1
				if !yield(p) {
					return
				}
			}
		}
	}
}

// Count returns the number of lines of kind k.
func (s Segment) Count(k LineKind) int {
	if int(k) >= len(s.counts) {
		return 0
	}
	return s.counts[k]
}

// Lines returns the segment's lines in file order.
func (s Segment) Lines() iter.Seq[Line] {
	return func(yield func(Line) bool) {
		at, e := 0, 0
		for p := range s.People() {
			for _, id := range s.w.idsIn(p, s.ns) {
				for e < len(s.extras) && s.extras[e].at == at {
					if !yield(s.extras[e].line) {
						return
					}
					e, at = e+1, at+1
				}
				if !yield(Line{Kind: Known, ID: id, Person: p}) {
					return
				}
				at++
			}
		}
		for ; e < len(s.extras); e++ {
			if !yield(s.extras[e].line) {
				return
			}
		}
	}
}

// unknownRoom returns how far past the people unknown declared
// identifiers can start so that n of them stay within their number space.
func unknownRoom(ns idtypes.Namespace, people, n int) uint64 {
	space := uint64(emailSpace)
	switch ns {
	case idtypes.CRMID:
		space = crmSpace
	case idtypes.Phone:
		space = phoneSpace
	}
	used := uint64(people) + uint64(n)
	if used >= space {
		return 1
	}
	return space - used
}

// maker makes the values of unknown and malformed lines.
type maker struct {
	w    *World
	ns   idtypes.Namespace
	r    *rand.Rand
	next uint64 // number of the next unknown declared identifier
	buf  []byte
}

// unknown returns a well-formed identifier of the namespace that no
// person has. Declared ones are numbered past the people; ECIDs are
// random, and a random 126-bit value equals one of the world's with
// negligible probability.
func (m *maker) unknown() idtypes.ID {
	n := m.next
	m.next++
	var id idtypes.ID
	switch m.ns {
	case idtypes.ECID:
		id, _ = idtypes.FromHalves(idtypes.ECID, m.r.Uint64()>>1, m.r.Uint64()>>1)
	case idtypes.CRMID:
		m.buf = m.w.aff.appendCRM(m.buf[:0], n)
		id = parseOwn(idtypes.CRMID, m.buf)
	case idtypes.Email:
		m.buf = m.w.aff.appendEmail(m.buf[:0], n)
		id = parseOwn(idtypes.Email, m.buf)
	case idtypes.EmailSHA256:
		m.buf = m.w.aff.appendEmail(m.buf[:0], n)
		id, _ = idtypes.HashEmail(string(m.buf))
	case idtypes.Phone:
		m.buf = m.w.aff.appendPhone(m.buf[:0], n)
		id = parseOwn(idtypes.Phone, m.buf)
	}
	return id
}

const (
	digits   = "0123456789"
	hexLower = "0123456789abcdef"
)

// malformed returns a value of the namespace with flaw f.
func (m *maker) malformed(f Flaw) string {
	r := m.r
	b := m.buf[:0]
	switch f {
	case FlawLength:
		switch m.ns {
		case idtypes.ECID:
			b = appendRandom(b, r, digits, 37+2*r.IntN(2)) // 37 or 39 digits
		case idtypes.EmailSHA256:
			b = appendRandom(b, r, hexLower, 63+2*r.IntN(2))
		default: // Phone: too few or too many digits
			b = append(b, "+447"...)
			b = appendRandom(b, r, digits, 3+11*r.IntN(2))
		}
	case FlawCharacter:
		switch m.ns {
		case idtypes.ECID:
			b = appendRandom(b, r, digits, 38)
			b[r.IntN(len(b))] = "abcdefxyzO"[r.IntN(10)]
		case idtypes.EmailSHA256:
			b = appendRandom(b, r, hexLower, 64)
			b[r.IntN(len(b))] = "ghijklmnoxyz"[r.IntN(12)]
		default: // Phone
			b = append(b, "+447"...)
			b = appendRandom(b, r, digits, 9)
			b[4+r.IntN(9)] = "ABCxyz"[r.IntN(6)]
		}
	case FlawRange:
		b = append(b, "9999999999999999999"...)
		b = appendRandom(b, r, digits, 19)
		if r.IntN(2) == 0 { // the low half too big instead
			copy(b, b[19:])
			copy(b[19:], "9999999999999999999")
		}
	case FlawBlocked:
		b = append(b, [...]string{"null", "NULL", "anonymous", "invalid", "Undefined", "   "}[r.IntN(6)]...)
	case FlawEmpty:
	case FlawEmail:
		b = m.w.aff.appendEmail(b, uint64(m.w.People())+r.Uint64N(emailSpace/2))
		at := 0
		for b[at] != '@' {
			at++
		}
		switch r.IntN(5) {
		case 0: // no '@'
			copy(b[at:], b[at+1:])
			b = b[:len(b)-1]
		case 1: // two of them
			b = append(b[:at+1], b[at:]...)
		case 2: // empty local part
			b = b[at:]
		case 3: // a domain without a dot
			b = append(b[:at+1], "localhost"...)
		default: // a space inside the local part
			b[1+r.IntN(at-1)] = ' '
		}
	case FlawNamespace:
		// A Target ID, such as "3f0c2a9b1d4e5f60.35_0".
		b = appendRandom(b, r, hexLower, 16)
		b = append(b, ".3"...)
		b = appendRandom(b, r, digits, 1)
		b = append(b, "_0"...)
	case FlawTooLong:
		switch m.ns {
		case idtypes.CRMID:
			b = append(b, 'C')
			b = appendRandom(b, r, digits, 1024+r.IntN(64))
		case idtypes.Email:
			b = appendRandom(b, r, "abcdefghijklmnopqrstuvwxyz", 250+r.IntN(64))
			b = append(b, "@example.com"...)
		case idtypes.EmailSHA256:
			b = appendRandom(b, r, hexLower, 128)
		default: // ECID
			b = appendRandom(b, r, digits, 1100)
		}
	}
	m.buf = b
	return string(b)
}

// appendRandom appends n characters drawn from set.
func appendRandom(b []byte, r *rand.Rand, set string, n int) []byte {
	for range n {
		b = append(b, set[r.IntN(len(set))])
	}
	return b
}
