package bitmap

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"
)

func marshal(t testing.TB, a Audience) []byte {
	t.Helper()
	b, err := a.MarshalBinary()
	if err != nil {
		t.Fatalf("MarshalBinary: %v", err)
	}
	return b
}

func TestRoundTrip(t *testing.T) {
	for _, p := range genPairs(t, 6, 1) {
		t.Run(p.name, func(t *testing.T) {
			enc := marshal(t, p.a)
			if got := int64(len(enc)); got != p.a.SerializedSize() {
				t.Errorf("len(MarshalBinary()) = %d, SerializedSize() = %d", got, p.a.SerializedSize())
			}
			var buf bytes.Buffer
			n, err := p.a.WriteTo(&buf)
			if err != nil || n != int64(len(enc)) || !bytes.Equal(buf.Bytes(), enc) {
				t.Fatalf("WriteTo = %d, %v; want %d bytes equal to MarshalBinary", n, err, len(enc))
			}

			read, err := Read(bytes.NewReader(enc))
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
			checkAudience(t, read, p.m)

			var un Audience
			if err := un.UnmarshalBinary(enc); err != nil {
				t.Fatalf("UnmarshalBinary: %v", err)
			}
			checkAudience(t, un, p.m)

			view, err := View(enc)
			if err != nil {
				t.Fatalf("View: %v", err)
			}
			checkAudience(t, view, p.m)
			if p.a.Len() > 0 && !view.view {
				t.Error("View copied the members")
			}
		})
	}
}

func TestRoaringInterop(t *testing.T) {
	for _, p := range genPairs(t, 7, 1) {
		t.Run(p.name, func(t *testing.T) {
			// Ours, read by plain roaring.
			enc := marshal(t, p.a)
			rb := roaring.New()
			if _, err := rb.ReadFrom(bytes.NewReader(enc)); err != nil {
				t.Fatalf("roaring ReadFrom: %v", err)
			}
			if err := rb.Validate(); err != nil {
				t.Fatalf("roaring Validate: %v", err)
			}
			if got := rb.ToArray(); !slices.Equal(got, p.m.sorted()) {
				t.Errorf("roaring read %s, want %s", brief(got), brief(p.m.sorted()))
			}
			// Plain roaring's, read by us, with and without run containers.
			for _, optimize := range []bool{false, true} {
				rb := roaring.BitmapOf(p.m.sorted()...)
				if optimize {
					rb.RunOptimize()
				}
				var buf bytes.Buffer
				if _, err := rb.WriteTo(&buf); err != nil {
					t.Fatal(err)
				}
				a, err := Read(&buf)
				if err != nil {
					t.Fatalf("Read of roaring's encoding (runs %v): %v", optimize, err)
				}
				checkAudience(t, a, p.m)
			}
		})
	}
}

