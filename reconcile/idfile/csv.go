package idfile

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"iter"
	"strconv"
	"strings"

	"github.com/idbits/idbits/idtypes"
)

// Status is the segment membership status of a row in a delta CSV file.
// The zero Status means the file has no status column: every row is a member.
type Status uint8

// Membership statuses, as Experience Platform writes them.
const (
	Realized Status = 1 + iota // the profile is in the audience; "existing" reads as Realized
	Exited                     // the profile has left the audience
)

// String returns "realized", "exited", or "" for the zero Status.
func (s Status) String() string {
	switch s {
	case 0:
		return ""
	case Realized:
		return "realized"
	case Exited:
		return "exited"
	}
	return "Status(" + strconv.Itoa(int(s)) + ")"
}

func parseStatus(b []byte) (Status, bool) {
	b = trimSpace(b)
	switch {
	case bytes.EqualFold(b, []byte("realized")), bytes.EqualFold(b, []byte("existing")):
		return Realized, true
	case bytes.EqualFold(b, []byte("exited")):
		return Exited, true
	}
	return 0, false
}

// StatusColumn is the header of the membership status column of delta CSV
// files, matched without regard to case.
const StatusColumn = "segmentMembershipStatus"

// CSVOptions configure [ReadCSV] and [WriteCSV]. The zero value reads a
// comma-separated file with one column headed by a namespace code.
type CSVOptions struct {
	// Column is the header of the identifier column, matched without regard
	// to case. If empty, a reader takes the one column whose header is a
	// namespace code (or, with Namespace set, the one headed by that
	// namespace's code), and a writer heads the column with the namespace
	// code.
	Column string
	// Namespace is the namespace of the identifier column's values. If
	// zero, a reader takes it from the column's header and a writer from
	// the first ID.
	Namespace idtypes.Namespace
	// Delta says the file lists membership changes in a StatusColumn
	// column. A reader then requires that column (without Delta it reads
	// the column if there is one); a writer writes it.
	Delta bool
	// Comma is the field separator; zero means ','. It cannot be '"', '\r'
	// or '\n'.
	Comma byte
	// MaxLine is the longest row read, in bytes without its ending (for a
	// row spanning lines, all its lines); zero means DefaultMaxLine.
	MaxLine int
}

func (o *CSVOptions) comma() (byte, error) {
	switch o.Comma {
	case 0:
		return ',', nil
	case '"', '\r', '\n':
		return 0, fmt.Errorf("idfile: CSV separator %q is not allowed", o.Comma)
	}
	return o.Comma, nil
}

// ReadCSV returns the identifiers of a CSV file with a header, in order.
//
// The header (the first line that is not blank) picks the identifier column
// and its namespace as opts says; other columns are ignored, except the
// StatusColumn, whose values "realized", "existing" and "exited" (in any
// case) set Line.Status. Rows are read as RFC 4180 has them: fields may be
// quoted, with "" for a quote inside, and a quoted field may span lines.
// Rows may have any number of fields, as long as they reach the columns
// read. Identifier and status values are trimmed of ASCII white space.
// Blank lines are skipped; a UTF-8 byte order mark at the start is ignored.
//
// A bad row yields a zero Line and a *LineError (wrapping ErrQuote,
// ErrFormat, ErrLineTooLong or the *idtypes.ParseError), and reading goes
// on. If a row with a quoted field spanning lines turns out bad (the quote
// is never closed, say), its first line is reported and reading resumes on
// the line after it, so that one stray quote costs one row, not the rest of
// the file. A header without a usable identifier column ends the iteration
// with an error wrapping ErrHeader, and so does a read error. The iteration
// reads r once, as it goes, and holds at most a few times opts.MaxLine
// bytes.
func ReadCSV(r io.Reader, opts CSVOptions) iter.Seq2[Line, error] {
	return func(yield func(Line, error) bool) {
		comma, err := opts.comma()
		if err != nil {
			yield(Line{}, err)
			return
		}
		c := &csvReader{
			lr:    newLineReader(r, maxLine(opts.MaxLine, DefaultMaxLine)),
			comma: comma,
		}
		c.max = c.lr.max
		cols, err := c.header(&opts)
		if err != nil {
			yield(Line{}, err)
			return
		}
		c.keep = max(cols.id, cols.status) + 1
		for {
			err := c.record()
			if err == io.EOF {
				return
			}
			if err != nil {
				if _, ok := err.(*LineError); !ok {
					yield(Line{}, err)
					return
				}
				if !yield(Line{}, err) {
					return
				}
				continue
			}
			ln, err := c.row(cols)
			if !yield(ln, err) {
				return
			}
		}
	}
}

