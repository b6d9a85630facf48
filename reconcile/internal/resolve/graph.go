package resolve

import (
	"slices"
)

// Graph holds the log, the plain connected components of all records, and
// the state needed to resolve them incrementally. The zero Graph is not
// ready: use New. A Graph is not safe for concurrent use.
type Graph struct {
	rules Rules
	ns    nsTable
	log   log

	// Per identity ordinal: a plain union-find. state is 0 for an ordinal
	// in no record (never linked, or erased). At a member that is not a
	// root, parent is its parent; at a root, whose parent would be itself,
	// it holds one record of the component's circular list (None if none),
	// and state holds the root's rank.
	parent []uint32
	state  []uint8
	nsOf   []uint16 // namespace
	erased []uint64 // bit set of erased ordinals

	recNext []uint32 // per record: next record of its component, None if detached

	// Changes since the last Resolve.
	pendRecs   []uint32 // records appended
	pendIDs    []uint32 // identities whose components an erasure rebuilt
	pendErased []uint32 // erased identities that were in the graph

	view    *View
	res     resolver
	acct    acctState
	scratch int8 // scratchAuto, or a mode tests force
}

// Bits of Graph.state.
const (
	inGraph  = 0x80
	isRoot   = 0x40
	rankMask = 0x3f // union by rank: at most log2 of the ordinals
)

// New returns an empty graph resolving under r.
func New(r Rules) *Graph {
	g := &Graph{rules: r, ns: newNSTable(r)}
	g.rules.Unique = slices.Clone(r.Unique)
	g.view = &View{}
	g.res.g = g
	return g
}

// Len returns the number of records in the log.
func (g *Graph) Len() int { return g.log.len() }

// Contains reports whether ord is in some record of the graph.
func (g *Graph) Contains(ord uint32) bool {
	return ord < uint32(len(g.state)) && g.state[ord] != 0
}

// Erased reports whether ord was erased.
func (g *Graph) Erased(ord uint32) bool {
	w := ord >> 6
	return w < uint32(len(g.erased)) && g.erased[w]&(1<<(ord&63)) != 0
}

// Namespace returns the namespace ord was linked with, if it is in the graph.
func (g *Graph) Namespace(ord uint32) (uint16, bool) {
	if !g.Contains(ord) {
		return 0, false
	}
	return g.nsOf[ord], true
}

// Records returns a snapshot of the log.
func (g *Graph) Records() Records { return g.log.snapshot() }

// Order sorts a record's identities into join order (priority, then
// canonical order) and removes duplicates, keeping nss parallel to ords. It
// returns the new length. Every namespace in nss is registered.
func (g *Graph) Order(ords []uint32, nss []uint16) int {
	n := len(ords)
	for i := range n {
		g.ns.see(nss[i])
	}
	// Insertion sort: records are short.
	for i := 1; i < n; i++ {
		o, s := ords[i], nss[i]
		j := i
		for j > 0 && g.less(o, s, ords[j-1], nss[j-1]) {
			ords[j], nss[j] = ords[j-1], nss[j-1]
			j--
		}
		ords[j], nss[j] = o, s
	}
	w := 0
	for i := range n {
		if w > 0 && ords[w-1] == ords[i] {
			continue
		}
		ords[w], nss[w] = ords[i], nss[i]
		w++
	}
	return w
}

// less orders identities by priority rank, then canonically.
func (g *Graph) less(a uint32, na uint16, b uint32, nb uint16) bool {
	if a == b {
		return false
	}
	ra, rb := g.ns.rankOf(na), g.ns.rankOf(nb)
	if ra != rb {
		return ra < rb
	}
	return g.compareID(a, b) < 0
}

func (g *Graph) compareID(a, b uint32) int {
	if g.rules.CompareID == nil {
		if a < b {
			return -1
		}
		return 1
	}
	return g.rules.CompareID(a, b)
}

