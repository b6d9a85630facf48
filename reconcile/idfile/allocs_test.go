package idfile_test

import (
	"bytes"
	"testing"

	"github.com/idbits/idbits/idtypes"
	"github.com/idbits/idbits/reconcile/idfile"
)

// TestReadAllocsPerLine checks that reading ECIDs allocates nothing per
// line: a long file costs the same allocations as a short one.
func TestReadAllocsPerLine(t *testing.T) {
	csvOf := func(n int) []byte {
		b := []byte("name,ECID,segmentMembershipStatus\n")
		for i := range n {
			b = append(b, "\"Doe, Ann\","+ecidOf(uint64(i))+",realized\n"...)
		}
		return b
	}
	for _, tc := range []struct {
		name string
		data func(n int) []byte
		read func(t *testing.T, data []byte)
	}{
		{"list NS:value", func(n int) []byte { return ecidList(n, true) }, func(t *testing.T, data []byte) {
			for _, err := range idfile.ReadList(bytes.NewReader(data), idfile.ListOptions{}) {
				if err != nil {
					t.Fatal(err)
				}
			}
		}},
		{"list bare", func(n int) []byte { return ecidList(n, false) }, func(t *testing.T, data []byte) {
			for _, err := range idfile.ReadList(bytes.NewReader(data), idfile.ListOptions{Namespace: idtypes.ECID}) {
				if err != nil {
					t.Fatal(err)
				}
			}
		}},
		{"CSV", csvOf, func(t *testing.T, data []byte) {
			for _, err := range idfile.ReadCSV(bytes.NewReader(data), idfile.CSVOptions{Column: "ECID"}) {
				if err != nil {
					t.Fatal(err)
				}
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			short, long := tc.data(10), tc.data(5000)
			a := testing.AllocsPerRun(3, func() { tc.read(t, short) })
			b := testing.AllocsPerRun(3, func() { tc.read(t, long) })
			if b > a {
				t.Errorf("reading 5000 lines allocates %v times, 10 lines %v times", b, a)
			}
		})
	}
	// Writing does not allocate per ID either.
	ids := make([]idtypes.ID, 5000)
	for i := range ids {
		ids[i] = idtypes.MustParse(idtypes.ECID, ecidOf(uint64(i)))
	}
	var buf bytes.Buffer
	buf.Grow(50 * len(ids))
	write := func(ids []idtypes.ID) func() {
		return func() {
			buf.Reset()
			idfile.WriteList(&buf, func(yield func(idtypes.ID) bool) {
				for _, id := range ids {
					if !yield(id) {
						return
					}
				}
			}, idfile.ListOptions{})
		}
	}
	a, b := testing.AllocsPerRun(3, write(ids[:10])), testing.AllocsPerRun(3, write(ids))
	if b > a {
		t.Errorf("writing 5000 IDs allocates %v times, 10 IDs %v times", b, a)
	}
}
