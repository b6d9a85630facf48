package reconcile_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/idbits/idbits/idtypes"
	"github.com/idbits/idbits/reconcile"
	"github.com/idbits/idbits/reconcile/idfile"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDiff(t *testing.T) {
	ch := newChurn(t, 50)
	v := ch.w.g.View()
	prev, cur := ch.modelProject(t, ch.old.Audience(), ch.v1), ch.modelProject(t, ch.mid.Audience(), ch.v2)
	entered := modelJoin(reconcile.JoinAndNot, cur, prev)
	exited := modelJoin(reconcile.JoinAndNot, prev, cur)
	require.NotEmpty(t, entered)
	require.NotEmpty(t, exited)

	d, err := reconcile.Diff(v, ch.old, ch.mid)
	require.NoError(t, err)
	m := ch.w.model
	require.Equal(t, prev, comps(t, m, v, d.Previous))
	require.Equal(t, cur, comps(t, m, v, d.Current))
	require.Equal(t, entered, comps(t, m, v, d.Entered))
	require.Equal(t, exited, comps(t, m, v, d.Exited))

	members := m.members()
	for _, ns := range []idtypes.Namespace{idtypes.ECID, idtypes.CRMID} {
		for _, full := range []bool{false, true} {
			for _, one := range []bool{false, true} {
				// The model's rows: identifiers of ns of each component.
				want := map[idtypes.ID]idfile.Status{}
				unmapped := 0
				add := func(cs map[idtypes.ID]bool, st idfile.Status) {
					for c := range cs {
						var best idtypes.ID
						n := 0
						for _, id := range members[c] {
							if id.Namespace() != ns {
								continue
							}
							n++
							if !one {
								want[id] = st
							} else if !best.IsValid() || id.Compare(best) < 0 {
								best = id
							}
						}
						if one && best.IsValid() {
							want[best] = st
						}
						if n == 0 {
							unmapped++
						}
					}
				}
				if full {
					add(cur, idfile.Realized)
				} else {
					add(entered, idfile.Realized)
					add(exited, idfile.Exited)
				}

				var buf bytes.Buffer
				rep, err := reconcile.WriteDelta(&buf, d, reconcile.DeltaOptions{Namespace: ns, Full: full, OnePerProfile: one})
				require.NoError(t, err)
				got := map[idtypes.ID]idfile.Status{}
				var last idtypes.ID
				for ln, err := range idfile.ReadCSV(&buf, idfile.CSVOptions{Delta: true}) {
					require.NoError(t, err)
					require.Equal(t, ns, ln.ID.Namespace())
					require.Negative(t, last.Compare(ln.ID), "rows sorted and distinct")
					last = ln.ID
					got[ln.ID] = ln.Status
				}
				require.Equal(t, want, got, "%v full=%v one=%v", ns, full, one)
				realized, exitedRows := 0, 0
				for _, st := range want {
					if st == idfile.Realized {
						realized++
					} else {
						exitedRows++
					}
				}
				assert.Equal(t, realized, rep.RealizedRows)
				assert.Equal(t, exitedRows, rep.ExitedRows)
				assert.Equal(t, unmapped, rep.Unmapped)
				assert.Equal(t, uint64(len(entered)), rep.Entered)
				assert.Equal(t, uint64(len(exited)), rep.Exited)
				assert.Equal(t, uint64(len(cur)), rep.Current)
				assert.Equal(t, uint64(len(prev)), rep.Previous)
				assert.Equal(t, full, rep.Full)
			}
		}
	}
}