// csvCols are the columns a reader reads.
type csvCols struct {
	id, status         int // status is -1 if there is none
	idName, statusName string
	ns                 idtypes.Namespace
}

// header reads the header row and picks the columns.
func (c *csvReader) header(opts *CSVOptions) (csvCols, error) {
	err := c.record()
	if err == io.EOF {
		return csvCols{}, fmt.Errorf("idfile: CSV file is empty: %w", ErrHeader)
	}
	if le, ok := err.(*LineError); ok {
		return csvCols{}, fmt.Errorf("idfile: CSV header on line %d: %w: %w", le.Line, ErrHeader, le.Err)
	}
	if err != nil {
		return csvCols{}, err
	}
	names := make([]string, len(c.ends))
	for i := range names {
		names[i] = string(trimSpace(c.field(i)))
	}
	fail := func(format string, args ...any) (csvCols, error) {
		return csvCols{}, fmt.Errorf("idfile: CSV header on line %d: "+format+": %w", append(append([]any{c.cur.n}, args...), ErrHeader)...)
	}

	cols := csvCols{id: -1, status: -1, ns: opts.Namespace}
	var matches []string
	for i, name := range names {
		if strings.EqualFold(name, StatusColumn) {
			if cols.status >= 0 {
				return fail("two %s columns", StatusColumn)
			}
			cols.status, cols.statusName = i, name
			continue
		}
		var ok bool
		switch {
		case opts.Column != "":
			ok = strings.EqualFold(name, opts.Column)
		default:
			ns, err := idtypes.ParseNamespace(name)
			ok = err == nil && (opts.Namespace == 0 || ns == opts.Namespace)
		}
		if ok {
			matches = append(matches, name)
			cols.id, cols.idName = i, name
		}
	}
	switch {
	case len(matches) > 1:
		return fail("several identifier columns %q; name one in the options", matches)
	case len(matches) == 0 && opts.Column != "":
		return fail("no column %q", opts.Column)
	case len(matches) == 0 && opts.Namespace != 0:
		return fail("no column headed %v", opts.Namespace)
	case len(matches) == 0:
		return fail("no column headed by a namespace code")
	}
	if cols.ns == 0 {
		ns, err := idtypes.ParseNamespace(cols.idName)
		if err != nil {
			return csvCols{}, fmt.Errorf("idfile: CSV header on line %d: column %q does not name a namespace; set one in the options: %w: %w", c.cur.n, cols.idName, ErrHeader, err)
		}
		cols.ns = ns
	}
	if opts.Delta && cols.status < 0 {
		return fail("no %s column", StatusColumn)
	}
	return cols, nil
}

// row turns the current record into a Line, or a *LineError.
func (c *csvReader) row(cols csvCols) (Line, error) {
	need := max(cols.id, cols.status) + 1
	if c.nf < need {
		return Line{}, lineError(&c.cur, "", fmt.Errorf("%w: row has %d fields, want at least %d", ErrFormat, c.nf, need))
	}
	id, err := parseValue(cols.ns, c.field(cols.id))
	if err != nil {
		return Line{}, lineError(&c.cur, cols.idName, err)
	}
	ln := Line{N: c.cur.n, ID: id}
	if cols.status >= 0 {
		st, ok := parseStatus(c.field(cols.status))
		if !ok {
			return Line{}, lineError(&c.cur, cols.statusName, fmt.Errorf("%w: membership status %q is not realized, existing or exited", ErrFormat, cut(c.field(cols.status))))
		}
		ln.Status = st
	}
	return ln, nil
}

// Quoting errors.
var (
	errBareQuote  = fmt.Errorf("%w: quote in an unquoted field", ErrQuote)
	errAfterQuote = fmt.Errorf("%w: text after a closing quote", ErrQuote)
	errOpenQuote  = fmt.Errorf("%w: quoted field not closed", ErrQuote)
)

