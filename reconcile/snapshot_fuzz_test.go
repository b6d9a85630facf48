package reconcile_test

import (
	"bytes"
	"errors"
	"slices"
	"testing"

	"github.com/idbits/idbits/idtypes"
	"github.com/idbits/idbits/reconcile"
	"github.com/stretchr/testify/require"
)

// snapSeeds returns real snapshots of small graphs: empty, rules only, with
// erasures, custom namespaces, a catalog and a blocklist, split into many
// sections.
func snapSeeds(tb testing.TB) [][]byte {
	defer reconcile.SnapshotChunkForTest(120)()
	rulesOnly := mustGraph(reconcile.Rules{
		Unique:       []idtypes.Namespace{idtypes.CRMID, snapLoyalty},
		Priority:     []idtypes.Namespace{snapLoyalty, idtypes.ECID},
		MaxPerRecord: 3,
	})
	catalogOnly := mustGraph(reconcile.Rules{})
	require.NoError(tb, catalogOnly.Catalog().Put("nobody", reconcile.Profiles{}))
	erased := snapWorld(tb, 21, 2)
	for p := range 2 {
		_, err := erased.Erase(snapPerson(p)...)
		require.NoError(tb, err)
	}
	var out [][]byte
	for _, g := range []*reconcile.Graph{
		mustGraph(reconcile.Rules{}),
		rulesOnly,
		catalogOnly,
		erased,
		snapWorld(tb, 22, 1),
		snapWorld(tb, 23, 4),
		snapBlocked(tb),
	} {
		out = append(out, snapBytes(tb, g))
	}
	return out
}

// FuzzReadSnapshot reads arbitrary bytes as a snapshot. With fix set, it
// first rewrites the lengths and checksums (fixSnap), so that mutations
// reach the parsers of the payloads. Reading must never panic; it fails with
// a *SnapshotError matching one of the three sentinels and leaves the
// namespace registry as it was, or gives a graph whose own snapshot loads to
// the same graph and is written identically, having declared only
// namespaces the graph uses.
func FuzzReadSnapshot(f *testing.F) {
	for _, b := range snapSeeds(f) {
		f.Add(b, false)
		f.Add(b, true)
	}
	f.Fuzz(func(t *testing.T, data []byte, fix bool) {
		if fix {
			data = fixSnap(data)
		}
		before := slices.Collect(idtypes.CustomNamespaces())
		g, err := reconcile.ReadGraph(bytes.NewReader(data))
		after := slices.Collect(idtypes.CustomNamespaces())
		if err != nil {
			if !slices.Equal(before, after) {
				t.Fatalf("ReadGraph failed (%v) but declared %v", err, after[len(before):])
			}
			var se *reconcile.SnapshotError
			if !errors.As(err, &se) {
				t.Fatalf("ReadGraph error %v (%T) is not a *SnapshotError", err, err)
			}
			if !errors.Is(err, reconcile.ErrCorrupt) && !errors.Is(err, reconcile.ErrVersion) && !errors.Is(err, reconcile.ErrFormat) {
				t.Fatalf("ReadGraph error %v matches no sentinel", err)
			}
			if se.Offset < 0 || se.Offset > int64(len(data)) {
				t.Fatalf("ReadGraph error %v at offset %d of %d bytes", err, se.Offset, len(data))
			}
			return
		}
		requireDeclaredUsed(t, g, after[len(before):])
		b1 := snapBytes(t, g)
		g2, err := reconcile.ReadGraph(bytes.NewReader(b1))
		if err != nil {
			t.Fatalf("the snapshot of a loaded graph does not load: %v", err)
		}
		requireSameGraph(t, g, g2)
		if b2 := snapBytes(t, g2); !bytes.Equal(b1, b2) {
			t.Fatalf("snapshots of the same graph differ")
		}
	})
}

// requireDeclaredUsed checks that every namespace of declared is one the
// rules or an ordinal (erased or not) of g use.
func requireDeclaredUsed(tb testing.TB, g *reconcile.Graph, declared []idtypes.Namespace) {
	tb.Helper()
	used := make(map[idtypes.Namespace]bool)
	r := g.Rules()
	for _, ns := range slices.Concat(r.Unique, r.Priority) {
		used[ns] = true
	}
	d := g.Dictionary()
	for o := range uint32(d.Len()) {
		used[d.NamespaceOf(o)] = true
	}
	for _, ns := range declared {
		if !used[ns] {
			tb.Fatalf("loading declared %v, which the graph does not use", ns)
		}
	}
}
