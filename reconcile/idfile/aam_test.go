package idfile_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/idbits/idbits/idtypes"
	"github.com/idbits/idbits/reconcile/idfile"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// tr builds traits: numbers are IDs, strings are integration codes.
func tr(ts ...any) []idfile.Trait {
	var out []idfile.Trait
	for _, t := range ts {
		switch v := t.(type) {
		case int:
			out = append(out, idfile.Trait{ID: uint64(v)})
		case string:
			out = append(out, idfile.Trait{Code: v})
		}
	}
	return out
}

func upd(n int, ns idtypes.Namespace, user string, added, removed []idfile.Trait) idfile.Update {
	return idfile.Update{N: n, User: idtypes.MustParse(ns, user), Added: added, Removed: removed}
}

const inboundFile = "ftp_dpm_21_1777777777.sync"

func TestReadAAMInboundFixture(t *testing.T) {
	uuid := idtypes.AAMUUID
	wantBads := []bad{
		{4, idfile.ErrFormat, ""},       // a space, not a TAB
		{5, idtypes.ErrSyntax, "user"},  // 37 digits
		{6, idfile.ErrFormat, "abc"},    // not a number; 24 and 26 still count
		{7, idfile.ErrFormat, ""},       // two TABs
		{8, idfile.ErrFormat, "abc"},    // the only trait is bad: no update
		{10, idfile.ErrLineTooLong, ""}, // 266 bytes
		{11, idfile.ErrFormat, "k=v"},
		{11, idfile.ErrFormat, "d_sid=x"},
		{11, idfile.ErrFormat, "30:1"},
	}
	input, err := os.ReadFile(filepath.Join("testdata", inboundFile))
	require.NoError(t, err)

	good, bads := collect(t, idfile.ReadAAMInbound(openTestdata(t, inboundFile), idfile.AAMOptions{MaxLine: 200}))
	assert.Equal(t, []idfile.Update{
		upd(1, uuid, ecid4, tr(24, 26), tr(28)),
		upd(2, uuid, ecid3, tr(24, 26, "loyal"), tr(27, 29)),
		upd(6, uuid, ecid3, tr(24, 26), nil),
		upd(9, uuid, ecid3, nil, nil), // no traits: clears the user in an overwrite file
		upd(12, uuid, ecid1, tr(99), nil),
	}, good)
	checkBads(t, bads, wantBads)
	checkOffsets(t, input, bads)

	// The same lines in an overwrite file: removals mean nothing.
	good, bads = collect(t, idfile.ReadAAMInbound(openTestdata(t, inboundFile), idfile.AAMOptions{MaxLine: 200, Overwrite: true}))
	assert.Equal(t, []idfile.Update{
		upd(1, uuid, ecid4, tr(24, 26), nil),
		upd(2, uuid, ecid3, tr(24, 26, "loyal"), nil),
		upd(6, uuid, ecid3, tr(24, 26), nil),
		upd(9, uuid, ecid3, nil, nil),
		upd(12, uuid, ecid1, tr(99), nil),
	}, good)
	checkBads(t, bads, wantBads)

	// The default limit is Audience Manager's, 102400 bytes.
	good, bads = collect(t, idfile.ReadAAMInbound(openTestdata(t, inboundFile), idfile.AAMOptions{}))
	assert.Len(t, good, 6)
	assert.Len(t, bads, len(wantBads)-1)
}

func TestReadAAMInboundShapes(t *testing.T) {
	u := ecid3 + "\t"
	for _, tc := range []struct {
		name, in string
		opts     idfile.AAMOptions
		want     []idfile.Update
		bad      []bad
	}{
		{"empty", "", idfile.AAMOptions{}, nil, nil},
		{"spaces around items and signs", u + " d_sid = 24 ,D_UNSID= 25, 26 : -1 ,27:0,\r\n", idfile.AAMOptions{},
			[]idfile.Update{upd(1, idtypes.AAMUUID, ecid3, tr(24), tr(25, 26, 27))}, nil},
		{"quoted integration code", u + `"ic"="gold", ic = silver`, idfile.AAMOptions{},
			[]idfile.Update{upd(1, idtypes.AAMUUID, ecid3, tr("gold", "silver"), nil)}, nil},
		{"empty integration code", u + "ic=", idfile.AAMOptions{}, nil, []bad{{1, idfile.ErrFormat, "ic="}}},
		{"trait 0", u + "0", idfile.AAMOptions{}, nil, []bad{{1, idfile.ErrFormat, "0"}}},
		{"negative trait", u + "-24", idfile.AAMOptions{}, nil, []bad{{1, idfile.ErrFormat, "-24"}}},
		{"largest trait", u + "18446744073709551615", idfile.AAMOptions{},
			[]idfile.Update{{N: 1, User: idtypes.MustParse(idtypes.AAMUUID, ecid3), Added: []idfile.Trait{{ID: 1<<64 - 1}}}}, nil},
		{"trait out of range", u + "18446744073709551616", idfile.AAMOptions{}, nil, []bad{{1, idfile.ErrFormat, "18446744073709551616"}}},
		{"empty d_sid", u + "d_sid=", idfile.AAMOptions{}, nil, []bad{{1, idfile.ErrFormat, "d_sid="}}},
		{"DPUUIDs", "2132-3423vn-343fds-3432r\td_sid=24\n", idfile.AAMOptions{Namespace: idtypes.CRMID},
			[]idfile.Update{upd(1, idtypes.CRMID, "2132-3423vn-343fds-3432r", tr(24), nil)}, nil},
		{"IDFAs", "B56E68EC-34ED-46D5-AF0C-1D2401F676C9\t38838\n", idfile.AAMOptions{Namespace: idtypes.IDFA},
			[]idfile.Update{upd(1, idtypes.IDFA, "B56E68EC-34ED-46D5-AF0C-1D2401F676C9", tr(38838), nil)}, nil},
		{"ECIDs", ecid1 + "\t1\n", idfile.AAMOptions{Namespace: idtypes.ECID},
			[]idfile.Update{upd(1, idtypes.ECID, ecid1, tr(1), nil)}, nil},
		{"no user", "\t24\n", idfile.AAMOptions{}, nil, []bad{{1, idtypes.ErrBlocked, "user"}}},
		{"blank lines", "\n \n" + u + "1\n", idfile.AAMOptions{}, []idfile.Update{upd(3, idtypes.AAMUUID, ecid3, tr(1), nil)}, nil},
		{"BOM", "\xef\xbb\xbf" + u + "1", idfile.AAMOptions{}, []idfile.Update{upd(1, idtypes.AAMUUID, ecid3, tr(1), nil)}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			good, bads := collect(t, idfile.ReadAAMInbound(strings.NewReader(tc.in), tc.opts))
			assert.Equal(t, tc.want, good)
			checkBads(t, bads, tc.bad)
			checkOffsets(t, []byte(tc.in), bads)
		})
	}
}