// csvReader splits RFC 4180 records. It is written for this package, rather
// than taken from encoding/csv, for two reasons: encoding/csv holds a whole
// record however long it is, and a quote that is never closed makes it read
// the rest of the file as one field, losing every row after it.
type csvReader struct {
	lr    *lineReader
	max   int
	comma byte

	// The current record.
	cur  line   // its first line; cur.text stays valid until the next record
	buf  []byte // its fields, unquoted, back to back
	ends []int  // the end of each field in buf
	nf   int    // how many fields it has
	keep int    // how many fields to keep in buf and ends; 0 keeps all
	raw  []byte // its lines after the first, as read, kept to be read again if it is bad
	text []byte // the start of cur.text, when the record spans lines

	// Lines to read again, before reading on.
	replay, spare []byte
	rpos          int   // how much of replay has been read
	rn            int   // the number of the next line in replay
	roff          int64 // its offset
	pend          line  // an over-long line to deliver after replay
	hasPend       bool
}

// field returns field i of the current record.
func (c *csvReader) field(i int) []byte {
	start := 0
	if i > 0 {
		start = c.ends[i-1]
	}
	return c.buf[start:c.ends[i]]
}

// line returns the next line: from replay, then the pending line, then the input.
func (c *csvReader) line() (line, error) {
	if c.rpos < len(c.replay) {
		raw := c.replay[c.rpos:]
		if i := bytes.IndexByte(raw, '\n'); i >= 0 {
			raw = raw[:i+1]
		}
		l := line{text: trimEnding(raw), raw: raw, n: c.rn, off: c.roff}
		c.rpos += len(raw)
		c.rn++
		c.roff += int64(len(raw))
		return l, nil
	}
	if c.hasPend {
		c.hasPend = false
		return c.pend, nil
	}
	return c.lr.next()
}

// record reads the next record into cur, buf and ends. It returns nil, a
// *LineError for a bad record, io.EOF, or a read error.
func (c *csvReader) record() error {
	for {
		l, err := c.line()
		if err != nil {
			if err != io.EOF {
				err = readError(c.lr, err)
			}
			return err
		}
		if l.tooLong {
			return lineError(&l, "", ErrLineTooLong)
		}
		if c.blank(l.text) {
			continue
		}
		c.cur = l
		c.buf, c.ends, c.raw, c.nf = c.buf[:0], c.ends[:0], c.raw[:0], 0
		done, err := c.feed(l.text, false)
		if err != nil {
			return lineError(&c.cur, "", err)
		}
		if done {
			return nil
		}
		// A quoted field goes on to the next line. Keep what an error
		// report needs of the first line, which the next read may overwrite.
		c.text = append(c.text[:0], c.cur.text[:min(len(c.cur.text), maxText)]...)
		c.cur.text = c.text
		size := len(l.raw)
		for !done {
			l, err := c.line()
			switch {
			case err == io.EOF:
				return c.fail(errOpenQuote)
			case err != nil:
				return readError(c.lr, err)
			case l.tooLong:
				c.pend, c.hasPend = l, true
				return c.fail(errOpenQuote)
			}
			c.raw = append(c.raw, l.raw...)
			if size += len(l.raw); size > c.max {
				return c.fail(fmt.Errorf("%w within %d bytes", errOpenQuote, c.max))
			}
			if done, err = c.feed(l.text, true); err != nil {
				return c.fail(err)
			}
		}
		return nil
	}
}

// fail reports the current record, which spans lines, as bad, and arranges
// for its lines after the first to be read again.
func (c *csvReader) fail(reason error) error {
	nb := append(c.spare[:0], c.raw...)
	nb = append(nb, c.replay[c.rpos:]...)
	c.spare, c.replay, c.rpos = c.replay, nb, 0
	c.rn, c.roff = c.cur.n+1, c.cur.off+int64(len(c.cur.raw))
	return lineError(&c.cur, "", reason)
}

// blank reports whether a line has nothing but spaces and tabs that are not
// separators.
func (c *csvReader) blank(b []byte) bool {
	for _, x := range b {
		if x != ' ' && x != '\t' || x == c.comma {
			return false
		}
	}
	return true
}

