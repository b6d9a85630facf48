package reconcile

import (
	"errors"
	"fmt"
	"io"
	"iter"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idbits/idbits/idtypes"
	"github.com/idbits/idbits/reconcile/idfile"
)

// xdmLine is one good XDM line linking ECID n to CRM ID "C<n>".
func xdmLine(n int) string {
	return `{"timestamp":"2026-03-01T12:00:00Z","identityMap":{"ECID":[{"id":"` + ecid(n).String() + `"}],"CRMID":[{"id":"C` + strconv.Itoa(n) + `"}]}}`
}

// linksFile returns an XDM file of n lines, line i (1-based) being
// xdmLine(i) unless bad holds another text for it.
func linksFile(n int, bad map[int]string) string {
	var b strings.Builder
	for i := 1; i <= n; i++ {
		if s, ok := bad[i]; ok {
			b.WriteString(s)
		} else {
			b.WriteString(xdmLine(i))
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// Rejected records and bad lines past the first batches of LinkMany name
// their line in the file, not their place in a batch.
func TestLinkRecordsLines(t *testing.T) {
	const n = 40_000
	g := mustGraph(crmUnique)
	require.NoError(t, g.Link(t0, crm("C39000")))
	_, err := g.Erase(crm("C39000"))
	require.NoError(t, err)
	in := linksFile(n, map[int]string{
		35_001: strings.Replace(xdmLine(35_001), "2026-03-01", "3000-01-01", 1), // time out of range
		36_000: "not json",
		37_000: `{"timestamp":"2026-03-01T12:00:00Z","identityMap":{"ECID":[{"id":"123"}],"CRMID":[{"id":"C37000"}]}}`, // one bad identity
		37_500: `{"timestamp":"2026-03-01T12:00:00Z","identityMap":{"ECID":[{"id":"1"},{"id":"2"}]}}`,                  // no good identity
		38_000: "",                                                                                                     // blank: no data line
	})

	rep, err := LinkRecords(g, idfile.ReadXDM(strings.NewReader(in), idfile.XDMOptions{}), LinkOptions{})
	require.NoError(t, err)
	assert.Equal(t, LinkReport{
		Lines:             n - 1,
		InvalidLines:      2,
		InvalidIdentities: 1,
		Records:           n - 3,
		Linked:            n - 4,
		Rejected:          1,
		Dropped:           1,
		Errors:            rep.Errors,
		LineErrors:        rep.LineErrors,
	}, rep)
	assert.Equal(t, rep.Lines, rep.InvalidLines+rep.Records)
	assert.Equal(t, rep.Records, rep.Linked+rep.Rejected)

	require.Len(t, rep.Errors, 2)
	assert.ErrorIs(t, rep.Errors[0], ErrTime)
	assert.Equal(t, 35_001, rep.Errors[0].Line)
	assert.Equal(t, 35_000, rep.Errors[0].Record, "the index among the records read")
	assert.Equal(t, "reconcile: line 35001: record time out of range", rep.Errors[0].Error())
	assert.ErrorIs(t, rep.Errors[1], ErrErased)
	assert.Equal(t, 39_000, rep.Errors[1].Line)
	assert.Equal(t, "reconcile: line 39000: identifier CRMID:C39000: identifier erased", rep.Errors[1].Error())

	var lines []int
	for _, le := range rep.LineErrors {
		lines = append(lines, le.Line)
	}
	assert.Equal(t, []int{36_000, 37_000, 37_500, 37_500}, lines)
	assert.ErrorIs(t, rep.LineErrors[0], idfile.ErrFormat)
	assert.ErrorIs(t, rep.LineErrors[1], idtypes.ErrSyntax)

	v := g.View()
	assert.Equal(t, n-4, v.Len(), "one profile per linked record")
}

func TestLinkRecordsMaxRejected(t *testing.T) {
	bad := map[int]string{2: "x", 3: "y", 4: `{"timestamp":"0001-01-01T00:00:00Z","identityMap":{"ECID":[{"id":"` + ecid(4).String() + `"}]}}`, 5: `{"timestamp":"0001-01-01T00:00:00Z","identityMap":{"ECID":[{"id":"` + ecid(5).String() + `"}]}}`}
	for _, tt := range []struct {
		max  int
		want int
	}{{0, 2}, {1, 1}, {-1, 0}} {
		t.Run(strconv.Itoa(tt.max), func(t *testing.T) {
			g := mustGraph(Rules{})
			rep, err := LinkRecords(g, idfile.ReadXDM(strings.NewReader(linksFile(6, bad)), idfile.XDMOptions{}), LinkOptions{MaxRejected: tt.max})
			require.NoError(t, err)
			assert.Equal(t, 2, rep.InvalidLines)
			assert.Equal(t, 2, rep.Rejected)
			assert.Equal(t, 2, rep.Linked)
			assert.Len(t, rep.Errors, tt.want)
			assert.Len(t, rep.LineErrors, tt.want)
		})
	}
}

// records yields n records of one ECID each, on lines 1 to n, and then err
// if it is not nil.
func records(n int, err error) iter.Seq2[idfile.Record, error] {
	return func(yield func(idfile.Record, error) bool) {
		for i := range n {
			if !yield(idfile.Record{N: i + 1, At: t0, IDs: []idfile.Identity{{ID: ecid(i)}}}, nil) {
				return
			}
		}
		if err != nil {
			yield(idfile.Record{}, err)
		}
	}
}

// Progress comes every ProgressEvery lines, in increasing counts, and last
// with the total, also when a read error stops linking.
func TestLinkRecordsProgress(t *testing.T) {
	errRead := errors.New("disk on fire")
	for _, tt := range []struct {
		n   int
		err error
	}{{0, nil}, {10, nil}, {ProgressEvery, nil}, {2*ProgressEvery + 5, nil}, {ProgressEvery + 3, errRead}} {
		t.Run(fmt.Sprint(tt.n, tt.err), func(t *testing.T) {
			var got []int64
			g := mustGraph(Rules{})
			rep, err := LinkRecords(g, records(tt.n, tt.err), LinkOptions{Progress: func(done int64) { got = append(got, done) }})
			if tt.err != nil {
				require.ErrorIs(t, err, tt.err)
			} else {
				require.NoError(t, err)
			}
			var want []int64
			for k := int64(ProgressEvery); k <= int64(tt.n); k += ProgressEvery {
				want = append(want, k)
			}
			want = append(want, int64(tt.n))
			assert.Equal(t, want, got)
			assert.Equal(t, tt.n, rep.Lines)
			assert.Equal(t, tt.n, rep.Linked, "records before a read error are linked")
			assert.Equal(t, tt.n, g.View().Len())
		})
	}
}

// Records without a line number are lines of their own, and their errors
// name them by their index among the records read.
func TestLinkRecordsNoLines(t *testing.T) {
	recs := func(yield func(idfile.Record, error) bool) {
		for i := range 3 {
			at := t0
			if i == 2 {
				at = time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC)
			}
			if !yield(idfile.Record{At: at, IDs: []idfile.Identity{{ID: ecid(i)}}}, nil) {
				return
			}
		}
	}
	rep, err := LinkRecords(mustGraph(Rules{}), recs, LinkOptions{})
	require.NoError(t, err)
	assert.Equal(t, 3, rep.Lines)
	require.Len(t, rep.Errors, 1)
	assert.Equal(t, "reconcile: record 2: record time out of range", rep.Errors[0].Error())
}

// Read errors other than bad lines come back wrapped, naming the flow.
func TestLinkRecordsReadError(t *testing.T) {
	_, err := LinkRecords(mustGraph(Rules{}), idfile.ReadXDM(io.MultiReader(strings.NewReader(xdmLine(1)+"\n"), iotestErr{}), idfile.XDMOptions{}), LinkOptions{})
	require.ErrorIs(t, err, errBroken)
}

var errBroken = errors.New("broken pipe")

type iotestErr struct{}

func (iotestErr) Read([]byte) (int, error) { return 0, errBroken }

// RecordError names the record by its line, else its index in the batch,
// and the identifier by its value, else its position.
func TestRecordErrorMessage(t *testing.T) {
	for _, tt := range []struct {
		err  *RecordError
		want string
	}{
		{&RecordError{Record: 2, Line: 35001, Pos: -1, Err: ErrTime, batch: true}, "reconcile: line 35001: record time out of range"},
		{&RecordError{Record: 2, Line: 35001, Pos: 1, ID: crm("C1"), Err: ErrErased, batch: true}, "reconcile: line 35001: identifier CRMID:C1: identifier erased"},
		{&RecordError{Record: 2, Pos: -1, Err: ErrTime, batch: true}, "reconcile: record 2: record time out of range"},
		{&RecordError{Record: 2, Pos: 3, Err: ErrInvalid, batch: true}, "reconcile: record 2: identifier at position 3: invalid identifier"},
		{&RecordError{Pos: 1, Err: ErrInvalid}, "reconcile: identifier at position 1: invalid identifier"},
		{&RecordError{Pos: 0, ID: crm("C1"), Err: ErrErased}, "reconcile: identifier CRMID:C1: identifier erased"},
		{&RecordError{Pos: -1, Err: ErrTime}, "reconcile: record: record time out of range"},
	} {
		assert.Equal(t, tt.want, tt.err.Error())
	}
}
