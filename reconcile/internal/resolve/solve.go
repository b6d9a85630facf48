package resolve

import (
	"cmp"
	"slices"
)

// crec is one record of a resolution input; locs[lo:hi] are its identities
// as local indices, in join order.
type crec struct {
	at     int64
	idx    uint32
	lo, hi uint32
}

// comp is one resolution input: the records of some components, with their
// identities numbered locally 0..n-1.
type comp struct {
	members []uint32 // ordinal by local index
	nss     []uint16 // namespace by local index
	oldProf []uint32 // profile number in the previous view by local index
	recs    []crec
	locs    []uint32
	// connected is true when the records form one plain component, which
	// allows the fast path.
	connected bool
}

func (c *comp) reset(connected bool) {
	c.members = c.members[:0]
	c.nss = c.nss[:0]
	c.oldProf = c.oldProf[:0]
	c.recs = c.recs[:0]
	c.locs = c.locs[:0]
	c.connected = connected
}

// resolver holds the scratch space of resolution, reused between components.
type resolver struct {
	g *Graph
	c comp

	// The identities gathered in the current pass: local index + 1 (or
	// None for an erased identity the pass removed), 0 if not gathered. A
	// big pass keeps them in an array over every ordinal (loc), a small one
	// in a map sized to what it touches (locm). end drops the array, so the
	// graph holds no scratch per ordinal between passes.
	dense bool
	loc   []uint32
	locm  map[uint32]uint32
	// filter has bit ord%filterBits set for each ordinal in locm, so that
	// most lookups of ordinals a small pass never noted (the old cuts,
	// first sightings) skip the map.
	filter *[filterBits / 64]uint64
	sim    map[uint32]uint32

	par, sz, slots []uint32 // union-find over local indices
	cnt            []uint32 // per unique slot

	// Output of solve: groups in CSR form over local indices.
	gStart []uint32
	gMem   []uint32
	gKey   []uint32
	cuts   []Cut
}

// denseShare picks the scratch of a pass: arrays over every ordinal when
// the pending changes number at least 1/denseShare of the ordinals, a map
// otherwise. Allocating and zeroing the arrays costs about as much as a map
// entry per denseShare ordinals.
const denseShare = 256

// Scratch modes of a graph; tests force one or the other.
const (
	scratchAuto = iota
	scratchDense
	scratchSparse
)

// useDense reports whether a pass with work pending changes takes the
// dense scratch.
func (g *Graph) useDense(work int) bool {
	switch g.scratch {
	case scratchDense:
		return true
	case scratchSparse:
		return false
	}
	return work*denseShare >= len(g.parent)
}

const filterBits = 1 << 16

// keepScratch is the most entries a scratch slice or map keeps between
// passes; bigger ones are dropped at the end of a pass.
const keepScratch = 1 << 14

// begin starts a pass over the graph's current ordinals.
func (r *resolver) begin(dense bool) {
	r.dense = dense
	if dense {
		r.loc = make([]uint32, len(r.g.parent))
	} else {
		if r.locm == nil {
			r.locm = map[uint32]uint32{}
			r.filter = new([filterBits / 64]uint64)
		}
		clear(r.locm)
		clear(r.filter[:])
	}
	r.sim = nil
}

// end finishes a pass, dropping the scratch not worth keeping.
func (r *resolver) end() {
	r.loc = nil
	if len(r.locm) > keepScratch {
		r.locm, r.filter = nil, nil
	} else {
		clear(r.locm)
	}
	r.sim = nil
	c := &r.c
	if cap(c.locs) > keepScratch || cap(c.members) > keepScratch || cap(c.recs) > keepScratch {
		r.c = comp{}
	}
	if cap(r.par) > keepScratch || cap(r.slots) > keepScratch || cap(r.gMem) > keepScratch || cap(r.gStart) > keepScratch {
		r.par, r.sz, r.slots, r.gStart, r.gMem, r.gKey = nil, nil, nil, nil, nil, nil
	}
	if cap(r.cuts) > keepScratch {
		r.cuts = nil
	}
}

// stamp returns what the pass noted for ord: local index + 1, None, or 0.
func (r *resolver) stamp(ord uint32) uint32 {
	if r.dense {
		if ord < uint32(len(r.loc)) {
			return r.loc[ord]
		}
		return 0
	}
	if r.filter[ord%filterBits/64]&(1<<(ord%64)) == 0 {
		return 0
	}
	return r.locm[ord]
}

