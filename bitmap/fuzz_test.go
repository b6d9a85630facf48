package bitmap

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
)

// fuzzSeeds returns real encodings of audiences of every container kind.
func fuzzSeeds(f *testing.F) [][]byte {
	f.Helper()
	var b Builder
	b.AddRange(100, 200)
	b.AddRange(1<<16, 1<<16+5000)
	b.Add(math.MaxUint32)
	runs := b.Audience()
	auds := []Audience{
		{},
		Of(0),
		Of(1, 2, 3, 1<<20, math.MaxUint32),
		Of(everyOther(0, 9000)...), // one bitmap container
		runs,                       // runs and arrays
		Or(Of(everyOther(1<<17, 1<<17+9000)...), runs), // bitmap, runs, arrays
		Of(rangeOf(0, 1<<16)...),                       // a full container
	}
	var seeds [][]byte
	for _, a := range auds {
		b, err := a.MarshalBinary()
		if err != nil {
			f.Fatal(err)
		}
		seeds = append(seeds, b)
	}
	// Plain roaring's encodings without runs, and with four containers or
	// more (which adds the offset header to the run format).
	for _, rb := range []*roaring.Bitmap{
		roaring.BitmapOf(5, 1<<16, 2<<16, 3<<16, 4<<16),
		roaring.BitmapOf(rangeOf(0, 300)...),
	} {
		for _, optimize := range []bool{false, true} {
			if optimize {
				rb.RunOptimize()
			}
			var buf bytes.Buffer
			if _, err := rb.WriteTo(&buf); err != nil {
				f.Fatal(err)
			}
			seeds = append(seeds, buf.Bytes())
		}
	}
	return seeds
}

// checkDecoded checks an audience that a decoder accepted from enc, the
// exact bytes it consumed: plain roaring must agree that enc is valid and
// has the same members, and the audience must behave as a set.
func checkDecoded(t *testing.T, a Audience, enc []byte) {
	t.Helper()
	rb := roaring.New()
	if _, err := rb.ReadFrom(bytes.NewReader(enc)); err != nil {
		t.Fatalf("accepted an encoding that roaring cannot read: %v", err)
	}
	if err := rb.Validate(); err != nil {
		t.Fatalf("accepted an encoding that roaring's Validate rejects: %v", err)
	}
	if rb.GetCardinality() != a.Len() {
		t.Fatalf("Len() = %d, roaring reads %d members", a.Len(), rb.GetCardinality())
	}
	var n uint64
	prev := int64(-1)
	for x := range a.All() {
		if int64(x) <= prev {
			t.Fatalf("All() not increasing: %d after %d", x, prev)
		}
		if !rb.Contains(x) || !a.Contains(x) {
			t.Fatalf("member %d: Contains %v, roaring %v", x, a.Contains(x), rb.Contains(x))
		}
		prev = int64(x)
		n++
	}
	if n != a.Len() {
		t.Fatalf("All() yields %d members, Len() = %d", n, a.Len())
	}
	// Operations on the decoded audience work and agree with each other.
	if !And(a, a).Equal(a) || !Or(a, a).Equal(a) || !Xor(a, a).IsEmpty() || AndNotLen(a, a) != 0 {
		t.Fatal("set identities fail on the decoded audience")
	}
	other := Of(0, 1, 65535, 65536, 1<<20, math.MaxUint32)
	if AndLen(a, other) != And(a, other).Len() || OrLen(a, other) != Or(a, other).Len() ||
		Intersects(a, other) != (AndLen(a, other) > 0) {
		t.Fatal("counts disagree with operations on the decoded audience")
	}
	// Writing it again gives an encoding that decodes to the same members.
	re, err := a.MarshalBinary()
	if err != nil {
		t.Fatalf("MarshalBinary of a decoded audience: %v", err)
	}
	var back Audience
	if err := back.UnmarshalBinary(re); err != nil || !back.Equal(a) {
		t.Fatalf("round trip of a decoded audience: %v, equal %v", err, back.Equal(a))
	}
}

// checkDecodeError checks that err is a decoding error callers can match.
func checkDecodeError(t *testing.T, err error, inputLen int) {
	t.Helper()
	var de *DecodeError
	if !errors.As(err, &de) {
		t.Fatalf("error %v (%T) is not a *DecodeError", err, err)
	}
	if !errors.Is(err, ErrCorrupt) && !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("error %v matches neither ErrCorrupt nor io.ErrUnexpectedEOF", err)
	}
	if de.Offset < 0 || de.Offset > int64(inputLen) {
		t.Fatalf("error offset %d outside the %d-byte input", de.Offset, inputLen)
	}
}

// watchdog crashes the fuzzing process, so that the fuzzer records the
// input, if decoding and checking data takes far too long: the fuzzer does
// not detect hangs by itself. The caller must call the returned stop.
func watchdog(data []byte) (stop func() bool) {
	return time.AfterFunc(20*time.Second, func() {
		panic(fmt.Sprintf("decoding and checking %d bytes took over 20s: %x", len(data), data))
	}).Stop
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

func FuzzRead(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		defer watchdog(data)()
		cr := &countingReader{r: bytes.NewReader(data)}
		a, err := Read(cr)
		if err != nil {
			if len(data) == 0 && err == io.EOF {
				return
			}
			checkDecodeError(t, err, len(data))
			return
		}
		enc := data[:cr.n]
		checkDecoded(t, a, enc)
		// The in-memory decoders agree on the bytes Read consumed.
		v, err := View(enc)
		if err != nil || !v.Equal(a) {
			t.Fatalf("View of the %d bytes Read consumed: %v, equal %v", len(enc), err, v.Equal(a))
		}
	})
}

func FuzzUnmarshalBinary(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		defer watchdog(data)()
		var a Audience
		err := a.UnmarshalBinary(data)
		if err != nil {
			checkDecodeError(t, err, len(data))
			if !a.IsEmpty() {
				t.Fatal("UnmarshalBinary changed its receiver on error")
			}
			return
		}
		checkDecoded(t, a, data)
	})
}

func FuzzView(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		defer watchdog(data)()
		data = slices.Clone(data) // the view must not see the fuzzer reuse its buffer
		a, err := View(data)
		if err != nil {
			checkDecodeError(t, err, len(data))
			return
		}
		checkDecoded(t, a, data)
	})
}
