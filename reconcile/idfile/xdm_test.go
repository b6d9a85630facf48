package idfile_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/idbits/idbits/idtypes"
	"github.com/idbits/idbits/reconcile/idfile"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReadXDMFixture(t *testing.T) {
	good, bads := collect(t, idfile.ReadXDM(openTestdata(t, "identities.jsonl"), idfile.XDMOptions{MaxLine: 320}))
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339Nano, s)
		require.NoError(t, err)
		return v
	}
	want := []idfile.Record{
		{N: 1, At: at("2026-05-01T10:00:00Z"), IDs: []idfile.Identity{
			{ID: idtypes.MustParse(idtypes.ECID, ecid1)},
			{ID: idtypes.MustParse(idtypes.CRMID, "u-1001"), State: idfile.Authenticated, Primary: true},
		}},
		{N: 2, At: at("2026-05-01T10:05:00.123+02:00"), IDs: []idfile.Identity{
			{ID: idtypes.MustParse(idtypes.ECID, ecid2), State: idfile.Ambiguous},
			{ID: idtypes.MustParse(idtypes.EmailSHA256, "55e79200c1635b37ad31a378c39feb12f120f116625093a19bc32fff15041149")},
		}},
		{N: 4, At: at("2026-05-01T11:00:00Z"), IDs: []idfile.Identity{
			{ID: idtypes.MustParse(idtypes.ECID, ecid3)},
		}},
		{N: 9, At: at("2026-05-01T12:00:00Z"), IDs: []idfile.Identity{
			{ID: idtypes.MustParse(idtypes.Email, "ann@example.com"), State: idfile.LoggedOut},
		}},
		{N: 15, At: at("2026-05-01T13:00:00Z"), IDs: []idfile.Identity{
			{ID: idtypes.MustParse(idtypes.Phone, "+14155552671")},
			{ID: idtypes.MustParse(idtypes.GAID, "38400000-8cf0-11bd-b23e-10b96e40000d")},
		}},
	}
	require.Len(t, good, len(want))
	for i := range want {
		assert.True(t, want[i].At.Equal(good[i].At), "record %d at %v, want %v", i, good[i].At, want[i].At)
		good[i].At = want[i].At
		assert.Equal(t, want[i], good[i])
	}
	checkBads(t, bads, []bad{
		{4, idtypes.ErrSyntax, "identityMap.ECID[0]"},
		{4, idtypes.ErrNamespace, "identityMap.TNTID"},
		{5, idfile.ErrFormat, ""},
		{6, idfile.ErrTimestamp, "timestamp"},
		{7, idfile.ErrTimestamp, "timestamp"},
		{8, idtypes.ErrBlocked, "identityMap.CRMID[0]"},
		{9, idfile.ErrFormat, "identityMap.CRMID[0]"},
		{10, idfile.ErrFormat, "identityMap"},
		{11, idfile.ErrLineTooLong, ""},
		{12, idfile.ErrFormat, "identityMap.ECID[0]"},
		{13, idfile.ErrFormat, ""},
		{14, idfile.ErrTimestamp, "timestamp"},
	})
	input, err := os.ReadFile(filepath.Join("testdata", "identities.jsonl"))
	require.NoError(t, err)
	checkOffsets(t, input, bads)
}

func TestReadXDMShapes(t *testing.T) {
	rec := func(m string) string { return `{"timestamp":"2026-05-01T10:00:00Z","identityMap":` + m + "}" }
	e := `{"id":"` + ecid1 + `"}`
	for _, tc := range []struct {
		name, in string
		ids      []int // identities per good record
		bad      []bad
	}{
		{"empty", "", nil, nil},
		{"blank lines", "\n  \r\n", nil, nil},
		{"one identity", rec(`{"ECID":[` + e + `]}`), []int{1}, nil},
		{"spaces and CRLF", "  " + rec(`{ "ECID" : [ `+e+` ] }`) + "  \r\n", []int{1}, nil},
		{"same namespace twice in two cases", rec(`{"ECID":[` + e + `],"ecid":[` + e + `]}`), []int{2}, nil},
		{"empty list and good list", rec(`{"CRMID":[],"ECID":[` + e + `]}`), []int{1}, nil},
		{"no identityMap", `{"timestamp":"2026-05-01T10:00:00Z"}`, nil, []bad{{1, idfile.ErrFormat, "identityMap"}}},
		{"null identityMap", rec(`null`), nil, []bad{{1, idfile.ErrFormat, "identityMap"}}},
		{"identityMap not an object", rec(`[1]`), nil, []bad{{1, idfile.ErrFormat, "identityMap"}}},
		{"only empty lists", rec(`{"ECID":[]}`), nil, []bad{{1, idfile.ErrFormat, "identityMap"}}},
		{"list not an array", rec(`{"ECID":` + e + `}`), nil, []bad{{1, idfile.ErrFormat, "identityMap.ECID"}}},
		{"identity not an object", rec(`{"ECID":["x",` + e + `]}`), []int{1}, []bad{{1, idfile.ErrFormat, "identityMap.ECID[0]"}}},
		{"no id", rec(`{"ECID":[{},` + e + `]}`), []int{1}, []bad{{1, idfile.ErrFormat, "identityMap.ECID[0]"}}},
		{"null id", rec(`{"ECID":[{"id":null}]}`), nil, []bad{{1, idfile.ErrFormat, "identityMap.ECID[0]"}}},
		{"primary not a bool", rec(`{"ECID":[{"id":"` + ecid1 + `","primary":"yes"}]}`), nil, []bad{{1, idfile.ErrFormat, "identityMap.ECID[0]"}}},
		{"state in any case", rec(`{"ECID":[{"id":"` + ecid1 + `","authenticatedState":"LOGGEDOUT"}]}`), []int{1}, nil},
		{"state not a string", rec(`{"ECID":[{"id":"` + ecid1 + `","authenticatedState":1}]}`), nil, []bad{{1, idfile.ErrFormat, "identityMap.ECID[0]"}}},
		{"null timestamp", `{"timestamp":null,"identityMap":{"ECID":[` + e + `]}}`, nil, []bad{{1, idfile.ErrTimestamp, "timestamp"}}},
		{"date without time", `{"timestamp":"2026-05-01","identityMap":{"ECID":[` + e + `]}}`, nil, []bad{{1, idfile.ErrTimestamp, "timestamp"}}},
		{"empty object", `{}`, nil, []bad{{1, idfile.ErrTimestamp, "timestamp"}}},
		{"JSON null", `null`, nil, []bad{{1, idfile.ErrTimestamp, "timestamp"}}},
		{"a string", `"x"`, nil, []bad{{1, idfile.ErrFormat, ""}}},
		{"trailing text", rec(`{"ECID":[`+e+`]}`) + " x", nil, []bad{{1, idfile.ErrFormat, ""}}},
		{"invalid UTF-8", rec(`{"CRMID":[{"id":"a` + "\xff" + `b"}]}`), nil, []bad{{1, idfile.ErrFormat, ""}}},
		{"escaped control character", rec(`{"CRMID":[{"id":"a\u0000b"}]}`), nil, []bad{{1, idtypes.ErrSyntax, "identityMap.CRMID[0]"}}},
		{"unknown namespace", rec(`{"NotANamespace":[{"id":"1"}],"ECID":[` + e + `]}`), []int{1}, []bad{{1, idtypes.ErrNamespace, "identityMap.NotANamespace"}}},
		{"BOM", "\xef\xbb\xbf" + rec(`{"ECID":[`+e+`]}`), []int{1}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			good, bads := collect(t, idfile.ReadXDM(strings.NewReader(tc.in), idfile.XDMOptions{}))
			var ids []int
			for _, r := range good {
				ids = append(ids, len(r.IDs))
				for _, id := range r.IDs {
					assert.True(t, id.ID.IsValid())
				}
			}
			assert.Equal(t, tc.ids, ids)
			checkBads(t, bads, tc.bad)
			checkOffsets(t, []byte(tc.in), bads)
		})
	}
}

