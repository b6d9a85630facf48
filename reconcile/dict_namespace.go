package reconcile

import (
	"slices"
	"sync"

	"github.com/idbits/idbits/bitmap"
	"github.com/idbits/idbits/idtypes"
	"github.com/idbits/idbits/reconcile/internal/table"
)

// namespaces holds the audience of each namespace's live ordinals. Namespace
// builds them lazily: each call adds the ordinals handed out since the last
// one and removes those erased since, so adds pay nothing for them.
type namespaces struct {
	mu   sync.Mutex
	next uint32   // the audiences hold the live ordinals below next
	gone []uint32 // erased since the audiences were last brought up to date
	sets map[idtypes.Namespace]bitmap.Audience
}

// erased notes that ord was erased, if the audiences may hold it: later
// ordinals are checked when they are scanned.
func (n *namespaces) erased(ord uint32) {
	n.mu.Lock()
	if ord < n.next {
		n.gone = append(n.gone, ord)
	}
	n.mu.Unlock()
}

// Ordinals returns the live (not erased) ordinals of namespace ns, so that
// "only the ECIDs of this audience" is bitmap.And(a, d.Ordinals(idtypes.ECID)).
//
// The audiences are built lazily and cached: a call first brings every
// namespace's audience up to date with the adds and erasures since the last
// call, which costs time in proportion to them (and 4 bytes per new ordinal
// while it runs); a call with nothing new returns the cached audience without
// copying. Ordinals whose add is still in progress join on a later call.
// Calls are serialized by a lock and are safe alongside every other method.
func (d *Dictionary) Ordinals(ns idtypes.Namespace) bitmap.Audience {
	n := &d.ns
	n.mu.Lock()
	defer n.mu.Unlock()
	n.catchUp(d.tab())
	return n.sets[ns]
}

func (n *namespaces) catchUp(t *table.Table) {
	if n.sets == nil {
		n.sets = make(map[idtypes.Namespace]bitmap.Audience)
	}
	end := uint32(t.Len())
	if n.next < end {
		fresh := make(map[idtypes.Namespace][]uint32)
		ord := n.next
		for ; ord < end; ord++ {
			class, published, erased := t.Meta(ord)
			if !published {
				break
			}
			if !erased {
				ns := idtypes.Namespace(class)
				fresh[ns] = append(fresh[ns], ord)
			}
		}
		n.next = ord
		for ns, ords := range fresh {
			var b bitmap.Builder
			b.AddMany(ords)
			n.sets[ns] = bitmap.Or(n.sets[ns], b.Audience())
		}
	}
	if len(n.gone) > 0 {
		slices.Sort(n.gone)
		var b bitmap.Builder
		b.AddMany(n.gone)
		gone := b.Audience()
		for ns, a := range n.sets {
			if bitmap.Intersects(a, gone) {
				n.sets[ns] = bitmap.AndNot(a, gone)
			}
		}
		n.gone = n.gone[:0]
	}
}
