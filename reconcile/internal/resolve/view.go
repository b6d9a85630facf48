package resolve

import (
	"math/bits"
	"slices"
)

// Views store per-identity arrays (profile number, next member) and a
// per-number array (key identity) in pages of pageSize entries; a view
// shares every page it did not change with the view before it. A nil page
// holds None everywhere. Pages are small (1 KiB) because an incremental view
// copies every page it writes: the identities a batch of records touches are
// scattered over the ordinals.
const (
	pageBits = 8
	pageSize = 1 << pageBits
	pageMask = pageSize - 1
)

type page [pageSize]uint32

// View is an immutable resolution: identity -> profile number, profile
// number -> key identity, and the members of each profile as a circular list
// starting at its key. The zero View is empty. Safe for concurrent readers.
//
// Profiles are numbered densely and stably. A resolution from an empty view
// numbers its profiles 0..P-1 in increasing key ordinal. A later resolution
// keeps the number of every profile whose key identity was the key of a
// profile before (the profile may have gained or lost members), and hands
// the others fresh numbers from Numbers() up. A number whose profile is gone
// (merged into another, its key moved to another profile or erased) dies and
// is never handed out again by this Graph: Key still gives its last key, so
// that an audience of old numbers can follow its key identity (see Project
// in package reconcile).
type View struct {
	prof, next []*page // by identity
	key        []*page // by number: the key identity, the last one if dead
	n          uint32  // numbers handed out: 0..n-1
	deaths     uint64  // numbers that died, in all
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

// Profile returns the number of the profile of identity ord, or None if ord
// is in no profile.
func (v *View) Profile(ord uint32) uint32 { return get(v.prof, ord) }

// Key returns the key identity of profile number p: its key if p is live,
// the key it had when it died otherwise, and None if p was never handed out.
func (v *View) Key(p uint32) uint32 {
	if p >= v.n {
		return None
	}
	return get(v.key, p)
}

// KeyOf returns the key identity of the profile of identity ord, or None if
// ord is in no profile.
func (v *View) KeyOf(ord uint32) uint32 {
	if p := v.Profile(ord); p != None {
		return get(v.key, p)
	}
	return None
}

// Live reports whether p is the number of a profile of the view.
func (v *View) Live(p uint32) bool {
	return p < v.n && get(v.prof, get(v.key, p)) == p
}

// Numbers returns how many profile numbers were handed out up to this view:
// every number is below it, and Numbers() - Len() of them are dead.
func (v *View) Numbers() uint32 { return v.n }

// Deaths returns how many numbers died up to this view, in all. Two views of
// one Graph with the same count have the same dead numbers below the
// smaller Numbers().
func (v *View) Deaths() uint64 { return v.deaths }

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

// Members calls f for each member of profile p, its key first, until f
// returns false. It calls nothing if p is not live.
func (v *View) Members(p uint32, f func(ord uint32) bool) {
	if p >= v.n {
		return
	}
	key := get(v.key, p)
	if get(v.prof, key) != p {
		return // dead
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

// Delta says what one Resolve changed, in profile numbers.
type Delta struct {
	// Born holds, in increasing order, the numbers handed out by this
	// resolution: old.Numbers() up to new.Numbers()-1. Every one is live.
	Born []uint32
	// Died holds, sorted, the numbers of the previous view that are not
	// live in the new one: merged into another profile, or whose key
	// identity moved to another profile or was erased.
	Died []uint32
	// Changed holds, sorted, the numbers of the previous view whose profile
	// changed: it lost or gained members, split, or died. Died is a subset.
	Changed []uint32
}

// builder writes a new view over an old one, copying pages on first write.
type builder struct {
	v                        *View
	ownProf, ownNext, ownKey []bool
}

func (b *builder) set(ord, p, next uint32) {
	b.setProf(ord, p)
	b.setNext(ord, next)
}

func (b *builder) setProf(ord, p uint32) {
	pg := b.page(ord)
	own(b.v.prof, b.ownProf, pg)[ord&pageMask] = p
}

func (b *builder) setNext(ord, next uint32) {
	pg := b.page(ord)
	own(b.v.next, b.ownNext, pg)[ord&pageMask] = next
}

// fresh hands out the next number, for a profile keyed by key.
func (b *builder) fresh(key uint32) uint32 {
	p := b.v.n
	b.v.n++
	pg := int(p >> pageBits)
	for len(b.v.key) <= pg {
		b.v.key = append(b.v.key, nil)
	}
	for len(b.ownKey) < len(b.v.key) {
		b.ownKey = append(b.ownKey, false)
	}
	own(b.v.key, b.ownKey, pg)[p&pageMask] = key
	return p
}

// page returns the page of ord, growing the identity tables to hold it.
func (b *builder) page(ord uint32) int {
	p := int(ord >> pageBits)
	if p >= len(b.ownProf) {
		for len(b.v.prof) <= p {
			b.v.prof = append(b.v.prof, nil)
			b.v.next = append(b.v.next, nil)
		}
		for len(b.ownProf) < len(b.v.prof) {
			b.ownProf = append(b.ownProf, false)
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

// sortByKey renumbers the profiles of a view built from an empty one so
// that their numbers increase with their key ordinals. Every page of the
// view is the builder's own. The numbers usually come mostly sorted (a full
// build numbers the plain components in key order, then the others): it
// sorts the tail after the longest sorted prefix and merges the two.
func (b *builder) sortByKey() {
	v := b.v
	n := int(v.n)
	kn := make([]uint64, n) // key<<32 | number
	cut := n
	for p := range n {
		kn[p] = uint64(get(v.key, uint32(p)))<<32 | uint64(p)
		if p > 0 && cut == n && kn[p] < kn[p-1] {
			cut = p
		}
	}
	if cut == n {
		return
	}
	tail := kn[cut:]
	slices.Sort(tail)
	merged := make([]uint64, 0, n)
	head := kn[:cut]
	for len(head) > 0 && len(tail) > 0 {
		if head[0] < tail[0] {
			merged = append(merged, head[0])
			head = head[1:]
		} else {
			merged = append(merged, tail[0])
			tail = tail[1:]
		}
	}
	merged = append(append(merged, head...), tail...)
	newOf := make([]uint32, n)
	for q, x := range merged {
		newOf[uint32(x)] = uint32(q)
		own(v.key, b.ownKey, q>>pageBits)[q&pageMask] = uint32(x >> 32)
	}
	for i, pg := range v.prof {
		if pg == nil {
			continue
		}
		pg = own(v.prof, b.ownProf, i)
		for j, x := range pg {
			if x != None {
				pg[j] = newOf[x]
			}
		}
	}
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
		prof:       slices.Clone(old.prof),
		next:       slices.Clone(old.next),
		key:        slices.Clone(old.key),
		n:          old.n,
		deaths:     old.deaths,
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

	for _, e := range g.pendErased {
		if r.seen(e) {
			continue
		}
		r.setStamp(e, None)
		a.oldProfile(old.Profile(e))
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
			p := old.Profile(m)
			r.c.oldProf = append(r.c.oldProf, p)
			a.oldProfile(p)
		}
		r.solve()
		for j := range r.groups() {
			a.write(b, j)
		}
	}
	if all {
		// Every component is new: sweep the ordinals instead of walking
		// the components one by one.
		g.resolveAll(b, &a, visit)
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

	var d Delta
	for _, p := range a.sub {
		switch m, _ := a.get(p); m {
		case subtracted:
			d.Died = append(d.Died, p)
			d.Changed = append(d.Changed, p)
		case claimed:
			d.Changed = append(d.Changed, p)
		}
	}
	slices.Sort(d.Died)
	slices.Sort(d.Changed)
	v.deaths += uint64(len(d.Died))
	if old.n == 0 {
		b.sortByKey()
	}
	if v.n > old.n {
		d.Born = make([]uint32, 0, v.n-old.n)
		for p := old.n; p < v.n; p++ {
			d.Born = append(d.Born, p)
		}
	}

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
	sub     []uint32
}

// acctMark is what accounting notes for a number of the old view.
type acctMark struct{ mark, size uint32 }

// Marks of old numbers in a pass: 0 untouched, subtracted once its profile
// was subtracted, claimed once a new profile with the same key took the
// number, kept once a new profile equal to the old one took it. A number
// left subtracted at the end of the pass died.
const (
	subtracted = 1
	kept       = 2
	claimed    = 3
)

// accounting moves the counters of a view from the profiles it replaces to
// the profiles it writes, numbers the profiles it writes, and finds which
// profiles really changed.
type accounting struct {
	g      *Graph
	r      *resolver
	old, v *View
	// For numbers of the old view: the mark and the size of its profile, in
	// arrays over every old number for a big pass, in a map for a small
	// one.
	dense   bool
	oldMark []uint32
	oldSize []uint32
	m       map[uint32]acctMark
	sub     []uint32 // the old numbers subtracted, in order
	nsStamp []uint32 // by namespace: profile stamp, to count distinct namespaces
	stamp   uint32
}

func (a *accounting) begin(dense bool) {
	g := a.g
	a.dense = dense
	if dense {
		n := a.old.n
		a.oldMark = make([]uint32, n)
		a.oldSize = make([]uint32, n)
	} else {
		if g.acct.m == nil {
			g.acct.m = map[uint32]acctMark{}
		}
		a.m = g.acct.m
	}
	a.sub = g.acct.sub[:0]
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
	if cap(a.sub) > keepScratch {
		a.g.acct.sub = nil
	} else {
		a.g.acct.sub = a.sub[:0]
	}
}

// get returns the mark and the profile size noted for old number p.
func (a *accounting) get(p uint32) (mark, size uint32) {
	if a.dense {
		return a.oldMark[p], a.oldSize[p]
	}
	e := a.m[p]
	return e.mark, e.size
}

func (a *accounting) put(p, mark, size uint32) {
	if a.dense {
		a.oldMark[p], a.oldSize[p] = mark, size
	} else {
		a.m[p] = acctMark{mark, size}
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

// oldProfile subtracts the old profile numbered p, once.
func (a *accounting) oldProfile(p uint32) {
	if p == None {
		return
	}
	if m, _ := a.get(p); m != 0 {
		return
	}
	a.sub = append(a.sub, p)
	a.newProfile()
	n := uint32(0)
	a.old.Members(p, func(m uint32) bool {
		n++
		ns := a.g.nsOf[m]
		addNS(&a.v.nsIDs, ns, -1)
		if a.nsStamp[ns] != a.stamp {
			a.nsStamp[ns] = a.stamp
			addNS(&a.v.nsProfiles, ns, -1)
		}
		return true
	})
	a.put(p, subtracted, n)
	a.v.identities -= int(n)
	a.v.profiles--
}

// write stores group j of the last solve in the new view. The group keeps
// the number of the old profile whose key is its key, if there is one, and
// takes a fresh number otherwise.
func (a *accounting) write(b *builder, j int) {
	r := a.r
	ms, kl := r.group(j)
	key := r.c.members[kl]
	a.newProfile()
	p := r.c.oldProf[kl]
	keep := p != None && a.old.Key(p) == key
	var mark, size uint32
	if keep {
		mark, size = a.get(p)
	} else {
		p = b.fresh(key)
	}
	same := keep && mark == subtracted && size == uint32(len(ms))
	prev := key
	for _, l := range ms {
		if l == kl {
			continue
		}
		m := r.c.members[l]
		b.set(prev, p, m)
		prev = m
		if r.c.oldProf[l] != p {
			same = false
		}
	}
	b.set(prev, p, key)
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
	switch {
	case same:
		a.put(p, kept, size)
	case keep:
		a.put(p, claimed, size)
	}
}

// resolveAll resolves every component when the previous view is empty. Two
// sweeps over the ordinals find, for each plain component, its key and
// whether a rule could cut a join in it; the components no rule can touch
// become profiles as they are (numbered in increasing key ordinal, their
// members linked in ordinal order), the others go to visit, the general
// path.
func (g *Graph) resolveAll(b *builder, a *accounting, visit func(uint32)) {
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
	// Number the plain components in increasing key ordinal: at its root,
	// num holds a component's number.
	num := make([]uint32, n)
	for o := range n {
		if g.state[o] == 0 {
			continue
		}
		if rt := g.find(o); best[rt] == o && !isSlow(rt) {
			num[rt] = b.fresh(o)
		}
	}
	for o := range n {
		if g.state[o] == 0 {
			continue
		}
		rt := g.find(o)
		if isSlow(rt) {
			continue
		}
		b.setProf(o, num[rt])
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
