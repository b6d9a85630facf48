//go:build unix

package idfile_test

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/idbits/idbits/reconcile/idfile"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// readAll reads from r in a goroutine; the channel gives what it read.
func readAll(t *testing.T, open func() (io.ReadCloser, error)) <-chan string {
	t.Helper()
	got := make(chan string, 1)
	go func() {
		r, err := open()
		if err != nil {
			t.Error(err)
			got <- ""
			return
		}
		defer r.Close()
		b, err := io.ReadAll(r)
		if err != nil {
			t.Error(err)
		}
		got <- string(b)
	}()
	return got
}

func TestWriteFileFIFO(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("TMPDIR", t.TempDir())
	fifo := filepath.Join(dir, "pipe")
	require.NoError(t, syscall.Mkfifo(fifo, 0o600))
	got := readAll(t, func() (io.ReadCloser, error) { return os.Open(fifo) })

	big := strings.Repeat("ECID:"+ecid1+"\n", 10_000) // more than a pipe holds
	_, err := idfile.WriteFile(fifo, 0o644, text(big))
	require.NoError(t, err)
	fi, err := os.Lstat(fifo)
	require.NoError(t, err)
	require.Equal(t, os.ModeNamedPipe, fi.Mode().Type(), "the pipe is still a pipe")
	assert.Equal(t, big, <-got)
	assert.Equal(t, []string{"pipe"}, dirNames(t, dir))
	assert.Empty(t, dirNames(t, os.Getenv("TMPDIR")), "the staged copy is gone")
}

// TestOutputsFIFOAborted: a failed run sends nothing to a pipe, and the
// copy staged for it goes.
func TestOutputsFIFOAborted(t *testing.T) {
	dir, tmp := t.TempDir(), t.TempDir()
	t.Setenv("TMPDIR", tmp)
	fifo := filepath.Join(dir, "pipe")
	require.NoError(t, syscall.Mkfifo(fifo, 0o600))
	// A reader that does not wait for a writer.
	r, err := os.OpenFile(fifo, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	require.NoError(t, err)
	defer r.Close()

	var o idfile.Outputs
	_, err = o.Write(fifo, 0o644, text("must not arrive\n"))
	require.NoError(t, err)
	assert.Len(t, dirNames(t, tmp), 1, "staged in the temporary folder")
	assert.Equal(t, []string{"pipe"}, dirNames(t, dir), "nothing next to the pipe")
	_, err = o.Write(filepath.Join(dir, "missing", "x"), 0o644, text("x"))
	require.Error(t, err)
	o.Abort()

	b := make([]byte, 64)
	n, err := r.Read(b)
	assert.Zero(t, n, "the pipe received %q", b[:n])
	assert.True(t, err == io.EOF || errors.Is(err, syscall.EAGAIN), "read: %v", err)
	assert.Empty(t, dirNames(t, tmp))
}

func TestWriteFileCharDevice(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("TMPDIR", t.TempDir())
	null := filepath.Join(dir, "null")
	// A node with the numbers of /dev/null (major 1, minor 3), made here:
	// the real /dev is never touched.
	if err := syscall.Mknod(null, syscall.S_IFCHR|0o666, 1<<8|3); err != nil {
		t.Skipf("mknod not permitted: %v", err)
	}
	f, err := os.OpenFile(null, os.O_WRONLY, 0)
	if err != nil {
		t.Skipf("device nodes cannot be opened in %s: %v", dir, err)
	}
	f.Close()

	_, err = idfile.WriteFile(null, 0o644, text("discarded\n"))
	require.NoError(t, err)
	fi, err := os.Lstat(null)
	require.NoError(t, err)
	assert.Equal(t, os.ModeDevice|os.ModeCharDevice, fi.Mode().Type(), "the device is still a device")
	assert.Equal(t, []string{"null"}, dirNames(t, dir))
	assert.Empty(t, dirNames(t, os.Getenv("TMPDIR")))
	b, err := os.ReadFile(null)
	require.NoError(t, err)
	assert.Empty(t, b, "it still reads as /dev/null")
}

func TestWriteFileSocket(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("TMPDIR", t.TempDir())
	sock := filepath.Join(dir, "s")
	l, err := net.Listen("unix", sock)
	require.NoError(t, err)
	defer l.Close()
	got := readAll(t, func() (io.ReadCloser, error) { return l.Accept() })

	_, err = idfile.WriteFile(sock, 0o644, text("through the socket\n"))
	require.NoError(t, err)
	fi, err := os.Lstat(sock)
	require.NoError(t, err)
	require.Equal(t, os.ModeSocket, fi.Mode().Type(), "the socket is still a socket")
	assert.Equal(t, "through the socket\n", <-got)
}

// TestOutputsStreamFailsFirst: streams are written before any file is
// renamed, so a stream that cannot be written leaves the files as they were.
func TestOutputsStreamFailsFirst(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("TMPDIR", t.TempDir())
	a, sock := filepath.Join(dir, "a.txt"), filepath.Join(dir, "s")
	require.NoError(t, os.WriteFile(a, []byte("old a"), 0o644))
	l, err := net.Listen("unix", sock)
	require.NoError(t, err)
	l.(*net.UnixListener).SetUnlinkOnClose(false)
	l.Close() // a socket file nobody listens on

	var o idfile.Outputs
	_, err = o.Write(a, 0o644, text("new a"))
	require.NoError(t, err)
	_, err = o.Write(sock, 0o644, text("to nobody"))
	require.NoError(t, err)
	require.Error(t, o.Commit())
	assert.Equal(t, "old a", readString(t, a))
	assert.Equal(t, []string{"a.txt", "s"}, dirNames(t, dir))
	assert.Empty(t, dirNames(t, os.Getenv("TMPDIR")))
}

// TestWriteFileDescriptor: a name for a descriptor of this process is
// written through that descriptor.
func TestWriteFileDescriptor(t *testing.T) {
	if _, err := os.Stat("/proc/self/fd"); err != nil {
		t.Skip("no /proc/self/fd here")
	}
	for _, tc := range []struct{ name, format string }{
		{"dev fd", "/dev/fd/%[1]d"},
		{"proc self", "/proc/self/fd/%[1]d"},
		{"proc pid", "/proc/%[2]d/fd/%[1]d"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("TMPDIR", t.TempDir())
			r, w, err := os.Pipe()
			require.NoError(t, err)
			defer r.Close()
			got := readAll(t, func() (io.ReadCloser, error) { return r, nil })
			name := fmt.Sprintf(tc.format, w.Fd(), os.Getpid())
			_, err = idfile.WriteFile(name, 0o644, text("through the descriptor\n"))
			require.NoError(t, err)
			_, err = io.WriteString(w, "and after it\n")
			require.NoError(t, err)
			w.Close()
			assert.Equal(t, "through the descriptor\nand after it\n", <-got)
			assert.Empty(t, dirNames(t, os.Getenv("TMPDIR")))
		})
	}
}

