package resolve

import (
	"math"
	"slices"
)

// None marks a missing ordinal: no identity, no profile, no record.
const None uint32 = math.MaxUint32

// Rules are the linking rules, in terms of namespaces (small integers) and
// identity ordinals. The zero Rules has no rules: profiles are the plain
// connected components, keyed by the lowest namespace, then the lowest ordinal.
type Rules struct {
	// CompareNS orders namespaces by priority: negative if a has the higher
	// priority. It must be a strict total order on namespaces. Nil means
	// numeric order (lower namespace first).
	CompareNS func(a, b uint16) int
	// CompareID orders two distinct identities of the same namespace
	// canonically. It is called only for identities of equal namespace, also
	// for ordinals handed to Graph.Simulate. Nil means ordinal order.
	CompareID func(a, b uint32) int
	// Unique lists the namespaces a profile may hold at most one identity of.
	Unique []uint16
	// MaxIdentities caps the identities of one profile; 0 means no cap.
	MaxIdentities int
}

// Rule names the rule that cut a join.
type Rule uint8

const (
	// RuleUnique: the join would put two identities of a unique namespace
	// into one profile.
	RuleUnique Rule = 1 + iota
	// RuleMaxIdentities: the join would make a profile larger than
	// MaxIdentities.
	RuleMaxIdentities
)

// String returns "unique" or "max-identities".
func (r Rule) String() string {
	switch r {
	case RuleUnique:
		return "unique"
	case RuleMaxIdentities:
		return "max-identities"
	}
	return "rule(?)"
}

// Cut reports a join that resolution did not make.
type Cut struct {
	Record uint32   // index of the record in the log (simulated records follow the log)
	At     int64    // the record's time
	Ords   []uint32 // the record's identities in join order; shared, read only
	Ord    uint32   // the identity that was not joined to the record's first identity
	Rule   Rule     // the rule that cut the join
	NS     uint16   // for RuleUnique, the unique namespace in conflict
}

// nsTable ranks the namespaces seen so far by priority and maps each to its
// unique slot. Ranks are recomputed when a namespace first appears; relative
// order between namespaces never changes, so stored results stay valid.
type nsTable struct {
	cmp    func(a, b uint16) int
	unique []uint16
	seen   []uint16 // namespaces seen, in priority order
	rank   []uint32 // by namespace: rank among seen, or None when unseen
	slot   []int32  // by namespace: index in unique, or -1
}

func newNSTable(r Rules) nsTable {
	t := nsTable{cmp: r.CompareNS, unique: slices.Clone(r.Unique)}
	if t.cmp == nil {
		t.cmp = func(a, b uint16) int { return int(a) - int(b) }
	}
	return t
}

// see registers ns and reports its rank.
func (t *nsTable) see(ns uint16) uint32 {
	if int(ns) < len(t.rank) && t.rank[ns] != None {
		return t.rank[ns]
	}
	for len(t.rank) <= int(ns) {
		t.rank = append(t.rank, None)
		t.slot = append(t.slot, -1)
	}
	t.slot[ns] = int32(slices.Index(t.unique, ns))
	t.seen = append(t.seen, ns)
	slices.SortFunc(t.seen, t.cmp)
	for i, s := range t.seen {
		t.rank[s] = uint32(i)
	}
	return t.rank[ns]
}

// rankOf is the rank of a namespace already seen.
func (t *nsTable) rankOf(ns uint16) uint32 { return t.rank[ns] }

// slotOf is the unique slot of a namespace already seen, or -1.
func (t *nsTable) slotOf(ns uint16) int32 { return t.slot[ns] }
