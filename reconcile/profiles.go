package reconcile

import (
	"errors"
	"fmt"
	"iter"

	"github.com/idbits/idbits/bitmap"
	"github.com/idbits/idbits/reconcile/internal/resolve"
)

// ErrNotProfile: a number given as a profile (View.AsProfiles) is not a
// profile of the view: it died before the view was taken, was never handed
// out, or its key was erased.
var ErrNotProfile = errors.New("reconcile: not a profile of the view")

// Profiles is a set of profiles of one Graph, numbered under the View it was
// made under. It is what the flows take and return (Join, Import, Export,
// Diff, Catalog), so that a flow knows in O(1) whether the set needs
// projecting onto its view, and a bitmap.Audience of anything else
// (identity ordinals, numbers of another graph) cannot be passed where
// profiles are expected: ProfilesOf, AsProfiles and View.Profiles are the
// ways in, Audience the way out.
//
// The zero Profiles is empty and belongs to no view. A Profiles is immutable
// and a small value: copies share their members. Like bitmap.Audience it is
// not comparable with ==; use Equal. It keeps its view alive, and with it
// the pages of the graph's resolution rewritten since (views share the
// pages they did not rewrite); projecting it onto a newer view
// (View.Project) lets the old view go.
type Profiles struct {
	set bitmap.Audience // profile numbers, each live in v when it was made
	v   *View           // nil if and only if the zero Profiles
}

// View returns the view p was made under, or nil for the zero Profiles.
func (p Profiles) View() *View { return p.v }

// Audience returns the profile numbers, for bitmap algebra, WriteTo or
// Overlap. Numbers mean profiles only under p.View() (and the views Project
// returns p unchanged for); combine audiences of profiles projected onto one
// view.
func (p Profiles) Audience() bitmap.Audience { return p.set }

// Len returns the number of profiles.
func (p Profiles) Len() uint64 { return p.set.Len() }

// IsEmpty reports whether p holds no profile.
func (p Profiles) IsEmpty() bool { return p.set.IsEmpty() }

// Contains reports whether p holds profile q.
func (p Profiles) Contains(q Profile) bool { return p.set.Contains(uint32(q)) }

// All returns the profiles in increasing number order.
func (p Profiles) All() iter.Seq[Profile] {
	return func(yield func(Profile) bool) {
		for m := range p.set.All() {
			if !yield(Profile(m)) {
				return
			}
		}
	}
}

// Equal reports whether p and q hold the same profiles: the same numbers of
// the same graph. Two empty sets are equal whatever their views. Numbers of
// one graph name the same profile in every view they are live in, so sets
// made under different views of a graph are compared by their numbers; to
// compare what they mean under one view, Project both onto it first.
func (p Profiles) Equal(q Profiles) bool {
	if p.IsEmpty() || q.IsEmpty() {
		return p.IsEmpty() && q.IsEmpty()
	}
	return sameNumbering(p.v, q.v) && p.set.Equal(q.set)
}

// sameNumbering reports whether profile numbers of views a and b, both not
// nil, name profiles alike: the views belong to one graph, which never hands
// a number to two profiles.
func sameNumbering(a, b *View) bool { return a.g == b.g }

// Profiles returns every profile of the view. O(1).
func (v *View) Profiles() Profiles { return Profiles{set: v.profiles, v: v} }

// ProfilesOf returns the profiles of this view that hold the identities
// with ordinals ids (as Dictionary, Catalog.Identities and
// Dictionary.Ordinals give them). Identities in no profile of the view, or
// erased, are left out. It costs one profile lookup per member of ids.
func (v *View) ProfilesOf(ids bitmap.Audience) Profiles {
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
	return Profiles{set: b.Audience(), v: v}
}

