package reconcile

import (
	"errors"
	"fmt"
	"iter"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/idbits/idbits/bitmap"
	"github.com/idbits/idbits/idtypes"
	"github.com/idbits/idbits/reconcile/idfile"
	"github.com/idbits/idbits/reconcile/internal/resolve"
	"github.com/idbits/idbits/reconcile/internal/table"
)

// Errors of Link, LinkMany, Simulate and ReplayGraph besides those of the
// Dictionary (ErrInvalid, ErrErased, ErrFull); match them with errors.Is.
var (
	// ErrTooMany: a record holds more distinct identifiers than
	// Rules.MaxPerRecord.
	ErrTooMany = errors.New("reconcile: too many identifiers in one record")
	// ErrTime: a record's time is outside the years 1678 to 2262 (time is
	// kept in nanoseconds since 1970 in an int64).
	ErrTime = errors.New("reconcile: record time out of range")
	// ErrGraphFull: the graph's log holds as many records or record
	// entries as it can address (about 2^32 of each). The record is not
	// kept; the graph is unchanged and still serves views.
	ErrGraphFull = errors.New("reconcile: graph full")
)

// RecordError reports a record, or one identifier of it, that Link,
// LinkMany, LinkRecords, Simulate or ReplayGraph did not take as given. Unwrap
// gives the reason: ErrInvalid, ErrErased, ErrBlocklisted, ErrTooMany, ErrTime, ErrFull,
// ErrGraphFull (or, from ReplayGraph, ErrUnknownOrdinal).
//
// Its message names the record by its line when it has one (LinkRecords),
// and the identifier by its value: "reconcile: line 35001: identifier
// ECID:…: identifier erased".
type RecordError struct {
	Record int        // index of the record in its batch (0 for Link and Erase); from LinkRecords, among all the records read
	Line   int        // 1-based line of the record in its file, from LinkRecords; 0 if not known
	Pos    int        // position of the identifier at fault as given, or -1 for the whole record
	ID     idtypes.ID // the identifier at fault, if any
	Err    error
	batch  bool // from LinkMany, Simulate or ReplayGraph: Record is meaningful
}

func (e *RecordError) Error() string {
	var place []string
	switch {
	case e.Line > 0:
		place = append(place, "line "+strconv.Itoa(e.Line))
	case e.batch:
		place = append(place, "record "+strconv.Itoa(e.Record))
	}
	switch {
	case e.ID.IsValid():
		place = append(place, "identifier "+e.ID.Text())
	case e.Pos >= 0:
		place = append(place, "identifier at position "+strconv.Itoa(e.Pos))
	}
	if len(place) == 0 {
		place = append(place, "record")
	}
	return "reconcile: " + strings.Join(place, ": ") + ": " + strings.TrimPrefix(e.Err.Error(), "reconcile: ")
}

func (e *RecordError) Unwrap() error { return e.Err }

// Record is one observation of identifiers seen together at a time: a login,
// a CRM row, an XDM identityMap.
type Record struct {
	At  time.Time
	IDs []idtypes.ID
}

// Cut reports a join the linking rules did not make.
type Cut struct {
	// Record is the record whose join was cut: its time (UTC) and its
	// identifiers in join order (priority first), erased ones left out.
	Record Record
	// ID is the identifier that was not joined to the record's first one.
	ID idtypes.ID
	// Rule is the rule that cut the join.
	Rule Rule
	// Namespace is, for RuleUnique, the unique namespace in conflict.
	Namespace idtypes.Namespace
}

// Graph is an identity graph: an append-only log of records, each a set of
// identifiers seen together at a time, resolved under linking Rules into
// profiles. Use NewGraph or ReplayGraph; the zero Graph is not ready.
//
// Resolution replays each plain connected component of the records from the
// newest record to the oldest; records of equal time go in the order of
// their identifier lists (in join order, compared identifier by identifier
// with the priority order, then idtypes.ID.Compare; a prefix first), so the
// order in which records arrive never changes the result. A record's
// identifiers are joined one at a time to its first (highest priority)
// identifier. A join that would put two identities of a Unique namespace in
// one profile, or more than MaxIdentities identities, is cut and reported as
// a Cut. With no rules, profiles are the plain connected components.
//
// View returns the current resolution, computed incrementally: only the
// components that records or erasures touched since the previous view are
// resolved again. Views are immutable.
//
// Every method is safe for concurrent use: a mutex guards the log, and
// identifiers go through the Dictionary's own concurrency outside it. View
// and Erase resolve while holding the mutex, so Link calls wait for them.
type Graph struct {
	dict *Dictionary
	rs   ruleSet

	mu   sync.Mutex
	rg   *resolve.Graph
	view *View
	tmp  map[uint32]idtypes.ID // Simulate's identifiers new to the dictionary

	cat *catalogState // named audiences; see Catalog

	// erasures counts the dictionary's erasures the graph knows of: those
	// before it was made, which no record holds, and those of Erase.
	erasures uint64
}

