package reconcile

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/idbits/idbits/idtypes"
	"github.com/stretchr/testify/require"
)

// TestSortByText checks the export order against the texts sorted as
// strings, on values that share long prefixes, differ only past 16 bytes,
// or are shorter than 16 bytes, in several namespaces at once.
func TestSortByText(t *testing.T) {
	rnd := rand.New(rand.NewPCG(3, 4))
	loyalty, err := idtypes.DeclareNamespace("Loyalty")
	require.NoError(t, err)
	loyalty2, err := idtypes.DeclareNamespace("Loyalty2")
	require.NoError(t, err)
	for _, n := range []int{0, 1, 2, 10, radixMin - 1, radixMin, 5000} {
		var ids []idtypes.ID
		for range n {
			var id idtypes.ID
			switch rnd.IntN(7) {
			case 0:
				id, err = idtypes.FromHalves(idtypes.ECID, rnd.Uint64N(3), rnd.Uint64()>>1)
			case 1:
				id, err = idtypes.Parse(idtypes.CRMID, "customer-0000000000"+fmt.Sprint(rnd.IntN(50)))
			case 2:
				id, err = idtypes.Parse(idtypes.CRMID, strings.Repeat("x", rnd.IntN(20)))
			case 3:
				id, err = idtypes.Parse(idtypes.Email, fmt.Sprintf("a%d@example.com", rnd.IntN(30)))
			case 4:
				id, err = idtypes.Parse(loyalty, fmt.Sprint(rnd.IntN(100)))
			case 5:
				id, err = idtypes.Parse(loyalty2, fmt.Sprint(rnd.IntN(100)))
			default:
				id, err = idtypes.HashEmail(fmt.Sprintf("h%d@example.com", rnd.IntN(30)))
			}
			if err != nil {
				continue // a blocked value: none of the others
			}
			ids = append(ids, id)
		}
		want := make([]string, len(ids))
		for i, id := range ids {
			want[i] = id.Text()
		}
		slices.Sort(want)
		sortByText(ids)
		got := make([]string, len(ids))
		for i, id := range ids {
			got[i] = id.Text()
		}
		require.Equal(t, want, got, "n=%d", n)
	}
}
