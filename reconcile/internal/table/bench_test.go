package table

import (
	"encoding/binary"
	"math/rand/v2"
	"runtime"
	"strconv"
	"testing"
)

// benchKey writes the 17-byte key of item i: a class byte and two halves,
// the shape of an ECID's binary key.
func benchKey(dst []byte, i int) []byte {
	dst = append(dst, 1)
	dst = binary.BigEndian.AppendUint64(dst, uint64(i)*0x9e3779b97f4a7c15)
	return binary.BigEndian.AppendUint64(dst, uint64(i))
}

// BenchmarkLookupMany looks up blocks of 16,384 keys drawn at random from a
// table of n keys (much larger than the caches), as an import does, against
// a Go map from key to ordinal looked up one key at a time.
func BenchmarkLookupMany(b *testing.B) {
	const block = 1 << 14
	for _, n := range []int{1 << 22} {
		t := NewSeeded(1)
		ords := make([]uint32, n)
		t.AddMany(n, func(i int, dst []byte) ([]byte, uint16, bool) { return benchKey(dst, i), 1, true }, ords, runtime.GOMAXPROCS(0))
		rnd := rand.New(rand.NewPCG(2, 3))
		items := make([]int, 64*block) // 64 blocks in turn, so that they leave the caches
		blk := items
		for i := range items {
			items[i] = rnd.IntN(n)
		}
		enc := func(i int, dst []byte) ([]byte, uint16, bool) { return benchKey(dst, blk[i]), 1, true }
		out := make([]uint32, block)
		report := func(b *testing.B) {
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(block*b.N), "ns/id")
			b.ReportMetric(float64(block*b.N)/b.Elapsed().Seconds(), "ids/s")
		}
		b.Run("keys="+strconv.Itoa(n)+"/impl=idbits", func(b *testing.B) {
			b.ReportAllocs()
			k := 0
			for b.Loop() {
				blk = items[k%64*block:][:block]
				k++
				if got := t.LookupMany(block, enc, out, runtime.GOMAXPROCS(0)); got != block {
					b.Fatalf("found %d of %d", got, block)
				}
			}
			report(b)
		})
		b.Run("keys="+strconv.Itoa(n)+"/impl=naive", func(b *testing.B) {
			m := make(map[string]uint32, n)
			var buf []byte
			for i := range n {
				buf = benchKey(buf[:0], i)
				m[string(buf)] = uint32(i)
			}
			b.ReportAllocs()
			k := 0
			for b.Loop() {
				blk = items[k%64*block:][:block]
				k++
				for i := range block {
					buf = benchKey(buf[:0], blk[i])
					out[i] = m[string(buf)]
				}
			}
			report(b)
		})
	}
}