// setStamp notes v (not 0) for ord, an ordinal of the graph.
func (r *resolver) setStamp(ord, v uint32) {
	if r.dense {
		r.loc[ord] = v
	} else {
		r.locm[ord] = v
		r.filter[ord%filterBits/64] |= 1 << (ord % 64)
	}
}

// seen reports whether the pass gathered or removed ord.
func (r *resolver) seen(ord uint32) bool { return r.stamp(ord) != 0 }

// localOf numbers ord in the current comp. ns is used for ordinals not in the
// graph (simulation only).
func (r *resolver) localOf(ord uint32, ns uint16) uint32 {
	g := r.g
	if g.Contains(ord) {
		if s := r.stamp(ord); s != 0 {
			return s - 1
		}
		l := uint32(len(r.c.members))
		r.setStamp(ord, l+1)
		r.add(ord, g.nsOf[ord])
		return l
	}
	if l, ok := r.sim[ord]; ok {
		return l
	}
	if r.sim == nil {
		r.sim = map[uint32]uint32{}
	}
	l := uint32(len(r.c.members))
	r.sim[ord] = l
	r.add(ord, ns)
	return l
}

func (r *resolver) add(ord uint32, ns uint16) {
	r.c.members = append(r.c.members, ord)
	r.c.nss = append(r.c.nss, ns)
}

// addRecord adds record idx with identities ords (join order) to the comp.
func (r *resolver) addRecord(idx uint32, at int64, ords []uint32, nss []uint16) {
	lo := uint32(len(r.c.locs))
	for i, o := range ords {
		var ns uint16
		if nss != nil {
			ns = nss[i]
		}
		r.c.locs = append(r.c.locs, r.localOf(o, ns))
	}
	r.c.recs = append(r.c.recs, crec{at: at, idx: idx, lo: lo, hi: uint32(len(r.c.locs))})
}

// gather adds every record of the plain component rooted at root.
func (r *resolver) gather(root uint32) {
	l := &r.g.log
	r.g.component(root, func(rec uint32) {
		r.addRecord(rec, l.at[rec], l.record(rec), nil)
	})
}

// cmpLocal orders two local identities by priority, then canonically.
func (r *resolver) cmpLocal(a, b uint32) int {
	if a == b {
		return 0
	}
	t := &r.g.ns
	ra, rb := t.rankOf(r.c.nss[a]), t.rankOf(r.c.nss[b])
	if ra != rb {
		return cmp.Compare(ra, rb)
	}
	return r.g.compareID(r.c.members[a], r.c.members[b])
}

// cmpRec orders records for replay: newest first, then by their identities
// in join order, element by element (a prefix first).
func (r *resolver) cmpRec(a, b crec) int {
	if a.at != b.at {
		return cmp.Compare(b.at, a.at)
	}
	la, lb := r.c.locs[a.lo:a.hi], r.c.locs[b.lo:b.hi]
	for i := range min(len(la), len(lb)) {
		if c := r.cmpLocal(la[i], lb[i]); c != 0 {
			return c
		}
	}
	if c := cmp.Compare(len(la), len(lb)); c != 0 {
		return c
	}
	return cmp.Compare(a.idx, b.idx) // same content: order is immaterial
}

// solve resolves the current comp into groups and cuts (appended to r.cuts).
func (r *resolver) solve() {
	c := &r.c
	n := len(c.members)
	r.gStart = r.gStart[:0]
	r.gMem = r.gMem[:0]
	r.gKey = r.gKey[:0]
	if n == 0 {
		r.gStart = append(r.gStart, 0)
		return
	}
	g := r.g
	k := len(g.rules.Unique)
	limit := g.rules.MaxIdentities
	fast := c.connected && (limit <= 0 || n <= limit)
	if fast && k > 0 {
		r.cnt = append(r.cnt[:0], make([]uint32, k)...)
		for _, ns := range c.nss {
			if s := g.ns.slotOf(ns); s >= 0 {
				r.cnt[s]++
				if r.cnt[s] > 1 {
					fast = false
					break
				}
			}
		}
	}
	if fast {
		// No join can be cut: the profile is the whole component.
		r.gStart = append(r.gStart, 0)
		key := uint32(0)
		for l := range uint32(n) {
			r.gMem = append(r.gMem, l)
			if r.cmpLocal(l, key) < 0 {
				key = l
			}
		}
		r.gStart = append(r.gStart, uint32(n))
		r.gKey = append(r.gKey, key)
		return
	}
	r.replay(k, limit)
}

