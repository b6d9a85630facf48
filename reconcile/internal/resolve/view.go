package resolve

import (
	"math/bits"
	"slices"
)

// Views store two per-identity arrays (profile key, next member) in pages of
// pageSize entries; a view shares every page it did not change with the view
// before it. A nil page holds None everywhere. Pages are small (1 KiB) because
// an incremental view copies every page it writes: the identities a batch of
// records touches are scattered over the ordinals.
const (
	pageBits = 8
	pageSize = 1 << pageBits
	pageMask = pageSize - 1
)

type page [pageSize]uint32

// View is an immutable resolution: identity -> profile key, and the members
// of each profile as a circular list starting at its key. The zero View is
// empty. Safe for concurrent readers.
type View struct {
	key, next  []*page
	profiles   int
	identities int
	nsIDs      []int // by namespace: identities
	nsProfiles []int // by namespace: profiles with at least one identity of it
	cuts       []Cut
}

func get(t []*page, ord uint32) uint32 {
	p := ord >> pageBits
	if p >= uint32(len(t)) || t[p] == nil {
		return None
	}
	return t[p][ord&pageMask]
}

// Key returns the profile key of identity ord, or None if ord is in no profile.
func (v *View) Key(ord uint32) uint32 { return get(v.key, ord) }

// Next returns the member after ord in its profile's circular list (the key
// comes first), or None if ord is in no profile.
func (v *View) Next(ord uint32) uint32 { return get(v.next, ord) }

// Len returns the number of profiles.
func (v *View) Len() int { return v.profiles }

// Identities returns the number of identities in profiles.
func (v *View) Identities() int { return v.identities }

// Count returns how many identities of namespace ns the view holds, and how
// many profiles hold at least one of them.
func (v *View) Count(ns uint16) (identities, profiles int) {
	if int(ns) < len(v.nsIDs) {
		return v.nsIDs[ns], v.nsProfiles[ns]
	}
	return 0, 0
}

// Namespaces returns the namespaces with at least one identity, in numeric order.
func (v *View) Namespaces() []uint16 {
	var out []uint16
	for ns, n := range v.nsIDs {
		if n > 0 {
			out = append(out, uint16(ns))
		}
	}
	return out
}

// Cuts returns the cuts of this resolution, by record index then position.
// Shared: read only.
func (v *View) Cuts() []Cut { return v.cuts }

// Members calls f for each member of the profile keyed by key, key first,
// until f returns false.
func (v *View) Members(key uint32, f func(ord uint32) bool) {
	if v.Key(key) != key {
		return
	}
	m := key
	for {
		if !f(m) {
			return
		}
		m = v.Next(m)
		if m == key || m == None {
			return
		}
	}
}

// Delta says what one Resolve changed.
type Delta struct {
	// Removed holds the keys, in the previous view, of every profile this
	// resolution replaced (each may come back unchanged, see Changed).
	Removed []uint32
	// Added holds the keys of every profile this resolution wrote.
	Added []uint32
	// Changed holds, sorted, the keys of the previous view whose profile
	// changed: it lost or gained members, got another key, split or vanished.
	Changed []uint32
}

// builder writes a new view over an old one, copying pages on first write.
type builder struct {
	v               *View
	ownKey, ownNext []bool
}

func (b *builder) set(ord, key, next uint32) {
	b.setKey(ord, key)
	b.setNext(ord, next)
}

func (b *builder) setKey(ord, key uint32) {
	p := b.page(ord)
	own(b.v.key, b.ownKey, p)[ord&pageMask] = key
}

func (b *builder) setNext(ord, next uint32) {
	p := b.page(ord)
	own(b.v.next, b.ownNext, p)[ord&pageMask] = next
}

// page returns the page of ord, growing the tables to hold it.
func (b *builder) page(ord uint32) int {
	p := int(ord >> pageBits)
	if p >= len(b.ownKey) {
		for len(b.v.key) <= p {
			b.v.key = append(b.v.key, nil)
			b.v.next = append(b.v.next, nil)
		}
		for len(b.ownKey) < len(b.v.key) {
			b.ownKey = append(b.ownKey, false)
			b.ownNext = append(b.ownNext, false)
		}
	}
	return p
}

