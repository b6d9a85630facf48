package reconcile

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"sync"
	"unicode/utf8"

	"github.com/idbits/idbits/bitmap"
	"github.com/idbits/idbits/idtypes"
)

// ErrAudienceName: an audience name given to Catalog.Put is empty, longer
// than MaxAudienceName bytes or not UTF-8.
var ErrAudienceName = errors.New("reconcile: invalid audience name")

// MaxAudienceName is the length in bytes of the longest audience name.
const MaxAudienceName = 1024

// Catalog keeps named audiences with a Graph: it persists them in the graph's
// snapshot and re-projects them onto the graph's current view when they are
// read, so an audience follows its profiles through merges, splits and
// erasures.
//
// An audience is kept as the identities that qualify: Put takes a set of
// profiles and keeps every member those profiles had in the view it was
// built under. Get maps each identity still in the graph to its current
// profile (View.ProfilesOf). Since it keeps identities, not profile numbers,
// an audience survives a snapshot, which numbers the profiles afresh. So after a merge the merged profile is in the
// audience if any part of it was; after a split every part holding a
// qualifying identity is; an identity that moves to another profile (a
// shared device under the linking rules) takes the audience there;
// identities linked to a profile after Put neither qualify it nor keep it
// qualified. Erased identities drop out: a profile whose qualifying
// identities were all erased leaves the audience, and Graph.Erase reports
// it.
//
// A Catalog comes from Graph.Catalog; the zero Catalog is not usable. Every
// method is safe for concurrent use: a mutex guards the audiences, and Get
// projects outside it.
type Catalog struct {
	g  *Graph
	st *catalogState
}

// catalogState is the audiences of one graph, held in Graph.cat.
type catalogState struct {
	mu   sync.Mutex
	sets map[string]*catalogEntry
}

// catalogEntry is one audience. ids never changes; the cache is guarded by
// the state's mutex.
type catalogEntry struct {
	ids  bitmap.Audience // qualifying identity ordinals
	proj Profiles        // ids projected onto the view it was made under, or zero
}

func newCatalogState() *catalogState {
	return &catalogState{sets: make(map[string]*catalogEntry)}
}

// catalogState returns g's catalog state.
func (g *Graph) catalogState() *catalogState { return g.cat }

// catalogIfAny returns g's catalog state.
func (g *Graph) catalogIfAny() *catalogState { return g.cat }

// Catalog returns the graph's catalog of named audiences. Every call returns
// a handle on the same audiences; a new graph has none. ReadGraph and ReadGraphFile
// restore the catalog a snapshot holds.
func (g *Graph) Catalog() *Catalog { return &Catalog{g: g, st: g.catalogState()} }

func checkAudienceName(name string) error {
	if name == "" || len(name) > MaxAudienceName || !utf8.ValidString(name) {
		return fmt.Errorf("%w: %s", ErrAudienceName, quoteName(name))
	}
	return nil
}

// maxQuotedName is how many bytes of an audience name a message shows.
const maxQuotedName = 64

// quoteName quotes an audience name for a message. A name over
// maxQuotedName bytes is shortened at a character boundary and says so:
// "abc…" (1000 bytes, shortened).
func quoteName(s string) string {
	if len(s) <= maxQuotedName {
		return strconv.Quote(s)
	}
	n := maxQuotedName
	// Back up to the start of the character at n; past utf8.UTFMax-1
	// continuation bytes the name is not UTF-8 there, and Quote escapes
	// each byte anyway.
	for i := 0; i < utf8.UTFMax-1 && n > 0 && !utf8.RuneStart(s[n]); i++ {
		n--
	}
	q := strconv.Quote(s[:n])
	return q[:len(q)-1] + "…\" (" + strconv.Itoa(len(s)) + " bytes, shortened)"
}