// Append adds a record. ords must be in join order without duplicates (see
// Order), nss their namespaces, and len(ords) <= MaxRecordLen. Erased
// identities are dropped from the record; it returns how many were dropped.
// A record left with no identity is not stored. If the log cannot hold the
// record (about 2^32 entries or records), Append changes nothing and returns
// ErrFull.
func (g *Graph) Append(at int64, ords []uint32, nss []uint16) (dropped int, err error) {
	for _, o := range ords {
		if g.Erased(o) {
			dropped++
		}
	}
	if len(ords) > dropped && !g.log.room(len(ords)-dropped) {
		return 0, ErrFull
	}
	if dropped > 0 {
		keepO := make([]uint32, 0, len(ords))
		keepN := make([]uint16, 0, len(ords))
		for i, o := range ords {
			if !g.Erased(o) {
				keepO = append(keepO, o)
				keepN = append(keepN, nss[i])
			}
		}
		ords, nss = keepO, keepN
	}
	if len(ords) == 0 {
		return dropped, nil
	}
	g.grow(slices.Max(ords))
	for i, o := range ords {
		if g.state[o] == 0 {
			g.parent[o] = None // no record yet
			g.state[o] = inGraph | isRoot
			g.nsOf[o] = nss[i]
			g.ns.see(nss[i])
		}
	}
	rec := g.log.append(at, ords)
	g.recNext = append(g.recNext, None)
	g.attach(rec, ords)
	g.pendRecs = append(g.pendRecs, rec)
	return dropped, nil
}

// Reserve makes room for records more records holding entries identities
// in all, with ordinals up to maxOrd, so that a bulk load appends without
// growing its arrays step by step.
func (g *Graph) Reserve(records, entries int, maxOrd uint32) {
	if records <= 0 {
		return
	}
	l := &g.log
	l.at = slices.Grow(l.at, records)
	l.start = slices.Grow(l.start, records)
	g.recNext = slices.Grow(g.recNext, records)
	g.pendRecs = slices.Grow(g.pendRecs, records)
	if c := len(l.chunks) - 1; c >= 0 && cap(l.chunks[c]) < chunkSize && len(l.chunks[c])+entries > cap(l.chunks[c]) {
		l.chunks[c] = slices.Grow(l.chunks[c], min(chunkSize, len(l.chunks[c])+entries)-len(l.chunks[c]))
	}
	if maxOrd != None {
		g.grow(maxOrd)
	}
}

// grow makes the per-identity arrays cover ord. They grow by a quarter, not
// double: they are most of the graph's memory, and a bulk load reserves
// their final size in a few steps anyway.
func (g *Graph) grow(ord uint32) {
	if int(ord) < len(g.parent) {
		return
	}
	n := int(ord) + 1
	if n > cap(g.parent) {
		n = max(n, len(g.parent)+len(g.parent)/4, 1024)
	}
	g.parent = extend(g.parent, n, None)
	g.state = extend(g.state, n, 0)
	g.nsOf = extend(g.nsOf, n, 0)
}

// extend returns s lengthened to n, the new entries set to fill: in s's
// array if it has room, else in a new array of exactly n entries.
func extend[T uint8 | uint16 | uint32](s []T, n int, fill T) []T {
	if n <= cap(s) {
		m := len(s)
		s = s[:n]
		for i := m; i < n; i++ {
			s[i] = fill
		}
		return s
	}
	t := make([]T, n)
	copy(t, s)
	if fill != 0 {
		for i := len(s); i < n; i++ {
			t[i] = fill
		}
	}
	return t
}

// trim gives back the room the arrays grew into beyond what they hold, when
// it is more than a sixteenth of them, keeping a thirty-second for the
// records that follow. Resolve calls it after a big pass: the graph is
// likely to stay about that size for a while, its arrays are most of its
// memory, and the next small batch should not copy them all.
func (g *Graph) trim() {
	n := len(g.state)
	for n > 0 && g.state[n-1] == 0 {
		n-- // ordinals past the last one in the graph need no entries
	}
	g.parent = shrink(g.parent, n)
	g.state = shrink(g.state, n)
	g.nsOf = shrink(g.nsOf, n)
	l := &g.log
	l.at = shrink(l.at, len(l.at))
	l.start = shrink(l.start, len(l.start))
	g.recNext = shrink(g.recNext, len(g.recNext))
}

