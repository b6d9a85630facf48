package reconcile_test

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/idbits/idbits/idtypes"
	"github.com/idbits/idbits/reconcile"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// modelOrder orders identifiers as the documentation of ExportOptions says:
// by namespace in priority order (listed first, then unlisted declared
// namespaces, then unlisted visitor ones, each group by Namespace.Compare),
// then by ID.Compare.
func modelOrder(priority []idtypes.Namespace) func(a, b idtypes.ID) int {
	group := func(ns idtypes.Namespace) int {
		if i := slices.Index(priority, ns); i >= 0 {
			return i
		}
		if ns.Visitor() {
			return len(priority) + 1
		}
		return len(priority)
	}
	return func(a, b idtypes.ID) int {
		na, nb := a.Namespace(), b.Namespace()
		if c := cmp.Compare(group(na), group(nb)); c != 0 {
			return c
		}
		if c := na.Compare(nb); c != 0 {
			return c
		}
		return a.Compare(b)
	}
}

func TestExport(t *testing.T) {
	w := flowGen(t, 20, 600, reconcile.Rules{})
	v := w.g.View()
	rnd := rand.New(rand.NewPCG(21, 22))
	var members []int // people in the audience
	var keys []idtypes.ID
	for p := range w.people {
		if rnd.IntN(3) == 0 {
			members = append(members, p)
			keys = append(keys, w.people[p][rnd.IntN(len(w.people[p]))])
		}
	}
	aud := keySet(t, v, keys...)
	require.Equal(t, uint64(len(members)), aud.Len())

	for _, tc := range []struct {
		name       string
		namespaces []idtypes.Namespace
		priority   []idtypes.Namespace
	}{
		{name: "every namespace"},
		{name: "ECID", namespaces: []idtypes.Namespace{idtypes.ECID}},
		{name: "email, some lack it", namespaces: []idtypes.Namespace{idtypes.Email}},
		{name: "phone, most lack it", namespaces: []idtypes.Namespace{idtypes.Phone}},
		{name: "hashed email before ECID", namespaces: []idtypes.Namespace{idtypes.ECID, idtypes.EmailSHA256},
			priority: []idtypes.Namespace{idtypes.CRMID, idtypes.EmailSHA256, idtypes.ECID}},
		{name: "ECID first", namespaces: []idtypes.Namespace{idtypes.EmailSHA256, idtypes.ECID, idtypes.CRMID, idtypes.ECID},
			priority: []idtypes.Namespace{idtypes.ECID}},
		{name: "every namespace, priority", priority: []idtypes.Namespace{idtypes.Phone, idtypes.ECID}},
	} {
		for _, one := range []bool{false, true} {
			name := tc.name + "/all"
			if one {
				name = tc.name + "/one per profile"
			}
			t.Run(name, func(t *testing.T) {
				order := modelOrder(tc.priority)
				accepted := func(ns idtypes.Namespace) bool {
					return len(tc.namespaces) == 0 || slices.Contains(tc.namespaces, ns)
				}
				// The model: per person, the accepted identities in order.
				want := map[int][]idtypes.ID{}
				wantNS := map[idtypes.Namespace]int{}
				wantIDs, wantUnmapped := 0, map[int]bool{}
				for _, p := range members {
					var ids []idtypes.ID
					for _, id := range w.people[p] {
						if accepted(id.Namespace()) {
							ids = append(ids, id)
						}
					}
					slices.SortFunc(ids, order)
					if one && len(ids) > 1 {
						ids = ids[:1]
					}
					if len(ids) == 0 {
						wantUnmapped[p] = true
						continue
					}
					want[p] = ids
					for _, id := range ids {
						wantNS[id.Namespace()]++
						wantIDs++
					}
				}

				opts := reconcile.ExportOptions{Namespaces: tc.namespaces, Priority: tc.priority, OnePerProfile: one}
				res, err := reconcile.Export(v, aud, opts)
				require.NoError(t, err)
				seq, rep := res.IDs, res.Report
				assert.Equal(t, len(members), rep.Profiles)
				assert.Equal(t, len(want), rep.Exported)
				assert.Equal(t, wantIDs, rep.Identifiers)
				assert.Equal(t, wantNS, rep.ByNamespace)
				assert.Equal(t, len(wantUnmapped), rep.Unmapped)
				gotUnmapped := map[int]bool{}
				for k := range rep.UnmappedProfiles.All() {
					gotUnmapped[w.owner[v.Key(k)]] = true
				}
				assert.Equal(t, wantUnmapped, gotUnmapped)

				// The iterator: by profile in increasing order, each
				// profile's identifiers in the model's order.
				got := map[int][]idtypes.ID{}
				var all []idtypes.ID
				last := -1
				for id := range seq {
					all = append(all, id)
					p, ok := v.Profile(id)
					require.True(t, ok)
					require.GreaterOrEqual(t, int(p), last, "profiles out of order at %v", id.Text())
					last = int(p)
					got[w.owner[id]] = append(got[w.owner[id]], id)
				}
				require.Equal(t, want, got)
				var again []idtypes.ID
				for id := range seq {
					again = append(again, id)
				}
				require.Equal(t, all, again, "a second range gives the same identifiers")

				// The writer: sorted "NS:value" lines.
				var buf bytes.Buffer
				wrep, err := reconcile.WriteExport(&buf, v, aud, opts)
				require.NoError(t, err)
				require.Equal(t, rep.Identifiers, wrep.Identifiers)
				var wantLines []string
				for _, ids := range want {
					for _, id := range ids {
						wantLines = append(wantLines, id.Text())
					}
				}
				slices.Sort(wantLines)
				gotLines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
				if len(wantLines) == 0 {
					require.Empty(t, buf.String())
				} else {
					require.Equal(t, wantLines, gotLines)
				}
			})
		}
	}
}