func TestReadAAMOutboundFixture(t *testing.T) {
	const name = "S3_123_0_iter_1777777777000.sync"
	uuid := idtypes.AAMUUID
	good, bads := collect(t, idfile.ReadAAMOutbound(openTestdata(t, name), idfile.AAMOptions{MaxLine: 200}))
	assert.Equal(t, []idfile.Update{
		upd(1, uuid, ecid4, tr(24, 26, 27), tr(25, 28)),
		upd(2, uuid, ecid3, tr(24), nil),
		upd(3, uuid, ecid3, nil, tr(25)),
		upd(4, uuid, ecid3, tr(24), tr(25)),
		upd(8, uuid, ecid1, tr(7, 8), nil),
	}, good)
	checkBads(t, bads, []bad{
		{4, idfile.ErrFormat, "x"},
		{5, idtypes.ErrSyntax, "user"},
		{6, idfile.ErrFormat, ""},
		{7, idfile.ErrLineTooLong, ""},
	})
	input, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	checkOffsets(t, input, bads)

	// Without a limit set, the long line is fine.
	good, _ = collect(t, idfile.ReadAAMOutbound(openTestdata(t, name), idfile.AAMOptions{}))
	assert.Len(t, good, 6)
	assert.Len(t, good[4].Added, 79)
}

func TestReadAAMOutboundShapes(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     []idfile.Update
		bad      []bad
	}{
		{"user alone", ecid3 + "\n" + ecid3 + " \n", []idfile.Update{
			upd(1, idtypes.AAMUUID, ecid3, nil, nil), upd(2, idtypes.AAMUUID, ecid3, nil, nil)}, nil},
		{"trailing spaces", ecid3 + " 1,2   \r\n", []idfile.Update{upd(1, idtypes.AAMUUID, ecid3, tr(1, 2), nil)}, nil},
		{"TAB is not a separator", ecid3 + "\t1\n", nil, []bad{{1, idtypes.ErrSyntax, "user"}}},
		{"leading space", " " + ecid3 + " 1\n", nil, []bad{{1, idtypes.ErrBlocked, "user"}}},
		// Spaces separate the lists, so a space after a comma starts the removed list.
		{"space after a comma", ecid3 + " 1, 2\n", []idfile.Update{upd(1, idtypes.AAMUUID, ecid3, tr(1), tr(2))}, nil},
		{"bad segments only", ecid3 + " x y\n", nil, []bad{{1, idfile.ErrFormat, "x"}, {1, idfile.ErrFormat, "y"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			good, bads := collect(t, idfile.ReadAAMOutbound(strings.NewReader(tc.in), idfile.AAMOptions{}))
			assert.Equal(t, tc.want, good)
			checkBads(t, bads, tc.bad)
		})
	}
}

func TestReadAAMReadError(t *testing.T) {
	r := &errReader{data: []byte(ecid3 + "\t1\n" + ecid3), err: errDisk}
	var n int
	var final error
	for _, err := range idfile.ReadAAMInbound(r, idfile.AAMOptions{}) {
		if err == nil {
			n++
		} else {
			final = err
		}
	}
	assert.Equal(t, 1, n)
	assert.ErrorIs(t, final, errDisk)
}

func TestTraitString(t *testing.T) {
	assert.Equal(t, "24", idfile.Trait{ID: 24}.String())
	assert.Equal(t, "ic=gold", idfile.Trait{Code: "gold"}.String())
}
