package idtypes_test

import (
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/idbits/idbits/idtypes"
)

// refHalves is the straightforward printer the fast one must match: each
// half in decimal, left-padded with zeros to 19 digits.
func refHalves(hi, lo uint64) string {
	pad := func(x uint64) string {
		s := strconv.FormatUint(x, 10)
		return strings.Repeat("0", 19-len(s)) + s
	}
	return pad(hi) + pad(lo)
}

// TestECIDPrintMatchesReference compares AppendValue, String and AppendText
// of ECIDs and AAM UUIDs with refHalves over edge values (0, all 9s within
// range, each half's maximum, leading zeros, every power of ten and its
// neighbours) and random halves.
func TestECIDPrintMatchesReference(t *testing.T) {
	edges := []uint64{0, 1, 9, 10, 99, 100, 999, 1000, 99999999, 100000000,
		999999999999999999, math.MaxInt64, math.MaxInt64 - 1}
	for p := uint64(1); p <= 1e18; p *= 10 {
		edges = append(edges, p-1, p, p+1, 9*p, 9*p+p-1)
	}
	var pairs [][2]uint64
	for _, hi := range edges {
		for _, lo := range edges {
			pairs = append(pairs, [2]uint64{hi, lo})
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		// Random halves, and halves of random length, for leading zeros.
		pairs = append(pairs,
			[2]uint64{rng.Uint64N(math.MaxInt64 + 1), rng.Uint64N(math.MaxInt64 + 1)},
			[2]uint64{rng.Uint64N(math.MaxInt64+1) >> rng.UintN(64), rng.Uint64N(math.MaxInt64+1) >> rng.UintN(64)})
	}
	buf := make([]byte, 0, 64)
	for _, ns := range []idtypes.Namespace{idtypes.ECID, idtypes.AAMUUID} {
		for _, h := range pairs {
			if h[0] > math.MaxInt64 || h[1] > math.MaxInt64 {
				continue // out of range for an ID
			}
			id, err := idtypes.FromHalves(ns, h[0], h[1])
			if err != nil {
				t.Fatalf("FromHalves(%v, %d, %d): %v", ns, h[0], h[1], err)
			}
			want := refHalves(h[0], h[1])
			buf = id.AppendValue(append(buf[:0], 'x'))
			if string(buf) != "x"+want {
				t.Fatalf("AppendValue(%d, %d) = %q, want %q", h[0], h[1], buf[1:], want)
			}
			if got := id.String(); got != want {
				t.Fatalf("String(%d, %d) = %q, want %q", h[0], h[1], got, want)
			}
			buf, _ = id.AppendText(buf[:0])
			if got, wantText := string(buf), ns.String()+":"+want; got != wantText {
				t.Fatalf("AppendText(%d, %d) = %q, want %q", h[0], h[1], got, wantText)
			}
			back, err := idtypes.Parse(ns, want)
			if err != nil || back != id {
				t.Fatalf("Parse(%q) = %v, %v; want %v", want, back, err, id)
			}
		}
	}
}
