package bench_test

import (
	"bytes"
	"encoding/gob"
	"io"
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

// e2eSnapshot is a snapshot and the number of identities it holds.
type e2eSnapshot struct {
	data []byte
	ids  int
}

// e2eWriteSnapshot writes the graph of impl to buf, replacing its content,
// and returns the number of identities it holds: those of the world, and
// any the incremental benchmark added.
func e2eWriteSnapshot(tb testing.TB, fx *e2eFixture, impl string, buf *bytes.Buffer) int {
	buf.Reset()
	switch impl {
	case "idbits":
		g, _ := fx.e2eGraph(tb)
		if _, err := g.WriteTo(buf); err != nil {
			tb.Fatal(err)
		}
		return g.Dictionary().Len()
	case "naive":
		g, _ := fx.e2eNaive(tb)
		s := naiveSnapshot{Ords: g.ords, Keys: g.keys, Parent: g.parent, Size: g.size}
		if err := gob.NewEncoder(buf).Encode(&s); err != nil {
			tb.Fatal(err)
		}
		return len(g.keys)
	}
	return 0
}

// BenchmarkSnapshotWrite writes the resolved world's graph to memory.
// impl=idbits: Graph.WriteTo (dictionary, record log, rules and catalog,
// checksummed). impl=naive: the naive graph's maps and slices through
// encoding/gob. It reports the snapshot's size per identity.
func BenchmarkSnapshotWrite(b *testing.B) {
	e2eEach(b, func(b *testing.B, fx *e2eFixture, impl string) {
		var buf bytes.Buffer
		ids := e2eWriteSnapshot(b, fx, impl, &buf) // builds the graph, sizes buf
		b.ReportAllocs()
		for b.Loop() {
			e2eWriteSnapshot(b, fx, impl, &buf)
		}
		b.ReportMetric(float64(buf.Len())/float64(ids), "bytes/id")
		e2eRate(b, ids, "id")
	})
}

// BenchmarkSnapshotLoad reads a snapshot BenchmarkSnapshotWrite would write
// back into a graph ready to serve profiles. impl=idbits:
// reconcile.ReadGraph and Graph.View, which resolves the records again.
// impl=naive: encoding/gob into the naive graph, then its map from every
// identity to its profile.
func BenchmarkSnapshotLoad(b *testing.B) {
	e2eEach(b, func(b *testing.B, fx *e2eFixture, impl string) {
		snap := e2eExtra(fx, "snapshot-"+impl, func() e2eSnapshot {
			var buf bytes.Buffer
			ids := e2eWriteSnapshot(b, fx, impl, &buf)
			return e2eSnapshot{buf.Bytes(), ids}
		})
		data := snap.data
		b.ReportAllocs()
		for b.Loop() {
			switch impl {
			case "idbits":
				g, err := reconcile.ReadGraph(bytes.NewReader(data))
				if err != nil {
					b.Fatal(err)
				}
				if v := g.View(); v.Identities() != snap.ids {
					b.Fatalf("loaded view holds %d identities, want %d", v.Identities(), snap.ids)
				}
			case "naive":
				g, err := naiveReadSnapshot(bytes.NewReader(data))
				if err != nil {
					b.Fatal(err)
				}
				if v := g.view(); len(v) != snap.ids {
					b.Fatalf("loaded view holds %d identities, want %d", len(v), snap.ids)
				}
			}
		}
		b.ReportMetric(float64(len(data))/float64(snap.ids), "bytes/id")
		e2eRate(b, snap.ids, "id")
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
