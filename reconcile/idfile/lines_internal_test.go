package idfile

import (
	"bytes"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
	"testing/iotest"
)

// refLines splits input as lineReader should.
func refLines(input string, max int) []line {
	var out []line
	var off int64
	for i, raw := range strings.SplitAfter(input, "\n") {
		if raw == "" {
			break
		}
		text := string(trimEnding([]byte(raw)))
		if i == 0 {
			text = strings.TrimPrefix(text, bom)
		}
		l := line{n: i + 1, off: off, raw: []byte(raw), text: []byte(text)}
		if len(text) > max {
			l.tooLong, l.raw, l.text = true, nil, []byte(text[:min(len(text), maxText)])
		}
		out = append(out, l)
		off += int64(len(raw))
	}
	return out
}

func randomInput(r *rand.Rand) string {
	pieces := []string{"a", "bc", "\r", "\n", "\r\n", bom, "é", strings.Repeat("x", 300)}
	var sb strings.Builder
	if r.IntN(4) == 0 {
		sb.WriteString(bom)
	}
	for range r.IntN(60) {
		sb.WriteString(pieces[r.IntN(len(pieces))])
	}
	return sb.String()
}

func TestLineReaderModel(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 5000 {
		input := randomInput(r)
		max := 1 + r.IntN(400)
		size := 16 + r.IntN(64)
		var src io.Reader = strings.NewReader(input)
		switch i % 3 {
		case 1:
			src = iotest.OneByteReader(src)
		case 2:
			src = iotest.HalfReader(src)
		}
		lr := newLineReaderSize(src, max, size)
		want := refLines(input, max)
		for j := 0; ; j++ {
			got, err := lr.next()
			if err == io.EOF {
				if j != len(want) {
					t.Fatalf("input %q max %d: %d lines, want %d", input, max, j, len(want))
				}
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if j >= len(want) {
				t.Fatalf("input %q max %d: extra line %+v", input, max, got)
			}
			w := want[j]
			if got.n != w.n || got.off != w.off || got.tooLong != w.tooLong ||
				!bytes.Equal(got.text, w.text) || !bytes.Equal(got.raw, w.raw) {
				t.Fatalf("input %q max %d size %d: line %d = %+v, want %+v", input, max, size, j+1, got, w)
			}
		}
		if _, err := lr.next(); err != io.EOF {
			t.Fatalf("after the end: %v, want io.EOF", err)
		}
	}
}

func TestLineReaderReadError(t *testing.T) {
	lr := newLineReaderSize(io.MultiReader(strings.NewReader("a\nb"), iotest.ErrReader(io.ErrUnexpectedEOF)), 10, 16)
	l, err := lr.next()
	if err != nil || string(l.text) != "a" {
		t.Fatalf("first line = %q, %v", l.text, err)
	}
	for range 2 { // the error is sticky
		if _, err := lr.next(); err != io.ErrUnexpectedEOF {
			t.Fatalf("next = %v, want %v", err, io.ErrUnexpectedEOF)
		}
	}
}

func TestLineReaderBoundedMemory(t *testing.T) {
	// A 10 MiB line with a 1 KiB limit: the reader's buffers stay small.
	big := strings.Repeat("x", 10<<20)
	lr := newLineReader(strings.NewReader(big+"\nok\n"), 1024)
	l, err := lr.next()
	if err != nil || !l.tooLong || len(l.text) != maxText {
		t.Fatalf("long line = tooLong %v, %d bytes of text, %v", l.tooLong, len(l.text), err)
	}
	if c := cap(lr.acc); c > 1024+readBufSize+8 {
		t.Errorf("accumulation buffer grew to %d bytes", c)
	}
	l, err = lr.next()
	if err != nil || string(l.text) != "ok" || l.n != 2 || l.off != int64(len(big)+1) {
		t.Fatalf("next line = %+v, %v", l, err)
	}
}

func TestCut(t *testing.T) {
	s := strings.Repeat("a", maxText-1) + "é" + "tail"
	got := cut([]byte(s))
	if got != strings.Repeat("a", maxText-1) {
		t.Errorf("cut split a UTF-8 sequence: %q", got[maxText-4:])
	}
	if got := cut([]byte("short")); got != "short" {
		t.Errorf("cut(short) = %q", got)
	}
}

func TestCSVWideRowsKeepOnlyReadColumns(t *testing.T) {
	// A row of a quarter million fields, of which only the first two are read,
	// keeps two field ends and the bytes of two fields.
	row := "u-1,realized" + strings.Repeat(",x", 1<<18) + "\n"
	c := &csvReader{lr: newLineReader(strings.NewReader(row), DefaultMaxLine), max: DefaultMaxLine, comma: ',', keep: 2}
	if err := c.record(); err != nil {
		t.Fatal(err)
	}
	if c.nf != 2+1<<18 || len(c.ends) != 2 || string(c.field(0)) != "u-1" || string(c.field(1)) != "realized" {
		t.Fatalf("record: %d fields, ends %v, buf %q", c.nf, c.ends, c.buf)
	}
	if cap(c.buf) > 64 || cap(c.ends) > 64 {
		t.Errorf("kept %d bytes and %d field ends for two fields", cap(c.buf), cap(c.ends))
	}
}

func TestCSVUnterminatedQuoteBoundedMemory(t *testing.T) {
	// A quote that never closes, then 8 MiB of good rows, with a 4 KiB
	// limit: every row after the bad one is read, and the buffers for
	// reading rows again stay within a few times the limit.
	const limit = 4 << 10
	var sb strings.Builder
	sb.WriteString("CRMID\n\"u-0\n")
	n := 0
	for sb.Len() < 8<<20 {
		n++
		sb.WriteString("u-" + strings.Repeat("x", n%50) + "\n")
	}
	c := &csvReader{lr: newLineReader(strings.NewReader(sb.String()), limit), max: limit, comma: ','}
	rows, bad := 0, 0
	peak := 0
	for {
		err := c.record()
		if err == io.EOF {
			break
		}
		if err != nil {
			bad++
		} else {
			rows++
		}
		peak = max(peak, cap(c.replay)+cap(c.spare)+cap(c.raw)+cap(c.buf)+cap(c.lr.acc))
	}
	if bad != 1 || rows != n+1 { // the header is a row here
		t.Errorf("%d rows and %d bad, want %d and 1", rows, bad, n+1)
	}
	if peak > 8*limit {
		t.Errorf("buffers reached %d bytes with a limit of %d", peak, limit)
	}
}
