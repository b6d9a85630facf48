package reconcile_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/idbits/idbits/bitmap"
	"github.com/idbits/idbits/idtypes"
	"github.com/idbits/idbits/reconcile"
)

// TestJoinAfterErasure checks that a join under a view taken before an
// erasure leaves the erased profile out, although the audience holds only
// profiles of that view (the case Join takes as it is when nothing was
// erased since).
func TestJoinAfterErasure(t *testing.T) {
	g := mustGraph(reconcile.Rules{})
	at := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	a := idtypes.MustParse(idtypes.CRMID, "A")
	b := idtypes.MustParse(idtypes.CRMID, "B")
	require.NoError(t, g.Link(at, a))
	require.NoError(t, g.Link(at, b))
	v := g.View()
	all := v.Profiles()
	require.Equal(t, uint64(2), all.Len())

	n, err := reconcile.JoinLen(v, reconcile.JoinAnd, all, all)
	require.NoError(t, err)
	require.Equal(t, uint64(2), n)
	joined, _, err := reconcile.Join(v, reconcile.JoinAnd, all, all)
	require.NoError(t, err)
	require.True(t, joined.Equal(all), "an audience of the view's profiles is used as it is")

	_, err = g.Erase(a)
	require.NoError(t, err)
	pb, ok := v.Profile(b)
	require.True(t, ok)
	for _, view := range []*reconcile.View{v, g.View()} {
		n, err = reconcile.JoinLen(view, reconcile.JoinAnd, all, all)
		require.NoError(t, err)
		require.Equal(t, uint64(1), n)
		joined, _, err = reconcile.Join(view, reconcile.JoinOr, all, reconcile.Profiles{})
		require.NoError(t, err)
		require.True(t, joined.Audience().Equal(bitmap.Of(uint32(pb))), "joined = %v", joined.Audience().AppendTo(nil))
	}
}
