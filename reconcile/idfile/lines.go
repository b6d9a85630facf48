package idfile

import (
	"bufio"
	"bytes"
	"io"
)

// Line length limits.
const (
	// DefaultMaxLine is the longest line, in bytes without its line ending,
	// that the readers accept when their options leave MaxLine zero.
	DefaultMaxLine = 1 << 20
	// AAMMaxLine is Audience Manager's limit for inbound trait files, the
	// default MaxLine of [ReadAAMInbound]: longer lines are dropped.
	AAMMaxLine = 102400
)

const (
	readBufSize = 64 << 10
	bom         = "\xef\xbb\xbf"
)

// line is one line of input.
type line struct {
	text    []byte // the line without its ending (and without a leading BOM on line 1); if tooLong, its first bytes only
	raw     []byte // the line as read, ending included; nil if tooLong
	n       int    // 1-based line number
	off     int64  // offset of the line's first byte
	tooLong bool   // the line is longer than the limit and was skipped
}

// lineReader splits its input into lines ending in "\n" or "\r\n" (a last
// line may have no ending) without ever holding more than about max bytes,
// unlike bufio.Scanner, which gives up on the whole input at the first long
// line. The slices it returns are valid until the next call to next.
type lineReader struct {
	br  *bufio.Reader
	max int
	acc []byte // a line that did not fit bufio's buffer in one piece
	n   int
	off int64
	err error // sticky: io.EOF or the read error
}

func newLineReader(r io.Reader, max int) *lineReader {
	return newLineReaderSize(r, max, readBufSize)
}

func newLineReaderSize(r io.Reader, max, size int) *lineReader {
	return &lineReader{br: bufio.NewReaderSize(r, size), max: max}
}

// maxLine returns n, or def when n is zero or less.
func maxLine(n, def int) int {
	if n <= 0 {
		return def
	}
	return n
}

// next returns the next line, io.EOF after the last one, or the read error.
// Once it has returned an error it returns it again.
func (lr *lineReader) next() (line, error) {
	if lr.err != nil {
		return line{}, lr.err
	}
	lr.acc = lr.acc[:0]
	var (
		raw     []byte
		size    int64
		tooLong bool
	)
	for {
		chunk, err := lr.br.ReadSlice('\n')
		size += int64(len(chunk))
		if err == bufio.ErrBufferFull {
			if !tooLong && len(lr.acc)+len(chunk) > lr.max+len("\r\n")+len(bom) {
				tooLong = true // over the limit whatever the ending
			}
			if tooLong {
				lr.acc = appendUpTo(lr.acc, chunk, maxText+len(bom))
			} else {
				lr.acc = append(lr.acc, chunk...)
			}
			continue
		}
		if err != nil && err != io.EOF {
			lr.err = err
			return line{}, err
		}
		if err == io.EOF {
			lr.err = io.EOF
			if size == 0 {
				return line{}, io.EOF
			}
		}
		switch {
		case tooLong:
			lr.acc = appendUpTo(lr.acc, chunk, maxText+len(bom))
		case len(lr.acc) == 0:
			raw = chunk
		default:
			lr.acc = append(lr.acc, chunk...)
			raw = lr.acc
		}
		break
	}
	l := line{n: lr.n + 1, off: lr.off}
	lr.n++
	lr.off += size
	if tooLong {
		l.text = lr.acc
		if int64(len(l.text)) == size { // the whole line is there
			l.text = trimEnding(l.text)
		}
	} else {
		l.raw = raw
		l.text = trimEnding(raw)
	}
	if l.n == 1 {
		l.text = bytes.TrimPrefix(l.text, []byte(bom))
	}
	if tooLong || len(l.text) > lr.max {
		l.text, l.raw, l.tooLong = l.text[:min(len(l.text), maxText)], nil, true
	}
	return l, nil
}

// trimEnding removes a trailing "\n" or "\r\n", or a lone "\r" at the end of
// the input.
func trimEnding(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
	}
	if n := len(b); n > 0 && b[n-1] == '\r' {
		b = b[:n-1]
	}
	return b
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

// trimSpace removes surrounding ASCII white space, as idtypes.Parse does.
func trimSpace(b []byte) []byte {
	i, j := 0, len(b)
	for i < j && isSpace(b[i]) {
		i++
	}
	for j > i && isSpace(b[j-1]) {
		j--
	}
	return b[i:j]
}

// appendUpTo appends as much of b to dst as keeps it within n bytes.
func appendUpTo(dst, b []byte, n int) []byte {
	return append(dst, b[:max(0, min(len(b), n-len(dst)))]...)
}