// AsProfiles returns the profile numbers a as profiles of this view: the
// door from untyped numbers, such as a bitmap decoded with
// bitmap.ReadFrom after Profiles.Audience was written under v (or a view of
// the same graph that v follows). It fails with ErrNotProfile, naming the
// first offending number, if a member of a is not a profile of v: a number
// that died before v was taken or was never handed out, or, if identities
// were erased since v was taken, one whose key was erased. It costs one
// bitmap difference with v's profiles (word-wide on dense sets); after an
// erasure since v, one check per member as well.
func (v *View) AsProfiles(a bitmap.Audience) (Profiles, error) {
	if bitmap.AndNotLen(a, v.profiles) != 0 {
		bad, _ := bitmap.AndNot(a, v.profiles).Min()
		return Profiles{}, fmt.Errorf("%w: %d", ErrNotProfile, bad)
	}
	if !v.current() {
		for p := range a.All() {
			if v.dict.Erased(v.rv.Key(p)) {
				return Profiles{}, fmt.Errorf("%w: %d (key erased)", ErrNotProfile, p)
			}
		}
	}
	return Profiles{set: a, v: v}, nil
}

// Project maps profiles a, made under any view of this graph (older or
// newer), onto this view: each profile goes to the profile that holds, in
// this view, the key identity it had in a's view. So a profile that still
// has its key keeps its number; profiles merged into another become that
// one; a profile whose key moved to another profile (a shared device taken
// over, a CRM ID joining an anonymous profile) follows its key; and a
// profile whose key was erased drops out. The zero Profiles projects to no
// profile of v. Profiles of another Graph (also one loaded from a snapshot
// of this one) fail with ErrForeignView: carry them by identities
// (Catalog, or ProfilesOf).
//
// Its cost, while no identity was erased since v was taken:
//   - a made under v: O(1), a itself;
//   - a made under another view of the graph, no profile number having died
//     between the two: O(1), the same numbers under v;
//   - otherwise one bitmap difference with v's profiles (word-wide on dense
//     sets), and if some members of a are no longer profiles, one key lookup
//     for each of those.
//
// After an erasure since v was taken, it checks each member of a, and maps
// them one by one if one of them is no longer a profile.
func (v *View) Project(a Profiles) (Profiles, error) {
	switch {
	case a.v == nil:
		return Profiles{v: v}, nil
	case !sameNumbering(a.v, v):
		return Profiles{}, ErrForeignView
	}
	if !v.current() {
		return v.projectChecked(a), nil
	}
	if a.v == v || (a.v.rv.Deaths() == v.rv.Deaths() && a.v.rv.Numbers() <= v.rv.Numbers()) {
		// No number died between the views, and every member was handed
		// out by v: all are live in v, with the keys they had.
		return Profiles{set: a.set, v: v}, nil
	}
	if bitmap.AndNotLen(a.set, v.profiles) == 0 {
		return Profiles{set: a.set, v: v}, nil
	}
	dead := bitmap.AndNot(a.set, v.profiles)
	moved := v.mapKeys(a.v.rv, dead)
	return Profiles{set: bitmap.Or(bitmap.And(a.set, v.profiles), moved), v: v}, nil
}

// projectChecked projects a onto v, a view with erasures since it was
// taken: a as it is if every member is live in v with its key not erased,
// else every member mapped through its key.
func (v *View) projectChecked(a Profiles) Profiles {
	ok := bitmap.AndNotLen(a.set, v.profiles) == 0
	if ok {
		for m := range a.set.All() {
			if v.dict.Erased(v.rv.Key(m)) {
				ok = false
				break
			}
		}
	}
	if ok {
		return Profiles{set: a.set, v: v}
	}
	return Profiles{set: v.mapKeys(a.v.rv, a.set), v: v}
}

// mapKeys maps each number of a, a profile number of from, to the profile
// of v holding its key identity in from; numbers whose key is in no
// profile of v, or erased, drop out.
func (v *View) mapKeys(from *resolve.View, a bitmap.Audience) bitmap.Audience {
	var b bitmap.Builder
	buf := make([]uint32, 0, 4096)
	out := make([]uint32, 0, 4096)
	for batch := range a.Batches(buf) {
		out = out[:0]
		for _, m := range batch {
			k := from.Key(m)
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
