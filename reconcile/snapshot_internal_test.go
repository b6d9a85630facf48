package reconcile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/idbits/idbits/idtypes"
	"github.com/stretchr/testify/require"
)

// SnapshotChunkForTest sets the size after which writers start a new DICT or
// RECS section, and returns a function restoring it. Tests of package
// reconcile_test use it to get many sections from small graphs.
func SnapshotChunkForTest(n int) (restore func()) {
	old := snapChunk
	snapChunk = n
	return func() { snapChunk = old }
}

var errSnapInjected = errors.New("injected write failure")

// snapFailAfter passes n bytes through, then fails.
type snapFailAfter struct {
	w io.Writer
	n int
}

func (f *snapFailAfter) Write(p []byte) (int, error) {
	if len(p) <= f.n {
		f.n -= len(p)
		return f.w.Write(p)
	}
	k, _ := f.w.Write(p[:f.n])
	f.n = 0
	return k, errSnapInjected
}

func TestSaveFailsMidWrite(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "graph.idbits")
	g := mustGraph(Rules{})
	for i := range 100 {
		id, err := idtypes.FromHalves(idtypes.ECID, uint64(i)+1, uint64(i))
		require.NoError(t, err)
		require.NoError(t, g.Link(time.Unix(int64(i), 0), id))
	}
	require.NoError(t, g.WriteFile(path))
	old, err := os.ReadFile(path)
	require.NoError(t, err)

	require.NoError(t, g.Link(time.Unix(1000, 0), idtypes.MustParse(idtypes.Email, "late@example.com")))
	for _, n := range []int{0, 1, 16, 100, len(old) - 1, len(old) + 20} {
		err := g.save(path, func(w io.Writer) io.Writer { return &snapFailAfter{w: w, n: n} })
		require.ErrorIs(t, err, errSnapInjected, "failing after %d bytes", n)
		now, err := os.ReadFile(path)
		require.NoError(t, err)
		require.Equal(t, old, now, "failing after %d bytes", n)
		entries, err := os.ReadDir(dir)
		require.NoError(t, err)
		require.Len(t, entries, 1, "a temporary file is left")
	}
	require.NoError(t, g.WriteFile(path))
	got, err := ReadGraphFile(path)
	require.NoError(t, err)
	require.Equal(t, g.Dictionary().Len(), got.Dictionary().Len())
}
