package idfile_test

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/idbits/idbits/idtypes"
	"github.com/idbits/idbits/reconcile/idfile"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// readCSV reads a CSV file and returns its lines, its line errors and the
// error that ended it, if any.
func readCSV(t testing.TB, r io.Reader, opts idfile.CSVOptions) (good []idfile.Line, bads []*idfile.LineError, final error) {
	t.Helper()
	for ln, err := range idfile.ReadCSV(r, opts) {
		var le *idfile.LineError
		switch {
		case err == nil:
			good = append(good, ln)
		case final != nil:
			t.Fatalf("a value after the final error %v", final)
		case asLineError(err, &le):
			bads = append(bads, le)
		default:
			final = err
		}
	}
	return good, bads, final
}

func TestReadCSVFixture(t *testing.T) {
	good, bads, final := readCSV(t, openTestdata(t, "audience.csv"), idfile.CSVOptions{MaxLine: 256})
	require.NoError(t, final)
	n, ts := texts(good)
	assert.Equal(t, []int{2, 3, 5, 15, 17}, n)
	assert.Equal(t, []string{"ECID:" + ecid1, "ECID:" + ecid2, "ECID:" + ecid3, "ECID:" + ecid3,
		"ECID:92233720368547758079223372036854775807"}, ts)
	var st []idfile.Status
	for _, l := range good {
		st = append(st, l.Status)
	}
	assert.Equal(t, []idfile.Status{idfile.Realized, idfile.Realized, idfile.Exited, idfile.Realized, idfile.Exited}, st)
	checkBads(t, bads, []bad{
		{4, idtypes.ErrSyntax, "ECID"},                   // 37 digits
		{7, idtypes.ErrBlocked, "ECID"},                  // null
		{8, idtypes.ErrSyntax, "ECID"},                   // letters
		{9, idfile.ErrFormat, "segmentMembershipStatus"}, // maybe
		{10, idfile.ErrFormat, ""},                       // one field
		{11, idfile.ErrQuote, ""},                        // quote inside an unquoted field
		{12, idfile.ErrQuote, ""},                        // text after the closing quote
		{14, idfile.ErrQuote, ""},                        // never closed: lines 15 on are read again
		{16, idfile.ErrLineTooLong, ""},                  // 304 bytes
	})
	input, err := os.ReadFile(filepath.Join("testdata", "audience.csv"))
	require.NoError(t, err)
	checkOffsets(t, input, bads)
	assert.True(t, strings.HasPrefix(bads[7].Text, `Kim,"0838`), bads[7].Text)
}

func TestReadCSVUnterminated(t *testing.T) {
	// Line 3 opens a quote that line 5 closes, with text after it: the row
	// from line 3 is bad; lines 4 and 5 are read again on their own.
	good, bads, final := readCSV(t, openTestdata(t, "unterminated.csv"), idfile.CSVOptions{})
	require.NoError(t, final)
	n, ts := texts(good)
	assert.Equal(t, []int{2, 4, 6}, n)
	assert.Equal(t, []string{"CRMID:u-1", "CRMID:u-3", "CRMID:u-5"}, ts)
	checkBads(t, bads, []bad{{3, idfile.ErrQuote, ""}, {5, idfile.ErrQuote, ""}})
	assert.Equal(t, int64(len("CRMID\nu-1\n")), bads[0].Offset)
	assert.Equal(t, `"u-2`, bads[0].Text)
	assert.Equal(t, int64(len("CRMID\nu-1\n\"u-2\nu-3\n")), bads[1].Offset)
}