// NewGraph returns an empty graph with its own Dictionary, or an error
// matching ErrRules if the rules are invalid (see Rules.Validate).
func NewGraph(rules Rules) (*Graph, error) {
	if err := rules.Validate(); err != nil {
		return nil, err
	}
	return newGraph(NewDictionary(), rules), nil
}

// newGraph returns an empty graph over d; rules must be valid.
func newGraph(d *Dictionary, rules Rules) *Graph {
	g := &Graph{dict: d, rs: newRuleSet(rules), cat: newCatalogState(), erasures: d.erasures.Load()}
	g.rg = resolve.New(g.rs.resolveRules(g.compareOrd))
	g.view = &View{rv: g.rg.View(), dict: d, g: g}
	return g
}

// compareOrd orders two identities canonically, as idtypes.ID.Compare does
// (erased ones first, as the zero ID). It runs under g.mu.
//
// It compares the stored keys (idtypes.CompareKeys), and decodes only the
// identifiers Simulate has not added.
func (g *Graph) compareOrd(a, b uint32) int {
	if len(g.tmp) == 0 {
		ka, _, _ := g.dict.tab().Key(a)
		kb, _, _ := g.dict.tab().Key(b)
		return idtypes.CompareKeys(ka, kb)
	}
	return g.idOf(a).Compare(g.idOf(b))
}

func (g *Graph) idOf(o uint32) idtypes.ID {
	if id, ok := g.tmp[o]; ok {
		return id
	}
	id, _ := g.dict.ID(o)
	return id
}

// Dictionary returns the graph's dictionary. Ordinals of its identifiers are
// the ordinals of Records and View.ProfileOf.
func (g *Graph) Dictionary() *Dictionary { return g.dict }

// Rules returns the rules the graph resolves under.
func (g *Graph) Rules() Rules {
	r := g.rs.Rules
	r.Unique = slices.Clone(r.Unique)
	r.Priority = slices.Clone(r.Priority)
	r.Blocklist = slices.Clone(r.Blocklist)
	return r
}

var (
	minTime = time.Unix(0, math.MinInt64)
	maxTime = time.Unix(0, math.MaxInt64)
)

func timeOK(at time.Time) bool { return !at.Before(minTime) && !at.After(maxTime) }

// entry is one identifier of a record being prepared.
type entry struct {
	id      idtypes.ID
	pos     int  // position as given
	blocked bool // on the blocklist: to be dropped and reported
}

// prepare validates a record's identifiers and returns the distinct ones in
// join order, appended to buf[:0], blocklisted ones marked. They count
// toward MaxPerRecord: the record is checked as given.
func (g *Graph) prepare(rec int, batch bool, ids []idtypes.ID, buf []entry) ([]entry, *RecordError) {
	es := buf[:0]
	for i, id := range ids {
		if !id.IsValid() {
			return es, &RecordError{Record: rec, Pos: i, Err: ErrInvalid, batch: batch}
		}
		es = append(es, entry{id, i, g.rs.blocked(id)})
	}
	es = g.order(es)
	if len(es) > g.rs.maxPer {
		return es, &RecordError{Record: rec, Pos: -1, Err: fmt.Errorf("%w: %d distinct, at most %d", ErrTooMany, len(es), g.rs.maxPer), batch: batch}
	}
	return es, nil
}

// order sorts entries into join order and drops repeated identifiers.
func (g *Graph) order(es []entry) []entry {
	if len(es) <= 12 {
		for i := 1; i < len(es); i++ {
			for j := i; j > 0 && g.rs.compareID(es[j].id, es[j-1].id) < 0; j-- {
				es[j], es[j-1] = es[j-1], es[j]
			}
		}
	} else {
		slices.SortStableFunc(es, func(a, b entry) int { return g.rs.compareID(a.id, b.id) })
	}
	return slices.CompactFunc(es, func(a, b entry) bool { return a.id == b.id })
}

