package idfile_test

import (
	"crypto/sha256"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/idbits/idbits/idtypes"
	"github.com/idbits/idbits/reconcile/idfile"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// dirNames lists the names in dir.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "audience.txt")
	ids := []idtypes.ID{idtypes.MustParse(idtypes.ECID, ecid1), idtypes.MustParse(idtypes.ECID, ecid2)}
	sum, err := idfile.WriteFile(name, 0o640, func(w io.Writer) error {
		return idfile.WriteList(w, slices.Values(ids), idfile.ListOptions{})
	})
	require.NoError(t, err)
	got, err := os.ReadFile(name)
	require.NoError(t, err)
	assert.Equal(t, "ECID:"+ecid1+"\nECID:"+ecid2+"\n", string(got))
	assert.Equal(t, sha256.Sum256(got), sum)
	fi, err := os.Stat(name)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o640), fi.Mode().Perm())
	assert.Equal(t, []string{"audience.txt"}, dirNames(t, dir))

	// Replacing it.
	sum, err = idfile.WriteFile(name, 0o644, func(w io.Writer) error {
		_, err := io.WriteString(w, "ECID:"+ecid3+"\n")
		return err
	})
	require.NoError(t, err)
	got, err = os.ReadFile(name)
	require.NoError(t, err)
	assert.Equal(t, "ECID:"+ecid3+"\n", string(got))
	assert.Equal(t, sha256.Sum256(got), sum)
	assert.Equal(t, []string{"audience.txt"}, dirNames(t, dir))
}

func TestWriteFileRelative(t *testing.T) {
	t.Chdir(t.TempDir())
	sum, err := idfile.WriteFile("x.txt", 0o600, func(w io.Writer) error {
		_, err := io.WriteString(w, "hello\n")
		return err
	})
	require.NoError(t, err)
	assert.Equal(t, sha256.Sum256([]byte("hello\n")), sum)
	assert.Equal(t, []string{"x.txt"}, dirNames(t, "."))
}

func TestWriteFileFailure(t *testing.T) {
	const old = "old content\n"
	for _, tc := range []struct {
		name  string
		write func(w io.Writer) error
	}{
		{"error halfway", func(w io.Writer) error {
			// More than the write buffer, so part of it reaches the file.
			if _, err := io.WriteString(w, strings.Repeat("ECID:"+ecid1+"\n", 10_000)); err != nil {
				return err
			}
			return errDisk
		}},
		{"error at once", func(io.Writer) error { return errDisk }},
		{"writer of a list fails", func(w io.Writer) error {
			ids := slices.Values([]idtypes.ID{idtypes.MustParse(idtypes.ECID, ecid1), {}})
			return idfile.WriteList(w, ids, idfile.ListOptions{})
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			name := filepath.Join(dir, "audience.txt")
			require.NoError(t, os.WriteFile(name, []byte(old), 0o644))
			sum, err := idfile.WriteFile(name, 0o644, tc.write)
			require.Error(t, err)
			assert.Equal(t, [sha256.Size]byte{}, sum)
			got, rerr := os.ReadFile(name)
			require.NoError(t, rerr)
			assert.Equal(t, old, string(got), "the target is untouched")
			assert.Equal(t, []string{"audience.txt"}, dirNames(t, dir), "the temporary file is gone")
		})
	}
}

func TestWriteFileErrorsMatch(t *testing.T) {
	dir := t.TempDir()
	_, err := idfile.WriteFile(filepath.Join(dir, "a"), 0o644, func(io.Writer) error { return errDisk })
	assert.ErrorIs(t, err, errDisk)
	_, err = idfile.WriteFile(filepath.Join(dir, "b"), 0o644, func(w io.Writer) error {
		return idfile.WriteList(w, slices.Values([]idtypes.ID{{}}), idfile.ListOptions{})
	})
	assert.ErrorIs(t, err, idfile.ErrUnwritable)
	assert.Empty(t, dirNames(t, dir))
}

func TestWriteFilePanic(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "audience.txt")
	func() {
		defer func() { assert.Equal(t, "boom", recover()) }()
		idfile.WriteFile(name, 0o644, func(w io.Writer) error {
			io.WriteString(w, "partial")
			panic("boom")
		})
	}()
	assert.Empty(t, dirNames(t, dir))
}

func TestWriteFileRenameFails(t *testing.T) {
	// The target is a non-empty folder: the rename fails after the data is written.
	dir := t.TempDir()
	name := filepath.Join(dir, "target")
	require.NoError(t, os.MkdirAll(filepath.Join(name, "inside"), 0o755))
	_, err := idfile.WriteFile(name, 0o644, func(w io.Writer) error {
		_, err := io.WriteString(w, "data\n")
		return err
	})
	require.Error(t, err)
	assert.Equal(t, []string{"target"}, dirNames(t, dir))
	fi, err := os.Stat(name)
	require.NoError(t, err)
	assert.True(t, fi.IsDir())
}

func TestWriteFileNoFolder(t *testing.T) {
	_, err := idfile.WriteFile(filepath.Join(t.TempDir(), "missing", "x"), 0o644, func(io.Writer) error {
		t.Error("write called without a file")
		return nil
	})
	assert.ErrorIs(t, err, os.ErrNotExist)
}
