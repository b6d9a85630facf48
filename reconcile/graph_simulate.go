package reconcile

import (
	"slices"

	"github.com/idbits/idbits/idtypes"
	"github.com/idbits/idbits/reconcile/internal/resolve"
)

// Simulation is what some records would do to a graph. A profile after the
// records continues a profile before them if it holds that profile's key.
type Simulation struct {
	// Profiles lists each profile after the records that differs from every
	// profile before them, by key.
	Profiles []SimulatedProfile
	// Merged counts profiles after that continue two or more profiles before
	// (two named profiles become one).
	Merged int
	// Split counts profiles before some of whose identifiers would go to a
	// profile after that continues none.
	Split int
	// Changed counts the other profiles before (neither merged nor split)
	// that would gain or lose identifiers or change key.
	Changed int
	// Moved counts identifiers that would leave their profile for another
	// existing one (a shared device moving to its newest login).
	Moved int
	// Created counts profiles after made only of identifiers new to the graph.
	Created int
	// Cuts lists the cuts the records would add: cuts of the affected
	// profiles, in the simulated records or in older ones, that the current
	// view does not make (a join the view already cuts is not listed again,
	// whatever namespace is named).
	Cuts []Cut
	// Dropped lists the identifiers Link would drop from the records, in
	// record order: each a *RecordError matching ErrBlocklisted (on
	// Rules.Blocklist) or ErrErased.
	Dropped []*RecordError
}

// SimulatedProfile is one profile after the simulated records.
type SimulatedProfile struct {
	Key     idtypes.ID
	Members []idtypes.ID // the key first
	// Before lists the profiles of the current view that held its members
	// (none if all are new), sorted by number.
	Before []Profile
}

// Simulate answers what linking records would do, without changing the graph
// or its dictionary: it resolves the components the records touch with the
// records added and compares the result with the current View. Records are
// checked as Link checks them and a bad one fails the call with a
// *RecordError naming it; erased and blocklisted identifiers are left out,
// as Link would, and listed in Simulation.Dropped.
func (g *Graph) Simulate(records ...Record) (Simulation, error) {
	type prepared struct {
		at int64
		es []entry
	}
	ps := make([]prepared, len(records))
	for i, r := range records {
		if !timeOK(r.At) {
			return Simulation{}, &RecordError{Record: i, Pos: -1, Err: ErrTime, batch: true}
		}
		es, err := g.prepare(i, true, r.IDs, nil)
		if err != nil {
			return Simulation{}, err
		}
		ps[i] = prepared{r.At.UnixNano(), es}
	}

	g.mu.Lock()
	defer g.mu.Unlock()
	g.refresh()
	// Identifiers new to the dictionary get temporary ordinals from the top
	// of the range, known to compareOrd through g.tmp.
	g.tmp = map[uint32]idtypes.ID{}
	defer func() { g.tmp = nil }()
	next := NoOrdinal - 1
	tmpOf := map[idtypes.ID]uint32{}
	sims := make([]resolve.SimRecord, 0, len(ps))
	var dropped []*RecordError
	for i, p := range ps {
		var sr resolve.SimRecord
		sr.At = p.at
		for _, e := range p.es {
			if e.blocked {
				dropped = append(dropped, &RecordError{Record: i, Pos: e.pos, ID: e.id, Err: ErrBlocklisted, batch: true})
				continue
			}
			o, ok := g.dict.Lookup(e.id)
			if !ok {
				if g.dict.lookupErased(e.id) {
					dropped = append(dropped, &RecordError{Record: i, Pos: e.pos, ID: e.id, Err: ErrErased, batch: true})
					continue
				}
				if o, ok = tmpOf[e.id]; !ok {
					o = next
					next--
					tmpOf[e.id] = o
					g.tmp[o] = e.id
				}
			}
			sr.Ords = append(sr.Ords, o)
			sr.NSs = append(sr.NSs, uint16(e.id.Namespace()))
		}
		sims = append(sims, sr)
	}
	rs := g.rg.Simulate(sims)

	idOf := func(o uint32) (idtypes.ID, bool) {
		if id, ok := g.tmp[o]; ok {
			return id, true
		}
		return g.dict.ID(o)
	}
	sim := Simulation{Merged: rs.Merged, Split: rs.Split, Changed: rs.Changed, Moved: rs.Moved, Created: rs.Created, Dropped: dropped}
	for _, p := range rs.Profiles {
		sp := SimulatedProfile{}
		sp.Key, _ = idOf(p.Key)
		for _, m := range p.Members {
			if id, ok := idOf(m); ok {
				sp.Members = append(sp.Members, id)
			}
		}
		for _, k := range p.Before {
			sp.Before = append(sp.Before, Profile(k))
		}
		sim.Profiles = append(sim.Profiles, sp)
	}
	slices.SortFunc(sim.Profiles, func(a, b SimulatedProfile) int { return a.Key.Compare(b.Key) })
	for _, c := range rs.Cuts {
		if cut, ok := convertCut(c, idOf); ok {
			sim.Cuts = append(sim.Cuts, cut)
		}
	}
	return sim, nil
}
