package bitmap

import (
	"bytes"
	"errors"
	"io"
	"runtime"
	"testing"
)

// allocated returns the bytes f allocates on the heap.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// manyContainers returns a valid encoding of n containers of one member
// each, as arrays or as runs: the most containers, so the most allocation,
// per input byte.
func manyContainers(n int, runs bool) []byte {
	var b []byte
	if runs {
		b = le(uint32(cookieRuns | (n-1)<<16))
		b = append(b, bytes.Repeat([]byte{0xFF}, (n+7)/8)...)
	} else {
		b = le(uint32(cookieNoRuns), uint32(n))
	}
	for k := range n {
		b = append(b, le(uint16(k), uint16(0))...)
	}
	start := len(b) + 4*n
	size := 2
	if runs {
		size = 6
	}
	if !runs || n >= offsetThreshold {
		for k := range n {
			b = append(b, le(uint32(start+k*size))...)
		}
	}
	for k := range n {
		if runs {
			b = append(b, le(uint16(1), uint16(k), uint16(0))...)
		} else {
			b = append(b, le(uint16(k))...)
		}
	}
	return b
}

// TestDecodeAllocationBound checks that no input, however its headers lie,
// makes a decoder allocate more than a small multiple of its length.
func TestDecodeAllocationBound(t *testing.T) {
	const perByte, slack = 16, 64 << 10
	tests := []struct {
		name  string
		in    []byte
		valid bool
	}{
		{"run cookie claims 65536 containers", le(uint32(cookieRuns | 0xFFFF<<16)), false},
		{"cookie claims 65536 containers", le(uint32(cookieNoRuns), uint32(maxContainers)), false},
		{"run container claims 65535 runs", le(uint32(cookieRuns), []byte{1}, uint16(0), uint16(0xFFFF), uint16(0xFFFF), uint16(0), uint16(0)), false},
		{"array claims 4096 members", le(uint32(cookieNoRuns), uint32(1), uint16(0), uint16(4095), uint32(16), uint16(1)), false},
		{"bitmap truncated", le(uint32(cookieNoRuns), uint32(1), uint16(0), uint16(9000), uint32(16), uint16(1)), false},
		{"65536 one-member arrays", manyContainers(maxContainers, false), true},
		{"65536 one-member runs", manyContainers(maxContainers, true), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			limit := uint64(perByte*len(tt.in) + slack)
			decoders := map[string]func() error{
				"Read":            func() error { return second(Read(bytes.NewReader(tt.in))) },
				"UnmarshalBinary": func() error { var a Audience; return a.UnmarshalBinary(tt.in) },
				"View":            func() error { return second(View(tt.in)) },
			}
			for name, decode := range decoders {
				var err error
				n := allocated(func() { err = decode() })
				if tt.valid && err != nil {
					t.Errorf("%s: %v", name, err)
				}
				if !tt.valid && !errors.Is(err, io.ErrUnexpectedEOF) {
					t.Errorf("%s = %v, want io.ErrUnexpectedEOF", name, err)
				}
				t.Logf("%s: %d bytes in, %d allocated (%.1f per byte)", name, len(tt.in), n, float64(n)/float64(len(tt.in)))
				if n > limit {
					t.Errorf("%s allocated %d bytes for %d bytes of input, want at most %d", name, n, len(tt.in), limit)
				}
			}
		})
	}
}

// TestDecodeManyRuns decodes a valid container of 32768 one-member runs.
// roaring's own Validate compares every pair of runs and takes seconds on
// these 131 KB; the package's check is linear.
func TestDecodeManyRuns(t *testing.T) {
	b := le(uint32(cookieRuns), []byte{1}, uint16(0), uint16(32767), uint16(32768))
	var want []uint32
	for k := range 32768 {
		b = append(b, le(uint16(2*k), uint16(0))...)
		want = append(want, uint32(2*k))
	}
	var a Audience
	if err := a.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	checkMembers(t, a, modelOf(want))
}