func TestReadXDMDeclareUnknown(t *testing.T) {
	in := `{"timestamp":"2026-05-01T10:00:00Z","identityMap":{"idfileTestLoyalty":[{"id":"L-1"}],"bad code!":[{"id":"x"}]}}`
	good, bads := collect(t, idfile.ReadXDM(strings.NewReader(in), idfile.XDMOptions{DeclareUnknown: true}))
	require.Len(t, good, 1)
	require.Len(t, good[0].IDs, 1)
	assert.Equal(t, "idfileTestLoyalty:L-1", good[0].IDs[0].ID.Text())
	// A code that cannot be a namespace code is still reported.
	checkBads(t, bads, []bad{{1, idtypes.ErrSyntax, "identityMap.bad code!"}})
}

func TestReadXDMReadError(t *testing.T) {
	r := &errReader{data: []byte(`{"timestamp":"2026-05-01T10:00:00Z","identityMap":{"ECID":[{"id":"` + ecid1 + `"}]}}` + "\n{"), err: errDisk}
	var n int
	var final error
	for _, err := range idfile.ReadXDM(r, idfile.XDMOptions{}) {
		if err == nil {
			n++
		} else {
			final = err
		}
	}
	assert.Equal(t, 1, n)
	assert.ErrorIs(t, final, errDisk)
}

func TestAuthStateString(t *testing.T) {
	for st, want := range map[idfile.AuthState]string{
		0: "", idfile.Ambiguous: "ambiguous", idfile.Authenticated: "authenticated",
		idfile.LoggedOut: "loggedOut", 7: "AuthState(7)",
	} {
		assert.Equal(t, want, st.String())
	}
}

// A JSON value of the wrong type is reported in the file's terms: the
// field and the JSON type it should have, never a Go type.
func TestReadXDMTypeMessages(t *testing.T) {
	const ts = `"timestamp":"2026-05-01T10:00:00Z"`
	for _, tt := range []struct {
		line, want string
	}{
		{`{` + ts + `,"identityMap":{"ECID":[{"id":123}]}}`, `identityMap.ECID[0]: malformed line: "id" is a number, not a string`},
		{`{` + ts + `,"identityMap":{"CRMID":[{"id":"a","authenticatedState":5}]}}`, `identityMap.CRMID[0]: malformed line: "authenticatedState" is a number, not a string`},
		{`{` + ts + `,"identityMap":{"CRMID":[{"id":"a","primary":"yes"}]}}`, `identityMap.CRMID[0]: malformed line: "primary" is a string, not true or false`},
		{`{` + ts + `,"identityMap":{"CRMID":[{"id":{"a":1}}]}}`, `identityMap.CRMID[0]: malformed line: "id" is an object, not a string`},
		{`{` + ts + `,"identityMap":{"CRMID":[[1]]}}`, `identityMap.CRMID[0]: malformed line: array where an identity object should be`},
		{`[1,2]`, `malformed line: array where a JSON object should be`},
	} {
		_, bads := collect(t, idfile.ReadXDM(strings.NewReader(tt.line), idfile.XDMOptions{}))
		require.Len(t, bads, 1, tt.line)
		assert.ErrorIs(t, bads[0], idfile.ErrFormat)
		assert.Equal(t, "idfile: line 1: "+tt.want, bads[0].Error())
	}
}
