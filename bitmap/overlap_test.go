package bitmap

import (
	"bytes"
	"errors"
	"io"
	"math"
	"slices"
	"testing"
)

func TestMatrixReadings(t *testing.T) {
	// Sizes 4, 3, 0, 2; |0∩1| = 2, |0∩3| = |1∩3| = 1 (the member 4).
	m := Overlap(Of(1, 2, 3, 4), Of(3, 4, 5), Of(), Of(4, 9))
	want := Matrix{{4, 2, 0, 1}, {2, 3, 0, 1}, {0, 0, 0, 0}, {1, 1, 0, 2}}
	if !slices.EqualFunc(m, want, slices.Equal) {
		t.Fatalf("Overlap = %v, want %v", m, want)
	}
	tests := []struct {
		name         string
		i, j         int
		jaccard      float64
		share        float64
		okJ, okShare bool
	}{
		{"pair", 0, 1, 2.0 / 5, 2.0 / 4, true, true},
		{"pair reversed", 1, 0, 2.0 / 5, 2.0 / 3, true, true},
		{"self", 1, 1, 1, 1, true, true},
		{"with empty", 0, 2, 0, 0, true, true},
		{"empty with itself", 2, 2, 0, 0, true, true},
		{"row out of range", 4, 0, 0, 0, false, false},
		{"column out of range", 0, -1, 0, 0, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j, ok := m.Jaccard(tt.i, tt.j)
			if ok != tt.okJ || math.Abs(j-tt.jaccard) > 1e-12 {
				t.Errorf("Jaccard(%d, %d) = %v, %v, want %v, %v", tt.i, tt.j, j, ok, tt.jaccard, tt.okJ)
			}
			s, ok := m.Share(tt.i, tt.j)
			if ok != tt.okShare || math.Abs(s-tt.share) > 1e-12 {
				t.Errorf("Share(%d, %d) = %v, %v, want %v, %v", tt.i, tt.j, s, ok, tt.share, tt.okShare)
			}
		})
	}
}

func TestMatrixFloor(t *testing.T) {
	m := Matrix{{10, 2, 0}, {2, 5, 3}, {0, 3, 3}}
	got := m.Floor(3)
	want := Matrix{{10, Blank, 0}, {Blank, 5, 3}, {0, 3, 3}}
	if !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("Floor(3) = %v, want %v", got, want)
	}
	if m[0][1] != 2 {
		t.Error("Floor changed its receiver")
	}
	if _, ok := got.Jaccard(0, 1); ok {
		t.Error("Jaccard of a blanked cell is available")
	}
	if _, ok := got.Share(1, 0); ok {
		t.Error("Share of a blanked cell is available")
	}
	if j, ok := got.Jaccard(1, 2); !ok || j != 3.0/5 {
		t.Errorf("Jaccard(1, 2) = %v, %v, want 0.6, true", j, ok)
	}
	// A blanked diagonal hides every share of that audience.
	small := Matrix{{2, 2}, {2, 100}}.Floor(5)
	if _, ok := small.Share(0, 1); ok {
		t.Error("Share from a blanked size is available")
	}
	if got := (Matrix{{1}}).Floor(0); got[0][0] != 1 {
		t.Errorf("Floor(0) blanked a count: %v", got)
	}
}

func TestOverlapEmpty(t *testing.T) {
	if m := Overlap(); len(m) != 0 {
		t.Errorf("Overlap() = %v, want an empty matrix", m)
	}
	if m := Overlap(Of(1, 2)); len(m) != 1 || m[0][0] != 2 {
		t.Errorf("Overlap(one) = %v, want [[2]]", m)
	}
}

// failingReader returns its data, then err.
type failingReader struct {
	data []byte
	err  error
}

func (f *failingReader) Read(p []byte) (int, error) {
	if len(f.data) == 0 {
		return 0, f.err
	}
	n := copy(p, f.data)
	f.data = f.data[n:]
	return n, nil
}

func TestReadPassesReaderErrors(t *testing.T) {
	errBroken := errors.New("connection reset")
	enc := marshal(t, Of(1, 2, 3))
	for cut := range len(enc) {
		_, err := Read(&failingReader{data: enc[:cut], err: errBroken})
		var de *DecodeError
		if !errors.Is(err, errBroken) || !errors.As(err, &de) || de.Offset != int64(cut) {
			t.Errorf("Read failing after %d bytes = %v, want a DecodeError at byte %d wrapping the reader's error", cut, err, cut)
		}
	}
	// A reader that ends cleanly right after an audience is fine.
	a, err := Read(&failingReader{data: enc, err: io.EOF})
	if err != nil || !a.Equal(Of(1, 2, 3)) {
		t.Errorf("Read = %v, %v", slices.Collect(a.All()), err)
	}
	// And the next Read reports the end.
	if _, err := Read(bytes.NewReader(nil)); err != io.EOF {
		t.Errorf("Read of nothing = %v, want io.EOF", err)
	}
}
