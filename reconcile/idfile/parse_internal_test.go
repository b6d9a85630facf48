package idfile

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idbits/idbits/idtypes"
)

// parseHalvesRef is the digit-at-a-time parse parseHalves must agree with.
func parseHalvesRef(b []byte) (hi, lo uint64, ok bool) {
	const half = 19
	if len(b) != 2*half {
		return 0, 0, false
	}
	for i := range half {
		c, d := b[i]-'0', b[half+i]-'0'
		if c > 9 || d > 9 {
			return 0, 0, false
		}
		hi = hi*10 + uint64(c)
		lo = lo*10 + uint64(d)
	}
	if hi > math.MaxInt64 || lo > math.MaxInt64 {
		return 0, 0, false
	}
	return hi, lo, true
}

func TestParseHalves(t *testing.T) {
	max := "9223372036854775807"
	tests := []struct {
		name string
		in   string
		ok   bool
	}{
		{"zeros", strings.Repeat("0", 38), true},
		{"ascending", "0123456789012345678" + "9876543210987654321"[1:] + "0", true},
		{"max halves", max + max, true},
		{"hi over max", "9223372036854775808" + max, false},
		{"lo over max", max + "9223372036854775808", false},
		{"all nines", strings.Repeat("9", 38), false},
		{"short", strings.Repeat("1", 37), false},
		{"long", strings.Repeat("1", 39), false},
		{"colon in first eight", "1234:67890123456789" + max, false},
		{"slash in second eight", "12345678901/3456789" + max, false},
		{"letter in last three", "1234567890123456a89" + max, false},
		{"space in lo", max + "922337203685477580 ", false},
		{"high byte", max + "92233720368547\xb9580", false},
		{"nul", max + "\x00223372036854775807", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, ok := parseHalves(idtypes.ECID, []byte(tt.in))
			require.Equal(t, tt.ok, ok)
			hi, lo, refOK := parseHalvesRef([]byte(tt.in))
			require.Equal(t, refOK, ok)
			if ok {
				gh, gl := id.Halves()
				assert.Equal(t, hi, gh)
				assert.Equal(t, lo, gl)
			}
		})
	}
}

// TestParseHalvesRandom checks parseHalves against the reference on random
// digit strings with one byte, sometimes, replaced by any other.
func TestParseHalvesRandom(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	b := make([]byte, 38)
	for range 200_000 {
		for i := range b {
			b[i] = '0' + byte(rnd.IntN(10))
		}
		if rnd.IntN(2) == 0 {
			b[rnd.IntN(len(b))] = byte(rnd.IntN(256))
		}
		if rnd.IntN(4) == 0 {
			b[0], b[19] = '0'+byte(rnd.IntN(10)), '0'+byte(rnd.IntN(10))
		}
		id, ok := parseHalves(idtypes.AAMUUID, b)
		hi, lo, refOK := parseHalvesRef(b)
		require.Equal(t, refOK, ok, "%q", b)
		if ok {
			gh, gl := id.Halves()
			require.Equal(t, [2]uint64{hi, lo}, [2]uint64{gh, gl}, "%q", b)
		}
	}
}

// TestTextParserLastCode checks that the remembered code gives what the
// full path gives, whatever follows it.
func TestTextParserLastCode(t *testing.T) {
	var p textParser
	ecid := "12345678901234567890123456789012345678"
	for _, in := range []string{
		"ECID:" + ecid, "ECID:" + ecid, "ECID: " + ecid, "ECID :" + ecid, "ecid:" + ecid,
		"ECID:" + ecid + ":", "ECID:", "ECID:x", "ECIDX:" + ecid, "ECI:" + ecid, "ECID:" + ecid,
		"Email:a@b.example", "ECID:" + ecid, "Email:a@b.example", "Email:" + ecid, "ECID",
	} {
		id, err := p.parse([]byte(in))
		want, wantErr := idtypes.ParseText(in)
		require.Equal(t, wantErr == nil, err == nil, in)
		if err == nil {
			assert.Equal(t, want, id, in)
		} else {
			assert.Equal(t, wantErr.Error(), err.Error(), in)
		}
	}
}
