package reconcile

import (
	"fmt"
	"io"
	"os"

	"github.com/idbits/idbits/reconcile/idfile"
)

// WriteFile writes a snapshot of the graph to the file at path by the rules of
// idfile.WriteFile: a regular file is replaced atomically (a temporary file
// in the same folder, synced, renamed over path, the folder synced), a
// symbolic link keeps pointing where it did and its file is replaced, and a
// device or pipe is written through, never replaced. If anything fails, the
// file at path is untouched and the temporary file is removed. A new file is
// readable by its owner only (it holds personal data).
func (g *Graph) WriteFile(path string) error { return g.save(path, nil) }

// save is WriteFile with a hook that tests use to make writes fail.
func (g *Graph) save(path string, wrap func(io.Writer) io.Writer) error {
	_, err := idfile.WriteFile(path, 0o600, func(w io.Writer) error {
		if wrap != nil {
			w = wrap(w)
		}
		_, err := g.WriteTo(w)
		return err
	})
	if err != nil {
		return fmt.Errorf("reconcile: save snapshot: %w", err)
	}
	return nil
}

// ReadGraphFile reads the snapshot in the file at path (see ReadGraph), and fails
// with ErrCorrupt if bytes follow its end marker. Like ReadGraph, it
// declares the snapshot's namespaces only once all of it, to the end of
// the file, has passed its checks.
func ReadGraphFile(path string) (*Graph, error) {
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