// Link records one observation of identifiers seen together at time at. One
// identifier alone registers it as a profile of its own; no identifiers is a
// no-op. Duplicates are collapsed.
//
// Link records nothing and returns a *RecordError if the time is out of range
// (ErrTime), an identifier is the zero ID (ErrInvalid, naming its position),
// there are more than Rules.MaxPerRecord distinct identifiers (ErrTooMany),
// the dictionary is full (ErrFull) or the graph is (ErrGraphFull); the
// identifiers may stay in the dictionary.
//
// Erased identifiers never come back: Link drops them from the record,
// records the others, and reports each dropped one in a *RecordError
// matching ErrErased (joined with errors.Join if there are several). That is
// the only error after which the record was kept: linking an old record
// after an erasure gives the graph the erasure would have given with the
// record already there. Identifiers on Rules.Blocklist are dropped the same
// way, reported with ErrBlocklisted, and never added to the dictionary.
func (g *Graph) Link(at time.Time, ids ...idtypes.ID) error {
	if len(ids) == 0 {
		return nil
	}
	if !timeOK(at) {
		return &RecordError{Pos: -1, Err: ErrTime}
	}
	var ebuf [DefaultMaxPerRecord]entry
	es, rerr := g.prepare(0, false, ids, ebuf[:0])
	if rerr != nil {
		return rerr
	}
	var obuf [DefaultMaxPerRecord]uint32
	var nbuf [DefaultMaxPerRecord]uint16
	ords, nss := obuf[:0], nbuf[:0]
	var errs []error
	for _, e := range es {
		if e.blocked {
			errs = append(errs, &RecordError{Pos: e.pos, ID: e.id, Err: ErrBlocklisted})
			ords = append(ords, NoOrdinal) // ords and nss stay beside es
			nss = append(nss, 0)
			continue
		}
		o, err := g.dict.Add(e.id)
		switch {
		case errors.Is(err, ErrErased):
			errs = append(errs, &RecordError{Pos: e.pos, ID: e.id, Err: ErrErased})
			o = NoOrdinal
		case err != nil:
			return &RecordError{Pos: e.pos, ID: e.id, Err: err}
		}
		ords = append(ords, o)
		nss = append(nss, uint16(e.id.Namespace()))
	}
	g.mu.Lock()
	w := 0
	for i, o := range ords {
		if o == NoOrdinal {
			continue
		}
		if g.rg.Erased(o) { // erased since we added it
			errs = append(errs, &RecordError{Pos: es[i].pos, ID: es[i].id, Err: ErrErased})
			continue
		}
		ords[w], nss[w] = o, nss[i]
		w++
	}
	if w > 0 {
		if _, err := g.rg.Append(at.UnixNano(), ords[:w], nss[:w]); err != nil {
			g.mu.Unlock()
			return &RecordError{Pos: -1, Err: graphErr(err)}
		}
	}
	g.mu.Unlock()
	if len(errs) == 1 {
		return errs[0]
	}
	return errors.Join(errs...)
}

// Batch collects records for LinkMany in flat arrays. The zero Batch is
// empty and ready to use. A Batch is not safe for concurrent use.
type Batch struct {
	at  []int64
	bad []int // indexes of records with a time out of range
	end []int // end of each record in ids
	ids []idtypes.ID
}

// Add appends a record; ids are copied.
func (b *Batch) Add(at time.Time, ids ...idtypes.ID) {
	if timeOK(at) {
		b.at = append(b.at, at.UnixNano())
	} else {
		b.bad = append(b.bad, len(b.at))
		b.at = append(b.at, 0)
	}
	b.ids = append(b.ids, ids...)
	b.end = append(b.end, len(b.ids))
}

// Len returns the number of records in b.
func (b *Batch) Len() int { return len(b.at) }

// Reset empties b, keeping its memory.
func (b *Batch) Reset() {
	b.at, b.bad, b.end, b.ids = b.at[:0], b.bad[:0], b.end[:0], b.ids[:0]
}

