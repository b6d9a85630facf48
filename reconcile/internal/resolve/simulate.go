package resolve

import (
	"slices"
)

// SimRecord is a record for Simulate. Ords need not be in join order nor free
// of duplicates, and may hold ordinals the graph has never seen (their
// namespaces in NSs, parallel to Ords). Erased ordinals are ignored.
type SimRecord struct {
	At   int64
	Ords []uint32
	NSs  []uint16
}

// SimProfile is a profile after the simulated records that differs from
// every profile before them.
type SimProfile struct {
	Key     uint32
	Members []uint32 // key first
	Before  []uint32 // numbers of the profiles before that held its members, sorted
}

// Simulation is what some records would do to the graph. A profile after
// continues a profile before if it holds that profile's key identity.
type Simulation struct {
	// Profiles lists the profiles after that differ from every profile
	// before, by key ordinal.
	Profiles []SimProfile
	// Merged counts profiles after that continue two or more profiles before.
	Merged int
	// Split counts profiles before some of whose identities would go to a
	// profile after that continues none.
	Split int
	// Changed counts the other profiles before (neither merged nor split)
	// whose continuation would gain or lose identities or change key.
	Changed int
	// Moved counts identities that would leave their profile for a profile
	// after that continues another one.
	Moved int
	// Created counts profiles after that hold no identity of a profile before.
	Created int
	// Cuts lists the cuts the records would add: cuts of the re-resolved
	// profiles that the current view does not have (a join of a record the
	// view already cuts is not listed again, whatever namespace is named).
	// Records are numbered after the log: record Len()+i is recs[i].
	Cuts []Cut
}

// Simulate resolves the components the records touch, with the records
// added, and compares the result with the current view, leaving the log
// unchanged. It resolves pending changes first (the caller normally has).
func (g *Graph) Simulate(recs []SimRecord) Simulation {
	old, _ := g.Resolve()
	r := &g.res
	r.begin(g.useDense(len(recs)))
	defer r.end()
	r.c.reset(false)
	r.cuts = r.cuts[:0]
	base := uint32(g.log.len())
	type prep struct {
		at   int64
		ords []uint32
		nss  []uint16
	}
	ps := make([]prep, 0, len(recs))
	for _, sr := range recs {
		var ords []uint32
		var nss []uint16
		for i, o := range sr.Ords {
			if o == None || g.Erased(o) || i >= len(sr.NSs) {
				continue
			}
			ns := sr.NSs[i]
			if known, ok := g.Namespace(o); ok {
				ns = known
			}
			ords = append(ords, o)
			nss = append(nss, ns)
		}
		n := g.Order(ords, nss)
		ps = append(ps, prep{sr.At, ords[:n], nss[:n]})
		for _, o := range ords[:n] {
			if g.Contains(o) {
				if root := g.find(o); !r.seen(root) {
					r.gather(root)
				}
			}
		}
	}
	for i, p := range ps {
		if len(p.ords) > 0 {
			r.addRecord(base+uint32(i), p.at, p.ords, p.nss)
		}
	}
	for _, m := range r.c.members {
		r.c.oldProf = append(r.c.oldProf, old.Profile(m))
	}
	r.solve()

	var sim Simulation
	oldSize := map[uint32]int{} // by old number
	for _, k := range r.c.oldProf {
		if _, ok := oldSize[k]; k != None && !ok {
			n := 0
			old.Members(k, func(uint32) bool { n++; return true })
			oldSize[k] = n
		}
	}
	ng := r.groups()
	groupOf := make([]int, len(r.c.members)) // by local index
	conts := make([]int, ng)                 // by group: profiles before it continues
	cont := map[uint32]int{}                 // number before -> group continuing it
	for j := range ng {
		ms, _ := r.group(j)
		for _, l := range ms {
			groupOf[l] = j
		}
	}
	for l, k := range r.c.oldProf {
		if k != None && r.c.members[l] == old.Key(k) {
			cont[k] = groupOf[l]
			conts[groupOf[l]]++
		}
	}
	split := map[uint32]bool{}
	for l, k := range r.c.oldProf {
		if k == None {
			continue
		}
		switch j := groupOf[l]; {
		case j == cont[k]:
		case conts[j] == 0:
			split[k] = true
		default:
			sim.Moved++
		}
	}
	sim.Split = len(split)
	same := make([]bool, ng)
	for j := range ng {
		ms, kl := r.group(j)
		key := r.c.members[kl]
		p := SimProfile{Key: key, Members: []uint32{key}}
		kp := r.c.oldProf[kl]
		same[j] = kp != None && old.Key(kp) == key && oldSize[kp] == len(ms)
		for _, l := range ms {
			if l != kl {
				p.Members = append(p.Members, r.c.members[l])
			}
			k := r.c.oldProf[l]
			if k != None {
				p.Before = append(p.Before, k)
			}
			same[j] = same[j] && k == kp
		}
		slices.Sort(p.Before)
		p.Before = slices.Compact(p.Before)
		switch {
		case len(p.Before) == 0:
			sim.Created++
		case conts[j] >= 2:
			sim.Merged++
		}
		if !same[j] {
			sim.Profiles = append(sim.Profiles, p)
		}
	}
	for k, j := range cont {
		if conts[j] == 1 && !split[k] && !same[j] {
			sim.Changed++
		}
	}
	slices.SortFunc(sim.Profiles, func(a, b SimProfile) int { return int64Cmp(int64(a.Key), int64(b.Key)) })

	type cutKey struct {
		rec, ord uint32
		rule     Rule
	}
	had := map[cutKey]bool{}
	for _, c := range old.cuts {
		if r.seen(c.Ord) {
			had[cutKey{c.Record, c.Ord, c.Rule}] = true
		}
	}
	for _, c := range r.cuts {
		if !had[cutKey{c.Record, c.Ord, c.Rule}] {
			sim.Cuts = append(sim.Cuts, c)
		}
	}
	slices.SortFunc(sim.Cuts, cmpCut)
	r.cuts = r.cuts[:0]
	return sim
}

func int64Cmp(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
