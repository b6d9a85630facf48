package reconcile

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/idbits/idbits/bitmap"
)

// NamedAudience is an audience with the name a report shows for it.
type NamedAudience struct {
	Name     string
	Audience bitmap.Audience
}

// OverlapOptions configure Overlap. The zero value withholds nothing.
type OverlapOptions struct {
	// Floor is the smallest count the report shows: audience sizes and
	// intersections below it (other than zero) are withheld, and so is
	// every figure derived from them (bitmap.Matrix.Floor). Zero or one
	// withholds nothing.
	Floor uint64
}

// OverlapReport compares audiences pairwise. Its JSON form uses the
// snake_case names of the tags.
//
// The counts are exact cardinalities of roaring bitmaps. Audience Manager's
// overlap reports estimate the same figures from sketches (within a few
// percent for large audiences), so the two differ slightly.
type OverlapReport struct {
	Floor     uint64            `json:"floor,omitempty"`
	Audiences []OverlapAudience `json:"audiences"`
	// Pairs holds each pair i < j, in order (0,1), (0,2), ..., (1,2), ...
	Pairs []OverlapPair `json:"pairs"`
	// Matrix is the full matrix of counts after the floor: Matrix[i][j] is
	// the intersection of audiences i and j, the diagonal their sizes,
	// bitmap.Blank a withheld count.
	Matrix bitmap.Matrix `json:"-"`
}

// OverlapAudience is one audience of an overlap report.
type OverlapAudience struct {
	Name     string `json:"name"`
	Size     uint64 `json:"size"`               // members; 0 when withheld
	Withheld bool   `json:"withheld,omitempty"` // the floor withheld the size
}

// OverlapPair compares two audiences, A (the earlier in the input) and B.
type OverlapPair struct {
	A       string  `json:"a"`
	B       string  `json:"b"`
	Overlap uint64  `json:"overlap"` // members of both
	Jaccard float64 `json:"jaccard"` // Overlap / members of either; 0 if both are empty
	AInB    float64 `json:"a_in_b"`  // the share of A's members also in B; 0 if A is empty
	BInA    float64 `json:"b_in_a"`  // the share of B's members also in A; 0 if B is empty
	// Withheld says the floor withheld the overlap, or a size the figures
	// need: the figures above are then zero.
	Withheld bool `json:"withheld,omitempty"`
}

// Overlap compares the audiences pairwise: sizes, intersections, Jaccard
// indexes and one-directional shares, with opts.Floor withholding small
// counts. It counts with bitmap.Overlap, which builds no intersection. The
// audiences must be in one space (profiles of one view): project audiences
// from different views or systems first (View.Project, or Join).
func Overlap(as []NamedAudience, opts OverlapOptions) OverlapReport {
	aud := make([]bitmap.Audience, len(as))
	for i, a := range as {
		aud[i] = a.Audience
	}
	m := bitmap.Overlap(aud...)
	if opts.Floor > 1 {
		m = m.Floor(opts.Floor)
	}
	rep := OverlapReport{Floor: opts.Floor, Matrix: m, Audiences: make([]OverlapAudience, len(as))}
	for i, a := range as {
		oa := OverlapAudience{Name: a.Name, Size: m[i][i]}
		if oa.Size == bitmap.Blank {
			oa.Size, oa.Withheld = 0, true
		}
		rep.Audiences[i] = oa
	}
	for i := range as {
		for j := i + 1; j < len(as); j++ {
			p := OverlapPair{A: as[i].Name, B: as[j].Name, Overlap: m[i][j]}
			var ok [3]bool
			p.Jaccard, ok[0] = m.Jaccard(i, j)
			p.AInB, ok[1] = m.Share(i, j)
			p.BInA, ok[2] = m.Share(j, i)
			if p.Overlap == bitmap.Blank || !ok[0] || !ok[1] || !ok[2] {
				p = OverlapPair{A: p.A, B: p.B, Withheld: true}
			}
			rep.Pairs = append(rep.Pairs, p)
		}
	}
	return rep
}

// WriteTo writes the report as a plain-text table for people: the audiences
// and their sizes, then one row per pair with the overlap, the Jaccard index
// and both shares, in fixed-width columns. A withheld figure shows as
// "<floor". It implements io.WriterTo.
func (r OverlapReport) WriteTo(w io.Writer) (int64, error) {
	cw := &countWriter{w: w}
	bw := bufio.NewWriter(cw)
	withheld := "<" + strconv.FormatUint(r.Floor, 10)

	nameW := len("audience")
	for _, a := range r.Audiences {
		nameW = max(nameW, utf8.RuneCountInString(a.Name))
	}
	sizes := make([]string, len(r.Audiences))
	sizeW := len("members")
	for i, a := range r.Audiences {
		sizes[i] = strconv.FormatUint(a.Size, 10)
		if a.Withheld {
			sizes[i] = withheld
		}
		sizeW = max(sizeW, len(sizes[i]))
	}
	fmt.Fprintf(bw, "%-*s  %*s\n", nameW, "audience", sizeW, "members")
	for i, a := range r.Audiences {
		fmt.Fprintf(bw, "%-*s  %*s\n", nameW, a.Name, sizeW, sizes[i])
	}

	if len(r.Pairs) > 0 {
		overlaps := make([]string, len(r.Pairs))
		ovW := len("overlap")
		for i, p := range r.Pairs {
			overlaps[i] = strconv.FormatUint(p.Overlap, 10)
			if p.Withheld {
				overlaps[i] = withheld
			}
			ovW = max(ovW, len(overlaps[i]))
		}
		fmt.Fprintf(bw, "\n%-*s  %-*s  %*s  %7s  %7s  %7s\n",
			nameW, "a", nameW, "b", ovW, "overlap", "jaccard", "a in b", "b in a")
		for i, p := range r.Pairs {
			if p.Withheld {
				fmt.Fprintf(bw, "%-*s  %-*s  %*s  %7s  %7s  %7s\n",
					nameW, p.A, nameW, p.B, ovW, overlaps[i], "-", "-", "-")
				continue
			}
			fmt.Fprintf(bw, "%-*s  %-*s  %*s  %7.4f  %6.1f%%  %6.1f%%\n",
				nameW, p.A, nameW, p.B, ovW, overlaps[i], p.Jaccard, 100*p.AInB, 100*p.BInA)
		}
	}
	err := bw.Flush()
	return cw.n, err
}

// String returns the table WriteTo writes.
func (r OverlapReport) String() string {
	var b strings.Builder
	_, _ = r.WriteTo(&b)
	return b.String()
}

// countWriter counts the bytes written through it.
type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