func TestReadStream(t *testing.T) {
	ps := genPairs(t, 8, 1)
	var buf bytes.Buffer
	for _, p := range ps {
		if _, err := p.a.WriteTo(&buf); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range ps {
		a, err := Read(&buf)
		if err != nil {
			t.Fatalf("Read %s: %v", p.name, err)
		}
		checkAudience(t, a, p.m)
	}
	if _, err := Read(&buf); err != io.EOF {
		t.Errorf("Read at end = %v, want io.EOF", err)
	}
}

// TestDecodeTruncated cuts encodings at every length and checks that every
// decoder reports io.ErrUnexpectedEOF at the cut.
func TestDecodeTruncated(t *testing.T) {
	encs := [][]byte{
		marshal(t, Audience{}),
		marshal(t, Of(1, 2, 3, 1<<20)),                                              // arrays, no runs
		marshal(t, Of(rangeOf(0, 5000)...)),                                         // one run
		marshal(t, Of(everyOther(0, 20000)...)),                                     // bitmaps
		marshal(t, Of(append(everyOther(0, 20000), rangeOf(1<<17, 1<<17+9)...)...)), // bitmaps, runs, arrays
	}
	for _, enc := range encs {
		for cut := range len(enc) {
			in := enc[:cut]
			var un Audience
			for name, err := range map[string]error{
				"UnmarshalBinary": un.UnmarshalBinary(in),
				"View":            second(View(in)),
				"Read":            second(Read(bytes.NewReader(in))),
			} {
				if name == "Read" && cut == 0 {
					if err != io.EOF {
						t.Errorf("Read of nothing = %v, want io.EOF", err)
					}
					continue
				}
				var de *DecodeError
				if !errors.As(err, &de) || !errors.Is(err, io.ErrUnexpectedEOF) || de.Offset != int64(cut) {
					t.Errorf("%s of %d of %d bytes = %v, want a DecodeError at byte %d wrapping io.ErrUnexpectedEOF", name, cut, len(enc), err, cut)
				}
			}
		}
	}
}

func second[T any](_ T, err error) error { return err }

func rangeOf(lo, hi uint32) []uint32 {
	var xs []uint32
	for x := lo; x < hi; x++ {
		xs = append(xs, x)
	}
	return xs
}

func everyOther(lo, hi uint32) []uint32 {
	var xs []uint32
	for x := lo; x < hi; x += 2 {
		xs = append(xs, x)
	}
	return xs
}

// le builds little-endian encodings for the corruption tests.
func le(vs ...any) []byte {
	var b []byte
	for _, v := range vs {
		switch v := v.(type) {
		case uint16:
			b = binary.LittleEndian.AppendUint16(b, v)
		case uint32:
			b = binary.LittleEndian.AppendUint32(b, v)
		case []byte:
			b = append(b, v...)
		default:
			panic("le: unsupported type")
		}
	}
	return b
}

func TestDecodeCorrupt(t *testing.T) {
	fullBitmap := bytes.Repeat([]byte{0xFF}, bitmapBytes)
	tests := []struct {
		name   string
		in     []byte
		offset int64
	}{
		{"unknown cookie", le(uint32(12345), uint32(0)), 0},
		{"too many containers", le(uint32(cookieNoRuns), uint32(maxContainers+1)), 4},
		{"keys out of order", le(uint32(cookieNoRuns), uint32(2), uint16(5), uint16(0), uint16(3), uint16(0), uint32(24), uint32(26), uint16(1), uint16(1)), 12},
		{"duplicate key", le(uint32(cookieNoRuns), uint32(2), uint16(5), uint16(0), uint16(5), uint16(0), uint32(24), uint32(26), uint16(1), uint16(1)), 12},
		{"bad offset", le(uint32(cookieNoRuns), uint32(1), uint16(0), uint16(0), uint32(99), uint16(1)), 12},
		{"array not sorted", le(uint32(cookieNoRuns), uint32(1), uint16(0), uint16(1), uint32(16), uint16(9), uint16(3)), 18},
		{"array duplicate", le(uint32(cookieNoRuns), uint32(1), uint16(0), uint16(1), uint32(16), uint16(9), uint16(9)), 18},
		{"bitmap cardinality", le(uint32(cookieNoRuns), uint32(1), uint16(0), uint16(4999), uint32(16), fullBitmap), 16},
		{"no runs", le(uint32(cookieRuns), []byte{1}, uint16(0), uint16(0), uint16(0)), 9},
		{"run past container end", le(uint32(cookieRuns), []byte{1}, uint16(0), uint16(9), uint16(1), uint16(0xFFFA), uint16(9)), 11},
		{"runs overlap", le(uint32(cookieRuns), []byte{1}, uint16(0), uint16(9), uint16(2), uint16(0), uint16(4), uint16(3), uint16(3)), 15},
		{"runs touch", le(uint32(cookieRuns), []byte{1}, uint16(0), uint16(9), uint16(2), uint16(0), uint16(4), uint16(5), uint16(3)), 15},
		{"run cardinality", le(uint32(cookieRuns), []byte{1}, uint16(0), uint16(0), uint16(1), uint16(0), uint16(4)), 11},
		{"trailing bytes", le(uint32(cookieNoRuns), uint32(0), []byte{0}), 8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var un Audience
			errs := map[string]error{
				"UnmarshalBinary": un.UnmarshalBinary(tt.in),
				"View":            second(View(tt.in)),
			}
			if tt.name != "trailing bytes" { // Read stops at the end of the audience
				errs["Read"] = second(Read(bytes.NewReader(tt.in)))
			}
			for name, err := range errs {
				var de *DecodeError
				if !errors.As(err, &de) || !errors.Is(err, ErrCorrupt) || de.Offset != tt.offset {
					t.Errorf("%s = %v, want a DecodeError at byte %d wrapping ErrCorrupt", name, err, tt.offset)
				}
			}
		})
	}
}

// TestDecodeValidSmall checks hand-made encodings that are valid, including
// forms our writer does not produce.
func TestDecodeValidSmall(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want []uint32
	}{
		{"empty", le(uint32(cookieNoRuns), uint32(0)), nil},
		{"array", le(uint32(cookieNoRuns), uint32(1), uint16(2), uint16(1), uint32(16), uint16(0), uint16(65535)), []uint32{2 << 16, 2<<16 + 65535}},
		{"run flag clear", le(uint32(cookieRuns), []byte{0}, uint16(0), uint16(0), uint16(7)), []uint32{7}},
		{"full run", le(uint32(cookieRuns), []byte{1}, uint16(0xFFFF), uint16(0xFFFF), uint16(1), uint16(0), uint16(0xFFFF)), rangeOf(0xFFFF0000, 0xFFFFFFFF+0)},
		{"inefficient runs", le(uint32(cookieRuns), []byte{1}, uint16(0), uint16(1), uint16(2), uint16(0), uint16(0), uint16(2), uint16(0)), []uint32{0, 2}},
	}
	tests[3].want = append(tests[3].want, 0xFFFFFFFF)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := modelOf(tt.want)
			var un Audience
			if err := un.UnmarshalBinary(tt.in); err != nil {
				t.Fatalf("UnmarshalBinary: %v", err)
			}
			checkAudience(t, un, m)
			a, err := Read(bytes.NewReader(tt.in))
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
			checkAudience(t, a, m)
			v, err := View(tt.in)
			if err != nil {
				t.Fatalf("View: %v", err)
			}
			checkAudience(t, v, m)
		})
	}
}

func TestIncreasing(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 11))
	for trial := range 2000 {
		n := r.IntN(40)
		b := make([]byte, 2*n)
		v := r.IntN(3)
		for i := range n {
			binary.LittleEndian.PutUint16(b[2*i:], uint16(v))
			v += r.IntN(3) // sometimes equal: not strictly increasing
			if trial%7 == 0 && r.IntN(n) == 0 {
				v -= 5
			}
			v = max(v, 0)
		}
		want := true
		for i := 1; i < n; i++ {
			if binary.LittleEndian.Uint16(b[2*i:]) <= binary.LittleEndian.Uint16(b[2*i-2:]) {
				want = false
			}
		}
		if got := increasing(b); got != want {
			t.Fatalf("increasing(%v) = %v, want %v", b, got, want)
		}
	}
}
