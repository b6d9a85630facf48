package idfile_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/idbits/idbits/idtypes"
	"github.com/idbits/idbits/reconcile/idfile"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	ecid1 = "20265673158980419722735089753036633573"
	ecid2 = "08382830887934830189014177072406221371"
	ecid3 = "07955261652886032950143702505894272138"
	ecid4 = "59767559181262060060278870901087098252"
)

// texts returns the "NS:value" text of each line's ID and its line number.
func texts(lines []idfile.Line) (ns []int, ts []string) {
	for _, l := range lines {
		ns = append(ns, l.N)
		ts = append(ts, l.ID.Text())
	}
	return ns, ts
}

func TestReadListFixture(t *testing.T) {
	good, bads := collect(t, idfile.ReadList(openTestdata(t, "list.txt"), idfile.ListOptions{MaxLine: 256}))
	n, ts := texts(good)
	assert.Equal(t, []int{2, 4, 9, 12, 15}, n)
	assert.Equal(t, []string{
		"ECID:" + ecid1,
		"ECID:" + ecid2,
		"CORE:" + ecid3,
		"Email:john.doe@example.com",
		"CRMID:2132-3423vn-343fds-3432r",
	}, ts)
	checkBads(t, bads, []bad{
		{5, idtypes.ErrSyntax, ""},      // 37 digits
		{6, idtypes.ErrSyntax, ""},      // a letter
		{7, idtypes.ErrBlocked, ""},     // null
		{8, idtypes.ErrNamespace, ""},   // LOYALTY is not declared
		{11, idtypes.ErrRange, ""},      // high half above 2^63-1
		{13, idfile.ErrLineTooLong, ""}, // 305 bytes
		{14, idtypes.ErrSyntax, ""},     // no namespace
	})
	input, err := os.ReadFile(filepath.Join("testdata", "list.txt"))
	require.NoError(t, err)
	checkOffsets(t, input, bads)
	var pe *idtypes.ParseError
	require.ErrorAs(t, bads[0], &pe)
	assert.Equal(t, idtypes.ECID, pe.Namespace)
	assert.Equal(t, "ECID:2026567315898041972273508975303663357", bads[0].Text)
}

func TestReadListBare(t *testing.T) {
	good, bads := collect(t, idfile.ReadList(openTestdata(t, "ecids.txt"), idfile.ListOptions{Namespace: idtypes.ECID}))
	n, ts := texts(good)
	assert.Equal(t, []int{1, 2, 4, 7}, n)
	assert.Equal(t, []string{"ECID:" + ecid1, "ECID:" + ecid2, "ECID:" + ecid3, "ECID:" + ecid4}, ts)
	checkBads(t, bads, []bad{{5, idtypes.ErrSyntax, ""}, {6, idtypes.ErrBlocked, ""}})
}

func TestReadListEmpty(t *testing.T) {
	good, bads := collect(t, idfile.ReadList(openTestdata(t, "empty.txt"), idfile.ListOptions{}))
	assert.Empty(t, good)
	assert.Empty(t, bads)
}

func TestReadListShapes(t *testing.T) {
	e := "ECID:" + ecid1
	for _, tc := range []struct {
		name, in string
		want     []int // line numbers of good lines
		bad      []bad
	}{
		{"empty", "", nil, nil},
		{"newline only", "\n", nil, nil},
		{"BOM only", "\xef\xbb\xbf", nil, nil},
		{"BOM and line", "\xef\xbb\xbf" + e, []int{1}, nil},
		{"BOM later is not skipped", e + "\n\xef\xbb\xbf" + e, []int{1}, []bad{{2, idtypes.ErrNamespace, ""}}},
		{"no trailing newline", e + "\n" + e, []int{1, 2}, nil},
		{"CRLF", e + "\r\n" + e + "\r\n", []int{1, 2}, nil},
		{"lone CR at end", e + "\r", []int{1}, nil},
		{"CR inside a line", "ECID:2026567315\r8980419722735089753036633573\n", nil, []bad{{1, idtypes.ErrSyntax, ""}}},
		{"blank lines", "\n\n  \t\n" + e + "\n\n", []int{4}, nil},
		{"comments", "#\n# x\n \t# y\n" + e, []int{4}, nil},
		{"comment after value is part of it", e + " # x\n", nil, []bad{{1, idtypes.ErrSyntax, ""}}},
		{"spaces around", "  " + e + " \t\n", []int{1}, nil},
		{"spaces around the colon", " ECID : " + ecid1 + "\n", []int{1}, nil},
		{"lower-case code", "ecid:" + ecid1, []int{1}, nil},
		{"blocked", "CRMID:\nCRMID:anonymous\nCRMID:Undefined\n", nil, []bad{
			{1, idtypes.ErrBlocked, ""}, {2, idtypes.ErrBlocked, ""}, {3, idtypes.ErrBlocked, ""}}},
		{"no colon", "x\n", nil, []bad{{1, idtypes.ErrSyntax, ""}}},
		{"NUL byte", "CRMID:a\x00b\n", nil, []bad{{1, idtypes.ErrSyntax, ""}}},
		{"invalid UTF-8", "CRMID:a\xffb\n", nil, []bad{{1, idtypes.ErrSyntax, ""}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			good, bads := collect(t, idfile.ReadList(strings.NewReader(tc.in), idfile.ListOptions{}))
			n, _ := texts(good)
			assert.Equal(t, tc.want, n)
			checkBads(t, bads, tc.bad)
			checkOffsets(t, []byte(tc.in), bads)
		})
	}
}