func TestReadCSVShapes(t *testing.T) {
	h := "ECID\n"
	for _, tc := range []struct {
		name, in string
		opts     idfile.CSVOptions
		want     []int
		bad      []bad
	}{
		{"header only", h, idfile.CSVOptions{}, nil, nil},
		{"header without ending", "ECID", idfile.CSVOptions{}, nil, nil},
		{"BOM, CRLF, no final ending", "\xef\xbb\xbfECID\r\n" + ecid1 + "\r\n" + ecid2, idfile.CSVOptions{}, []int{2, 3}, nil},
		{"blank lines", "\n \nECID\n\n" + ecid1 + "\n  \n", idfile.CSVOptions{}, []int{5}, nil},
		{"quoted header and value", `"ECID"` + "\n\"" + ecid1 + "\"\n", idfile.CSVOptions{}, []int{2}, nil},
		{"spaces around the value", h + "  " + ecid1 + " \n", idfile.CSVOptions{}, []int{2}, nil},
		{"trailing separator", h + ecid1 + ",\n", idfile.CSVOptions{}, []int{2}, nil},
		{"quoted field with separators and newlines", "note,ECID\n\"a,\nb\"\"\n,c\"," + ecid1 + "\n" + "x," + ecid2 + "\n",
			idfile.CSVOptions{}, []int{2, 5}, nil},
		{"empty quoted field", "note,ECID\n\"\"," + ecid1 + "\n", idfile.CSVOptions{}, []int{2}, nil},
		{"blank value", h + "\"\"\n", idfile.CSVOptions{}, nil, []bad{{2, idtypes.ErrBlocked, "ECID"}}},
		{"quote after spaces is bare", h + " \"" + ecid1 + "\"\n", idfile.CSVOptions{}, nil, []bad{{2, idfile.ErrQuote, ""}}},
		{"unterminated at the end", h + "\"" + ecid1, idfile.CSVOptions{}, nil, []bad{{2, idfile.ErrQuote, ""}}},
		{"unterminated, good lines after", h + "\"" + ecid1 + "\n" + ecid2 + "\n" + ecid3 + "\n",
			idfile.CSVOptions{}, []int{3, 4}, []bad{{2, idfile.ErrQuote, ""}}},
		{"semicolons", "name;CRMID\nAnn;u,1\n\"B;o\";u-2\n", idfile.CSVOptions{Comma: ';'}, []int{2, 3}, nil},
		{"tabs", "name\tCRMID\nAnn\tu-1\n\t\n", idfile.CSVOptions{Comma: '\t'}, []int{2}, []bad{{3, idtypes.ErrBlocked, "CRMID"}}},
		{"column by name", "id,x\nu-1,y\n", idfile.CSVOptions{Column: "ID", Namespace: idtypes.CRMID}, []int{2}, nil},
		{"column by namespace", "Email,CRMID\na@b.co,u-1\n", idfile.CSVOptions{Namespace: idtypes.CRMID}, []int{2}, nil},
		{"namespace code in any case", "email\nA@B.co\n", idfile.CSVOptions{}, []int{2}, nil},
		{"existing is realized", "CRMID,SEGMENTMEMBERSHIPSTATUS\nu-1, Existing \n", idfile.CSVOptions{Delta: true}, []int{2}, nil},
		{"missing status field", "CRMID,segmentMembershipStatus\nu-1\n", idfile.CSVOptions{}, nil, []bad{{2, idfile.ErrFormat, ""}}},
		{"empty status", "CRMID,segmentMembershipStatus\nu-1,\n", idfile.CSVOptions{}, nil, []bad{{2, idfile.ErrFormat, "segmentMembershipStatus"}}},
		// With a small MaxLine, a quote that never closes is given up on
		// after MaxLine bytes, and the lines after it are read again.
		{"quote not closed within MaxLine", h + "\"" + ecid1 + "\n" + ecid2 + "\n" + ecid3 + "\n" + ecid1 + "\n",
			idfile.CSVOptions{MaxLine: 80}, []int{3, 4, 5}, []bad{{2, idfile.ErrQuote, ""}}},
		{"over-long line inside a quoted field", h + "\"" + ecid1 + "\n" + ecid2 + "\n" + strings.Repeat("x", 100) + "\n" + ecid3 + "\n",
			idfile.CSVOptions{MaxLine: 90}, []int{3, 5}, []bad{{2, idfile.ErrQuote, ""}, {4, idfile.ErrLineTooLong, ""}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			good, bads, final := readCSV(t, strings.NewReader(tc.in), tc.opts)
			require.NoError(t, final)
			n, _ := texts(good)
			assert.Equal(t, tc.want, n)
			checkBads(t, bads, tc.bad)
			checkOffsets(t, []byte(tc.in), bads)
		})
	}
}

