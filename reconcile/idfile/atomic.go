package idfile

import (
	"bufio"
	"crypto/sha256"
	"errors"
	"hash"
	"io"
	"io/fs"
	"os"
)

// WriteFile writes one file atomically: it is [Outputs.Write] and
// [Outputs.Commit] of an Outputs of its own. Readers of a regular file see
// either its old content or all of the new one, even across a crash: write
// gets a buffered writer, and what it writes goes to a temporary file in the
// same folder (".NAME.*.tmp"), which is synced to disk, given mode perm and
// renamed over name, and then the folder is synced so that the rename lasts.
// Writing never destroys: a symbolic link stays a link and the file it leads
// to is replaced; a device, a named pipe or a socket is written through,
// never replaced (-out /dev/null discards, /dev/stdout prints); a directory
// is an error. [Outputs] tells the rule in full. WriteFile returns the
// SHA-256 of the bytes written, which is the content of the new file.
//
// If write or any step before the rename fails (or write panics), the
// temporary file is removed and name is left as it was. If only syncing the
// folder fails, the new file is in place but the error is returned with its
// checksum, since the rename may not survive a crash.
func WriteFile(name string, perm fs.FileMode, write func(w io.Writer) error) (sum [sha256.Size]byte, err error) {
	var o Outputs
	defer o.Abort()
	if sum, err = o.Write(name, perm, write); err != nil {
		return sum, err
	}
	if err := o.Commit(); err != nil {
		if errors.Is(err, errSyncFolder) {
			return sum, err
		}
		return [sha256.Size]byte{}, err
	}
	return sum, nil
}

// writeTemp writes f through write, hashing what goes to it, and closes
// it. A durable file is also given mode perm and synced to disk before it
// is closed; bytes bound for a stream need no copy that lasts.
func writeTemp(f *os.File, h hash.Hash, write func(io.Writer) error, durable bool, perm fs.FileMode) error {
	bw := bufio.NewWriterSize(io.MultiWriter(f, h), writeBufSize)
	if err := write(bw); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if durable {
		if err := f.Chmod(perm); err != nil {
			return err
		}
		if err := f.Sync(); err != nil {
			return err
		}
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