// LinkReport counts what LinkMany did with a batch, or LinkRecords with a
// file. Every data line LinkRecords reads gave a record or not, and every
// record with identifiers was linked or rejected:
//
//	Lines = InvalidLines + Records
//	Records = Linked + Rejected
//
// Its JSON form uses the snake_case names of the tags.
type LinkReport struct {
	// Lines counts the data lines LinkRecords read (readers skip blank
	// lines); InvalidLines the lines among them that gave no record, and
	// InvalidIdentities the identities the reader left out of the records
	// it gave. LinkMany leaves all three zero.
	Lines             int `json:"lines"`
	InvalidLines      int `json:"invalid_lines"`
	InvalidIdentities int `json:"invalid_identities"`
	// Records counts the records in the batch, or read.
	Records int `json:"records"`
	// Linked counts the records recorded, some perhaps without erased
	// identifiers; Rejected the records not recorded; Dropped the erased
	// and blocklisted identifiers dropped from recorded records.
	Linked   int `json:"linked"`
	Rejected int `json:"rejected"`
	Dropped  int `json:"dropped"`
	// Errors holds one *RecordError per rejected record and per dropped
	// identifier, in record order; from LinkRecords, the first
	// LinkOptions.MaxRejected of them, naming their lines.
	Errors []*RecordError `json:"-"`
	// LineErrors holds the first LinkOptions.MaxRejected errors of the
	// reader: lines that gave no record and identities left out, in the
	// order read. LinkMany leaves it empty.
	LineErrors []*idfile.LineError `json:"-"`
}

// linkChunk is how many records LinkMany appends per hold of the mutex.
const linkChunk = 1 << 14

// LinkMany records every record of b as Link would, in bulk: identifiers go
// to the dictionary in one AddMany call, and records reach the log in chunks
// without allocations per record. Records Link would reject are skipped
// (their identifiers are not added to the dictionary) and reported in the
// LinkReport, as are erased and blocklisted identifiers dropped from the
// records (blocklisted ones are never added to the dictionary); the error is
// for the batch as a whole (the dictionary failing other than for one
// identifier). b is not changed and can be reused.
func (g *Graph) LinkMany(b *Batch) (LinkReport, error) {
	if b == nil {
		b = &Batch{}
	}
	rep := LinkReport{Records: b.Len()}
	// Pass 1: reject bad records. ok[i] says record i goes on.
	ok := make([]bool, b.Len())
	bad := b.bad
	var ebuf []entry
	rejected := false
	blocked := false // a record holds a blocklisted identifier
	lo := 0
	for i := range b.Len() {
		hi := b.end[i]
		ids := b.ids[lo:hi]
		lo = hi
		if len(bad) > 0 && bad[0] == i {
			bad = bad[1:]
			rep.reject(&RecordError{Record: i, Pos: -1, Err: ErrTime, batch: true})
			rejected = true
			continue
		}
		if len(ids) == 0 {
			continue
		}
		var rerr *RecordError
		for j, id := range ids {
			if !id.IsValid() {
				rerr = &RecordError{Record: i, Pos: j, Err: ErrInvalid, batch: true}
				break
			}
		}
		if rerr == nil && len(ids) > g.rs.maxPer {
			_, rerr = g.prepare(i, true, ids, ebuf) // counts the distinct ones
		}
		if rerr != nil {
			rep.reject(rerr)
			rejected = true
			continue
		}
		if g.rs.block != nil && !blocked && slices.ContainsFunc(ids, g.rs.blocked) {
			blocked = true
		}
		ok[i] = true
	}

	// Pass 2: ordinals of every identifier of the records that go on.
	// Without rejections or blocklisted identifiers that is b.ids itself,
	// not copied. In a copy, the zero ID stands for a blocklisted one, so
	// that it stays out of the dictionary.
	copied := rejected || blocked
	ids, base := b.ids, make([]int, 0)
	if copied {
		ids = nil
		lo = 0
		for i := range b.Len() {
			base = append(base, len(ids)-lo) // index in ids = index in b.ids + base[i]
			if ok[i] {
				n := len(ids)
				ids = append(ids, b.ids[lo:b.end[i]]...)
				for k := n; blocked && k < len(ids); k++ {
					if g.rs.blocked(ids[k]) {
						ids[k] = idtypes.ID{}
					}
				}
			}
			lo = b.end[i]
		}
	}
	ords := make([]uint32, len(ids))
	if err := g.dict.AddMany(ids, ords); err != nil {
		var ae *AddError
		if !errors.As(err, &ae) {
			return rep, err
		}
		// Find why each failed: erased identifiers are dropped, a full
		// dictionary rejects the record. Blocklisted ones were left out.
		for i, o := range ords {
			if o != NoOrdinal || !ids[i].IsValid() { // added, or blocklisted
				continue
			}
			if _, err := g.dict.Add(ids[i]); !errors.Is(err, ErrErased) {
				ords[i] = NoOrdinal - 1 // marks "not added" for the loop below
			}
		}
	}

	// Pass 3: each record in join order, into the log.
	type sorted struct {
		id  idtypes.ID
		ord uint32
		pos int32
	}
	var sbuf []sorted
	var nbuf []uint16
	var obuf []uint32
	if n := g.dict.Len(); n > 0 {
		g.mu.Lock()
		g.rg.Reserve(b.Len(), len(ids), uint32(n-1))
		g.mu.Unlock()
	}
	for c := 0; c < b.Len(); c += linkChunk {
		g.mu.Lock()
		for i := c; i < min(c+linkChunk, b.Len()); i++ {
			if !ok[i] {
				continue
			}
			lo := 0
			if i > 0 {
				lo = b.end[i-1]
			}
			hi := b.end[i]
			off := 0
			if copied {
				off = base[i]
			}
			sbuf = sbuf[:0]
			for j := lo; j < hi; j++ {
				// b.ids[j] is ids[j+off], or the blocklisted identifier
				// the zero ID there stands for.
				sbuf = append(sbuf, sorted{b.ids[j], ords[j+off], int32(j - lo)})
			}
			for x := 1; x < len(sbuf); x++ {
				for y := x; y > 0 && g.rs.compareID(sbuf[y].id, sbuf[y-1].id) < 0; y-- {
					sbuf[y], sbuf[y-1] = sbuf[y-1], sbuf[y]
				}
			}
			obuf, nbuf = obuf[:0], nbuf[:0]
			var full *RecordError
			dropped := len(rep.Errors)
			for x, e := range sbuf {
				if x > 0 && e.id == sbuf[x-1].id {
					continue
				}
				if e.ord == NoOrdinal-1 {
					full = &RecordError{Record: i, Pos: int(e.pos), ID: e.id, Err: ErrFull, batch: true}
					break
				}
				if e.ord == NoOrdinal && g.rs.blocked(e.id) {
					rep.Errors = append(rep.Errors, &RecordError{Record: i, Pos: int(e.pos), ID: e.id, Err: ErrBlocklisted, batch: true})
					continue
				}
				if e.ord == NoOrdinal || g.rg.Erased(e.ord) {
					rep.Errors = append(rep.Errors, &RecordError{Record: i, Pos: int(e.pos), ID: e.id, Err: ErrErased, batch: true})
					continue
				}
				obuf = append(obuf, e.ord)
				nbuf = append(nbuf, uint16(e.id.Namespace()))
			}
			if full != nil {
				rep.Errors = rep.Errors[:dropped]
				rep.reject(full)
				continue
			}
			if len(obuf) > 0 {
				if _, err := g.rg.Append(b.at[i], obuf, nbuf); err != nil {
					rep.Errors = rep.Errors[:dropped]
					rep.reject(&RecordError{Record: i, Pos: -1, Err: graphErr(err), batch: true})
					continue
				}
				rep.Linked++
			} else {
				rep.Rejected++
			}
			rep.Dropped += len(rep.Errors) - dropped
		}
		g.mu.Unlock()
	}
	slices.SortStableFunc(rep.Errors, func(a, b *RecordError) int { return a.Record - b.Record })
	return rep, nil
}