func TestReadListMaxLine(t *testing.T) {
	// A CRMID list whose lines are exactly at and one over the limit, with
	// either ending, then a good line. The value limit of idtypes (1024
	// bytes) is below the line limit, so the line at the limit reads as
	// ErrTooLong from idtypes, not ErrLineTooLong.
	at := strings.Repeat("x", idfile.DefaultMaxLine)
	over := at + "x"
	for _, end := range []string{"\n", "\r\n"} {
		in := at + end + over + end + "u-1" + end + over
		good, bads := collect(t, idfile.ReadList(strings.NewReader(in), idfile.ListOptions{Namespace: idtypes.CRMID}))
		n, ts := texts(good)
		assert.Equal(t, []int{3}, n)
		assert.Equal(t, []string{"CRMID:u-1"}, ts)
		checkBads(t, bads, []bad{
			{1, idtypes.ErrTooLong, ""},
			{2, idfile.ErrLineTooLong, ""},
			{4, idfile.ErrLineTooLong, ""},
		})
		checkOffsets(t, []byte(in), bads)
	}
}

func TestReadListSmallMaxLine(t *testing.T) {
	// MaxLine counts bytes without the line ending and without the BOM.
	in := "\xef\xbb\xbfCRMID:abc\r\nCRMID:abcd\nCRMID:ab\r"
	good, bads := collect(t, idfile.ReadList(strings.NewReader(in), idfile.ListOptions{MaxLine: 9}))
	n, _ := texts(good)
	assert.Equal(t, []int{1, 3}, n)
	checkBads(t, bads, []bad{{2, idfile.ErrLineTooLong, ""}})
	assert.Equal(t, int64(len("\xef\xbb\xbfCRMID:abc\r\n")), bads[0].Offset)
}

func TestReadListReadError(t *testing.T) {
	r := &errReader{data: []byte("ECID:" + ecid1 + "\nECID:" + ecid2 + "\nECID:2026"), err: errDisk}
	var got []string
	var final error
	for ln, err := range idfile.ReadList(r, idfile.ListOptions{}) {
		if err != nil {
			final = err
			continue
		}
		got = append(got, ln.ID.String())
	}
	assert.Equal(t, []string{ecid1, ecid2}, got)
	require.ErrorIs(t, final, errDisk)
	var le *idfile.LineError
	assert.False(t, errors.As(final, &le), "a read error is not a line error")
}

// countingReader counts the bytes read from it.
type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

func TestReadListStopsReading(t *testing.T) {
	// Breaking out of the loop stops reading: a big input is not read to the end.
	line := "ECID:" + ecid1 + "\n"
	cr := &countingReader{r: strings.NewReader(strings.Repeat(line, 100_000))}
	n := 0
	for range idfile.ReadList(cr, idfile.ListOptions{}) {
		if n++; n == 3 {
			break
		}
	}
	assert.Equal(t, 3, n)
	assert.Less(t, cr.n, 100_000*len(line)/10)
}

func TestReadListDoesNotRetainBuffers(t *testing.T) {
	// Read enough distinct lines of every kind to refill the read buffer many
	// times, keep the IDs, and check them after the buffer has been reused.
	var in bytes.Buffer
	var want []string
	for i := range 20_000 {
		var text string
		switch i % 4 {
		case 0:
			text = "ECID:" + ecidOf(uint64(i))
		case 1:
			text = "CORE:" + ecidOf(uint64(i)*7919)
		case 2:
			text = "CRMID:user-" + strings.Repeat("x", i%7) + strconv.Itoa(i)
		case 3:
			text = "Email:User" + strconv.Itoa(i) + "@Example.com"
		}
		in.WriteString(text + "\n")
		want = append(want, strings.Replace(text, "User", "user", 1))
		want[len(want)-1] = strings.Replace(want[len(want)-1], "Example", "example", 1)
	}
	good, bads := collect(t, idfile.ReadList(&in, idfile.ListOptions{}))
	require.Empty(t, bads)
	_, got := texts(good)
	assert.Equal(t, want, got)
}

// ecidOf returns a valid ECID made from x.
func ecidOf(x uint64) string {
	hi := x % (1 << 62)
	lo := (x * 0x9e3779b97f4a7c15) % (1 << 63)
	id, err := idtypes.FromHalves(idtypes.ECID, hi, lo)
	if err != nil {
		panic(err)
	}
	return id.String()
}

