package bench_test

import (
	"bufio"
	"encoding/gob"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/idbits/idbits/reconcile"
)

// naiveSnapshot is what a Go programmer would save of the naive graph with
// encoding/gob: its fields, as they are.
type naiveSnapshot struct {
	Ords   map[string]uint32
	Keys   []string
	Parent map[string]string
	Size   map[string]int
}

// e2eWriteSnapshot writes the graph of impl to w and returns the number of
// identities it holds: those of the world, and any the incremental
// benchmark added.
func e2eWriteSnapshot(tb testing.TB, fx *e2eFixture, impl string, w io.Writer) int {
	switch impl {
	case "idbits":
		g, _ := fx.e2eGraph(tb)
		if _, err := g.WriteTo(w); err != nil {
			tb.Fatal(err)
		}
		return g.Dictionary().Len()
	case "naive":
		g, _ := fx.e2eNaive(tb)
		s := naiveSnapshot{Ords: g.ords, Keys: g.keys, Parent: g.parent, Size: g.size}
		if err := gob.NewEncoder(w).Encode(&s); err != nil {
			tb.Fatal(err)
		}
		return len(g.keys)
	}
	return 0
}

// e2eSnapshotFile writes the snapshot of impl to a file, through a
// bufio.Writer, and returns its size and the identities it holds.
func e2eSnapshotFile(tb testing.TB, fx *e2eFixture, impl, path string) (size int64, ids int) {
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	bw := bufio.NewWriter(f)
	ids = e2eWriteSnapshot(tb, fx, impl, bw)
	if err := bw.Flush(); err != nil {
		tb.Fatal(err)
	}
	st, err := f.Stat()
	if err != nil {
		tb.Fatal(err)
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
	return st.Size(), ids
}

// BenchmarkSnapshotWrite writes the resolved world's graph to a file
// through a bufio.Writer, without syncing it (Graph.WriteFile adds a sync and an
// atomic rename). impl=idbits: Graph.WriteTo (dictionary, record log, rules
// and catalog, checksummed). impl=naive: the naive graph's maps and slices
// through encoding/gob. It reports the file's size per identity.
func BenchmarkSnapshotWrite(b *testing.B) {
	e2eEach(b, func(b *testing.B, fx *e2eFixture, impl string) {
		path := filepath.Join(b.TempDir(), "snapshot")
		e2eSnapshotFile(b, fx, impl, path) // builds the graph first
		var size int64
		var ids int
		b.ReportAllocs()
		for b.Loop() {
			size, ids = e2eSnapshotFile(b, fx, impl, path)
		}
		b.ReportMetric(float64(size)/float64(ids), "bytes/id")
		e2eRate(b, ids, "id")
	})
}

// BenchmarkSnapshotLoad reads the file BenchmarkSnapshotWrite writes back
// into a graph ready to serve profiles, through a bufio.Reader.
// impl=idbits: reconcile.ReadGraph and Graph.View, which resolves the
// records again. impl=naive: encoding/gob into the naive graph, then its
// map from every identity to its profile.
func BenchmarkSnapshotLoad(b *testing.B) {
	e2eEach(b, func(b *testing.B, fx *e2eFixture, impl string) {
		path := filepath.Join(b.TempDir(), "snapshot")
		size, ids := e2eSnapshotFile(b, fx, impl, path)
		b.ReportAllocs()
		for b.Loop() {
			f, err := os.Open(path)
			if err != nil {
				b.Fatal(err)
			}
			switch impl {
			case "idbits":
				g, err := reconcile.ReadGraph(bufio.NewReader(f))
				if err != nil {
					b.Fatal(err)
				}
				if v := g.View(); v.Identities() != ids {
					b.Fatalf("loaded view holds %d identities, want %d", v.Identities(), ids)
				}
			case "naive":
				g, err := naiveReadSnapshot(bufio.NewReader(f))
				if err != nil {
					b.Fatal(err)
				}
				if v := g.view(); len(v) != ids {
					b.Fatalf("loaded view holds %d identities, want %d", len(v), ids)
				}
			}
			f.Close()
		}
		b.ReportMetric(float64(size)/float64(ids), "bytes/id")
		e2eRate(b, ids, "id")
	})
}

// naiveReadSnapshot reads a naive graph saved with encoding/gob.
func naiveReadSnapshot(r io.Reader) (*naiveGraph, error) {
	var s naiveSnapshot
	if err := gob.NewDecoder(r).Decode(&s); err != nil {
		return nil, err
	}
	return &naiveGraph{ords: s.Ords, keys: s.Keys, parent: s.Parent, size: s.Size}, nil
}