func (r *LinkReport) reject(e *RecordError) {
	r.Rejected++
	r.Errors = append(r.Errors, e)
}

// Records returns the log: each record's time (UTC) and its identities'
// ordinals in join order, in the order they were linked, erased identities
// left out and records left empty by erasure skipped. It reads a consistent
// snapshot taken when the iteration starts, without holding the graph's lock
// while it yields, so the loop body may call any method of the graph. The
// slices are shared with the graph: read only.
//
// Records, the Dictionary and the Rules are what ReplayGraph needs to rebuild
// the graph.
func (g *Graph) Records() iter.Seq2[time.Time, []uint32] {
	return func(yield func(time.Time, []uint32) bool) {
		g.mu.Lock()
		rs := g.rg.Records()
		g.mu.Unlock()
		for i := range rs.Len() {
			at, ords := rs.At(i)
			if len(ords) == 0 {
				continue
			}
			if !yield(time.Unix(0, at).UTC(), ords) {
				return
			}
		}
	}
}

// ErrUnknownOrdinal: ReplayGraph met an ordinal the dictionary never handed out.
var ErrUnknownOrdinal = errors.New("reconcile: ordinal not in the dictionary")

// ReplayGraph builds a graph by replaying records over a dictionary under rules (as
// Graph.Records yields them, with the ordinals of d). The graph takes d as
// its Dictionary. Identities erased in d, and those on rules.Blocklist, are
// dropped from the records, as Link would, without a report (a blocklisted
// identity stays in d, in no profile); a record's order and duplicates do
// not matter. It fails with a *RecordError for an ordinal d never handed out
// (ErrUnknownOrdinal), a time out of range, a record over
// Rules.MaxPerRecord or more records than a graph holds (ErrGraphFull), and
// with an error matching ErrRules for invalid rules.
func ReplayGraph(d *Dictionary, rules Rules, records iter.Seq2[time.Time, []uint32]) (*Graph, error) {
	if err := rules.Validate(); err != nil {
		return nil, err
	}
	g := newGraph(d, rules)
	var blocked map[uint32]bool // ordinals of blocklisted identities
	for _, id := range rules.Blocklist {
		if o, ok := d.Lookup(id); ok {
			if blocked == nil {
				blocked = map[uint32]bool{}
			}
			blocked[o] = true
		}
	}
	var ords []uint32
	var nss []uint16
	i := -1
	for at, rec := range records {
		i++
		if !timeOK(at) {
			return nil, &RecordError{Record: i, Pos: -1, Err: ErrTime, batch: true}
		}
		if len(rec) > MaxRecordLimit {
			return nil, &RecordError{Record: i, Pos: -1, Err: fmt.Errorf("%w: %d, at most %d", ErrTooMany, len(rec), MaxRecordLimit), batch: true}
		}
		ords, nss = ords[:0], nss[:0]
		for j, o := range rec {
			ns, published, erased := d.meta(o)
			if !published {
				return nil, &RecordError{Record: i, Pos: j, Err: fmt.Errorf("%w: %d", ErrUnknownOrdinal, o), batch: true}
			}
			if erased || blocked[o] {
				continue
			}
			ords = append(ords, o)
			nss = append(nss, uint16(ns))
		}
		n := g.rg.Order(ords, nss)
		if n > g.rs.maxPer {
			return nil, &RecordError{Record: i, Pos: -1, Err: fmt.Errorf("%w: %d distinct, at most %d", ErrTooMany, n, g.rs.maxPer), batch: true}
		}
		if n > 0 {
			if _, err := g.rg.Append(at.UnixNano(), ords[:n], nss[:n]); err != nil {
				return nil, &RecordError{Record: i, Pos: -1, Err: graphErr(err), batch: true}
			}
		}
	}
	return g, nil
}