// TestExportSkips: profiles of an older view and of another graph, erased
// identifiers and an empty audience.
func TestExportSkips(t *testing.T) {
	w := flowGen(t, 23, 40, reconcile.Rules{})
	v := w.g.View()
	// A person with two or more ECIDs: one of them is not the key.
	var p int
	for p = range w.people {
		n := 0
		for _, id := range w.people[p] {
			if id.Namespace() == idtypes.ECID {
				n++
			}
		}
		if n >= 2 {
			break
		}
	}
	key := v.Key(keyOf(t, v, w.people[p][0]))
	var other idtypes.ID
	for _, id := range w.people[p] {
		if id != key && id.Namespace() == idtypes.ECID {
			other = id
		}
	}
	require.True(t, other.IsValid(), "person %d has a second ECID", p)
	ecids := reconcile.ExportOptions{Namespaces: []idtypes.Namespace{idtypes.ECID}}
	// Profiles of another graph are refused; numbers that are no profiles
	// of v cannot be passed at all (View.AsProfiles refuses them).
	foreign := flowGen(t, 23, 40, reconcile.Rules{}).g.View()
	res, err := reconcile.Export(v, foreign.Profiles(), ecids)
	require.ErrorIs(t, err, reconcile.ErrForeignView)
	for range res.IDs {
		t.Fatal("a failed export yields nothing")
	}

	// Profiles of an older view are projected: the person's profile merged
	// into another one is exported as that one.
	old := keySet(t, v, key)
	w.link(t, 9, key, w.people[(p+1)%len(w.people)][0])
	now := w.g.View()
	res, err = reconcile.Export(now, old, ecids)
	require.NoError(t, err)
	assert.Equal(t, 1, res.Report.Profiles)
	merged, err := now.Project(old)
	require.NoError(t, err)
	require.Equal(t, uint64(1), merged.Len())
	mergedECIDs := 0
	for q := range merged.All() {
		for id := range now.Members(q) {
			if id.Namespace() == idtypes.ECID {
				mergedECIDs++
			}
		}
	}
	assert.Equal(t, mergedECIDs, res.Report.Identifiers)

	// Erase the other ECID: the old view no longer yields it.
	w.erase(t, other)
	res, err = reconcile.Export(v, keySet(t, v, key), ecids)
	require.NoError(t, err)
	seq, rep := res.IDs, res.Report
	for id := range seq {
		require.NotEqual(t, other, id)
	}
	wantECIDs := 0
	for _, id := range w.people[p] {
		if id.Namespace() == idtypes.ECID && id != other {
			wantECIDs++
		}
	}
	assert.Equal(t, wantECIDs, rep.Identifiers)

	res, err = reconcile.Export(v, reconcile.Profiles{}, reconcile.ExportOptions{})
	require.NoError(t, err)
	for range res.IDs {
		t.Fatal("the empty audience exports nothing")
	}
	assert.Equal(t, reconcile.ExportReport{ByNamespace: map[idtypes.Namespace]int{}, UnmappedProfiles: res.Report.UnmappedProfiles}, res.Report)
	assert.True(t, res.Report.UnmappedProfiles.IsEmpty())
}

func keyOf(tb testing.TB, v *reconcile.View, id idtypes.ID) reconcile.Profile {
	tb.Helper()
	p, ok := v.Profile(id)
	require.True(tb, ok)
	return p
}

func TestExportReportJSON(t *testing.T) {
	w := flowGen(t, 24, 30, reconcile.Rules{})
	v := w.g.View()
	res, err := reconcile.Export(v, v.Profiles(), reconcile.ExportOptions{Namespaces: []idtypes.Namespace{idtypes.ECID, idtypes.CRMID}})
	require.NoError(t, err)
	rep := res.Report
	b, err := json.Marshal(rep)
	require.NoError(t, err)
	var got struct {
		Profiles    int            `json:"profiles"`
		Identifiers int            `json:"identifiers"`
		ByNamespace map[string]int `json:"by_namespace"`
		Unmapped    *int           `json:"unmapped"`
	}
	require.NoError(t, json.Unmarshal(b, &got))
	assert.Equal(t, rep.Profiles, got.Profiles)
	assert.Equal(t, rep.ByNamespace[idtypes.ECID], got.ByNamespace["ECID"])
	assert.Equal(t, rep.ByNamespace[idtypes.CRMID], got.ByNamespace["CRMID"])
	require.NotNil(t, got.Unmapped)
}

// failWriter fails every write.
type failWriter struct{}

var errWrite = errors.New("write refused")

func (failWriter) Write([]byte) (int, error) { return 0, errWrite }

func TestWriteExportError(t *testing.T) {
	w := flowGen(t, 25, 30, reconcile.Rules{})
	v := w.g.View()
	_, err := reconcile.WriteExport(failWriter{}, v, v.Profiles(), reconcile.ExportOptions{})
	require.ErrorIs(t, err, errWrite)
}
