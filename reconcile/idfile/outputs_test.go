package idfile_test

import (
	"crypto/sha256"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/idbits/idbits/reconcile/idfile"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// text returns a write function that writes s.
func text(s string) func(io.Writer) error {
	return func(w io.Writer) error {
		_, err := io.WriteString(w, s)
		return err
	}
}

// readString reads the file at name.
func readString(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	require.NoError(t, err)
	return string(b)
}

// symlink makes a symbolic link, or skips the test where it cannot.
func symlink(t *testing.T, old, name string) {
	t.Helper()
	if err := os.Symlink(old, name); err != nil {
		t.Skipf("no symbolic links here: %v", err)
	}
}

func TestWriteFileSymlink(t *testing.T) {
	for _, tc := range []struct {
		name string
		// setup makes the link to write to under dir and returns it, with
		// the file it must lead to.
		setup func(t *testing.T, dir string) (link, file string)
	}{
		{"relative link", func(t *testing.T, dir string) (string, string) {
			require.NoError(t, os.WriteFile(filepath.Join(dir, "real.txt"), []byte("old\n"), 0o644))
			symlink(t, "real.txt", filepath.Join(dir, "link.txt"))
			return filepath.Join(dir, "link.txt"), filepath.Join(dir, "real.txt")
		}},
		{"chain of links", func(t *testing.T, dir string) (string, string) {
			require.NoError(t, os.WriteFile(filepath.Join(dir, "real.txt"), []byte("old\n"), 0o644))
			symlink(t, "real.txt", filepath.Join(dir, "a"))
			symlink(t, filepath.Join(dir, "a"), filepath.Join(dir, "b"))
			return filepath.Join(dir, "b"), filepath.Join(dir, "real.txt")
		}},
		{"link to another folder", func(t *testing.T, dir string) (string, string) {
			require.NoError(t, os.Mkdir(filepath.Join(dir, "data"), 0o755))
			require.NoError(t, os.WriteFile(filepath.Join(dir, "data", "real.txt"), []byte("old\n"), 0o644))
			symlink(t, filepath.Join("data", "real.txt"), filepath.Join(dir, "link.txt"))
			return filepath.Join(dir, "link.txt"), filepath.Join(dir, "data", "real.txt")
		}},
		{"dangling link", func(t *testing.T, dir string) (string, string) {
			symlink(t, "later.txt", filepath.Join(dir, "link.txt"))
			return filepath.Join(dir, "link.txt"), filepath.Join(dir, "later.txt")
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			link, file := tc.setup(t, dir)
			before, err := os.Readlink(link)
			require.NoError(t, err)
			var names []string
			filepath.WalkDir(dir, func(p string, _ os.DirEntry, _ error) error {
				names = append(names, p)
				return nil
			})

			sum, err := idfile.WriteFile(link, 0o640, text("new\n"))
			require.NoError(t, err)
			assert.Equal(t, sha256.Sum256([]byte("new\n")), sum)

			fi, err := os.Lstat(link)
			require.NoError(t, err)
			assert.Equal(t, os.ModeSymlink, fi.Mode().Type(), "the link is still a link")
			after, err := os.Readlink(link)
			require.NoError(t, err)
			assert.Equal(t, before, after, "the link points where it did")
			assert.Equal(t, "new\n", readString(t, file))
			fi, err = os.Lstat(file)
			require.NoError(t, err)
			assert.True(t, fi.Mode().IsRegular())
			assert.Equal(t, os.FileMode(0o640), fi.Mode().Perm())
			var got []string
			filepath.WalkDir(dir, func(p string, _ os.DirEntry, _ error) error {
				got = append(got, p)
				return nil
			})
			want := names
			if !strings.Contains(tc.name, "dangling") {
				assert.Equal(t, want, got, "no temporary file left, nothing else made")
			} else {
				assert.Equal(t, []string{dir, file, link}, got)
			}
		})
	}
}

func TestWriteFileSymlinkLoop(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	symlink(t, "b", a)
	symlink(t, "a", b)
	_, err := idfile.WriteFile(a, 0o644, func(io.Writer) error {
		t.Error("write called for a loop of links")
		return nil
	})
	require.Error(t, err)
	assert.Equal(t, []string{"a", "b"}, dirNames(t, dir))
}

func TestWriteFileDirectory(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T, dir string) string
	}{
		{"empty folder", func(t *testing.T, dir string) string {
			p := filepath.Join(dir, "target")
			require.NoError(t, os.Mkdir(p, 0o755))
			return p
		}},
		{"link to a folder", func(t *testing.T, dir string) string {
			require.NoError(t, os.Mkdir(filepath.Join(dir, "target"), 0o755))
			symlink(t, "target", filepath.Join(dir, "link"))
			return filepath.Join(dir, "link")
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			name := tc.setup(t, dir)
			before := dirNames(t, dir)
			_, err := idfile.WriteFile(name, 0o644, func(io.Writer) error {
				t.Error("write called for a folder")
				return nil
			})
			require.ErrorIs(t, err, syscall.EISDIR)
			assert.Equal(t, before, dirNames(t, dir))
			fi, err := os.Stat(filepath.Join(dir, "target"))
			require.NoError(t, err)
			assert.True(t, fi.IsDir())
			assert.Empty(t, dirNames(t, filepath.Join(dir, "target")))
		})
	}
}

