package reconcile

import (
	"bufio"
	"cmp"
	"fmt"
	"io"
	"slices"
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

// OverlapOptions configure Overlap. The zero value withholds nothing, lists
// every pair of up to OverlapListMax audiences and ranks the top
// OverlapTopDefault pairs of more.
type OverlapOptions struct {
	// Floor is the smallest count the report shows: audience sizes and
	// intersections below it (other than zero) are withheld, and so is
	// every figure derived from them (bitmap.Matrix.Floor). Zero or one
	// withholds nothing.
	Floor uint64
	// Top, if positive, makes the report rank pairs instead of listing
	// them all: it holds the Top pairs sharing the most members and the
	// Top pairs of highest Jaccard index, and no Pairs or Matrix. Zero
	// lists every pair of at most OverlapListMax audiences, and ranks
	// OverlapTopDefault pairs of more.
	Top int
}

const (
	// OverlapListMax is the most audiences whose every pair an Overlap
	// report lists by default: 1,225 pairs.
	OverlapListMax = 50
	// OverlapTopDefault is how many pairs an Overlap report of more
	// than OverlapListMax audiences ranks by default.
	OverlapTopDefault = 10
)

// OverlapReport compares audiences pairwise. Its JSON form uses the
// snake_case names of the tags.
//
// A report either lists every pair (Pairs and Matrix), or, for many
// audiences or when asked, ranks them (TopOverlap and TopJaccard): the
// pairs of thousands of audiences would not fit in memory, nor help
// anyone reading them. To see every pair of a few chosen audiences among
// many, compare those alone.
//
// The counts are exact cardinalities of roaring bitmaps. Audience Manager's
// overlap reports estimate the same figures from sketches (within a few
// percent for large audiences), so the two differ slightly.
type OverlapReport struct {
	Floor uint64 `json:"floor,omitempty"`
	// Audiences holds every audience, in the order given.
	Audiences []OverlapAudience `json:"audiences"`
	// Pairs holds each pair i < j, in order (0,1), (0,2), ..., (1,2), ...,
	// when the report lists every pair; nil when it ranks them.
	Pairs []OverlapPair `json:"pairs,omitempty"`
	// Matrix is the full matrix of counts after the floor, when the report
	// lists every pair: Matrix[i][j] is the intersection of audiences i
	// and j, the diagonal their sizes, bitmap.Blank a withheld count.
	Matrix bitmap.Matrix `json:"-"`
	// Top is the number of pairs each ranking asks for when the report
	// ranks pairs; 0 when it lists them all.
	Top int `json:"top,omitempty"`
	// TopOverlap holds the pairs sharing the most members, best first, and
	// TopJaccard the pairs of highest Jaccard index: at most Top each,
	// fewer if fewer pairs qualify. Equal pairs keep the order of their
	// audiences in the input (by A, then B). Only pairs whose every figure
	// is shown are ranked (an overlap and two sizes at the floor or
	// above), so a ranking reveals nothing the floor withholds.
	TopOverlap []OverlapPair `json:"top_overlap,omitempty"`
	TopJaccard []OverlapPair `json:"top_jaccard,omitempty"`
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
// counts. It counts without building any intersection. The audiences must
// be in one space: for profiles, pass the Profiles.Audience of sets
// projected onto one view (View.Project).
//
// Listing every pair counts them with bitmap.Overlap. Ranking counts with
// bitmap.TopPairs, in memory proportional to the number of audiences and
// in time that suits the input (see there), so that tens of thousands of
// audiences can be compared.
func Overlap(as []NamedAudience, opts OverlapOptions) OverlapReport {
	floor := opts.Floor
	if floor <= 1 {
		floor = 0
	}
	withheld := func(n uint64) bool { return n != 0 && n < floor }
	rep := OverlapReport{Floor: opts.Floor, Audiences: make([]OverlapAudience, len(as))}
	for i, a := range as {
		oa := OverlapAudience{Name: a.Name, Size: a.Audience.Len()}
		if withheld(oa.Size) {
			oa.Size, oa.Withheld = 0, true
		}
		rep.Audiences[i] = oa
	}
	top := opts.Top
	if top <= 0 && len(as) > OverlapListMax {
		top = OverlapTopDefault
	}
	if top > 0 {
		// Audiences whose size is withheld take part in no ranked pair:
		// they count as empty.
		aud := make([]bitmap.Audience, len(as))
		for i, a := range as {
			if !rep.Audiences[i].Withheld {
				aud[i] = a.Audience
			}
		}
		rep.Top = top
		topts := bitmap.TopOptions{Min: floor}
		rep.TopOverlap = rankedPairs(as, bitmap.TopPairs(aud, top, topts))
		topts.By = bitmap.ByJaccard
		rep.TopJaccard = rankedPairs(as, bitmap.TopPairs(aud, top, topts))
		return rep
	}
	aud := make([]bitmap.Audience, len(as))
	for i, a := range as {
		aud[i] = a.Audience
	}
	m := bitmap.Overlap(aud...)
	if floor > 0 {
		m = m.Floor(floor)
	}
	rep.Matrix = m
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

// rankedPairs names the pairs ps of as.
func rankedPairs(as []NamedAudience, ps []bitmap.Pair) []OverlapPair {
	out := make([]OverlapPair, 0, len(ps))
	for _, p := range ps {
		out = append(out, OverlapPair{
			A: as[p.I].Name, B: as[p.J].Name, Overlap: p.Len, Jaccard: p.Jaccard(),
			AInB: float64(p.Len) / float64(p.LenI), BInA: float64(p.Len) / float64(p.LenJ),
		})
	}
	return out
}

// Largest returns the indexes of the n largest audiences whose size the
// report shows, largest first, equal sizes in input order.
func (r OverlapReport) Largest(n int) []int {
	idx := make([]int, 0, len(r.Audiences))
	for i, a := range r.Audiences {
		if !a.Withheld {
			idx = append(idx, i)
		}
	}
	slices.SortStableFunc(idx, func(i, j int) int { return cmp.Compare(r.Audiences[j].Size, r.Audiences[i].Size) })
	return idx[:min(max(n, 0), len(idx))]
}

// WriteTo writes the report as a plain-text table for people. A report
// that lists every pair shows the audiences and their sizes, then one row
// per pair with the overlap, the Jaccard index and both shares, in
// fixed-width columns; a withheld figure shows as "<floor". A report that
// ranks pairs shows the number of audiences, the Top largest, and the two
// rankings in the same columns. It implements io.WriterTo.
func (r OverlapReport) WriteTo(w io.Writer) (int64, error) {
	cw := &countWriter{w: w}
	bw := bufio.NewWriter(cw)
	withheld := "<" + strconv.FormatUint(r.Floor, 10)

	shown := r.Audiences
	if r.Top > 0 {
		shown = nil
		for _, i := range r.Largest(r.Top) {
			shown = append(shown, r.Audiences[i])
		}
		hidden := 0
		for _, a := range r.Audiences {
			if a.Withheld {
				hidden++
			}
		}
		fmt.Fprintf(bw, "%d audiences", len(r.Audiences))
		if hidden > 0 {
			fmt.Fprintf(bw, " (%d of fewer than %d members)", hidden, r.Floor)
		}
		fmt.Fprintf(bw, "; the %d largest:\n", len(shown))
	}
	nameW := len("audience")
	for _, a := range shown {
		nameW = max(nameW, utf8.RuneCountInString(a.Name))
	}
	for _, ps := range [][]OverlapPair{r.TopOverlap, r.TopJaccard} {
		for _, p := range ps {
			nameW = max(nameW, utf8.RuneCountInString(p.A), utf8.RuneCountInString(p.B))
		}
	}
	sizes := make([]string, len(shown))
	sizeW := len("members")
	for i, a := range shown {
		sizes[i] = strconv.FormatUint(a.Size, 10)
		if a.Withheld {
			sizes[i] = withheld
		}
		sizeW = max(sizeW, len(sizes[i]))
	}
	fmt.Fprintf(bw, "%-*s  %*s\n", nameW, "audience", sizeW, "members")
	for i, a := range shown {
		fmt.Fprintf(bw, "%-*s  %*s\n", nameW, a.Name, sizeW, sizes[i])
	}
	if r.Top > 0 {
		more := ""
		if r.Floor > 1 {
			more = fmt.Sprintf(" (of those sharing %d members or more)", r.Floor)
		}
		fmt.Fprintf(bw, "\ntop %d pairs by overlap%s\n", r.Top, more)
		writePairs(bw, r.TopOverlap, nameW, withheld)
		fmt.Fprintf(bw, "\ntop %d pairs by jaccard%s\n", r.Top, more)
		writePairs(bw, r.TopJaccard, nameW, withheld)
	} else if len(r.Pairs) > 0 {
		bw.WriteString("\n")
		writePairs(bw, r.Pairs, nameW, withheld)
	}
	err := bw.Flush()
	return cw.n, err
}

// writePairs writes a table of pairs, the name columns nameW wide.
func writePairs(bw *bufio.Writer, ps []OverlapPair, nameW int, withheld string) {
	if len(ps) == 0 {
		bw.WriteString("(no pair)\n")
		return
	}
	overlaps := make([]string, len(ps))
	ovW := len("overlap")
	for i, p := range ps {
		overlaps[i] = strconv.FormatUint(p.Overlap, 10)
		if p.Withheld {
			overlaps[i] = withheld
		}
		ovW = max(ovW, len(overlaps[i]))
	}
	fmt.Fprintf(bw, "%-*s  %-*s  %*s  %7s  %7s  %7s\n",
		nameW, "a", nameW, "b", ovW, "overlap", "jaccard", "a in b", "b in a")
	for i, p := range ps {
		if p.Withheld {
			fmt.Fprintf(bw, "%-*s  %-*s  %*s  %7s  %7s  %7s\n",
				nameW, p.A, nameW, p.B, ovW, overlaps[i], "-", "-", "-")
			continue
		}
		fmt.Fprintf(bw, "%-*s  %-*s  %*s  %7.4f  %6.1f%%  %6.1f%%\n",
			nameW, p.A, nameW, p.B, ovW, overlaps[i], p.Jaccard, 100*p.AInB, 100*p.BInA)
	}
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
