package idfile

import (
	"errors"
	"strconv"
)

// Reasons a line is rejected, beside the idtypes reasons (idtypes.ErrSyntax,
// ErrRange, ErrBlocked, ErrTooLong, ErrNamespace) that a *LineError wraps
// when an identifier does not parse. Match them with [errors.Is].
var (
	// ErrLineTooLong reports a line longer than the reader's MaxLine. The
	// line is skipped and reading goes on with the next one.
	ErrLineTooLong = errors.New("line too long")
	// ErrFormat reports a line whose structure is wrong: bad JSON, a missing
	// or extra TAB, a trait that is not a number, a CSV row too short to
	// hold the identifier column, an unknown membership status.
	ErrFormat = errors.New("malformed line")
	// ErrQuote reports a CSV row whose quoting breaks RFC 4180: a quote
	// inside an unquoted field, text after a closing quote, or a quoted
	// field that is never closed.
	ErrQuote = errors.New("bad quoting")
	// ErrTimestamp reports an XDM record without a timestamp, or with one
	// that is not an RFC 3339 time.
	ErrTimestamp = errors.New("missing or bad timestamp")
	// ErrHeader reports a CSV file whose header does not name exactly one
	// usable identifier column (or status column, when one is required).
	// It ends the iteration: it is never a *LineError.
	ErrHeader = errors.New("bad CSV header")
	// ErrUnwritable reports an identifier that a writer cannot put in its
	// format so that the reader gives it back: the zero ID, an ID of another
	// namespace than the file's, a bare list value that would read as a
	// comment, or a CSV row without a membership status in a delta file.
	ErrUnwritable = errors.New("identifier cannot be written in this format")
)

// maxText is how many bytes of a bad line LineError.Text keeps.
const maxText = 256

// LineError reports one bad line (or one bad part of a line) of a file. The
// readers deliver it in place of the value and go on reading: it never ends
// an iteration. Its Err is the reason; errors.Is sees through it to the
// sentinels of this package and of idtypes:
//
//	errors.Is(err, idfile.ErrLineTooLong)
//	errors.Is(err, idtypes.ErrBlocked)
type LineError struct {
	Line   int    // 1-based line number; for a CSV row spanning lines, its first line
	Offset int64  // byte offset of the start of the line in the input
	Field  string // the part of the line at fault, if not all of it: a CSV column, an XDM path such as identityMap.ECID[1], an AAM trait token
	Text   string // the line, cut to its first 256 bytes (at a character boundary)
	// Len is the length of the line in bytes, so Text was shortened when
	// Len > len(Text). A line over the reader's limit (ErrLineTooLong) is
	// not read to its end: Len is then the limit.
	Len int
	Err error // the reason: a sentinel of this package, or an *idtypes.ParseError
}

// Error returns a message such as
//
//	idfile: line 12: identityMap.ECID[1]: idtypes: parse ECID "123": invalid syntax
func (e *LineError) Error() string {
	msg := "idfile: line " + strconv.Itoa(e.Line) + ": "
	if e.Field != "" {
		msg += e.Field + ": "
	}
	if e.Err == nil {
		return msg + "<nil>"
	}
	return msg + e.Err.Error()
}

// Unwrap returns the reason.
func (e *LineError) Unwrap() error { return e.Err }

// lineError builds the error for line l. It copies what it keeps of l.text.
func lineError(l *line, field string, err error) *LineError {
	return &LineError{Line: l.n, Offset: l.off, Field: field, Text: cut(l.text), Len: len(l.text), Err: err}
}

// cut returns the first maxText bytes of b as a string, not splitting a
// UTF-8 sequence if it can help it.
func cut(b []byte) string {
	if len(b) <= maxText {
		return string(b)
	}
	n := maxText
	for i := 0; i < 3 && n > 0 && b[n]&0xc0 == 0x80; i++ {
		n--
	}
	return string(b[:n])
}