func TestWriteFileParentIsFile(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "file"), []byte("x"), 0o644))
	_, err := idfile.WriteFile(filepath.Join(dir, "file", "x.txt"), 0o644, func(io.Writer) error {
		t.Error("write called without a folder")
		return nil
	})
	require.ErrorIs(t, err, syscall.ENOTDIR)
	assert.Equal(t, "x", readString(t, filepath.Join(dir, "file")))
}

func TestWriteFileEmptyName(t *testing.T) {
	_, err := idfile.WriteFile("", 0o644, text("x"))
	require.ErrorIs(t, err, os.ErrNotExist)
}

// TestOutputsAllOrNothing: a run whose later output fails leaves the
// earlier ones byte for byte, and no temporary file.
func TestOutputsAllOrNothing(t *testing.T) {
	const old = "old content\n"
	for _, tc := range []struct {
		name string
		// second is the second output of the run, under dir.
		second func(t *testing.T, dir string) string
		write  func(io.Writer) error
	}{
		{"folder missing", func(t *testing.T, dir string) string {
			return filepath.Join(dir, "missing", "b.txt")
		}, text("b")},
		{"folder is a file", func(t *testing.T, dir string) string {
			require.NoError(t, os.WriteFile(filepath.Join(dir, "file"), nil, 0o644))
			return filepath.Join(dir, "file", "b.txt")
		}, text("b")},
		{"target is a folder", func(t *testing.T, dir string) string {
			require.NoError(t, os.Mkdir(filepath.Join(dir, "b.txt"), 0o755))
			return filepath.Join(dir, "b.txt")
		}, text("b")},
		{"write fails", func(t *testing.T, dir string) string {
			return filepath.Join(dir, "b.txt")
		}, func(w io.Writer) error {
			io.WriteString(w, strings.Repeat("b", 100_000))
			return errDisk
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			a := filepath.Join(dir, "a.txt")
			require.NoError(t, os.WriteFile(a, []byte(old), 0o644))
			b := tc.second(t, dir)
			before := dirNames(t, dir)

			var o idfile.Outputs
			defer o.Abort()
			_, err := o.Write(a, 0o644, text("new a\n"))
			require.NoError(t, err)
			_, err = o.Write(b, 0o644, tc.write)
			require.Error(t, err)
			o.Abort()

			assert.Equal(t, old, readString(t, a))
			assert.Equal(t, before, dirNames(t, dir), "no temporary file left")
			require.Error(t, o.Commit(), "nothing to commit after Abort")
			assert.Equal(t, old, readString(t, a))
		})
	}
}