func own(t []*page, owned []bool, p int) *page {
	if !owned[p] {
		np := new(page)
		if t[p] != nil {
			*np = *t[p]
		} else {
			for i := range np {
				np[i] = None
			}
		}
		t[p] = np
		owned[p] = true
	}
	return t[p]
}

// addNS adds d to the namespace counters of ns.
func addNS(s *[]int, ns uint16, d int) {
	for len(*s) <= int(ns) {
		*s = append(*s, 0)
	}
	(*s)[ns] += d
}

// View returns the last resolved view.
func (g *Graph) View() *View { return g.view }

// Dirty reports whether records or erasures are waiting for Resolve.
func (g *Graph) Dirty() bool {
	return len(g.pendRecs)+len(g.pendIDs)+len(g.pendErased) > 0
}

// Resolve brings the view up to date with the log, re-resolving only the
// components touched since the last Resolve, and returns it with what
// changed. With nothing to do it returns the last view and an empty Delta.
func (g *Graph) Resolve() (*View, Delta) {
	if !g.Dirty() {
		return g.view, Delta{}
	}
	r := &g.res
	all := g.view.identities == 0 && len(g.ns.seen) <= 32
	dense := g.useDense(len(g.pendRecs) + len(g.pendIDs) + len(g.pendErased))
	r.begin(dense)
	defer r.end()
	old := g.view
	v := &View{
		key:        slices.Clone(old.key),
		next:       slices.Clone(old.next),
		profiles:   old.profiles,
		identities: old.identities,
		nsIDs:      slices.Clone(old.nsIDs),
		nsProfiles: slices.Clone(old.nsProfiles),
	}
	b := &builder{v: v}
	// The first pass subtracts no old profile: its accounting stays empty.
	a := accounting{g: g, r: r, old: old, v: v}
	a.begin(dense && !all)
	defer a.end()
	var d Delta

	for _, e := range g.pendErased {
		if r.seen(e) {
			continue
		}
		r.setStamp(e, None)
		a.oldProfile(old.Key(e), &d)
		b.set(e, None, None)
	}
	r.cuts = r.cuts[:0]
	visit := func(ord uint32) {
		if !g.Contains(ord) {
			return
		}
		root := g.find(ord)
		if r.seen(root) {
			return // component done
		}
		r.c.reset(true)
		r.gather(root)
		for _, m := range r.c.members {
			k := old.Key(m)
			r.c.oldKey = append(r.c.oldKey, k)
			a.oldProfile(k, &d)
		}
		r.solve()
		for j := range r.groups() {
			a.write(b, j, &d)
		}
	}
	if all {
		// Every component is new: sweep the ordinals instead of walking
		// the components one by one.
		g.resolveAll(b, &a, &d, visit)
	} else {
		for _, rec := range g.pendRecs {
			if ords := g.log.record(rec); len(ords) > 0 {
				visit(ords[0])
			}
		}
		for _, o := range g.pendIDs {
			visit(o)
		}
	}

	// Keep the old cuts of components not re-resolved (in order), and merge
	// in the new ones.
	slices.SortFunc(r.cuts, cmpCut)
	v.cuts = make([]Cut, 0, len(old.cuts)+len(r.cuts))
	nc := r.cuts
	for _, c := range old.cuts {
		if r.seen(c.Ord) {
			continue
		}
		for len(nc) > 0 && cmpCut(nc[0], c) < 0 {
			v.cuts = append(v.cuts, nc[0])
			nc = nc[1:]
		}
		v.cuts = append(v.cuts, c)
	}
	v.cuts = append(v.cuts, nc...)

	for _, k := range d.Removed {
		if m, _ := a.get(k); m != kept {
			d.Changed = append(d.Changed, k)
		}
	}
	slices.Sort(d.Changed)

	g.view = v
	if dense {
		g.trim()
	}
	g.pendRecs = truncate(g.pendRecs)
	g.pendIDs = truncate(g.pendIDs)
	g.pendErased = truncate(g.pendErased)
	return v, d
}

