package bench

import (
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/idbits/idbits/idtypes"
)

// flushAt is the buffer size at which writers hand their lines to the
// underlying io.Writer.
const flushAt = 32 << 10

// lineWriter buffers lines and keeps the first write error.
type lineWriter struct {
	w   io.Writer
	buf []byte
	err error
}

func newLineWriter(w io.Writer) *lineWriter {
	return &lineWriter{w: w, buf: make([]byte, 0, flushAt+4<<10)}
}

// endLine ends the line in buf and flushes buf if it is full. It returns
// false once writing has failed.
func (lw *lineWriter) endLine() bool {
	lw.buf = append(lw.buf, '\n')
	if len(lw.buf) >= flushAt {
		lw.flush()
	}
	return lw.err == nil
}

func (lw *lineWriter) flush() error {
	if lw.err == nil && len(lw.buf) > 0 {
		_, lw.err = lw.w.Write(lw.buf)
	}
	lw.buf = lw.buf[:0]
	return lw.err
}

// code returns the namespace code a line is written with.
func (s Segment) code(l Line) string {
	if l.Flaw == FlawNamespace {
		return UnknownNamespaceCode
	}
	return s.ns.String()
}

// appendValue appends the value of a line, without its namespace.
func appendValue(b []byte, l Line) []byte {
	if l.Kind == Malformed {
		return append(b, l.Value...)
	}
	return l.ID.AppendValue(b)
}

// WriteList writes the segment as a plain list: one "NS:value" line per
// line of the segment, such as "ECID:20265673158980419722735089753036633573".
// A non-empty header comes first, each of its lines behind "# ".
func (s Segment) WriteList(w io.Writer, header string) error {
	lw := newLineWriter(w)
	if header != "" {
		for line := range strings.Lines(header) {
			lw.buf = append(lw.buf, "# "...)
			lw.buf = append(lw.buf, strings.TrimSuffix(line, "\n")...)
			lw.endLine()
		}
	}
	for l := range s.Lines() {
		lw.buf = append(lw.buf, s.code(l)...)
		lw.buf = append(lw.buf, ':')
		lw.buf = appendValue(lw.buf, l)
		if !lw.endLine() {
			break
		}
	}
	return lw.flush()
}

// WriteCSV writes the segment as CSV (RFC 4180, "\n" line ends) with a
// header row "first_name,<NS>,city", where <NS> is the namespace code,
// such as "first_name,ECID,city", and one row per line of the segment.
// The city always holds a comma, so it is quoted; other fields are quoted
// when they need to be. Lines with FlawNamespace appear as their value
// alone, which the namespace rejects too.
func (s Segment) WriteCSV(w io.Writer) error {
	lw := newLineWriter(w)
	lw.buf = append(lw.buf, "first_name,"...)
	lw.buf = appendCSVField(lw.buf, []byte(s.ns.String()))
	lw.buf = append(lw.buf, ",city"...)
	lw.endLine()
	var aff affines
	if s.w != nil {
		aff = s.w.aff
	}
	var val []byte
	row := uint64(0)
	for l := range s.Lines() {
		row++
		name := aff.firstName(mix(row))
		if l.Kind == Known {
			name = aff.firstName(uint64(l.Person))
		}
		lw.buf = append(lw.buf, name...)
		lw.buf = append(lw.buf, ',')
		val = appendValue(val[:0], l)
		lw.buf = appendCSVField(lw.buf, val)
		lw.buf = append(lw.buf, ",\""...)
		lw.buf = append(lw.buf, cities[mix(aff.crm.b^row)%uint64(len(cities))]...)
		lw.buf = append(lw.buf, '"')
		if !lw.endLine() {
			break
		}
	}
	return lw.flush()
}

// appendCSVField appends v as one CSV field, quoted if it holds a comma,
// a quote or a line break.
func appendCSVField(b, v []byte) []byte {
	quote := false
	for _, c := range v {
		if c == ',' || c == '"' || c == '\n' || c == '\r' {
			quote = true
			break
		}
	}
	if !quote {
		return append(b, v...)
	}
	b = append(b, '"')
	for _, c := range v {
		if c == '"' {
			b = append(b, '"')
		}
		b = append(b, c)
	}
	return append(b, '"')
}

// WriteXDM writes the world's records as XDM JSON lines, one object per
// record, in the order of [World.Records]:
//
//	{"timestamp":"2026-05-01T10:00:00Z","identityMap":{"ECID":[{"id":"…"}],"CRMID":[{"id":"…","authenticatedState":"authenticated"}]}}
//
// The keys of identityMap are namespace codes. Declared identities are
// marked authenticated (the record is a login); visitor IDs carry no
// state.
func (w *World) WriteXDM(dst io.Writer) error {
	lw := newLineWriter(dst)
	for rec := range w.Records() {
		lw.buf = appendXDM(lw.buf, rec.At, rec.IDs)
		if !lw.endLine() {
			break
		}
	}
	return lw.flush()
}

