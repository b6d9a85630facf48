package bench_test

import (
	"bytes"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idbits/idbits/bench"
	"github.com/idbits/idbits/bitmap"
	"github.com/idbits/idbits/idtypes"
	"github.com/idbits/idbits/reconcile"
	"github.com/idbits/idbits/reconcile/idfile"
)

// The end-to-end benchmarks compare idbits with naive baselines; these tests
// check on a small world that the baselines compute what the benchmarks say
// they compute, so that a fast baseline is never a wrong one.

func TestE2EParseSizes(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []int
	}{
		{"1e6,1e7", []int{1e6, 1e7}},
		{" 1e5 , 2.5e6,1000000,", []int{1e5, 25e5, 1e6}},
		{"1e8", []int{1e8}},
	} {
		got, err := e2eParseSizes(tc.in)
		require.NoError(t, err, tc.in)
		assert.Equal(t, tc.want, got, tc.in)
	}
	for _, in := range []string{"", ",", "ten", "1e2", "1e9", "1.5", "-1e6"} {
		_, err := e2eParseSizes(in)
		assert.Error(t, err, in)
	}
}

func TestE2ESizeName(t *testing.T) {
	for n, want := range map[int]string{1e5: "1e5", 1e6: "1e6", 1e7: "1e7", 1e8: "1e8", 25e5: "25e5", 1234: "1234", 1500: "1500", 100: "100"} {
		assert.Equal(t, want, e2eSizeName(n), "e2eSizeName(%d)", n)
	}
}

// e2eSmall returns a small world, its idbits graph under no rules (plain
// connected components, as the naive graph computes) and the naive graph.
func e2eSmall(t *testing.T) (*e2eFixture, *reconcile.Graph, *naiveGraph) {
	fx := newE2EFixture(t, 3000, bench.Config{Seed: 9, People: 3000})
	g := mustGraph(reconcile.Rules{})
	e2eLink(t, g, fx)
	ng := newNaiveGraph()
	texts := fx.e2eTexts()
	for r := range fx.recs.len() {
		var rec []string
		for _, i := range fx.recs.record(r) {
			rec = append(rec, texts[i])
		}
		ng.link(rec)
	}
	return fx, g, ng
}

// e2eSamePartition checks that the idbits view and the naive view put the
// identities of texts in the same profiles.
func e2eSamePartition(t *testing.T, v *reconcile.View, nv map[string]uint32, ids []idtypes.ID) {
	t.Helper()
	require.Equal(t, v.Identities(), len(nv))
	fwd := map[reconcile.Profile]uint32{}
	back := map[uint32]reconcile.Profile{}
	for _, id := range ids {
		p, ok := v.Profile(id)
		require.True(t, ok, "idbits has no profile for %v", id)
		q, ok := nv[id.Text()]
		require.True(t, ok, "naive has no profile for %v", id)
		if x, seen := fwd[p]; seen {
			require.Equal(t, x, q, "%v: idbits profile %d is two naive ones", id, p)
		}
		if x, seen := back[q]; seen {
			require.Equal(t, x, p, "%v: naive profile %d is two idbits ones", id, q)
		}
		fwd[p], back[q] = q, p
	}
	assert.Equal(t, v.Len(), len(fwd))
}

func TestE2ENaiveGraph(t *testing.T) {
	fx, g, ng := e2eSmall(t)
	e2eSamePartition(t, g.View(), ng.view(), fx.ids)

	// The records the incremental benchmark draws are accepted, and both
	// graphs still agree after them.
	src := newE2ERecordSource(fx, 1)
	var batch reconcile.Batch
	var added []idtypes.ID
	for range 500 {
		at, ids := src.next()
		require.GreaterOrEqual(t, len(ids), 2)
		require.Equal(t, idtypes.ECID, ids[0].Namespace())
		batch.Add(at, ids...)
		var rec []string
		for _, id := range ids {
			rec = append(rec, id.Text())
		}
		ng.link(rec)
		added = append(added, ids[0])
	}
	rep, err := g.LinkMany(&batch)
	require.NoError(t, err)
	require.Equal(t, 500, rep.Linked)
	all := slices.Concat(fx.ids, added)
	slices.SortFunc(all, idtypes.ID.Compare)
	all = slices.Compact(all)
	e2eSamePartition(t, g.View(), ng.view(), all)
}