// Put keeps profiles a under name, replacing any audience of that name. It
// keeps the identities of those profiles in a's view, erased ones left out,
// so it costs time in proportion to them. The zero Profiles keeps an empty
// audience.
//
// Put fails, keeping nothing, with ErrAudienceName for an invalid name, and
// ErrForeignView for profiles of another graph.
func (c *Catalog) Put(name string, a Profiles) error {
	if err := checkAudienceName(name); err != nil {
		return err
	}
	var ids bitmap.Audience
	if a.v != nil {
		if a.v.g != c.g {
			return fmt.Errorf("catalog put: %w", ErrForeignView)
		}
		var err error
		if ids, err = a.v.identitiesOf(a.set); err != nil {
			return fmt.Errorf("catalog put: %w", err)
		}
	}
	e := &catalogEntry{ids: ids}
	c.st.mu.Lock()
	c.st.sets[name] = e
	c.st.mu.Unlock()
	return nil
}

// identitiesOf returns the live members of the profiles of a in v, failing
// with ErrNotProfile if a member of a is not a profile of v (which the
// constructors of Profiles rule out).
func (v *View) identitiesOf(a bitmap.Audience) (bitmap.Audience, error) {
	var b bitmap.Builder
	buf := make([]uint32, 0, 4096)
	out := make([]uint32, 0, 4096)
	for batch := range a.Batches(buf) {
		for _, p := range batch {
			if !v.rv.Live(p) {
				return bitmap.Audience{}, fmt.Errorf("%w: %d", ErrNotProfile, p)
			}
			for m := range v.MemberOrds(Profile(p)) {
				out = append(out, m)
			}
			if len(out) >= 1<<16 {
				b.AddMany(out)
				out = out[:0]
			}
		}
	}
	b.AddMany(out)
	return b.Audience(), nil
}

// Get returns audience name as profiles of the graph's current view, and
// false if there is no such audience. The profiles are cached until the
// view changes.
func (c *Catalog) Get(name string) (Profiles, bool) {
	c.st.mu.Lock()
	e, ok := c.st.sets[name]
	c.st.mu.Unlock()
	if !ok {
		return Profiles{}, false
	}
	v := c.g.View()
	c.st.mu.Lock()
	if e.proj.v == v {
		a := e.proj
		c.st.mu.Unlock()
		return a, true
	}
	c.st.mu.Unlock()
	a := v.ProfilesOf(e.ids)
	c.st.mu.Lock()
	e.proj = a
	c.st.mu.Unlock()
	return a, true
}

// Identities returns the identities (ordinals) that qualify for audience
// name, and false if there is no such audience. Identities erased since the
// audience was put are not among them (Graph.Erase removes them).
func (c *Catalog) Identities(name string) (bitmap.Audience, bool) {
	c.st.mu.Lock()
	defer c.st.mu.Unlock()
	e, ok := c.st.sets[name]
	if !ok {
		return bitmap.Audience{}, false
	}
	return e.ids, true
}

// Names returns the names of the audiences, sorted.
func (c *Catalog) Names() []string {
	c.st.mu.Lock()
	defer c.st.mu.Unlock()
	return slices.Sorted(maps.Keys(c.st.sets))
}

// Len returns the number of audiences.
func (c *Catalog) Len() int {
	c.st.mu.Lock()
	defer c.st.mu.Unlock()
	return len(c.st.sets)
}

// Delete forgets audience name and reports whether there was one.
func (c *Catalog) Delete(name string) bool {
	c.st.mu.Lock()
	defer c.st.mu.Unlock()
	_, ok := c.st.sets[name]
	delete(c.st.sets, name)
	return ok
}

// catalogAudience is one audience as a snapshot holds it.
type catalogAudience struct {
	name string
	ids  bitmap.Audience
}

// entries returns the audiences sorted by name.
func (st *catalogState) entries() []catalogAudience {
	st.mu.Lock()
	out := make([]catalogAudience, 0, len(st.sets))
	for name, e := range st.sets {
		out = append(out, catalogAudience{name, e.ids})
	}
	st.mu.Unlock()
	slices.SortFunc(out, func(a, b catalogAudience) int { return cmp.Compare(a.name, b.name) })
	return out
}

