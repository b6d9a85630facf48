package reconcile

import (
	"errors"

	"github.com/idbits/idbits/idtypes"
)

// Erase forgets identifiers for good (the right to erasure). It tombstones
// them in the Dictionary, drops them from every record of the log, rebuilds
// the components that held them (a profile may split into several) and
// resolves them again.
//
// It returns the profiles that changed, as numbers under the view just before
// the erasure (which includes every record linked before the call), sorted:
// every profile that held an erased identifier, and every other profile
// whose members or key changed because a join the rules had cut is no longer
// in conflict. A profile in the list may have disappeared (all its members
// erased), been split, or changed; it is not in the list if it came out
// identical. The view after the erasure is the graph's View.
//
// Erased identifiers never come back: later Link calls drop them (see Link),
// and no view, old or new, yields them. Erasing an identifier the graph has
// never seen tombstones it too, so it cannot be linked later; erasing one
// twice is a no-op. Erase fails with a *RecordError matching ErrInvalid
// (naming the position of a zero ID) or ErrFull, before erasing anything.
func (g *Graph) Erase(ids ...idtypes.ID) (changed []Profile, err error) {
	for i, id := range ids {
		if !id.IsValid() {
			return nil, &RecordError{Pos: i, Err: ErrInvalid}
		}
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.refresh()
	ords := make([]uint32, 0, len(ids))
	for i, id := range ids {
		o, err := g.dict.Add(id)
		if errors.Is(err, ErrErased) {
			continue
		}
		if err != nil {
			return nil, &RecordError{Pos: i, ID: id, Err: err}
		}
		ords = append(ords, o)
	}
	for _, o := range ords {
		if g.dict.Erase(o) {
			g.erasures++
		}
	}
	g.rg.Erase(ords)
	_, d := g.refresh()
	for _, k := range d.Changed {
		changed = append(changed, Profile(k))
	}
	return changed, nil
}
