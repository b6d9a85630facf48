package cli

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idbits/idbits/reconcile/idfile"
)

var errWork = errors.New("work failed")

// names lists the names in dir.
func names(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var ns []string
	for _, e := range entries {
		ns = append(ns, e.Name())
	}
	return ns
}

func content(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	require.NoError(t, err)
	return string(b)
}

// twoFiles is a command that stages a and b, then ends as end says.
func twoFiles(a, b string, end func(ctx context.Context) error) Command {
	return func(ctx context.Context, _ []string, out *idfile.Outputs, stdout, _ io.Writer) error {
		for _, name := range []string{a, b} {
			if _, err := out.Write(name, 0o644, func(w io.Writer) error {
				_, err := io.WriteString(w, "new "+filepath.Base(name))
				return err
			}); err != nil {
				return err
			}
		}
		io.WriteString(stdout, "done\n")
		return end(ctx)
	}
}

func TestRun(t *testing.T) {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	for _, tc := range []struct {
		name    string
		ctx     context.Context
		end     func(ctx context.Context) error
		err     error // nil: the files are committed
		panics  bool
		missing bool // b's folder is missing
	}{
		{name: "success", ctx: context.Background(), end: func(context.Context) error { return nil }},
		{name: "error", ctx: context.Background(), end: func(context.Context) error { return errWork }, err: errWork},
		{name: "cancelled", ctx: cancelled, end: func(context.Context) error { return nil }, err: context.Canceled},
		{name: "panic", ctx: context.Background(), end: func(context.Context) error { panic("boom") }, panics: true},
		{name: "second output fails", ctx: context.Background(), end: func(context.Context) error { return nil }, err: os.ErrNotExist, missing: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
			require.NoError(t, os.WriteFile(a, []byte("old a"), 0o644))
			if tc.missing {
				b = filepath.Join(dir, "missing", "b")
			}
			var stdout bytes.Buffer
			var err error
			func() {
				defer func() {
					if r := recover(); r != nil {
						assert.True(t, tc.panics, "panic: %v", r)
						err = errWork
					}
				}()
				err = Run(tc.ctx, twoFiles(a, b, tc.end), nil, &stdout, io.Discard)
			}()
			if tc.err == nil && !tc.panics {
				require.NoError(t, err)
				assert.Equal(t, "new a", content(t, a))
				assert.Equal(t, "new b", content(t, b))
				assert.Equal(t, []string{"a", "b"}, names(t, dir))
				return
			}
			require.Error(t, err)
			if tc.err != nil {
				assert.ErrorIs(t, err, tc.err)
			}
			assert.Equal(t, "old a", content(t, a), "the run failed: a is as it was")
			assert.Equal(t, []string{"a"}, names(t, dir), "and no temporary file is left")
		})
	}
}

// blocked returns a command that stages a and b, says so on staged, and
// waits for its context to end, as a long run would.
func blocked(a, b string, staged chan<- struct{}, stopped chan<- error) Command {
	return twoFiles(a, b, func(ctx context.Context) error {
		close(staged)
		<-ctx.Done()
		stopped <- ctx.Err()
		return ctx.Err()
	})
}

func TestServeSignal(t *testing.T) {
	for _, tc := range []struct {
		sig    os.Signal
		status int
	}{
		{os.Interrupt, 130},
		{syscall.SIGTERM, 143},
	} {
		t.Run(tc.sig.String(), func(t *testing.T) {
			dir := t.TempDir()
			a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
			require.NoError(t, os.WriteFile(a, []byte("old a"), 0o644))
			staged, stopped := make(chan struct{}), make(chan error, 1)
			sigs := make(chan os.Signal, 1)
			go func() {
				<-staged
				sigs <- tc.sig
			}()
			var stderr bytes.Buffer
			status := serve("prog", blocked(a, b, staged, stopped), nil, io.Discard, &stderr, sigs)
			assert.Equal(t, tc.status, status)
			assert.Equal(t, "prog: "+tc.sig.String()+": stopped; no output written\n", stderr.String())
			assert.ErrorIs(t, <-stopped, context.Canceled, "the command's context is cancelled")
			assert.Equal(t, "old a", content(t, a))
			assert.Equal(t, []string{"a"}, names(t, dir), "no temporary file is left")
		})
	}
}

func TestServeStatus(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	var stdout, stderr bytes.Buffer
	ok := twoFiles(a, b, func(context.Context) error { return nil })
	assert.Equal(t, 0, serve("prog", ok, nil, &stdout, &stderr, nil))
	assert.Equal(t, "done\n", stdout.String())
	assert.Empty(t, stderr.String())
	assert.Equal(t, "new a", content(t, a))

	require.NoError(t, os.WriteFile(a, []byte("old a"), 0o644))
	stdout.Reset()
	fail := twoFiles(a, b, func(context.Context) error { return errWork })
	assert.Equal(t, 1, serve("prog", fail, nil, &stdout, &stderr, nil))
	assert.Equal(t, "prog: work failed\n", stderr.String())
	assert.Equal(t, 1, strings.Count(stderr.String(), "\n"), "one line")
	assert.Equal(t, "old a", content(t, a))
	assert.Equal(t, []string{"a", "b"}, names(t, dir))
}
