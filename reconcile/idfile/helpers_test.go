package idfile_test

import (
	"errors"
	"iter"
	"os"
	"path/filepath"
	"testing"

	"github.com/idbits/idbits/reconcile/idfile"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// bad is a *LineError a test expects.
type bad struct {
	line  int
	err   error  // matched with errors.Is
	field string // matched exactly
}

// openTestdata opens a file under testdata, closed when the test ends.
func openTestdata(t testing.TB, name string) *os.File {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	require.NoError(t, err)
	t.Cleanup(func() { f.Close() })
	return f
}

// collect ranges over seq, splitting values from *LineErrors. Any other
// error fails the test.
func collect[T any](t testing.TB, seq iter.Seq2[T, error]) (good []T, bads []*idfile.LineError) {
	t.Helper()
	for v, err := range seq {
		if err == nil {
			good = append(good, v)
			continue
		}
		var le *idfile.LineError
		require.ErrorAs(t, err, &le, "only *LineError may come before the end")
		var zero T
		require.Equal(t, zero, v, "the value beside an error is zero")
		bads = append(bads, le)
	}
	return good, bads
}

// checkBads checks the errors against the expected ones, in order.
func checkBads(t testing.TB, got []*idfile.LineError, want []bad) {
	t.Helper()
	require.Len(t, got, len(want), "errors: %v", got)
	for i, w := range want {
		g := got[i]
		assert.Equal(t, w.line, g.Line, "error %d: %v", i, g)
		assert.ErrorIs(t, g, w.err, "error %d on line %d", i, g.Line)
		assert.Equal(t, w.field, g.Field, "error %d on line %d: %v", i, g.Line, g)
		assert.NotEmpty(t, g.Error())
	}
}

// checkOffsets checks that each error's Offset and Text agree with the input.
func checkOffsets(t testing.TB, input []byte, got []*idfile.LineError) {
	t.Helper()
	for _, g := range got {
		require.LessOrEqual(t, g.Offset, int64(len(input)))
		rest := string(input[g.Offset:])
		if g.Offset == 0 {
			rest = trimBOM(rest)
		}
		assert.True(t, len(rest) >= len(g.Text) && rest[:len(g.Text)] == g.Text,
			"line %d: text %q is not at offset %d", g.Line, g.Text, g.Offset)
		assert.LessOrEqual(t, len(g.Text), 256)
	}
}

func trimBOM(s string) string {
	if len(s) >= 3 && s[:3] == "\xef\xbb\xbf" {
		return s[3:]
	}
	return s
}

// errReader returns its data, then err.
type errReader struct {
	data []byte
	err  error
}

func (r *errReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, r.err
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

var errDisk = errors.New("disk on fire")

func asLineError(err error, le **idfile.LineError) bool { return errors.As(err, le) }
