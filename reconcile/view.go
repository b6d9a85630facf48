package reconcile

import (
	"iter"
	"runtime"
	"slices"
	"sync/atomic"
	"time"

	"github.com/idbits/idbits/bitmap"
	"github.com/idbits/idbits/idtypes"
	"github.com/idbits/idbits/internal/audienceid"
	"github.com/idbits/idbits/reconcile/internal/resolve"
)

// Profile names a profile of a Graph by its number. Numbers are dense and
// stable: a graph resolved in one go numbers its profiles 0..P-1 in the
// order of their keys' ordinals, and a profile keeps its number from view to
// view for as long as it has the same key (the member with the
// highest-priority namespace, ties broken by idtypes.ID.Compare), whatever
// members it gains or loses. A profile that merges into another, or whose
// key moves to another profile or is erased, loses its number for good: the
// graph never hands it to another profile. So a set of profiles is a
// bitmap.Audience of numbers, compact enough to store as a bitmap, and an
// audience made under one view stays valid under the next ones (see
// Project). View.Key gives a profile's key identifier; doc.go says more.
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
	g        *Graph          // the graph, for numbers of newer views
	profiles bitmap.Audience // live numbers
	// erasures is the dictionary's count of erasures when the view was
	// taken, all of them resolved into it (math.MaxUint64 if unknown): while
	// the count is unchanged, no profile of the view has been erased since.
	erasures uint64
	// known holds the bitmaps of audiences whose members are all in
	// profiles: those the view made (Project, Join) and those Join checked.
	// Nil until the first one; see remember.
	known atomic.Pointer[audienceid.Set]
}

// bitmapOf returns the bitmap of an audience, which identifies it and its
// copies (nil for an empty audience).
var bitmapOf = audienceid.Bitmap[bitmap.Audience]()

// isKnown reports whether every member of a is in v.profiles, as far as v
// knows without reading a: a is empty, the profiles themselves, or
// remembered. It says nothing about erasures since v was taken.
func (v *View) isKnown(a bitmap.Audience) bool {
	bm := bitmapOf(a)
	if bm == nil || bm == bitmapOf(v.profiles) {
		return true
	}
	s := v.known.Load()
	return s != nil && s.Has(bm)
}

// remember records that every member of a is in v.profiles. The record
// holds a alive no longer than its other users do, and goes with v.
func (v *View) remember(a bitmap.Audience) {
	bm := bitmapOf(a)
	if bm == nil || bm == bitmapOf(v.profiles) {
		return
	}
	s := v.known.Load()
	if s == nil {
		s = new(audienceid.Set)
		if v.known.CompareAndSwap(nil, s) {
			// The set's entries refer to it from their audiences'
			// cleanups; once v is gone, release it from them.
			runtime.AddCleanup(v, (*audienceid.Set).Stop, s)
		} else {
			s = v.known.Load()
		}
	}
	s.Add(bm)
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

// Profiles returns every profile of the view, as profile numbers.
func (v *View) Profiles() bitmap.Audience { return v.profiles }

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

// Project maps an audience of profiles of this graph, made under any of
// its views (older or newer), onto this view: each member goes to the
// profile that holds, in this view, the key identity it had when the
// audience was made. So a profile that still has its key keeps its number;
// profiles merged into another become that one; a profile whose key moved
// to another profile (a shared device taken over, a CRM ID joining an
// anonymous profile) follows its key; and a profile whose key was erased,
// or numbers the graph never handed out, drop out. Profiles of another
// Graph, also one loaded from a snapshot of this one, are numbered apart:
// carry them by identities (ProfilesOf, or a Catalog).
//
// The view remembers the audiences Project and ProfilesOf return, and those
// Join found to be made of its profiles, by the identity of their members
// (an audience and its copies, not an equal audience built separately),
// without holding them alive. Projecting such an audience again returns it
// as it is, without reading it, while no identity has been erased since the
// view was taken. So project an audience once per view and join the result
// as often as needed: only the set operation itself is paid.
func (v *View) Project(a bitmap.Audience) bitmap.Audience {
	if v.isKnown(a) && v.current() {
		return a
	}
	p := v.projectProfiles(a)
	v.remember(p)
	return p
}

// ProfilesOf returns the profiles of this view that hold the identities
// with ordinals ids. Identities in no profile of the view, or erased, are
// left out. The view remembers the result as Project does.
func (v *View) ProfilesOf(ids bitmap.Audience) bitmap.Audience {
	p := v.profilesOf(ids)
	v.remember(p)
	return p
}

// profilesOf is ProfilesOf without the view's memory.
func (v *View) profilesOf(ids bitmap.Audience) bitmap.Audience {
	var b bitmap.Builder
	buf := make([]uint32, 0, 4096)
	out := make([]uint32, 0, 4096)
	for batch := range ids.Batches(buf) {
		out = out[:0]
		for _, m := range batch {
			if p, ok := v.ProfileOf(m); ok {
				out = append(out, uint32(p))
			}
		}
		b.AddMany(out)
	}
	return b.Audience()
}

// projectProfiles is Project without the view's memory: it maps every
// member to the profile of its key and remembers nothing.
func (v *View) projectProfiles(a bitmap.Audience) bitmap.Audience {
	var b bitmap.Builder
	buf := make([]uint32, 0, 4096)
	out := make([]uint32, 0, 4096)
	var later *resolve.View // the graph's latest view, for numbers newer than v
	for batch := range a.Batches(buf) {
		out = out[:0]
		for _, m := range batch {
			k := v.rv.Key(m)
			if k == resolve.None && v.g != nil {
				if later == nil {
					later = v.g.latest.Load()
				}
				if later != nil {
					k = later.Key(m)
				}
			}
			if k == resolve.None {
				continue
			}
			if p, ok := v.ProfileOf(k); ok {
				out = append(out, uint32(p))
			}
		}
		b.AddMany(out)
	}
	return b.Audience()
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
