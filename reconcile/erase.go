package reconcile

import (
	"errors"

	"github.com/idbits/idbits/idtypes"
)

// erase tombstones ids in the Dictionary, drops them from every record of
// the log, rebuilds the components that held them and resolves them again.
// It returns the profiles that changed, as numbers under the view just
// before the erasure, sorted (see EraseReport.Changed).
func (g *Graph) erase(ids ...idtypes.ID) (changed []Profile, err error) {
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
		if g.dict.erase(o) {
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