func TestReadCSVHeaderErrors(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		opts     idfile.CSVOptions
		also     error
	}{
		{"empty file", "", idfile.CSVOptions{}, nil},
		{"blank file", "\n\n", idfile.CSVOptions{}, nil},
		{"no identifier column", "name,note\nAnn,x\n", idfile.CSVOptions{}, nil},
		{"no identifier column (fixture)", "noidcolumn.csv", idfile.CSVOptions{}, nil},
		{"two identifier columns", "twoidcolumns.csv", idfile.CSVOptions{}, nil},
		{"named column missing", "ECID\n1\n", idfile.CSVOptions{Column: "visitor"}, nil},
		{"named column is no namespace", "visitor\n1\n", idfile.CSVOptions{Column: "visitor"}, idtypes.ErrNamespace},
		{"namespace column missing", "ECID\n1\n", idfile.CSVOptions{Namespace: idtypes.CRMID}, nil},
		{"delta without status", "ECID\n" + ecid1 + "\n", idfile.CSVOptions{Delta: true}, nil},
		{"two status columns", "ECID,segmentMembershipStatus,segmentmembershipstatus\n", idfile.CSVOptions{}, nil},
		{"bad quoting in the header", "\"ECID\n", idfile.CSVOptions{}, idfile.ErrQuote},
		{"header too long", strings.Repeat("x", 20) + ",ECID\n", idfile.CSVOptions{MaxLine: 10}, idfile.ErrLineTooLong},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var r io.Reader = strings.NewReader(tc.in)
			if strings.HasSuffix(tc.in, ".csv") {
				r = openTestdata(t, tc.in)
			}
			good, bads, final := readCSV(t, r, tc.opts)
			assert.Empty(t, good)
			assert.Empty(t, bads)
			require.ErrorIs(t, final, idfile.ErrHeader)
			if tc.also != nil {
				assert.ErrorIs(t, final, tc.also)
			}
			var le *idfile.LineError
			assert.False(t, asLineError(final, &le), "a header error is not a *LineError")
		})
	}
	for _, comma := range []byte{'"', '\n', '\r'} {
		_, _, final := readCSV(t, strings.NewReader("ECID\n"), idfile.CSVOptions{Comma: comma})
		assert.Error(t, final, "separator %q", comma)
		assert.False(t, errors.Is(final, idfile.ErrHeader))
		assert.Error(t, idfile.WriteCSV(io.Discard, slices.Values([]idfile.Line(nil)), idfile.CSVOptions{Comma: comma, Namespace: idtypes.ECID}))
	}
}

func TestReadCSVReadError(t *testing.T) {
	r := &errReader{data: []byte("ECID\n" + ecid1 + "\n\"" + ecid2 + "\n"), err: errDisk}
	good, bads, final := readCSV(t, r, idfile.CSVOptions{})
	assert.Len(t, good, 1)
	assert.Empty(t, bads)
	assert.ErrorIs(t, final, errDisk)
}

func TestReadCSVMatchesEncodingCSV(t *testing.T) {
	// On well-formed input, the fields ReadCSV sees are those encoding/csv
	// reads: write random records with encoding/csv, read them back.
	values := []string{"u-1", "a,b", `say "hi"`, "two\nlines", "", " x ", "é", "#1", "a\r\nb"}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	require.NoError(t, w.Write([]string{"note", "CRMID", "more"}))
	var want []string
	for i := range 200 {
		id := values[i%len(values)] + "-" + values[(i/3)%len(values)]
		rec := []string{values[(i/2)%len(values)], id, values[(i/5)%len(values)]}
		require.NoError(t, w.Write(rec))
		parsed, err := idtypes.Parse(idtypes.CRMID, strings.ReplaceAll(id, "\r\n", "\n"))
		if err == nil {
			want = append(want, parsed.String())
		}
	}
	w.Flush()
	var got []string
	for ln, err := range idfile.ReadCSV(&buf, idfile.CSVOptions{}) {
		if err == nil {
			got = append(got, ln.ID.String())
		}
	}
	assert.Equal(t, want, got)
}