func cmpCut(a, b Cut) int {
	if a.Record != b.Record {
		if a.Record < b.Record {
			return -1
		}
		return 1
	}
	return slices.Index(a.Ords, a.Ord) - slices.Index(b.Ords, b.Ord)
}

// truncate empties s, keeping its memory unless it is big.
func truncate(s []uint32) []uint32 {
	if cap(s) > keepScratch {
		return nil
	}
	return s[:0]
}

// acctState is the scratch space of accounting kept between passes.
type acctState struct {
	nsStamp []uint32
	stamp   uint32
	m       map[uint32]acctMark
}

// acctMark is what accounting notes for a key of the old view.
type acctMark struct{ mark, size uint32 }

// Marks of old keys in a pass: 0 untouched, subtracted once its profile was
// subtracted, kept once a new profile equal to it was written.
const (
	subtracted = 1
	kept       = 2
)

// accounting moves the counters of a view from the profiles it replaces to
// the profiles it writes, and finds which profiles really changed.
type accounting struct {
	g      *Graph
	r      *resolver
	old, v *View
	// For keys of the old view: the mark and the size of its profile, in
	// arrays over every ordinal for a big pass, in a map for a small one.
	dense   bool
	oldMark []uint32
	oldSize []uint32
	m       map[uint32]acctMark
	nsStamp []uint32 // by namespace: profile stamp, to count distinct namespaces
	stamp   uint32
}

func (a *accounting) begin(dense bool) {
	g := a.g
	a.dense = dense
	if dense {
		n := len(g.parent)
		a.oldMark = make([]uint32, n)
		a.oldSize = make([]uint32, n)
	} else {
		if g.acct.m == nil {
			g.acct.m = map[uint32]acctMark{}
		}
		a.m = g.acct.m
	}
	a.nsStamp, a.stamp = g.acct.nsStamp, g.acct.stamp
	if a.nsStamp == nil {
		a.nsStamp = make([]uint32, 1<<16)
		g.acct.nsStamp = a.nsStamp
	}
}

// end drops the pass's marks.
func (a *accounting) end() {
	if len(a.g.acct.m) > keepScratch {
		a.g.acct.m = nil
	} else {
		clear(a.g.acct.m)
	}
}

// get returns the mark and the profile size noted for old key k.
func (a *accounting) get(k uint32) (mark, size uint32) {
	if a.dense {
		return a.oldMark[k], a.oldSize[k]
	}
	e := a.m[k]
	return e.mark, e.size
}

func (a *accounting) put(k, mark, size uint32) {
	if a.dense {
		a.oldMark[k], a.oldSize[k] = mark, size
	} else {
		a.m[k] = acctMark{mark, size}
	}
}

// newProfile starts counting the distinct namespaces of one profile.
func (a *accounting) newProfile() {
	a.stamp++
	if a.stamp == 0 {
		clear(a.nsStamp)
		a.stamp = 1
	}
	a.g.acct.stamp = a.stamp
}

// oldProfile subtracts the old profile keyed by k, once.
func (a *accounting) oldProfile(k uint32, d *Delta) {
	if k == None {
		return
	}
	if m, _ := a.get(k); m != 0 {
		return
	}
	d.Removed = append(d.Removed, k)
	a.newProfile()
	n := uint32(0)
	a.old.Members(k, func(m uint32) bool {
		n++
		ns := a.g.nsOf[m]
		addNS(&a.v.nsIDs, ns, -1)
		if a.nsStamp[ns] != a.stamp {
			a.nsStamp[ns] = a.stamp
			addNS(&a.v.nsProfiles, ns, -1)
		}
		return true
	})
	a.put(k, subtracted, n)
	a.v.identities -= int(n)
	a.v.profiles--
}