// TestOutputsCommit: nothing changes before Commit, everything after.
func TestOutputsCommit(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.txt"), filepath.Join(dir, "sub", "b.txt")
	require.NoError(t, os.Mkdir(filepath.Join(dir, "sub"), 0o755))
	require.NoError(t, os.WriteFile(a, []byte("old a"), 0o644))

	var o idfile.Outputs
	sa, err := o.Write(a, 0o600, text("new a"))
	require.NoError(t, err)
	sb, err := o.Write(b, 0o644, text("new b"))
	require.NoError(t, err)
	assert.Equal(t, sha256.Sum256([]byte("new a")), sa)
	assert.Equal(t, sha256.Sum256([]byte("new b")), sb)
	assert.Equal(t, "old a", readString(t, a), "staged, not yet in place")
	assert.Len(t, dirNames(t, dir), 3, "a.txt, sub and a's temporary file")
	assert.Len(t, dirNames(t, filepath.Join(dir, "sub")), 1, "b's temporary file")

	require.NoError(t, o.Commit())
	assert.Equal(t, "new a", readString(t, a))
	assert.Equal(t, "new b", readString(t, b))
	assert.Equal(t, []string{"a.txt", "sub"}, dirNames(t, dir))
	assert.Equal(t, []string{"b.txt"}, dirNames(t, filepath.Join(dir, "sub")))

	o.Abort() // a no-op after Commit
	assert.Equal(t, "new a", readString(t, a))
	require.Error(t, o.Commit(), "a second Commit")
	_, err = o.Write(a, 0o644, text("later"))
	require.Error(t, err, "a Write after Commit")
	assert.Equal(t, "new a", readString(t, a))
	assert.Equal(t, []string{"a.txt", "sub"}, dirNames(t, dir))
}

// TestOutputsSameNameTwice: the second Write of a file wins.
func TestOutputsSameNameTwice(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a.txt")
	var o idfile.Outputs
	_, err := o.Write(a, 0o644, text("first"))
	require.NoError(t, err)
	_, err = o.Write(a, 0o644, text("second"))
	require.NoError(t, err)
	require.NoError(t, o.Commit())
	assert.Equal(t, "second", readString(t, a))
	assert.Equal(t, []string{"a.txt"}, dirNames(t, dir))
}

// TestOutputsTargetChanged: a target that turned into a folder between
// Write and Commit fails the Commit before any file is renamed.
func TestOutputsTargetChanged(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.txt"), filepath.Join(dir, "b.txt")
	require.NoError(t, os.WriteFile(a, []byte("old a"), 0o644))
	var o idfile.Outputs
	_, err := o.Write(a, 0o644, text("new a"))
	require.NoError(t, err)
	_, err = o.Write(b, 0o644, text("new b"))
	require.NoError(t, err)
	require.NoError(t, os.Mkdir(b, 0o755))

	require.Error(t, o.Commit())
	assert.Equal(t, "old a", readString(t, a))
	assert.Equal(t, []string{"a.txt", "b.txt"}, dirNames(t, dir))
	o.Abort()
}

// TestOutputsAbortDuringWrite: an Abort that comes while a Write runs (from
// a signal handler) fails the Write and leaves no temporary file.
func TestOutputsAbortDuringWrite(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.txt"), filepath.Join(dir, "b.txt")
	require.NoError(t, os.WriteFile(a, []byte("old a"), 0o644))
	var o idfile.Outputs
	_, err := o.Write(a, 0o644, text("new a"))
	require.NoError(t, err)
	started, aborted := make(chan struct{}), make(chan struct{})
	go func() {
		<-started
		o.Abort()
		close(aborted)
	}()
	_, err = o.Write(b, 0o644, func(w io.Writer) error {
		close(started)
		<-aborted
		_, err := io.WriteString(w, "new b")
		return err
	})
	require.Error(t, err)
	require.Error(t, o.Commit())
	assert.Equal(t, "old a", readString(t, a))
	assert.Equal(t, []string{"a.txt"}, dirNames(t, dir))
}

// TestOutputsCommitDuringWrite: Commit while a Write runs fails and drops
// everything.
func TestOutputsCommitDuringWrite(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a.txt")
	var o idfile.Outputs
	var cerr error
	_, err := o.Write(a, 0o644, func(w io.Writer) error {
		cerr = o.Commit()
		_, err := io.WriteString(w, "a")
		return err
	})
	require.Error(t, cerr)
	require.Error(t, err)
	assert.Empty(t, dirNames(t, dir))
}

// TestOutputsZero: the zero Outputs commits nothing, and aborts any number
// of times.
func TestOutputsZero(t *testing.T) {
	var o idfile.Outputs
	o.Abort()
	o.Abort()
	var p idfile.Outputs
	require.NoError(t, p.Commit())
}