// TestWriteFileStdoutToFile: a name for standard output, when the shell
// sent standard output to a file, writes into that file where the program's
// own output stands, rather than replacing the file. The name is a link
// made like Linux's /dev/stdout, in a temporary folder, so that a writer
// that replaces links (as this one once did) cannot harm the real /dev.
func TestWriteFileStdoutToFile(t *testing.T) {
	if name := os.Getenv("IDFILE_TEST_STDOUT"); name != "" {
		fmt.Print("before\n")
		if _, err := idfile.WriteFile(name, 0o644, text("middle\n")); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		fmt.Print("after\n")
		os.Exit(0)
	}
	if _, err := os.Stat("/proc/self/fd/1"); err != nil {
		t.Skip("no /proc/self/fd here")
	}
	dir := t.TempDir()
	stdout := filepath.Join(t.TempDir(), "stdout")
	require.NoError(t, os.Symlink("/proc/self/fd/1", stdout))
	out := filepath.Join(dir, "out.txt")
	f, err := os.Create(out)
	require.NoError(t, err)
	defer f.Close()
	cmd := exec.Command(os.Args[0], "-test.run=^TestWriteFileStdoutToFile$")
	cmd.Env = append(os.Environ(), "IDFILE_TEST_STDOUT="+stdout, "TMPDIR="+t.TempDir())
	cmd.Stdout = f
	var stderr strings.Builder
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Run(), stderr.String())

	assert.Equal(t, "before\nmiddle\nafter\n", readString(t, out))
	fi, err := os.Stat(out)
	require.NoError(t, err)
	held, err := f.Stat()
	require.NoError(t, err)
	assert.True(t, os.SameFile(fi, held), "the file the shell opened is the one written")
	assert.Equal(t, []string{"out.txt"}, dirNames(t, dir))
	fi, err = os.Lstat(stdout)
	require.NoError(t, err)
	assert.Equal(t, os.ModeSymlink, fi.Mode().Type(), "the link is still a link")
}
