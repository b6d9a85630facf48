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

// Profile names a profile by the ordinal of its key: the member with the
// highest-priority namespace, ties broken by idtypes.ID.Compare. So a set of
// profiles is a bitmap.Audience of key ordinals.
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
	profiles bitmap.Audience
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
	k := v.rv.Key(ord)
	if k == resolve.None || v.dict.Erased(ord) {
		return 0, false
	}
	return Profile(k), true
}

// Key returns the key identifier of profile p, or the zero ID if p is not a
// profile of this view (or its key was erased since).
func (v *View) Key(p Profile) idtypes.ID {
	if v.rv.Key(uint32(p)) != uint32(p) {
		return idtypes.ID{}
	}
	id, _ := v.dict.ID(uint32(p))
	return id
}

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

// Profiles returns every profile of the view, as key ordinals.
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

// Project maps an audience of profiles built under an older view (or any
// set of identity ordinals) onto this view: each member goes to the current
// profile of its identity. Merged profiles become one, a split profile's key
// goes to the profile its key identity now belongs to, and erased members
// and identities in no profile drop out.
//
// The view remembers the audiences Project returns, and those Join found to
// be made of its profiles, by the identity of their members (an audience and
// its copies, not an equal audience built separately), without holding them
// alive. Projecting such an audience again returns it as it is, without
// reading it, while no identity has been erased since the view was taken.
// So project an audience once per view and join the result as often as
// needed: only the set operation itself is paid.
func (v *View) Project(a bitmap.Audience) bitmap.Audience {
	if v.isKnown(a) && v.current() {
		return a
	}
	p := v.projectMembers(a)
	v.remember(p)
	return p
}

// projectMembers is Project without the view's memory: it maps every member
// and remembers nothing.
func (v *View) projectMembers(a bitmap.Audience) bitmap.Audience {
	var b bitmap.Builder
	buf := make([]uint32, 0, 4096)
	out := make([]uint32, 0, 4096)
	for batch := range a.Batches(buf) {
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