func TestReadListFastPathMatchesIDTypes(t *testing.T) {
	// ECIDs and AAM UUIDs skip idtypes.Parse on success; the results must be
	// the same as its.
	for _, v := range []string{
		ecid1, ecid2, ecid3, ecid4,
		"00000000000000000000000000000000000000",
		"92233720368547758079223372036854775807",
		"92233720368547758080000000000000000000",
		"00000000000000000009223372036854775808",
		" " + ecid1 + "\t",
		ecid1 + "0", ecid1[1:], "2026567315898041972x735089753036633573",
	} {
		for _, ns := range []idtypes.Namespace{idtypes.ECID, idtypes.AAMUUID} {
			want, wantErr := idtypes.Parse(ns, v)
			for _, opts := range []idfile.ListOptions{{Namespace: ns}, {}} {
				in := v
				if opts.Namespace == 0 {
					in = ns.String() + ":" + v
				}
				good, bads := collect(t, idfile.ReadList(strings.NewReader(in), opts))
				if wantErr != nil {
					require.Len(t, bads, 1)
					assert.ErrorIs(t, bads[0], errors.Unwrap(wantErr), "%v %q", ns, v)
					continue
				}
				require.Len(t, good, 1, "%v %q", ns, v)
				assert.Equal(t, want, good[0].ID)
			}
		}
	}
}

func TestWriteListRoundTrip(t *testing.T) {
	custom, err := idtypes.DeclareNamespace("LoyaltyNo")
	require.NoError(t, err)
	ids := []idtypes.ID{
		idtypes.MustParse(idtypes.ECID, ecid1),
		idtypes.MustParse(idtypes.AAMUUID, ecid3),
		idtypes.MustParse(idtypes.IDFA, "b56e68ec-34ed-46d5-af0c-1d2401f676c9"),
		idtypes.MustParse(idtypes.GAID, "38400000-8cf0-11bd-b23e-10b96e40000d"),
		idtypes.MustParse(idtypes.CRMID, "#not-a-comment:with,commas \"and quotes\""),
		idtypes.MustParse(idtypes.Email, "Ann@Example.com"),
		must(idtypes.HashEmail("johndoe@example.com")),
		idtypes.MustParse(idtypes.Phone, "+1 (415) 555-2671"),
		must(idtypes.HashPhone("+14155552671")),
		idtypes.MustParse(custom, "L-0042"),
	}
	var buf bytes.Buffer
	require.NoError(t, idfile.WriteList(&buf, slices.Values(ids), idfile.ListOptions{}))
	assert.True(t, strings.HasPrefix(buf.String(), "ECID:"+ecid1+"\nCORE:"+ecid3+"\n"), buf.String())
	good, bads := collect(t, idfile.ReadList(&buf, idfile.ListOptions{}))
	require.Empty(t, bads)
	got := make([]idtypes.ID, len(good))
	for i, l := range good {
		got[i] = l.ID
		assert.Equal(t, i+1, l.N)
	}
	assert.Equal(t, ids, got)

	// Bare values of one namespace.
	crm := []idtypes.ID{idtypes.MustParse(idtypes.CRMID, "a:b"), idtypes.MustParse(idtypes.CRMID, "x #y")}
	buf.Reset()
	require.NoError(t, idfile.WriteList(&buf, slices.Values(crm), idfile.ListOptions{Namespace: idtypes.CRMID}))
	assert.Equal(t, "a:b\nx #y\n", buf.String())
	good, bads = collect(t, idfile.ReadList(&buf, idfile.ListOptions{Namespace: idtypes.CRMID}))
	require.Empty(t, bads)
	require.Len(t, good, 2)
	assert.Equal(t, crm, []idtypes.ID{good[0].ID, good[1].ID})
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func TestWriteListErrors(t *testing.T) {
	ecid := idtypes.MustParse(idtypes.ECID, ecid1)
	for _, tc := range []struct {
		name string
		ids  []idtypes.ID
		ns   idtypes.Namespace
	}{
		{"zero ID", []idtypes.ID{ecid, {}}, 0},
		{"other namespace", []idtypes.ID{ecid, idtypes.MustParse(idtypes.AAMUUID, ecid1)}, idtypes.ECID},
		{"reads as a comment", []idtypes.ID{idtypes.MustParse(idtypes.CRMID, "#1")}, idtypes.CRMID},
		{"reads as a BOM", []idtypes.ID{idtypes.MustParse(idtypes.CRMID, "\ufeff1")}, idtypes.CRMID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := idfile.WriteList(io.Discard, slices.Values(tc.ids), idfile.ListOptions{Namespace: tc.ns})
			assert.ErrorIs(t, err, idfile.ErrUnwritable)
		})
	}
	// A write error is returned.
	many := slices.Repeat([]idtypes.ID{ecid}, 10_000)
	err := idfile.WriteList(failWriter{}, slices.Values(many), idfile.ListOptions{})
	assert.ErrorIs(t, err, errDisk)
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errDisk }