// EraseReport says what Graph.Erase did.
type EraseReport struct {
	// Changed holds the profiles that changed, under Before.
	Changed Profiles
	// Before is the view just before the erasure: the profiles of Exited
	// are its profiles. Its Members yields their identifiers that are left.
	Before *View
	// Exited holds, for each audience of the catalog that lost profiles,
	// those profiles (numbers under Before): the profiles of the audience none
	// of whose qualifying identities is left. Send them as suppressions.
	// Audiences that lost none are not in the map.
	Exited map[string]Profiles
}

// Erase forgets identifiers for good (the right to erasure). It tombstones
// them in the Dictionary, drops them from every record of the log, rebuilds
// the components that held them (a profile may split into several) and
// resolves them again, and it cascades the erasure into the catalog: each
// audience forgets the erased identities.
//
// The report's Changed holds the profiles that changed, under the view just
// before the erasure (which includes every record linked before the call):
// every profile that held an erased identifier, and every other profile
// whose members or key changed because a join the rules had cut is no longer
// in conflict. A profile in it may have disappeared (all its members
// erased), been split, or changed; it is not in it if it came out identical.
// The view after the erasure is the graph's View. Exited lists, per
// audience, the profiles that left it because every identity that qualified
// them was erased; a profile that keeps a qualifying identity stays, under
// whatever key it has after the erasure (Catalog.Get gives it).
//
// Erased identifiers never come back: later Link calls drop them (see Link),
// and no view, old or new, yields them. Erasing an identifier the graph has
// never seen tombstones it too, so it cannot be linked later; erasing one
// twice is a no-op. Erase fails with a *RecordError matching ErrInvalid
// (naming the position of a zero ID) or ErrFull, before erasing anything.
// The catalog is locked for the whole call, so Put and Get wait for it.
func (g *Graph) Erase(ids ...idtypes.ID) (EraseReport, error) {
	st := g.catalogState()
	st.mu.Lock()
	defer st.mu.Unlock()
	before := g.View()
	var gone []uint32
	var profiles []Profile // of gone, in before; NoOrdinal if none
	for _, id := range ids {
		o, ok := g.dict.Lookup(id)
		if !ok {
			continue
		}
		p, ok := before.ProfileOf(o)
		if !ok {
			p = Profile(NoOrdinal)
		}
		gone = append(gone, o)
		profiles = append(profiles, p)
	}
	changed, err := g.erase(ids...)
	if err != nil {
		return EraseReport{}, err
	}
	ch := make([]uint32, len(changed))
	for i, p := range changed {
		ch[i] = uint32(p)
	}
	rep := EraseReport{Changed: Profiles{set: bitmap.Of(ch...), v: before}, Before: before, Exited: map[string]Profiles{}}
	if len(gone) == 0 {
		return rep, nil
	}
	goneSet := bitmap.Of(gone...)
	for name, e := range st.sets {
		if !bitmap.Intersects(e.ids, goneSet) {
			continue
		}
		rest := bitmap.AndNot(e.ids, goneSet)
		var exited []uint32
		for i, o := range gone {
			p := profiles[i]
			if !e.ids.Contains(o) || p == Profile(NoOrdinal) || slices.Contains(exited, uint32(p)) {
				continue
			}
			if !qualifies(before, p, rest) {
				exited = append(exited, uint32(p))
			}
		}
		st.sets[name] = &catalogEntry{ids: rest}
		if len(exited) > 0 {
			rep.Exited[name] = Profiles{set: bitmap.Of(exited...), v: before}
		}
	}
	return rep, nil
}

// qualifies reports whether profile p of v keeps a member in ids. Erased
// members are not yielded.
func qualifies(v *View, p Profile, ids bitmap.Audience) bool {
	for m := range v.MemberOrds(p) {
		if ids.Contains(m) {
			return true
		}
	}
	return false
}