func TestE2ENaiveFlows(t *testing.T) {
	fx, g, ng := e2eSmall(t)
	v, nv := g.View(), ng.view()

	seg := fx.world.Segment(bench.SegmentSpec{Seed: 3, Density: 0.2, Namespace: idtypes.ECID, Unknown: 0.05, Malformed: 0.05})
	var data bytes.Buffer
	require.NoError(t, seg.WriteList(&data, ""))
	im, err := reconcile.ImportList(v, bytes.NewReader(data.Bytes()), idfile.ListOptions{}, reconcile.ImportOptions{})
	require.NoError(t, err)
	naud, lines := naiveImport(t, nv, data.Bytes())
	require.Equal(t, im.Report.Lines, lines)
	require.Positive(t, im.Report.MatchedProfiles)

	// The same profiles: the naive profiles of the idbits profiles' keys.
	var keys []uint32
	for p := range im.Profiles.All() {
		keys = append(keys, nv[v.Key(p).Text()])
	}
	slices.Sort(keys)
	require.Equal(t, naud, keys)

	// Export writes the same ECIDs, in another order.
	members := map[uint32][]string{}
	for _, t := range ng.keys {
		members[nv[t]] = append(members[nv[t]], t)
	}
	var naiveOut, out bytes.Buffer
	n := naiveExport(t, &naiveOut, naud, members, "ECID:")
	ex, err := reconcile.Export(v, im.Profiles, reconcile.ExportOptions{Namespaces: []idtypes.Namespace{idtypes.ECID}})
	require.NoError(t, err)
	require.NoError(t, idfile.WriteList(&out, ex.IDs, idfile.ListOptions{Namespace: idtypes.ECID}))
	require.Equal(t, ex.Report.Identifiers, n)
	require.GreaterOrEqual(t, n, seg.Count(bench.Known))
	sorted := func(b bytes.Buffer) []string {
		ls := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
		slices.Sort(ls)
		return ls
	}
	require.Equal(t, sorted(out), sorted(naiveOut))
}

func TestE2ENaiveSets(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var sorted [][]uint32
	var auds []bitmap.Audience
	for range 6 {
		var s []uint32
		for m := range uint32(200_000) {
			if r.IntN(3) == 0 {
				s = append(s, m)
			}
		}
		sorted = append(sorted, s)
		auds = append(auds, bitmap.Of(s...))
	}
	for i := range sorted {
		for j := range sorted {
			assert.Equal(t, bitmap.And(auds[i], auds[j]).AppendTo(nil), naiveAnd(sorted[i], sorted[j]), "and %d %d", i, j)
			assert.Equal(t, int(bitmap.AndLen(auds[i], auds[j])), naiveAndLen(sorted[i], sorted[j]), "and-len %d %d", i, j)
		}
	}
	assert.Equal(t, bitmap.OrAll(auds...).AppendTo(nil), naiveUnion(sorted))
	want := bitmap.Overlap(auds...)
	got := naiveOverlap(sorted)
	for i := range got {
		assert.Equal(t, []uint64(want[i]), got[i], "overlap row %d", i)
	}
}

func TestE2ERecordsFlat(t *testing.T) {
	fx := newE2EFixture(t, 500, bench.Config{Seed: 4, People: 500})
	require.Equal(t, fx.world.RecordCount(), fx.recs.len())
	r := 0
	for rec := range fx.world.Records() {
		var got []idtypes.ID
		for _, i := range fx.recs.record(r) {
			got = append(got, fx.ids[i])
		}
		require.Equal(t, rec.IDs, got, "record %d", r)
		require.Equal(t, rec.At, time.Unix(0, fx.recs.at[r]).UTC(), "record %d", r)
		r++
	}
	require.Equal(t, len(fx.recs.idx), fx.recs.links())
}

func TestE2ENaiveSnapshot(t *testing.T) {
	fx, g, ng := e2eSmall(t)
	for _, impl := range e2eImpls {
		var buf bytes.Buffer
		fx.graphOnce.Do(func() { fx.graph, fx.view = g, g.View() })
		fx.naiveOnce.Do(func() { fx.naive, fx.naiveView = ng, ng.view() })
		ids := e2eWriteSnapshot(t, fx, impl, &buf)
		require.Equal(t, len(fx.ids), ids, impl)
		require.NotZero(t, buf.Len(), impl)
		switch impl {
		case "idbits":
			g2, err := reconcile.ReadGraph(&buf)
			require.NoError(t, err)
			e2eSamePartition(t, g2.View(), ng.view(), fx.ids)
		case "naive":
			ng2, err := naiveReadSnapshot(&buf)
			require.NoError(t, err)
			e2eSamePartition(t, g.View(), ng2.view(), fx.ids)
		}
	}
}