// deltaScenario is a small graph with a merge and a split between two
// snapshots of an audience: the expected files, worked out by hand, are in
// testdata/flows.
//
//	before: P1 = {c1, e1, e2} (e1 bridges c1 and e2), P2 = {c2, e3},
//	        P3 = {c3, e4}, P4 = {e5}; the audience is {P1, P2, P4}
//	then:   e4 joins c2 (P2 and P3 merge), e1 is erased (P1 splits into
//	        {c1} and {e2}); the audience is now {e2's profile, P2+P3}
//	so:     entered {e2}; exited {c1} (no ECID left) and {e5};
//	        current {e2}, {c2, c3, e3, e4}
func deltaScenario(t *testing.T) (*reconcile.View, reconcile.Delta) {
	e := func(n string) idtypes.ID {
		return idtypes.MustParse(idtypes.ECID, "2026567315898041972273508975303663357"+n)
	}
	c := func(n string) idtypes.ID { return idtypes.MustParse(idtypes.CRMID, "crm-"+n) }
	g := mustGraph(reconcile.Rules{})
	link := func(h int, ids ...idtypes.ID) {
		require.NoError(t, g.Link(flowT0.Add(time.Duration(h)*time.Hour), ids...))
	}
	link(0, c("1"), e("1"))
	link(1, e("1"), e("2"))
	link(2, c("2"), e("3"))
	link(3, c("3"), e("4"))
	link(4, e("5"))
	v1 := g.View()
	prev := keySet(t, v1, c("1"), c("2"), e("5"))

	link(5, e("4"), c("2"))
	_, err := g.Erase(e("1"))
	require.NoError(t, err)
	v2 := g.View()
	cur := keySet(t, v2, e("2"), c("3"))
	d, err := reconcile.Diff(v2, prev, cur)
	require.NoError(t, err)
	return v2, d
}

func TestWriteDeltaFiles(t *testing.T) {
	v, d := deltaScenario(t)
	for _, tc := range []struct {
		file     string
		opts     reconcile.DeltaOptions
		unmapped int
	}{
		{file: "delta_incremental.csv", opts: reconcile.DeltaOptions{Namespace: idtypes.ECID}, unmapped: 1},
		{file: "delta_full.csv", opts: reconcile.DeltaOptions{Namespace: idtypes.ECID, Full: true}},
		{file: "delta_full_one.csv", opts: reconcile.DeltaOptions{Namespace: idtypes.ECID, Full: true, OnePerProfile: true}},
		{file: "delta_incremental_crm.csv", opts: reconcile.DeltaOptions{Namespace: idtypes.CRMID, Column: "external_id", Comma: ';'}, unmapped: 2},
	} {
		t.Run(tc.file, func(t *testing.T) {
			want, err := os.ReadFile(filepath.Join("testdata", "flows", tc.file))
			require.NoError(t, err)
			var buf bytes.Buffer
			rep, err := reconcile.WriteDelta(&buf, d, tc.opts)
			require.Same(t, v, rep.UnmappedProfiles.View())
			require.NoError(t, err)
			require.Equal(t, string(want), buf.String())
			require.Equal(t, tc.unmapped, rep.Unmapped)
			require.Equal(t, uint64(1), rep.Entered)
			require.Equal(t, uint64(2), rep.Exited)
			require.Equal(t, uint64(2), rep.Current)
			require.Equal(t, uint64(3), rep.Previous)
		})
	}
}

func TestWriteDeltaErrors(t *testing.T) {
	v, d := deltaScenario(t)
	var buf bytes.Buffer
	_, err := reconcile.WriteDelta(&buf, d, reconcile.DeltaOptions{})
	require.ErrorIs(t, err, reconcile.ErrNoNamespace)
	require.Zero(t, buf.Len())
	_, err = reconcile.WriteDelta(failWriter{}, d, reconcile.DeltaOptions{Namespace: idtypes.ECID})
	require.ErrorIs(t, err, errWrite)

	// Profiles of another graph in a hand-made Delta.
	other := mustGraph(reconcile.Rules{})
	require.NoError(t, other.Link(flowT0, idtypes.MustParse(idtypes.CRMID, "x")))
	bad := d
	bad.Entered = other.View().Profiles()
	_, err = reconcile.WriteDelta(&buf, bad, reconcile.DeltaOptions{Namespace: idtypes.ECID})
	require.ErrorIs(t, err, reconcile.ErrForeignView)
	require.Zero(t, buf.Len())
	_, err = reconcile.Diff(v, d.Current, other.View().Profiles())
	require.ErrorIs(t, err, reconcile.ErrForeignView)

	// An empty delta, and the zero Delta, write the header alone.
	empty, err := reconcile.Diff(v, reconcile.Profiles{}, reconcile.Profiles{})
	require.NoError(t, err)
	for _, d := range []reconcile.Delta{empty, {}} {
		buf.Reset()
		rep, err := reconcile.WriteDelta(&buf, d, reconcile.DeltaOptions{Namespace: idtypes.ECID})
		require.NoError(t, err)
		require.Equal(t, "ECID,segmentMembershipStatus\n", buf.String())
		require.True(t, rep.UnmappedProfiles.IsEmpty())
		require.Equal(t, reconcile.DeltaReport{UnmappedProfiles: rep.UnmappedProfiles}, rep)
	}
}
