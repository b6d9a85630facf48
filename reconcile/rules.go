package reconcile

import (
	"cmp"
	"errors"
	"fmt"

	"github.com/idbits/idbits/idtypes"
	"github.com/idbits/idbits/reconcile/internal/resolve"
)

// DefaultMaxPerRecord is the most identifiers one record may hold when
// Rules.MaxPerRecord is 0 (Experience Platform's limit per XDM record).
const DefaultMaxPerRecord = 20

// MaxRecordLimit is the largest value Rules.MaxPerRecord may take.
const MaxRecordLimit = 4096

// ErrRules: the linking rules are inconsistent (see Rules.Validate).
var ErrRules = errors.New("reconcile: invalid rules")

// ErrBlocklisted: an identifier of a record is on Rules.Blocklist, so it was
// dropped from the record rather than linked.
var ErrBlocklisted = errors.New("reconcile: identifier on the blocklist")

// Rules are the linking rules of a Graph. The zero Rules has none: profiles
// are the plain connected components of the records, and a record may hold
// up to DefaultMaxPerRecord identifiers.
type Rules struct {
	// Unique lists the namespaces a profile may hold at most one identity of
	// (a CRM ID, a hashed email): a join that would put two of them in one
	// profile is cut.
	Unique []idtypes.Namespace
	// Priority ranks namespaces, highest first. Unlisted namespaces follow,
	// declared ones before visitor ones, each group in Namespace.Compare
	// order. A profile's key is its member of highest priority, and a
	// record's identifiers are joined highest priority first.
	Priority []idtypes.Namespace
	// MaxIdentities caps the identities of one profile; 0 means no cap.
	// Experience Platform uses 50.
	MaxIdentities int
	// MaxPerRecord caps the distinct identifiers of one record; 0 means
	// DefaultMaxPerRecord. At most MaxRecordLimit.
	MaxPerRecord int
	// Blocklist lists identifiers that identify nobody in your data (a
	// shop's test account, a call centre's default phone number): a record
	// holding one is linked without it, as Experience Platform skips a
	// blocked identity and ingests the rest of the record. Link, LinkMany
	// and Simulate report each one dropped with ErrBlocklisted; ReplayGraph
	// drops them from the records it loads, so loading yesterday's records
	// under today's blocklist undoes the merges the value made. A record
	// left without identifiers is not linked. Values idtypes refuses
	// everywhere (blank, placeholders such as test@test.com, the SHA-256 of
	// either) need no entry: they never parse.
	Blocklist []idtypes.ID
}

// Validate reports the first inconsistency of r, wrapped around ErrRules: an
// invalid or repeated namespace in Unique or Priority, a negative
// MaxIdentities, a MaxPerRecord outside 0..MaxRecordLimit, or a Blocklist
// entry that is the zero ID, is listed twice, or that idtypes.Parse refuses
// (one decoded from a binary key, such as the SHA-256 of a blank value).
func (r Rules) Validate() error {
	for _, l := range []struct {
		name string
		nss  []idtypes.Namespace
	}{{"Unique", r.Unique}, {"Priority", r.Priority}} {
		seen := map[idtypes.Namespace]bool{}
		for i, ns := range l.nss {
			if !ns.IsValid() {
				return fmt.Errorf("%w: %s[%d] is %v, not a valid namespace", ErrRules, l.name, i, ns)
			}
			if seen[ns] {
				return fmt.Errorf("%w: %s lists %v twice", ErrRules, l.name, ns)
			}
			seen[ns] = true
		}
	}
	if r.MaxIdentities < 0 {
		return fmt.Errorf("%w: MaxIdentities %d is negative", ErrRules, r.MaxIdentities)
	}
	if r.MaxPerRecord < 0 || r.MaxPerRecord > MaxRecordLimit {
		return fmt.Errorf("%w: MaxPerRecord %d is outside 0..%d", ErrRules, r.MaxPerRecord, MaxRecordLimit)
	}
	seen := make(map[idtypes.ID]bool, len(r.Blocklist))
	for i, id := range r.Blocklist {
		if !id.IsValid() {
			return fmt.Errorf("%w: Blocklist[%d] is the zero ID", ErrRules, i)
		}
		if seen[id] {
			return fmt.Errorf("%w: Blocklist lists %v twice", ErrRules, id.Text())
		}
		seen[id] = true
		if _, err := idtypes.Parse(id.Namespace(), id.String()); err != nil {
			return fmt.Errorf("%w: Blocklist[%d]: %w", ErrRules, i, err)
		}
	}
	return nil
}