// shrink returns s[:n], in an array of n+n/32 entries if s's has more than
// n/16 spare.
func shrink[T any](s []T, n int) []T {
	if cap(s)-n <= n/16 {
		return s[:n]
	}
	return append(make([]T, 0, n+n/32), s[:n]...)
}

// attach unions the identities of record rec and puts it on its component's
// record list.
func (g *Graph) attach(rec uint32, ords []uint32) {
	r0 := g.find(ords[0])
	for _, o := range ords[1:] {
		r := g.find(o)
		if r != r0 {
			r0 = g.union(r0, r)
		}
	}
	if h := g.parent[r0]; h == None {
		g.parent[r0] = rec
		g.recNext[rec] = rec
	} else {
		g.recNext[rec] = g.recNext[h]
		g.recNext[h] = rec
	}
}

func (g *Graph) find(x uint32) uint32 {
	p, st := g.parent, g.state
	for st[x]&isRoot == 0 {
		px := p[x]
		if st[px]&isRoot != 0 {
			return px
		}
		p[x] = p[px] // path halving
		x = p[x]
	}
	return x
}

// union merges two distinct roots and returns the new root.
func (g *Graph) union(a, b uint32) uint32 {
	ra, rb := g.state[a]&rankMask, g.state[b]&rankMask
	if ra < rb {
		a, b = b, a
	}
	ha, hb := g.parent[a], g.parent[b]
	g.parent[b] = a
	g.state[b] = inGraph
	if ra == rb {
		g.state[a]++
	}
	switch {
	case ha == None:
		g.parent[a] = hb
	case hb != None:
		// Splice the two circular lists.
		g.recNext[ha], g.recNext[hb] = g.recNext[hb], g.recNext[ha]
	}
	return a
}

// component calls f for each record of ord's plain component.
func (g *Graph) component(root uint32, f func(rec uint32)) {
	h := g.parent[root]
	if h == None {
		return
	}
	r := h
	for {
		f(r)
		r = g.recNext[r]
		if r == h {
			return
		}
	}
}

// Erase removes the identities ords from every record and rebuilds the plain
// components that held them; a component may split. Erased ordinals never
// come back: Append drops them. The next Resolve re-resolves the affected
// components. Ordinals not in the graph are only marked erased.
func (g *Graph) Erase(ords []uint32) {
	var roots []uint32
	for _, o := range ords {
		if g.Erased(o) {
			continue
		}
		if g.Contains(o) {
			roots = append(roots, g.find(o))
		}
		w := int(o >> 6)
		for len(g.erased) <= w {
			g.erased = append(g.erased, 0)
		}
		g.erased[w] |= 1 << (o & 63)
	}
	if len(roots) == 0 {
		return
	}
	slices.Sort(roots)
	roots = slices.Compact(roots)

	var recs, members []uint32
	for _, r := range roots {
		g.component(r, func(rec uint32) { recs = append(recs, rec) })
	}
	copied := map[uint32]bool{}
	seen := map[uint32]bool{}
	for _, rec := range recs {
		// Collect members before dropping the erased ones.
		for _, o := range g.log.record(rec) {
			if !seen[o] {
				seen[o] = true
				members = append(members, o)
			}
		}
		full := g.log.rewrite(rec, copied)
		w := 0
		for _, o := range full {
			if o != None && !g.Erased(o) {
				full[w] = o
				w++
			}
		}
		for i := w; i < len(full); i++ {
			full[i] = None
		}
		g.recNext[rec] = None
	}
	for _, o := range members {
		g.parent[o] = None
		if g.Erased(o) {
			g.state[o] = 0
			g.pendErased = append(g.pendErased, o)
			continue
		}
		g.state[o] = inGraph | isRoot
		g.pendIDs = append(g.pendIDs, o)
	}
	for _, rec := range recs {
		if r := g.log.record(rec); len(r) > 0 {
			g.attach(rec, r)
		}
	}
}