// feed parses one line of a record. cont says the line continues a quoted
// field. It reports whether the record is complete. It keeps the content of
// the first c.keep fields only (all if c.keep is 0), so that wide files
// cost no more than the columns read.
func (c *csvReader) feed(text []byte, cont bool) (done bool, err error) {
	i := 0
	quoted := cont
	want := c.keep == 0 || c.nf < c.keep
	if cont && want {
		c.buf = append(c.buf, '\n')
	}
	for {
		if !quoted {
			if i < len(text) && text[i] == '"' {
				quoted = true
				i++
				continue
			}
			f := text[i:]
			j := bytes.IndexByte(f, c.comma)
			if j >= 0 {
				f = f[:j]
			}
			if bytes.IndexByte(f, '"') >= 0 {
				return true, errBareQuote
			}
			if want {
				c.buf = append(c.buf, f...)
			}
			c.endField(want)
			want = c.keep == 0 || c.nf < c.keep
			if j < 0 {
				return true, nil
			}
			i += j + 1
			continue
		}
		j := bytes.IndexByte(text[i:], '"')
		if j < 0 {
			if want {
				c.buf = append(c.buf, text[i:]...)
			}
			return false, nil
		}
		if want {
			c.buf = append(c.buf, text[i:i+j]...)
		}
		i += j + 1
		if i < len(text) && text[i] == '"' {
			if want {
				c.buf = append(c.buf, '"')
			}
			i++
			continue
		}
		quoted = false
		c.endField(want)
		want = c.keep == 0 || c.nf < c.keep
		if i == len(text) {
			return true, nil
		}
		if text[i] != c.comma {
			return true, errAfterQuote
		}
		i++
	}
}

// endField ends the current field, recording where it ends if it is kept.
func (c *csvReader) endField(keep bool) {
	if keep {
		c.ends = append(c.ends, len(c.buf))
	}
	c.nf++
}

// WriteCSV writes lines as a CSV file that [ReadCSV] reads back with the
// same options: a header, then one row per line. The identifier column is
// headed opts.Column, or else the namespace code. With opts.Delta, a
// StatusColumn column follows, holding each Line's Status ("realized" or
// "exited"). Fields are quoted when they hold the separator or a quote.
// Rows end in "\n"; Line.N is ignored.
//
// It stops at the first error: a write error, or a line wrapped in
// ErrUnwritable (the zero ID, an ID of another namespace than the first
// one's or opts.Namespace, a delta row without a status, or an Exited row
// in a file that is not a delta). An empty lines with neither opts.Column
// nor opts.Namespace set is ErrUnwritable too: the header needs a name.
func WriteCSV(w io.Writer, lines iter.Seq[Line], opts CSVOptions) error {
	comma, err := opts.comma()
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, writeBufSize)
	ns := opts.Namespace
	header := false
	buf := make([]byte, 0, 128)
	writeHeader := func() error {
		name := opts.Column
		if name == "" {
			name = ns.String()
		}
		buf = appendField(buf[:0], []byte(name), comma)
		if opts.Delta {
			buf = append(buf, comma)
			buf = append(buf, StatusColumn...)
		}
		buf = append(buf, '\n')
		_, err := bw.Write(buf)
		header = true
		return err
	}
	var val []byte
	for ln := range lines {
		id := ln.ID
		if !id.IsValid() {
			return fmt.Errorf("idfile: write CSV: zero ID: %w", ErrUnwritable)
		}
		if ns == 0 {
			ns = id.Namespace()
		}
		if id.Namespace() != ns {
			return fmt.Errorf("idfile: write %v CSV: %s: %w", ns, id.Text(), ErrUnwritable)
		}
		switch {
		case opts.Delta && ln.Status != Realized && ln.Status != Exited:
			return fmt.Errorf("idfile: write delta CSV: %s has no membership status: %w", id.Text(), ErrUnwritable)
		case !opts.Delta && ln.Status == Exited:
			return fmt.Errorf("idfile: write CSV: %s has exited, and the file is not a delta: %w", id.Text(), ErrUnwritable)
		}
		if !header {
			if err := writeHeader(); err != nil {
				return err
			}
		}
		val = id.AppendValue(val[:0])
		buf = appendField(buf[:0], val, comma)
		if opts.Delta {
			buf = append(buf, comma)
			buf = append(buf, ln.Status.String()...)
		}
		buf = append(buf, '\n')
		if _, err := bw.Write(buf); err != nil {
			return err
		}
	}
	if !header {
		if opts.Column == "" && ns == 0 {
			return fmt.Errorf("idfile: write CSV: no rows, and no Column or Namespace to head the column: %w", ErrUnwritable)
		}
		if err := writeHeader(); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// appendField appends f, quoted if it needs to be.
func appendField(b, f []byte, comma byte) []byte {
	if !bytes.ContainsAny(f, "\"\r\n") && bytes.IndexByte(f, comma) < 0 &&
		(len(f) == 0 || !isSpace(f[0]) && !isSpace(f[len(f)-1])) {
		return append(b, f...)
	}
	b = append(b, '"')
	for {
		i := bytes.IndexByte(f, '"')
		if i < 0 {
			break
		}
		b = append(b, f[:i+1]...)
		b = append(b, '"')
		f = f[i+1:]
	}
	b = append(b, f...)
	return append(b, '"')
}
