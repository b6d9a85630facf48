package bitmap

import (
	"math"
	"sort"
	"sync/atomic"

	"golang.org/x/sync/errgroup"
)

// Matrix is a symmetric matrix of audience sizes as returned by [Overlap]:
// m[i][j] is the number of members common to audiences i and j, and the
// diagonal m[i][i] is the size of audience i. After [Matrix.Floor], a cell
// may hold [Blank] instead of a count.
type Matrix [][]uint64

// Blank marks a cell that [Matrix.Floor] withheld. No count can equal it: an
// audience has at most 2^32 members.
const Blank uint64 = math.MaxUint64

// Overlap returns the matrix of pairwise intersection sizes of as: cell
// [i][j] is AndLen(as[i], as[j]), the diagonal holds the sizes. It counts
// without building any intersection, and spreads the pairs over at most
// GOMAXPROCS goroutines when the inputs are large. For three audiences or
// more it first copies each into a form faster to count (bitsets for its
// dense and clustered parts), using at most about 256 MiB for all of them;
// audiences that do not fit are counted as they are.
func Overlap(as ...Audience) Matrix {
	return overlap(as, len(as) >= denseMinK)
}

// overlap is Overlap, counting on dense forms if dense.
func overlap(as []Audience, dense bool) Matrix {
	k := len(as)
	m := make(Matrix, k)
	cells := make([]uint64, k*k)
	var total uint64
	for i, a := range as {
		m[i] = cells[i*k : (i+1)*k : (i+1)*k]
		m[i][i] = a.n
		total += a.n
	}
	pairs := k * (k - 1) / 2
	if pairs == 0 {
		return m
	}
	p := workers(pairs)
	parallel := p >= 2 && total*uint64(k-1) >= parallelMin
	var ds []*denseForm
	if dense {
		ds = denseForms(as, parallel)
	}
	count := func(p int) {
		i, j := pairAt(p, k)
		var n uint64
		if ds != nil && ds[i] != nil && ds[j] != nil {
			n = ds[i].andLen(ds[j])
		} else {
			n = AndLen(as[i], as[j])
		}
		m[i][j], m[j][i] = n, n
	}
	if !parallel {
		for q := range pairs {
			count(q)
		}
		return m
	}
	// Workers take pairs one at a time from a shared counter, so a few
	// expensive pairs do not leave the other workers idle. Each cell is
	// written by exactly one worker.
	var next atomic.Int64
	var g errgroup.Group
	for range p {
		g.Go(func() error {
			for {
				q := int(next.Add(1) - 1)
				if q >= pairs {
					return nil
				}
				count(q)
			}
		})
	}
	_ = g.Wait() // the tasks return no errors
	return m
}

// pairAt returns the p-th pair (i, j), i < j, of k items in row order:
// (0,1), (0,2), ..., (0,k-1), (1,2), ...
func pairAt(p, k int) (i, j int) {
	// Row r starts at pair r*k - r*(r+1)/2; find the last row starting at
	// or before p.
	i = sort.Search(k, func(r int) bool { return r*k-r*(r+1)/2 > p }) - 1
	return i, p - (i*k - i*(i+1)/2) + i + 1
}

// cell returns m[i][j], or false if it is out of range or blanked.
func (m Matrix) cell(i, j int) (uint64, bool) {
	if i < 0 || i >= len(m) || j < 0 || j >= len(m[i]) || m[i][j] == Blank {
		return 0, false
	}
	return m[i][j], true
}

// Jaccard returns the Jaccard index of audiences i and j, |i∩j| / |i∪j|,
// from 0 (disjoint) to 1 (equal). Two empty audiences have index 0. It
// returns false if a cell it needs is blanked or out of range.
func (m Matrix) Jaccard(i, j int) (float64, bool) {
	inter, ok1 := m.cell(i, j)
	ni, ok2 := m.cell(i, i)
	nj, ok3 := m.cell(j, j)
	if !ok1 || !ok2 || !ok3 {
		return 0, false
	}
	union := ni + nj - inter
	if union == 0 {
		return 0, true
	}
	return float64(inter) / float64(union), true
}

// Share returns the fraction of audience i's members that are also members
// of audience j, |i∩j| / |i|. It is not symmetric. An empty audience i has
// share 0. It returns false if a cell it needs is blanked or out of range.
func (m Matrix) Share(i, j int) (float64, bool) {
	inter, ok1 := m.cell(i, j)
	ni, ok2 := m.cell(i, i)
	if !ok1 || !ok2 {
		return 0, false
	}
	if ni == 0 {
		return 0, true
	}
	return float64(inter) / float64(ni), true
}

// Floor returns a copy of m in which every count below min, other than
// zero, is replaced by [Blank], so that a matrix can be shared without
// revealing small groups of members (a privacy floor). Zero stays: it
// describes no one. Floor applies to the diagonal too. It does not guard
// against differencing: a small count can still be derived from two large
// ones (|i| - |i∩j|), so choose what to share with that in mind.
func (m Matrix) Floor(min uint64) Matrix {
	out := make(Matrix, len(m))
	for i, row := range m {
		out[i] = make([]uint64, len(row))
		for j, v := range row {
			if v != 0 && v < min {
				v = Blank
			}
			out[i][j] = v
		}
	}
	return out
}
