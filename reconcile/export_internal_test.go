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

// TestDecodeExportKey checks the export's key decoder against
// idtypes.ID.UnmarshalBinary, on identifiers of every kind and on keys that
// do not decode.
func TestDecodeExportKey(t *testing.T) {
	rnd := rand.New(rand.NewPCG(5, 6))
	ids := []idtypes.ID{
		idtypes.MustParse(idtypes.ECID, "00000000000000000000000000000000000000"),
		idtypes.MustParse(idtypes.ECID, "92233720368547758079223372036854775807"),
		idtypes.MustParse(idtypes.AAMUUID, "07955261652886032950143702505894272138"),
		idtypes.MustParse(idtypes.CRMID, "customer-1"),
		idtypes.MustParse(idtypes.Email, "a@example.com"),
		idtypes.MustParse(idtypes.GAID, "38400000-8cf0-11bd-b23e-10b96e40000d"),
	}
	for range 100 {
		id, err := idtypes.FromHalves(idtypes.ECID, rnd.Uint64()>>1, rnd.Uint64()>>1)
		require.NoError(t, err)
		ids = append(ids, id)
	}
	for _, id := range ids {
		key, err := id.AppendBinary(nil)
		require.NoError(t, err)
		var want idtypes.ID
		require.NoError(t, want.UnmarshalBinary(key))
		require.Equal(t, want, decodeExportKey(key), "key of %v", id)
	}
	// An ECID key whose half is out of range, and keys too short.
	bad := append([]byte{byte(idtypes.ECID)}, make([]byte, 16)...)
	bad[1] = 0xff
	for _, key := range [][]byte{bad, nil, {byte(idtypes.ECID)}} {
		require.False(t, decodeExportKey(key).IsValid(), "key %x", key)
	}
}

// TestExportFinishOrder checks the order finish gives profiles of every
// size, small (insertion sort) and large (sort by keys), against
// compareMembers, with ranks and namespaces mixed and equal halves.
func TestExportFinishOrder(t *testing.T) {
	rnd := rand.New(rand.NewPCG(7, 8))
	ex := &exporter{}
	var sc exportScratch
	for _, n := range []int{0, 1, 2, 12, 13, 50, 300} {
		ms := make([]member, 0, n)
		for range n {
			var id idtypes.ID
			var err error
			switch rnd.IntN(3) {
			case 0:
				id, err = idtypes.Parse(idtypes.CRMID, fmt.Sprint("c", rnd.IntN(20)))
			default:
				id, err = idtypes.FromHalves(idtypes.ECID, rnd.Uint64N(3), rnd.Uint64N(4))
			}
			require.NoError(t, err)
			ms = append(ms, member{rank: int32(rnd.IntN(2)), ord: uint32(len(ms)), id: id})
		}
		want := slices.Clone(ms)
		slices.SortStableFunc(want, compareMembers)
		got := ex.finish(slices.Clone(ms), &sc)
		require.Len(t, got, n)
		for i := range got {
			require.Zero(t, compareMembers(want[i], got[i]), "n=%d at %d: %v, want %v", n, i, got[i].id, want[i].id)
		}
	}
}