// appendXDM appends one record as an XDM object, grouping identities of
// the same namespace into one array.
func appendXDM(b []byte, at time.Time, ids []idtypes.ID) []byte {
	b = append(b, `{"timestamp":"`...)
	b = at.UTC().AppendFormat(b, time.RFC3339)
	b = append(b, `","identityMap":{`...)
	for i, id := range ids {
		ns := id.Namespace()
		seen := false
		for _, prev := range ids[:i] {
			if prev.Namespace() == ns {
				seen = true
				break
			}
		}
		if seen {
			continue
		}
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, ns.String())
		b = append(b, ":["...)
		first := true
		for _, same := range ids[i:] {
			if same.Namespace() != ns {
				continue
			}
			if !first {
				b = append(b, ',')
			}
			first = false
			b = append(b, `{"id":`...)
			n := len(b)
			b = same.AppendValue(b)
			b = quoteJSON(b, n)
			if !ns.Visitor() {
				b = append(b, `,"authenticatedState":"authenticated"`...)
			}
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	return append(b, "}}"...)
}

// appendJSONString appends s as a JSON string.
func appendJSONString(b []byte, s string) []byte {
	n := len(b)
	b = append(b, s...)
	return quoteJSON(b, n)
}

// quoteJSON turns b[n:] into a JSON string in place: it adds the quotes
// and escapes what JSON requires.
func quoteJSON(b []byte, n int) []byte {
	clean := true
	for _, c := range b[n:] {
		if c < 0x20 || c == '"' || c == '\\' {
			clean = false
			break
		}
	}
	if clean {
		b = append(b, '"')
		copy(b[n+1:], b[n:])
		b[n] = '"'
		return append(b, '"')
	}
	raw := string(b[n:])
	b = append(b[:n], '"')
	for i := 0; i < len(raw); i++ {
		switch c := raw[i]; {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c == '\n':
			b = append(b, `\n`...)
		case c == '\t':
			b = append(b, `\t`...)
		case c < 0x20:
			b = append(b, `\u00`...)
			b = append(b, hexLower[c>>4], hexLower[c&0xf])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}

// An AAMSegment is one Audience Manager segment (or trait) of an inbound
// or outbound file.
type AAMSegment struct {
	// SID is the segment's numeric ID.
	SID int
	// Members are the people who qualify.
	Members Segment
	// Removed are the people who no longer qualify; those who are also in
	// Members are ignored. The zero Segment removes nobody.
	Removed Segment
}

// WriteAAMInbound writes an Audience Manager inbound (onboarding) file for
// segs: one line per identity in ns (usually ECID, or CRMID as the
// partner's user ID) of every person in some segment's Members or
// Removed, in person order:
//
//	<id>\td_sid=24,d_sid=26,d_unsid=28
//
// with d_sid for the segments the person is a member of and d_unsid for
// those they were removed from, each in the order of segs. Only the
// segments' people matter, not their lines: the file holds no unknown or
// malformed lines.
func (w *World) WriteAAMInbound(dst io.Writer, ns idtypes.Namespace, segs []AAMSegment) error {
	return w.writeAAM(dst, ns, segs, func(b []byte, add, remove []int) []byte {
		b = append(b, '\t')
		for i, sid := range add {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, "d_sid="...)
			b = strconv.AppendInt(b, int64(sid), 10)
		}
		for i, sid := range remove {
			if i > 0 || len(add) > 0 {
				b = append(b, ',')
			}
			b = append(b, "d_unsid="...)
			b = strconv.AppendInt(b, int64(sid), 10)
		}
		return b
	})
}

// WriteAAMOutbound writes an Audience Manager outbound file in the
// default template for segs: one line per identity in ns of every person
// in some segment's Members or Removed, in person order:
//
//	<id> 24,26,27 25,28
//
// with the segments the person is a member of, then, after a second
// space, those they were removed from; a line with no removed segment
// ends after the first list. Like WriteAAMInbound, it writes no unknown or
// malformed lines.
func (w *World) WriteAAMOutbound(dst io.Writer, ns idtypes.Namespace, segs []AAMSegment) error {
	return w.writeAAM(dst, ns, segs, func(b []byte, add, remove []int) []byte {
		b = append(b, ' ')
		b = appendSIDs(b, add)
		if len(remove) > 0 {
			b = append(b, ' ')
			b = appendSIDs(b, remove)
		}
		return b
	})
}

func appendSIDs(b []byte, sids []int) []byte {
	for i, sid := range sids {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, int64(sid), 10)
	}
	return b
}

// writeAAM writes one line per identity in ns of every person some
// segment adds or removes; tail appends what follows the identity.
func (w *World) writeAAM(dst io.Writer, ns idtypes.Namespace, segs []AAMSegment, tail func(b []byte, add, remove []int) []byte) error {
	lw := newLineWriter(dst)
	var add, remove []int
	var suffix []byte
	for p := range w.People() {
		add, remove = add[:0], remove[:0]
		for _, sg := range segs {
			switch {
			case sg.Members.Contains(p):
				add = append(add, sg.SID)
			case sg.Removed.Contains(p):
				remove = append(remove, sg.SID)
			}
		}
		if len(add)+len(remove) == 0 {
			continue
		}
		suffix = tail(suffix[:0], add, remove)
		for _, id := range w.idsIn(p, ns) {
			lw.buf = id.AppendValue(lw.buf)
			lw.buf = append(lw.buf, suffix...)
			if !lw.endLine() {
				return lw.flush()
			}
		}
	}
	return lw.flush()
}
