package reconcile

import (
	"iter"
	"slices"
	"time"

	"github.com/idbits/idbits/bitmap"
	"github.com/idbits/idbits/idtypes"
	"github.com/idbits/idbits/reconcile/internal/resolve"
)

// Profile names a profile of a Graph by its number. Numbers are dense and
// stable: a graph resolved in one go numbers its profiles 0..P-1 in the
// order of their keys' ordinals, and a profile keeps its number from view to
// view for as long as it has the same key (the member with the
// highest-priority namespace, ties broken by idtypes.ID.Compare), whatever
// members it gains or loses. A profile that merges into another, or whose
// key moves to another profile or is erased, loses its number for good: the
// graph never hands it to another profile. So a set of profiles (Profiles)
// is a bitmap of numbers, compact enough to store as a bitmap, and a set
// made under one view stays valid under the next ones (see View.Project).
// View.Key gives a profile's key identifier; doc.go says more.
type Profile uint32

// View is an immutable resolution of a Graph at one moment: identity ->
// profile, and profile -> members. The zero View is not usable: get one from
// Graph.View. A View is safe for any number of concurrent readers, and stays
// valid while the graph changes.
//
// Erased identifiers never come out of a view, not even one taken before the
// erasure: they have no profile, are not members, and Key gives the zero ID
// for a profile whose key was erased. Otherwise an old view keeps the shape it
// had.
type View struct {
	rv       *resolve.View
	dict     *Dictionary
	g        *Graph          // the graph: its views number profiles alike
	profiles bitmap.Audience // live numbers
	// erasures is the dictionary's count of erasures when the view was
	// taken, all of them resolved into it (math.MaxUint64 if unknown): while
	// the count is unchanged, no profile of the view has been erased since.
	erasures uint64
}

// current reports whether no identity was erased since v was taken, so that
// every profile in v.profiles is live.
func (v *View) current() bool { return v.dict.erasures.Load() == v.erasures }

// Profile returns the profile of identifier id, and false if id is not in the
// graph (never linked, or erased).
func (v *View) Profile(id idtypes.ID) (Profile, bool) {
	ord, ok := v.dict.Lookup(id)
	if !ok {
		return 0, false
	}
	return v.ProfileOf(ord)
}

// ProfileOf returns the profile of the identity with ordinal ord, and false
// if it is in no profile of this view or was erased.
func (v *View) ProfileOf(ord uint32) (Profile, bool) {
	p := v.rv.Profile(ord)
	if p == resolve.None || v.dict.Erased(ord) {
		return 0, false
	}
	return Profile(p), true
}

// Key returns the key identifier of profile p, or the zero ID if p is not a
// profile of this view (or its key was erased since).
func (v *View) Key(p Profile) idtypes.ID {
	if !v.rv.Live(uint32(p)) {
		return idtypes.ID{}
	}
	id, _ := v.dict.ID(v.rv.Key(uint32(p)))
	return id
}

// Numbers returns how many profile numbers the graph had handed out when
// the view was taken: every profile's number is below it. Numbers() - Len()
// numbers are holes, left by profiles that merged into others or lost their
// key; a graph resolved in one go (including one loaded from a snapshot)
// has none. A bitmap of a tenth of the profiles takes about 10 * Numbers() /
// Len() bits per member once the profiles are many.
func (v *View) Numbers() int { return int(v.rv.Numbers()) }

// Members returns the identifiers of profile p, the key first, the others in
// no particular order. It is empty if p is not a profile of this view.
func (v *View) Members(p Profile) iter.Seq[idtypes.ID] {
	return func(yield func(idtypes.ID) bool) {
		v.rv.Members(uint32(p), func(m uint32) bool {
			id, ok := v.dict.ID(m)
			return !ok || yield(id)
		})
	}
}

// MemberOrds is Members as identity ordinals: it decodes nothing.
func (v *View) MemberOrds(p Profile) iter.Seq[uint32] {
	return func(yield func(uint32) bool) {
		v.rv.Members(uint32(p), func(m uint32) bool {
			return v.dict.Erased(m) || yield(m)
		})
	}
}

// Len returns the number of profiles.
func (v *View) Len() int { return v.rv.Len() }

// Identities returns the number of identities in profiles.
func (v *View) Identities() int { return v.rv.Identities() }

// NamespaceCount counts one namespace in a view.
type NamespaceCount struct {
	Namespace  idtypes.Namespace
	Identities int // identities of the namespace
	Profiles   int // profiles holding at least one of them
}

// Count counts namespace ns in the view.
func (v *View) Count(ns idtypes.Namespace) NamespaceCount {
	i, p := v.rv.Count(uint16(ns))
	return NamespaceCount{Namespace: ns, Identities: i, Profiles: p}
}

// Namespaces counts every namespace with identities in the view, in
// idtypes.Namespace.Compare order.
func (v *View) Namespaces() []NamespaceCount {
	var out []NamespaceCount
	for _, ns := range v.rv.Namespaces() {
		out = append(out, v.Count(idtypes.Namespace(ns)))
	}
	slices.SortFunc(out, func(a, b NamespaceCount) int { return a.Namespace.Compare(b.Namespace) })
	return out
}

// Cuts returns the joins the rules cut in this resolution, in the order the
// records were linked.
func (v *View) Cuts() iter.Seq[Cut] {
	return func(yield func(Cut) bool) {
		for _, c := range v.rv.Cuts() {
			cut, ok := convertCut(c, v.dict.ID)
			if ok && !yield(cut) {
				return
			}
		}
	}
}

// convertCut turns a resolve.Cut into a Cut, leaving out identities idOf does
// not know (erased). It reports false if the identifier not joined is gone.
func convertCut(c resolve.Cut, idOf func(uint32) (idtypes.ID, bool)) (Cut, bool) {
	id, ok := idOf(c.Ord)
	if !ok {
		return Cut{}, false
	}
	cut := Cut{
		Record:    Record{At: time.Unix(0, c.At).UTC(), IDs: make([]idtypes.ID, 0, len(c.Ords))},
		ID:        id,
		Rule:      Rule(c.Rule),
		Namespace: idtypes.Namespace(c.NS),
	}
	for _, o := range c.Ords {
		if id, ok := idOf(o); ok {
			cut.Record.IDs = append(cut.Record.IDs, id)
		}
	}
	return cut, true
}
