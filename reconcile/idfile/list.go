package idfile

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"iter"

	"github.com/idbits/idbits/idtypes"
)

// Line is one identifier read from a plain list or a CSV file.
type Line struct {
	N      int        // 1-based line number; for a CSV row spanning lines, its first line
	ID     idtypes.ID // always valid
	Status Status     // a CSV row's segmentMembershipStatus; zero when the file has none
}

// ListOptions configure [ReadList] and [WriteList]. The zero value reads and
// writes "NS:value" lines.
type ListOptions struct {
	// Namespace, if set, makes every line a bare value of this namespace.
	// A colon is then part of the value. If zero, every line is "NS:value"
	// (as idtypes.ParseText reads it) and namespaces may differ from line
	// to line.
	Namespace idtypes.Namespace
	// MaxLine is the longest line read, in bytes without its ending;
	// zero means DefaultMaxLine.
	MaxLine int
}

// ReadList returns the identifiers of a plain list, one per line, in order.
//
// Each line is "NS:value" or, when opts.Namespace is set, a bare value.
// Lines are trimmed of ASCII white space; blank lines and lines starting
// with '#' are skipped. Lines end in "\n" or "\r\n"; the last one needs no
// ending. A UTF-8 byte order mark at the start is ignored.
//
// A bad line yields a zero Line and a *LineError (wrapping ErrLineTooLong
// or the *idtypes.ParseError), and reading goes on. A read error ends the
// iteration with that error. The iteration reads r once, as it goes; it
// holds at most about opts.MaxLine bytes, and for ECIDs and AAM UUIDs it
// does not allocate per line.
func ReadList(r io.Reader, opts ListOptions) iter.Seq2[Line, error] {
	return func(yield func(Line, error) bool) {
		lr := newLineReader(r, maxLine(opts.MaxLine, DefaultMaxLine))
		var p textParser
		for {
			l, err := lr.next()
			if err == io.EOF {
				return
			}
			if err != nil {
				yield(Line{}, readError(lr, err))
				return
			}
			if l.tooLong {
				if !yield(Line{}, lineError(&l, "", ErrLineTooLong)) {
					return
				}
				continue
			}
			text := trimSpace(l.text)
			if len(text) == 0 || text[0] == '#' {
				continue
			}
			var id idtypes.ID
			if opts.Namespace == 0 {
				id, err = p.parse(text)
			} else {
				id, err = parseValue(opts.Namespace, text)
			}
			if err != nil {
				if !yield(Line{}, lineError(&l, "", err)) {
					return
				}
				continue
			}
			if !yield(Line{N: l.n, ID: id}, nil) {
				return
			}
		}
	}
}

// readError wraps an error of the underlying reader.
func readError(lr *lineReader, err error) error {
	return fmt.Errorf("idfile: read after line %d: %w", lr.n, err)
}

// WriteList writes ids as a plain list that [ReadList] reads back with the
// same options: one "NS:value" per line, or bare values when opts.Namespace
// is set. Every line ends in "\n". It stops at the first error: a write
// error, or an ID wrapped in ErrUnwritable (the zero ID; with
// opts.Namespace set, an ID of another namespace or a value starting with
// '#' or a byte order mark). It does not allocate per ID.
func WriteList(w io.Writer, ids iter.Seq[idtypes.ID], opts ListOptions) error {
	bw := bufio.NewWriterSize(w, writeBufSize)
	buf := make([]byte, 0, 128)
	for id := range ids {
		if !id.IsValid() {
			return fmt.Errorf("idfile: write list: zero ID: %w", ErrUnwritable)
		}
		buf = buf[:0]
		if opts.Namespace == 0 {
			buf, _ = id.AppendText(buf)
		} else {
			if id.Namespace() != opts.Namespace {
				return fmt.Errorf("idfile: write %v list: %s: %w", opts.Namespace, id.Text(), ErrUnwritable)
			}
			buf = id.AppendValue(buf)
			if buf[0] == '#' || bytes.HasPrefix(buf, []byte(bom)) {
				return fmt.Errorf("idfile: write %v list: %q would not read back as a bare value: %w", opts.Namespace, buf, ErrUnwritable)
			}
		}
		buf = append(buf, '\n')
		if _, err := bw.Write(buf); err != nil {
			return err
		}
	}
	return bw.Flush()
}

const writeBufSize = 64 << 10