// write stores group j of the last solve in the new view.
func (a *accounting) write(b *builder, j int, d *Delta) {
	r := a.r
	ms, kl := r.group(j)
	key := r.c.members[kl]
	a.newProfile()
	same := r.c.oldKey[kl] == key
	var mark, size uint32
	if same {
		mark, size = a.get(key)
		same = size == uint32(len(ms))
	}
	prev := key
	for _, l := range ms {
		if l == kl {
			continue
		}
		m := r.c.members[l]
		b.set(prev, key, m)
		prev = m
		if r.c.oldKey[l] != key {
			same = false
		}
	}
	b.set(prev, key, key)
	for _, l := range ms {
		ns := r.c.nss[l]
		addNS(&a.v.nsIDs, ns, 1)
		if a.nsStamp[ns] != a.stamp {
			a.nsStamp[ns] = a.stamp
			addNS(&a.v.nsProfiles, ns, 1)
		}
	}
	a.v.identities += len(ms)
	a.v.profiles++
	d.Added = append(d.Added, key)
	if same && mark == subtracted {
		a.put(key, kept, size)
	}
}

// resolveAll resolves every component when the previous view is empty. Two
// sweeps over the ordinals find, for each plain component, its key and
// whether a rule could cut a join in it; the components no rule can touch
// become profiles as they are (their members linked in ordinal order), the
// others go to visit, the general path.
func (g *Graph) resolveAll(b *builder, a *accounting, d *Delta, visit func(uint32)) {
	n := uint32(len(g.parent))
	k := uint32(len(g.rules.Unique))
	limit := g.rules.MaxIdentities
	best := make([]uint32, n) // at roots: the key so far
	cyc := make([]uint32, n)  // at roots: a member of the profile's circular list
	mask := make([]uint32, n) // at roots: the namespaces present, by rank
	slow := make([]uint64, (n+63)/64)
	var size []uint32 // at roots: the identities, for MaxIdentities
	if limit > 0 {
		size = make([]uint32, n)
	}
	var uniq []uint32 // at roots: the identity of each unique slot
	if k > 0 {
		uniq = make([]uint32, n*k)
		for i := range uniq {
			uniq[i] = None
		}
	}
	t := &g.ns
	less := func(x, y uint32) bool {
		rx, ry := t.rankOf(g.nsOf[x]), t.rankOf(g.nsOf[y])
		if rx != ry {
			return rx < ry
		}
		return g.compareID(x, y) < 0
	}
	for o := range n {
		best[o], cyc[o] = None, None
	}
	for o := range n {
		if g.state[o] == 0 {
			continue
		}
		rt := g.find(o)
		if size != nil {
			size[rt]++
		}
		if best[rt] == None || less(o, best[rt]) {
			best[rt] = o
		}
		ns := g.nsOf[o]
		mask[rt] |= 1 << t.rankOf(ns)
		if s := t.slotOf(ns); s >= 0 {
			u := &uniq[rt*k+uint32(s)]
			if *u == None {
				*u = o
			} else {
				slow[rt/64] |= 1 << (rt % 64)
			}
		}
	}
	isSlow := func(rt uint32) bool {
		return slow[rt/64]&(1<<(rt%64)) != 0 || limit > 0 && size[rt] > uint32(limit)
	}
	for o := range n {
		if g.state[o] == 0 {
			continue
		}
		rt := g.find(o)
		if isSlow(rt) {
			continue
		}
		key := best[rt]
		b.setKey(o, key)
		if cyc[rt] == None { // the first member starts the list
			cyc[rt] = o
			b.setNext(o, o)
		} else {
			h := cyc[rt]
			b.setNext(o, get(b.v.next, h))
			b.setNext(h, o)
		}
		a.v.nsIDs = addNSCount(a.v.nsIDs, g.nsOf[o])
		a.v.identities++
	}
	for o := range n {
		if g.state[o]&isRoot == 0 || isSlow(o) {
			continue
		}
		a.v.profiles++
		d.Added = append(d.Added, best[o])
		for m := mask[o]; m != 0; m &= m - 1 {
			rank := bits.TrailingZeros32(m)
			ns := t.seen[rank]
			addNS(&a.v.nsProfiles, ns, 1)
		}
	}
	for o := range n {
		if g.state[o]&isRoot != 0 && isSlow(o) {
			visit(o)
		}
	}
}

func addNSCount(s []int, ns uint16) []int {
	if int(ns) >= len(s) {
		s = append(s, make([]int, int(ns)+1-len(s))...)
	}
	s[ns]++
	return s
}