func TestWriteCSVRoundTrip(t *testing.T) {
	lines := []idfile.Line{
		{ID: idtypes.MustParse(idtypes.CRMID, "u-1"), Status: idfile.Realized},
		{ID: idtypes.MustParse(idtypes.CRMID, `a,"b"`), Status: idfile.Exited},
		{ID: idtypes.MustParse(idtypes.CRMID, "#3"), Status: idfile.Realized},
	}
	var buf bytes.Buffer
	require.NoError(t, idfile.WriteCSV(&buf, slices.Values(lines), idfile.CSVOptions{Delta: true}))
	assert.Equal(t, "CRMID,segmentMembershipStatus\nu-1,realized\n\"a,\"\"b\"\"\",exited\n#3,realized\n", buf.String())
	good, bads, final := readCSV(t, &buf, idfile.CSVOptions{Delta: true})
	require.NoError(t, final)
	require.Empty(t, bads)
	for i := range good {
		assert.Equal(t, i+2, good[i].N)
		good[i].N = 0
	}
	assert.Equal(t, lines, good)

	// A members file named by the caller, with another separator.
	buf.Reset()
	ecids := []idfile.Line{{ID: idtypes.MustParse(idtypes.ECID, ecid1)}, {ID: idtypes.MustParse(idtypes.ECID, ecid2), Status: idfile.Realized}}
	opts := idfile.CSVOptions{Column: "visitor;id", Namespace: idtypes.ECID, Comma: ';'}
	require.NoError(t, idfile.WriteCSV(&buf, slices.Values(ecids), opts))
	assert.Equal(t, "\"visitor;id\"\n"+ecid1+"\n"+ecid2+"\n", buf.String())
	good, bads, final = readCSV(t, &buf, opts)
	require.NoError(t, final)
	require.Empty(t, bads)
	n, ts := texts(good)
	assert.Equal(t, []int{2, 3}, n)
	assert.Equal(t, []string{"ECID:" + ecid1, "ECID:" + ecid2}, ts)

	// No rows: a header alone.
	buf.Reset()
	require.NoError(t, idfile.WriteCSV(&buf, slices.Values([]idfile.Line(nil)), idfile.CSVOptions{Namespace: idtypes.EmailSHA256, Delta: true}))
	assert.Equal(t, "Email_LC_SHA256,segmentMembershipStatus\n", buf.String())
}

func TestWriteCSVErrors(t *testing.T) {
	e1 := idtypes.MustParse(idtypes.ECID, ecid1)
	for _, tc := range []struct {
		name  string
		lines []idfile.Line
		opts  idfile.CSVOptions
	}{
		{"zero ID", []idfile.Line{{ID: e1}, {}}, idfile.CSVOptions{}},
		{"mixed namespaces", []idfile.Line{{ID: e1}, {ID: idtypes.MustParse(idtypes.AAMUUID, ecid1)}}, idfile.CSVOptions{}},
		{"other namespace than the options'", []idfile.Line{{ID: e1}}, idfile.CSVOptions{Namespace: idtypes.CRMID}},
		{"delta row without status", []idfile.Line{{ID: e1}}, idfile.CSVOptions{Delta: true}},
		{"exited row in a members file", []idfile.Line{{ID: e1, Status: idfile.Exited}}, idfile.CSVOptions{}},
		{"nothing to name the column", nil, idfile.CSVOptions{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := idfile.WriteCSV(io.Discard, slices.Values(tc.lines), tc.opts)
			assert.ErrorIs(t, err, idfile.ErrUnwritable)
		})
	}
	many := slices.Repeat([]idfile.Line{{ID: e1}}, 10_000)
	assert.ErrorIs(t, idfile.WriteCSV(failWriter{}, slices.Values(many), idfile.CSVOptions{}), errDisk)
}

func TestStatusString(t *testing.T) {
	assert.Equal(t, "", idfile.Status(0).String())
	assert.Equal(t, "realized", idfile.Realized.String())
	assert.Equal(t, "exited", idfile.Exited.String())
	assert.Equal(t, "Status(9)", idfile.Status(9).String())
}
