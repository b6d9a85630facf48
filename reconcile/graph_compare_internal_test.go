package reconcile

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/idbits/idbits/idtypes"
)

// TestCompareOrdMatchesIDCompare checks that ordering identities by their
// stored keys gives idtypes.ID.Compare's order, for every namespace kind,
// custom namespaces and erased identities included.
func TestCompareOrdMatchesIDCompare(t *testing.T) {
	loyalty, err := idtypes.DeclareNamespace("zLoyalty")
	require.NoError(t, err)
	partner, err := idtypes.DeclareNamespace("aPartnerCode")
	require.NoError(t, err)
	r := rand.New(rand.NewPCG(1, 2))
	var ids []idtypes.ID
	for i := range 300 {
		var id idtypes.ID
		var err error
		switch i % 9 {
		case 0:
			id, err = idtypes.FromHalves(idtypes.ECID, r.Uint64N(1<<63), r.Uint64N(1<<63))
		case 1:
			id, err = idtypes.FromHalves(idtypes.AAMUUID, r.Uint64N(3), r.Uint64N(1<<63))
		case 2:
			id, err = idtypes.FromHalves(idtypes.IDFA, r.Uint64(), r.Uint64()|1)
		case 3:
			id, err = idtypes.Parse(idtypes.CRMID, fmt.Sprintf("C%d", r.IntN(1000)))
		case 4:
			id, err = idtypes.Parse(idtypes.Email, fmt.Sprintf("u%d@ex%d.com", r.IntN(100), r.IntN(3)))
		case 5:
			id, err = idtypes.HashEmail(fmt.Sprintf("h%d@example.com", i))
		case 6:
			id, err = idtypes.Parse(idtypes.Phone, fmt.Sprintf("+44%09d", r.IntN(1e9)))
		case 7:
			id, err = idtypes.Parse(loyalty, fmt.Sprintf("L%d", r.IntN(50)))
		case 8:
			id, err = idtypes.Parse(partner, fmt.Sprintf("P%d", r.IntN(50)))
		}
		require.NoError(t, err)
		ids = append(ids, id)
	}
	g := mustGraph(Rules{})
	for _, id := range ids {
		require.NoError(t, g.Link(time.Unix(0, 0), id))
	}
	n := uint32(g.dict.Len())
	for o := uint32(0); o < n; o += 17 {
		g.dict.erase(o)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	for a := range n {
		for b := range n {
			ida, _ := g.dict.ID(a)
			idb, _ := g.dict.ID(b)
			want := ida.Compare(idb)
			got := g.compareOrd(a, b)
			require.Equal(t, want, cmp.Compare(got, 0), "compareOrd(%v, %v)", ida, idb)
		}
	}
}
