package reconcile

import (
	"iter"
	"math/bits"
	"slices"

	"github.com/idbits/idbits/bitmap"
	"github.com/idbits/idbits/idtypes"
)

// This file holds what the audience flows (Import, Export, Join, Overlap and
// Diff) share: a paged bit set of ordinals and the namespace ranking of
// exports.

// ordSet is a set of uint32 ordinals as a bit set in pages of 2^16 bits,
// allocated when first touched, so that a set of a few members of a large
// dictionary stays small while a dense one costs one bit per ordinal. The
// zero ordSet is empty. It is not safe for concurrent use.
type ordSet struct {
	pages []*[ordPageWords]uint64
	n     int
}

const (
	ordPageBits  = 16
	ordPageWords = 1 << ordPageBits / 64
)

// add adds x and reports whether it was new.
func (s *ordSet) add(x uint32) bool {
	p := int(x >> ordPageBits)
	if p >= len(s.pages) {
		s.pages = append(s.pages, make([]*[ordPageWords]uint64, p+1-len(s.pages))...)
	}
	pg := s.pages[p]
	if pg == nil {
		pg = new([ordPageWords]uint64)
		s.pages[p] = pg
	}
	w := &pg[x>>6&(ordPageWords-1)]
	bit := uint64(1) << (x & 63)
	if *w&bit != 0 {
		return false
	}
	*w |= bit
	s.n++
	return true
}

// len returns the number of members.
func (s *ordSet) len() int { return s.n }

// all returns the members in increasing order.
func (s *ordSet) all() iter.Seq[uint32] {
	return func(yield func(uint32) bool) {
		for pi, pg := range s.pages {
			if pg == nil {
				continue
			}
			base := uint32(pi) << ordPageBits
			for wi, w := range pg {
				for w != 0 {
					if !yield(base + uint32(wi)<<6 + uint32(bits.TrailingZeros64(w))) {
						return
					}
					w &= w - 1
				}
			}
		}
	}
}

// audience returns the members as an audience, added in increasing order in
// batches, which is the Builder's fastest path.
func (s *ordSet) audience() bitmap.Audience {
	var b bitmap.Builder
	buf := make([]uint32, 0, 4096)
	for pi, pg := range s.pages {
		if pg == nil {
			continue
		}
		base := uint32(pi) << ordPageBits
		for wi, w := range pg {
			for w != 0 {
				buf = append(buf, base+uint32(wi)<<6+uint32(bits.TrailingZeros64(w)))
				w &= w - 1
				if len(buf) == cap(buf) {
					b.AddMany(buf)
					buf = buf[:0]
				}
			}
		}
	}
	b.AddMany(buf)
	return b.Audience()
}

// nsRank ranks the namespaces an export accepts: rank[ns] is the place of
// namespace ns in priority order among them (0 first), or -1 if ns is not
// accepted.
type nsRank struct {
	rank []int32
	rs   ruleSet
}

// newNSRank ranks the accepted namespaces by priority, as Rules.Priority
// orders namespaces for profile keys. If accepted is empty, every namespace
// with identities in v is accepted.
func newNSRank(v *View, accepted, priority []idtypes.Namespace) *nsRank {
	r := &nsRank{rs: newRuleSet(Rules{Priority: priority})}
	if len(accepted) == 0 {
		for _, c := range v.Namespaces() {
			accepted = append(accepted, c.Namespace)
		}
	}
	var nss []idtypes.Namespace
	for _, ns := range accepted {
		if !ns.IsValid() {
			continue
		}
		for int(ns) >= len(r.rank) {
			r.rank = append(r.rank, -1)
		}
		if r.rank[ns] == 0 {
			continue // listed twice
		}
		r.rank[ns] = 0
		nss = append(nss, ns)
	}
	slices.SortFunc(nss, r.rs.compareNS)
	for i, ns := range nss {
		r.rank[ns] = int32(i)
	}
	return r
}

// of returns the rank of ns, or -1 if ns is not accepted.
func (r *nsRank) of(ns idtypes.Namespace) int32 {
	if int(ns) < len(r.rank) {
		return r.rank[ns]
	}
	return -1
}
