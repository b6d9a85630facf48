package reconcile

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
)

// Save writes a snapshot of the graph to the file at path, atomically: it
// writes a temporary file in the same folder, syncs it to disk, renames it
// over path and syncs the folder. If anything fails before the rename, the
// file at path is untouched and the temporary file is removed. The file is
// readable by its owner only (it holds personal data).
func (g *Graph) Save(path string) error { return g.save(path, nil) }

// save is Save with a hook that tests use to make writes fail.
func (g *Graph) save(path string, wrap func(io.Writer) io.Writer) (err error) {
	if g.err != nil {
		return g.err
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".*.tmp")
	if err != nil {
		return fmt.Errorf("reconcile: save snapshot: %w", err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	var w io.Writer = f
	if wrap != nil {
		w = wrap(f)
	}
	if _, err = g.WriteTo(w); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("reconcile: save snapshot: %w", err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("reconcile: save snapshot: %w", err)
	}
	if err = os.Rename(tmp, path); err != nil {
		return fmt.Errorf("reconcile: save snapshot: %w", err)
	}
	if runtime.GOOS != "windows" {
		if d, derr := os.Open(dir); derr == nil {
			derr = d.Sync()
			d.Close()
			if derr != nil {
				return fmt.Errorf("reconcile: save snapshot: the file is in place, but syncing its folder failed: %w", derr)
			}
		}
	}
	return nil
}

// Load reads the snapshot in the file at path (see ReadGraph), and fails
// with ErrCorrupt if bytes follow its end marker. Like ReadGraph, it
// declares the snapshot's namespaces only once all of it, to the end of
// the file, has passed its checks.
func Load(path string) (*Graph, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reconcile: load snapshot: %w", err)
	}
	defer f.Close()
	s := &snapReader{r: f}
	l, err := s.check()
	if err != nil {
		return nil, err
	}
	var one [1]byte
	switch _, err := io.ReadFull(f, one[:]); {
	case err == nil:
		return nil, s.fail("end", s.off, ErrCorrupt, "bytes after the end marker")
	case err != io.EOF:
		return nil, s.fail("end", s.off, err, "read")
	}
	return s.build(l)
}