// replay is the slow path: union-find over the records, newest first.
func (r *resolver) replay(k, limit int) {
	c := &r.c
	g := r.g
	n := len(c.members)
	slices.SortFunc(c.recs, r.cmpRec)

	r.par = r.par[:0]
	r.sz = r.sz[:0]
	r.slots = r.slots[:0]
	for l := range uint32(n) {
		r.par = append(r.par, l)
		r.sz = append(r.sz, 1)
		s := int32(-1)
		if k > 0 {
			s = g.ns.slotOf(c.nss[l])
		}
		for i := range int32(k) {
			if i == s {
				r.slots = append(r.slots, l)
			} else {
				r.slots = append(r.slots, None)
			}
		}
	}
	find := func(x uint32) uint32 {
		for r.par[x] != x {
			r.par[x] = r.par[r.par[x]]
			x = r.par[x]
		}
		return x
	}
	for _, rc := range c.recs {
		ls := c.locs[rc.lo:rc.hi]
		if len(ls) == 0 {
			continue
		}
		var ords []uint32 // the record's ordinals, made once if it has a cut
		r0 := find(ls[0])
		for _, x := range ls[1:] {
			rx := find(x)
			if rx == r0 {
				continue
			}
			rule, ns := Rule(0), uint16(0)
			for s := range k {
				if r.slots[int(r0)*k+s] != None && r.slots[int(rx)*k+s] != None {
					rule, ns = RuleUnique, g.rules.Unique[s]
					break
				}
			}
			if rule == 0 && limit > 0 && int(r.sz[r0]+r.sz[rx]) > limit {
				rule = RuleMaxIdentities
			}
			if rule != 0 {
				if ords == nil {
					ords = make([]uint32, len(ls))
					for i, l := range ls {
						ords[i] = c.members[l]
					}
				}
				r.cuts = append(r.cuts, Cut{Record: rc.idx, At: rc.at, Ords: ords, Ord: c.members[x], Rule: rule, NS: ns})
				continue
			}
			if r.sz[r0] < r.sz[rx] {
				r0, rx = rx, r0
			}
			r.par[rx] = r0
			r.sz[r0] += r.sz[rx]
			for s := range k {
				if i := int(r0)*k + s; r.slots[i] == None {
					r.slots[i] = r.slots[int(rx)*k+s]
				}
			}
		}
	}

	// Bucket the locals by root: counting sort into CSR.
	cnt := make([]uint32, n+1)
	for l := range uint32(n) {
		cnt[find(l)+1]++
	}
	// Groups in order of their root's local index.
	gi := make([]uint32, n) // group index of each root
	for l := range uint32(n) {
		if r.par[l] == l {
			gi[l] = uint32(len(r.gStart))
			r.gStart = append(r.gStart, 0)
		}
	}
	ng := len(r.gStart)
	r.gStart = r.gStart[:0]
	pos := uint32(0)
	for l := range uint32(n) {
		if r.par[l] == l {
			r.gStart = append(r.gStart, pos)
			pos += cnt[l+1]
		}
	}
	r.gStart = append(r.gStart, pos)
	fill := slices.Clone(r.gStart[:ng])
	r.gMem = append(r.gMem[:0], make([]uint32, n)...)
	for l := range uint32(n) {
		j := gi[find(l)]
		r.gMem[fill[j]] = l
		fill[j]++
	}
	for j := range ng {
		ms := r.gMem[r.gStart[j]:r.gStart[j+1]]
		key := ms[0]
		for _, l := range ms[1:] {
			if r.cmpLocal(l, key) < 0 {
				key = l
			}
		}
		r.gKey = append(r.gKey, key)
	}
}

// groups returns the number of groups of the last solve.
func (r *resolver) groups() int { return len(r.gKey) }

// group returns group j's local members and its key's local index.
func (r *resolver) group(j int) ([]uint32, uint32) {
	return r.gMem[r.gStart[j]:r.gStart[j+1]], r.gKey[j]
}
