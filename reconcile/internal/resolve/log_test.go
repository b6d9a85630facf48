package resolve

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// seq returns the ordinals lo to hi-1.
func seq(lo, hi uint32) []uint32 {
	out := make([]uint32, 0, hi-lo)
	for o := lo; o < hi; o++ {
		out = append(out, o)
	}
	return out
}

// TestLogFullChunks fills a log lowered to two chunks: a record that needs a
// third is refused with ErrFull and changes nothing, one that fits in the
// last chunk is still taken, and the graph resolves as before.
func TestLogFullChunks(t *testing.T) {
	g := New(Rules{})
	g.SetLogLimit(2, None)
	const big = chunkSize/2 + 1 // one such record per chunk
	appendRec := func(at int64, ords []uint32) error {
		_, err := g.Append(at, ords, nssFor(ords))
		return err
	}
	require.NoError(t, appendRec(1, seq(0, big)))                // chunk 0
	require.NoError(t, appendRec(2, seq(big, 2*big)))            // chunk 1
	require.ErrorIs(t, appendRec(3, seq(2*big, 3*big)), ErrFull) // would need chunk 2
	require.NoError(t, appendRec(4, []uint32{0, 2 * big}))       // fits in chunk 1
	require.NoError(t, appendRec(5, []uint32{2*big + 1}))        // still fits
	require.ErrorIs(t, appendRec(6, seq(3*big, 4*big)), ErrFull)

	assert.Equal(t, 4, g.Len())
	recs := g.Records()
	for i, want := range []struct {
		at   int64
		ords []uint32
	}{{1, seq(0, big)}, {2, seq(big, 2*big)}, {4, []uint32{0, 2 * big}}, {5, []uint32{2*big + 1}}} {
		at, ords := recs.At(i)
		assert.Equal(t, want.at, at, "record %d", i)
		assert.True(t, slices.Equal(want.ords, ords), "record %d", i)
	}
	for _, o := range []uint32{2*big + 2, 3*big - 1, 3 * big, 4*big - 1} {
		assert.False(t, g.Contains(o), "ordinal %d of a refused record", o)
	}

	v, _ := g.Resolve()
	k := v.KeyOf(0)
	require.NotEqual(t, None, k)
	for _, o := range []uint32{1, big - 1, 2 * big} {
		assert.Equal(t, k, v.KeyOf(o), "ordinal %d", o)
	}
	assert.NotEqual(t, k, v.KeyOf(big))
	assert.Equal(t, v.KeyOf(big), v.KeyOf(2*big-1))
	assert.NotEqual(t, None, v.KeyOf(2*big+1))
	assert.Equal(t, None, v.KeyOf(2*big+2))
}

// TestLogFullRecords fills a log lowered to three records.
func TestLogFullRecords(t *testing.T) {
	g := New(testRules(0))
	g.SetLogLimit(maxChunks, 3)
	for i := range uint32(3) {
		_, err := g.Append(int64(i), []uint32{i}, nssFor([]uint32{i}))
		require.NoError(t, err)
	}
	_, err := g.Append(9, []uint32{7}, nssFor([]uint32{7}))
	require.ErrorIs(t, err, ErrFull)
	assert.Equal(t, 3, g.Len())
	assert.False(t, g.Contains(7))

	// A record whose identities are all erased stores nothing, so it is
	// not refused.
	g.Erase([]uint32{1})
	dropped, err := g.Append(10, []uint32{1}, nssFor([]uint32{1}))
	require.NoError(t, err)
	assert.Equal(t, 1, dropped)
	v, _ := g.Resolve()
	assert.Equal(t, []string{"0:[0]", "2:[2]"}, viewProfiles(t, v, seq(0, 8)))
}