// graphErr gives the error of package reconcile for an error of the resolve
// log: ErrGraphFull for a full one.
func graphErr(err error) error {
	if errors.Is(err, resolve.ErrFull) {
		return ErrGraphFull
	}
	return err
}

// meta returns the namespace of ord, whether ord was handed out and whether
// it was erased, without decoding the identifier.
func (d *Dictionary) meta(ord uint32) (ns idtypes.Namespace, published, erased bool) {
	c, p, e := d.t.Meta(ord)
	return idtypes.Namespace(c), p, e
}

// lookupErased reports whether id is an erased identifier of d.
func (d *Dictionary) lookupErased(id idtypes.ID) bool {
	var buf keyBuf
	key, err := id.AppendBinary(buf[:0])
	if err != nil {
		return false
	}
	_, st := d.t.Lookup(key)
	return st == table.Erased
}

// View returns the current resolution of the graph: an immutable View, safe
// for any number of readers while the graph takes new links. It resolves
// again only the components touched since the previous view and shares the
// rest of that view's memory; with no change it returns the same View.
func (g *Graph) View() *View {
	g.mu.Lock()
	defer g.mu.Unlock()
	v, _ := g.refresh()
	return v
}

// refresh brings g.view up to date. It runs under g.mu.
func (g *Graph) refresh() (*View, resolve.Delta) {
	// A view may skip per-member erasure checks while the dictionary counts
	// no erasure the graph has not resolved; see View.erasures.
	stamp := g.dict.erasures.Load()
	if stamp != g.erasures {
		stamp = math.MaxUint64 // erased behind the graph's back
	}
	rv, d := g.rg.Resolve()
	if rv == g.view.rv {
		return g.view, d
	}
	// The live numbers: the old ones but those that died, and the born
	// ones, a range at the top.
	profiles := g.view.profiles
	if len(d.Died) > 0 {
		profiles = bitmap.AndNot(profiles, bitmap.Of(d.Died...))
	}
	if len(d.Born) > 0 {
		var born bitmap.Builder
		born.AddRange(d.Born[0], d.Born[len(d.Born)-1]+1)
		profiles = bitmap.Or(profiles, born.Audience())
	}
	g.view = &View{rv: rv, dict: g.dict, g: g, profiles: profiles, erasures: stamp}
	return g.view, d
}