// ruleSet is a validated Rules, ready for fast comparisons.
type ruleSet struct {
	Rules
	maxPer int
	group  []int32                 // by namespace: position in Priority; unlisted: -1
	block  map[idtypes.ID]struct{} // Blocklist; nil if empty
}

func newRuleSet(r Rules) ruleSet {
	rs := ruleSet{Rules: r, maxPer: r.MaxPerRecord}
	rs.Unique = append([]idtypes.Namespace(nil), r.Unique...)
	rs.Priority = append([]idtypes.Namespace(nil), r.Priority...)
	rs.Blocklist = append([]idtypes.ID(nil), r.Blocklist...)
	if len(rs.Blocklist) > 0 {
		rs.block = make(map[idtypes.ID]struct{}, len(rs.Blocklist))
		for _, id := range rs.Blocklist {
			rs.block[id] = struct{}{}
		}
	}
	if rs.maxPer == 0 {
		rs.maxPer = DefaultMaxPerRecord
	}
	for i, ns := range rs.Priority {
		for len(rs.group) <= int(ns) {
			rs.group = append(rs.group, -1)
		}
		rs.group[ns] = int32(i)
	}
	return rs
}

// blocked reports whether id is on the blocklist.
func (rs *ruleSet) blocked(id idtypes.ID) bool {
	if rs.block == nil {
		return false
	}
	_, ok := rs.block[id]
	return ok
}

// groupOf ranks a namespace: its place in Priority, then unlisted declared
// namespaces, then unlisted visitor ones.
func (rs *ruleSet) groupOf(ns idtypes.Namespace) int32 {
	if int(ns) < len(rs.group) && rs.group[ns] >= 0 {
		return rs.group[ns]
	}
	if ns.Visitor() {
		return int32(len(rs.Priority)) + 1
	}
	return int32(len(rs.Priority))
}

// compareNS orders namespaces by priority, highest first.
func (rs *ruleSet) compareNS(a, b idtypes.Namespace) int {
	if a == b {
		return 0
	}
	if c := cmp.Compare(rs.groupOf(a), rs.groupOf(b)); c != 0 {
		return c
	}
	return a.Compare(b)
}

// compareID orders identifiers in join order: priority, then canonical.
func (rs *ruleSet) compareID(a, b idtypes.ID) int {
	if c := rs.compareNS(a.Namespace(), b.Namespace()); c != 0 {
		return c
	}
	return a.Compare(b)
}

func (rs *ruleSet) resolveRules(compareID func(a, b uint32) int) resolve.Rules {
	r := resolve.Rules{
		CompareNS: func(a, b uint16) int {
			return rs.compareNS(idtypes.Namespace(a), idtypes.Namespace(b))
		},
		CompareID:     compareID,
		MaxIdentities: rs.MaxIdentities,
	}
	for _, ns := range rs.Unique {
		r.Unique = append(r.Unique, uint16(ns))
	}
	return r
}

// Rule names the linking rule that cut a join.
type Rule uint8

const (
	// RuleUnique: the join would put two identities of a unique namespace in
	// one profile.
	RuleUnique Rule = 1 + iota
	// RuleMaxIdentities: the join would make a profile larger than
	// Rules.MaxIdentities.
	RuleMaxIdentities
)

// String returns "unique" or "max-identities".
func (r Rule) String() string { return resolve.Rule(r).String() }
