package idfile

import (
	"bufio"
	"crypto/sha256"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// WriteFile writes a file atomically: readers of name see either its old
// content or all of the new one, even across a crash. write gets a buffered
// writer; what it writes goes to a temporary file in the same folder, which
// is synced to disk, given mode perm, and renamed over name, and then the
// folder is synced so that the rename lasts. WriteFile returns the SHA-256 of
// the bytes written, which is the content of the new file.
//
// If write or any step before the rename fails (or write panics), the
// temporary file is removed and name is left as it was. If only syncing the
// folder fails, the new file is in place but the error is returned with its
// checksum, since the rename may not survive a crash.
func WriteFile(name string, perm fs.FileMode, write func(w io.Writer) error) (sum [sha256.Size]byte, err error) {
	dir, base := filepath.Split(name)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".*.tmp")
	if err != nil {
		return sum, fmt.Errorf("idfile: write %s: %w", name, err)
	}
	renamed := false
	defer func() {
		if !renamed {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	h := sha256.New()
	if err := writeSynced(f, h, perm, write); err != nil {
		return sum, fmt.Errorf("idfile: write %s: %w", name, err)
	}
	if err := os.Rename(f.Name(), name); err != nil {
		return sum, fmt.Errorf("idfile: write %s: %w", name, err)
	}
	renamed = true
	h.Sum(sum[:0])
	if err := syncDir(dir); err != nil {
		return sum, fmt.Errorf("idfile: write %s: sync folder: %w", name, err)
	}
	return sum, nil
}

// writeSynced writes f through write, hashing what goes to it, then sets its
// mode, syncs and closes it.
func writeSynced(f *os.File, h hash.Hash, perm fs.FileMode, write func(io.Writer) error) error {
	bw := bufio.NewWriterSize(io.MultiWriter(f, h), writeBufSize)
	if err := write(bw); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if err := f.Chmod(perm); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	return f.Close()
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
