package reconcile

import (
	"errors"
	"fmt"
	"io"
	"iter"
	"slices"
	"strconv"
	"time"

	"github.com/idbits/idbits/bitmap"
	"github.com/idbits/idbits/idtypes"
	"github.com/idbits/idbits/reconcile/idfile"
	"github.com/idbits/idbits/reconcile/internal/resolve"
)

// DefaultMaxRejected is how many rejected lines an ImportReport keeps when
// ImportOptions.MaxRejected is zero.
const DefaultMaxRejected = 100

// ErrForeignView: a flow was given a view and a graph, or profiles, that do
// not belong together: ImportOptions.Register is not the graph of the view,
// or Profiles of another graph were given to View.Project or a flow.
var ErrForeignView = errors.New("reconcile: view of another graph")

// Reason says why an import rejected a line, as ImportReport.InvalidByReason
// counts them and RejectedLine.Reason names them. The zero Reason is not
// valid. Its text form (String, MarshalText) is a short snake_case word, so
// reports in JSON key their counts by it.
type Reason uint8

// Reasons a line is rejected.
const (
	ReasonBlocked     Reason = 1 + iota // a blocked value: blank, "null", "anonymous", a placeholder, ... (idtypes.ErrBlocked)
	ReasonSyntax                        // idtypes.ErrSyntax
	ReasonRange                         // idtypes.ErrRange
	ReasonTooLong                       // idtypes.ErrTooLong
	ReasonNamespace                     // idtypes.ErrNamespace: an unknown namespace code
	ReasonLineTooLong                   // idfile.ErrLineTooLong
	ReasonFormat                        // idfile.ErrFormat
	ReasonQuote                         // idfile.ErrQuote
	ReasonTimestamp                     // idfile.ErrTimestamp
	ReasonEmpty                         // a value without an identifier (the zero ID) and no error
	ReasonOther                         // any other *idfile.LineError
)

var reasonText = [...]string{
	ReasonBlocked:     "blocked",
	ReasonSyntax:      "syntax",
	ReasonRange:       "range",
	ReasonTooLong:     "too_long",
	ReasonNamespace:   "namespace",
	ReasonLineTooLong: "line_too_long",
	ReasonFormat:      "format",
	ReasonQuote:       "quote",
	ReasonTimestamp:   "timestamp",
	ReasonEmpty:       "empty",
	ReasonOther:       "other",
}

// String returns the reason's word ("blocked", "syntax", "too_long", ...),
// or "Reason(N)" for a value that is not one of the constants.
func (r Reason) String() string {
	if int(r) < len(reasonText) && reasonText[r] != "" {
		return reasonText[r]
	}
	return "Reason(" + strconv.Itoa(int(r)) + ")"
}

// MarshalText returns String's text.
func (r Reason) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

// ImportOptions configure Import. The zero value counts unknown identifiers,
// keeps DefaultMaxRejected rejected lines and reports no progress.
type ImportOptions struct {
	// Register, if set, registers each identifier the view does not know
	// as a new profile of its own on this graph, as Experience Platform does
	// for the members of an external audience: Import links it alone
	// (Graph.LinkMany with one-identifier records), takes a new view of the
	// graph, and returns the profiles under that view
	// (Imported.Profiles.View).
	// The view given to Import must be a view of this graph, or Import
	// fails with ErrForeignView. Erased identifiers are never registered.
	Register *Graph
	// At is the time of the records that register identifiers; zero means
	// the time of the call.
	At time.Time
	// MaxRejected caps the rejected lines kept in ImportReport.Rejected:
	// zero means DefaultMaxRejected, a negative value keeps none. Every
	// rejected line is counted whatever the cap.
	MaxRejected int
	// Progress, if set, is called with the number of data lines read so
	// far: every ProgressEvery lines, and once at the end with
	// ImportReport.Lines (also when Import stops on an error). It runs on
	// the goroutine that called Import, between two lines, so it should
	// return quickly.
	Progress func(done int64)
}

// ImportReport is the funnel of an import. Every data line falls in exactly
// one stage:
//
//	Lines = Invalid + Duplicates + Unknown + MatchedIdentities
//
// Its JSON form uses the snake_case names of the tags.
type ImportReport struct {
	// Lines counts the data lines read: every identifier and every rejected
	// line the reader yielded (readers skip blank and comment lines).
	Lines int `json:"lines"`
	// Invalid counts the lines that gave no identifier, blocked values
	// (blank, "null", "anonymous", "invalid", "undefined", the all-zero
	// IDFA or GAID) included; InvalidByReason splits them by reason (the
	// Reason constants: ReasonBlocked for blocked values).
	Invalid         int            `json:"invalid"`
	InvalidByReason map[Reason]int `json:"invalid_by_reason"`
	// Duplicates counts the identifiers met again after their first line.
	Duplicates int `json:"duplicates"`
	// Unknown counts the distinct identifiers in no profile of the view.
	Unknown int `json:"unknown"`
	// Registered counts the unknown identifiers that ImportOptions.Register
	// placed in a profile of the result's view: a new profile of their own,
	// or, for one linked to the graph after the view was taken, the profile
	// it joined. Zero without Register.
	Registered int `json:"registered"`
	// MatchedIdentities counts the distinct identifiers in a profile of the
	// view, and MatchedProfiles the profiles holding them (under the view
	// of the result).
	MatchedIdentities int `json:"matched_identities"`
	MatchedProfiles   int `json:"matched_profiles"`
	// MatchRate is MatchedIdentities / (MatchedIdentities + Unknown): the
	// share of the distinct, well-formed identifiers received that the
	// graph reconciled. It is 0 when there are none.
	MatchRate float64 `json:"match_rate"`
	// Rejected holds the first invalid lines, up to
	// ImportOptions.MaxRejected, in the order read.
	Rejected []RejectedLine `json:"rejected"`
}

// RejectedLine is one line an import could not use.
type RejectedLine struct {
	Line  int    `json:"line"`            // 1-based line number
	Field string `json:"field,omitempty"` // the part of the line at fault, if not all of it
	Text  string `json:"text"`            // the line, or its first 256 bytes
	// Len is the line's length in bytes when Text is shortened, else 0.
	Len    int    `json:"len,omitempty"`
	Reason Reason `json:"reason"` // one of the Reason constants
	// Err is the reader's error, an *idfile.LineError: match its reason
	// with errors.Is.
	Err error `json:"-"`
}

// Imported is the result of an import.
type Imported struct {
	// Profiles holds the profiles of the identifiers imported. Its view
	// (Profiles.View) is the view given to Import or, when
	// ImportOptions.Register registered identifiers, the graph's view taken
	// just after, which contains them. Join and the other flows take it as
	// it is under that view, and project it onto a later one.
	Profiles Profiles
	Report   ImportReport
}

// importBatch is how many identifiers go to one Dictionary.LookupMany call.
const importBatch = 1 << 14

// Import maps the identifiers of lines onto the profiles of view v, and
// reports the funnel. Any reader of package idfile gives lines (ReadList,
// ReadCSV, or SegmentLines over an Audience Manager file); ImportList and
// ImportCSV read an io.Reader directly.
//
// Each *idfile.LineError the reader yields is counted as Invalid, by
// reason, and the first ones are kept; a bad line never stops the import. Identifiers are looked up in batches, deduplicated on their
// ordinals, and mapped to their profiles under v; identifiers unknown to v
// are counted or, with opts.Register, registered as new profiles.
//
// Any other error from lines (a read error, idfile.ErrHeader) stops the
// import: Import then returns it, wrapped, with the result of the lines
// before it.
//
// Lines are ranged over on the caller's goroutine. From the second batch of
// identifiers on, lookups run on a goroutine of their own (and
// Dictionary.LookupMany fans out further), so that reading and looking up
// overlap. Import allocates nothing per line beyond what the reader does,
// apart from remembering each distinct unknown identifier; it may run
// alongside any other use of the view and its graph.
func Import(v *View, lines iter.Seq2[idfile.Line, error], opts ImportOptions) (Imported, error) {
	if g := opts.Register; g != nil && g.dict != v.dict {
		return Imported{Report: newImportReport()}, fmt.Errorf("import: %w", ErrForeignView)
	}
	im := newImporter(v, opts)
	defer im.stop()
	var read int64 // lines read
	progress := func() {
		if opts.Progress != nil {
			opts.Progress(read)
		}
	}
	for ln, err := range lines {
		if err != nil {
			if le := lineError(err); le != nil {
				im.reject(le)
			} else {
				res, _ := im.finish()
				progress()
				return res, fmt.Errorf("import: %w", err)
			}
		} else if !ln.ID.IsValid() {
			im.reject(&idfile.LineError{Line: ln.N, Err: errEmpty})
		} else {
			im.batch = append(im.batch, ln.ID)
			if len(im.batch) == cap(im.batch) {
				im.submit()
			}
		}
		if read++; read%ProgressEvery == 0 {
			progress()
		}
	}
	res, err := im.finish()
	progress()
	return res, err
}

// lineError returns the *idfile.LineError in err's chain, or nil. Readers
// yield them unwrapped: the type assertion spares errors.As its allocation
// on every rejected line.
func lineError(err error) *idfile.LineError {
	if le, ok := err.(*idfile.LineError); ok {
		return le
	}
	var le *idfile.LineError
	if errors.As(err, &le) {
		return le
	}
	return nil
}

// errEmpty is the reason of a line that gave the zero ID without an error.
var errEmpty = errors.New("no identifier")

// ImportList imports a plain list (idfile.ReadList with list) as Import does.
func ImportList(v *View, r io.Reader, list idfile.ListOptions, opts ImportOptions) (Imported, error) {
	return Import(v, idfile.ReadList(r, list), opts)
}

// ImportCSV imports the identifier column of a CSV file (idfile.ReadCSV with
// csv) as Import does. Rows are imported whatever their membership status.
func ImportCSV(v *View, r io.Reader, csv idfile.CSVOptions, opts ImportOptions) (Imported, error) {
	return Import(v, idfile.ReadCSV(r, csv), opts)
}

// SegmentLines turns the updates of an Audience Manager file
// (idfile.ReadAAMOutbound, or ReadAAMInbound for traits) into the lines of
// one segment's members, for Import: the user of each update whose Added
// traits or segments hold seg. A line the reader rejected yields its first
// *idfile.LineError, once; a line whose user was read but some of whose
// traits were bad is judged by its good traits, and its errors are dropped.
// Other errors pass through and end the iteration as they end the reader's.
func SegmentLines(updates iter.Seq2[idfile.Update, error], seg idfile.Trait) iter.Seq2[idfile.Line, error] {
	return func(yield func(idfile.Line, error) bool) {
		var pending *idfile.LineError // first error of the last line with errors
		flush := func() bool {
			p := pending
			pending = nil
			return p == nil || yield(idfile.Line{}, p)
		}
		for u, err := range updates {
			if err != nil {
				var le *idfile.LineError
				if !errors.As(err, &le) {
					if flush() {
						yield(idfile.Line{}, err)
					}
					return
				}
				if pending != nil && pending.Line == le.Line {
					continue
				}
				if !flush() {
					return
				}
				pending = le
				continue
			}
			if pending != nil && pending.Line == u.N {
				pending = nil // the line's user was read: its good traits count
			}
			if !flush() {
				return
			}
			if slices.Contains(u.Added, seg) {
				if !yield(idfile.Line{N: u.N, ID: u.User}, nil) {
					return
				}
			}
		}
		flush()
	}
}

// importer is the state of one Import. The caller's goroutine reads the
// lines and counts the rejected ones; full batches of identifiers go to a
// lookup stage, which runs on a goroutine of its own once a second batch
// comes, so that reading overlaps looking up.
type importer struct {
	v           *View
	opts        ImportOptions
	maxRejected int
	rep         ImportReport // the caller's counts: lines rejected
	batch       []idtypes.ID // being filled
	lk          lookupStage

	work chan []idtypes.ID // full batches, to the lookup goroutine
	free chan []idtypes.ID // emptied batches, back
	done chan struct{}     // closed when the lookup goroutine ends
}

// lookupStage resolves batches of identifiers and keeps the funnel past the
// reader: it is used by one goroutine at a time.
type lookupStage struct {
	v        *View
	register bool
	ords     []uint32
	seen     ordSet // identity ordinals met
	profiles ordSet // profiles matched, under v
	matched  ordSet // identity ordinals matched; with Register only
	unknown  map[idtypes.ID]struct{}
	toReg    []idtypes.ID // identifiers to register

	lines, duplicates, unknowns, matchedIDs int
}

func newImportReport() ImportReport {
	return ImportReport{InvalidByReason: map[Reason]int{}, Rejected: []RejectedLine{}}
}

func newImporter(v *View, opts ImportOptions) *importer {
	im := &importer{v: v, opts: opts, maxRejected: opts.MaxRejected, rep: newImportReport()}
	if im.maxRejected == 0 {
		im.maxRejected = DefaultMaxRejected
	}
	im.batch = make([]idtypes.ID, 0, importBatch)
	im.lk = lookupStage{
		v:        v,
		register: opts.Register != nil,
		ords:     make([]uint32, importBatch),
		unknown:  map[idtypes.ID]struct{}{},
	}
	return im
}

// reject counts a rejected line and keeps it if there is room.
func (im *importer) reject(le *idfile.LineError) {
	im.rep.Lines++
	reason := rejectReason(le.Err)
	im.rep.Invalid++
	im.rep.InvalidByReason[reason]++
	if len(im.rep.Rejected) < im.maxRejected {
		rl := RejectedLine{Line: le.Line, Field: le.Field, Text: le.Text, Reason: reason, Err: le}
		if le.Len > len(le.Text) {
			rl.Len = le.Len
		}
		im.rep.Rejected = append(im.rep.Rejected, rl)
	}
}

// rejectReason names the reason of a rejected line.
func rejectReason(err error) Reason {
	switch {
	case errors.Is(err, idtypes.ErrBlocked):
		return ReasonBlocked
	case errors.Is(err, idfile.ErrLineTooLong):
		return ReasonLineTooLong
	case errors.Is(err, idfile.ErrQuote):
		return ReasonQuote
	case errors.Is(err, idfile.ErrTimestamp):
		return ReasonTimestamp
	case errors.Is(err, idfile.ErrFormat):
		return ReasonFormat
	case errors.Is(err, idtypes.ErrNamespace):
		return ReasonNamespace
	case errors.Is(err, idtypes.ErrTooLong):
		return ReasonTooLong
	case errors.Is(err, idtypes.ErrRange):
		return ReasonRange
	case errors.Is(err, idtypes.ErrSyntax):
		return ReasonSyntax
	case errors.Is(err, errEmpty):
		return ReasonEmpty
	}
	return ReasonOther
}

// submit hands the full batch to the lookup stage and takes an empty one.
// The first batch is looked up in place; the second starts the lookup
// goroutine, with two more batches: one queued, one being looked up.
func (im *importer) submit() {
	if im.work == nil {
		if im.lk.lines == 0 {
			im.lk.flush(im.batch)
			im.batch = im.batch[:0]
			return
		}
		im.work = make(chan []idtypes.ID, 1)
		im.free = make(chan []idtypes.ID, 3) // room for every batch: none waits on its way back
		im.free <- make([]idtypes.ID, 0, importBatch)
		im.free <- make([]idtypes.ID, 0, importBatch)
		im.done = make(chan struct{})
		go func() {
			defer close(im.done)
			for b := range im.work {
				im.lk.flush(b)
				im.free <- b[:0]
			}
		}()
	}
	im.work <- im.batch
	im.batch = <-im.free
}

// drain looks up what is left and waits for the lookup stage to finish.
func (im *importer) drain() {
	if im.work == nil {
		im.lk.flush(im.batch)
		im.batch = im.batch[:0]
		return
	}
	if len(im.batch) > 0 {
		im.work <- im.batch
		im.batch = nil
	}
	im.stop()
}

// stop ends the lookup goroutine, if any, and waits for it.
func (im *importer) stop() {
	if im.work != nil {
		close(im.work)
		<-im.done
		im.work = nil
	}
}

// flush looks up a batch and sorts its identifiers into the funnel.
func (lk *lookupStage) flush(batch []idtypes.ID) {
	n := len(batch)
	if n == 0 {
		return
	}
	lk.lines += n
	v := lk.v
	ords := lk.ords[:n]
	v.dict.LookupMany(batch, ords)
	for i, o := range ords {
		if o == NoOrdinal {
			id := batch[i]
			if _, dup := lk.unknown[id]; dup {
				lk.duplicates++
				continue
			}
			lk.unknown[id] = struct{}{}
			lk.unknowns++
			if lk.register {
				lk.toReg = append(lk.toReg, id)
			}
			continue
		}
		if !lk.seen.add(o) {
			lk.duplicates++
		}
	}
	// The batch is not cleared: the next one overwrites it, and the
	// identifiers it still holds go with the importer when Import returns.
}

// resolve maps the distinct identities met to their profiles under v. It
// walks them in increasing order, so that it reads the view's pages in
// order, rather than at random as the lines come.
func (lk *lookupStage) resolve() {
	v := lk.v
	for o := range lk.seen.all() {
		// LookupMany found o, so it was not erased: its profile is its
		// number in v, without the erasure check of View.ProfileOf.
		p := v.rv.Profile(o)
		if p == resolve.None {
			// Known to the dictionary but in no profile of v: linked
			// after v was taken, or added to the dictionary only.
			lk.unknowns++
			if id, ok := v.dict.ID(o); ok && lk.register {
				lk.toReg = append(lk.toReg, id)
			}
			continue
		}
		lk.matchedIDs++
		lk.profiles.add(p)
		if lk.register {
			lk.matched.add(o)
		}
	}
}

// finish looks up the last identifiers, registers what must be, and builds
// the result. It fails only if registering fails as a whole (the graph's
// rules are invalid): the result is then the import without registration.
func (im *importer) finish() (Imported, error) {
	im.drain()
	lk := &im.lk
	lk.resolve()
	rep := im.rep
	rep.Lines += lk.lines
	rep.Duplicates = lk.duplicates
	rep.Unknown = lk.unknowns
	rep.MatchedIdentities = lk.matchedIDs
	if d := rep.MatchedIdentities + rep.Unknown; d > 0 {
		rep.MatchRate = float64(rep.MatchedIdentities) / float64(d)
	}
	res := Imported{Profiles: Profiles{set: lk.profiles.audience(), v: im.v}, Report: rep}
	res.Report.MatchedProfiles = lk.profiles.len()
	if len(lk.toReg) == 0 {
		return res, nil
	}

	g := im.opts.Register
	at := im.opts.At
	if at.IsZero() {
		at = time.Now()
	}
	var b Batch
	for _, id := range lk.toReg {
		b.Add(at, id)
	}
	// Records rejected one by one (erased identifiers, a full dictionary)
	// show below as identifiers the new view does not hold.
	if _, err := g.LinkMany(&b); err != nil {
		return res, fmt.Errorf("import: register: %w", err)
	}
	nv := g.View()
	ords := make([]uint32, len(lk.toReg))
	nv.dict.LookupMany(lk.toReg, ords)
	var reg bitmap.Builder
	for _, o := range ords {
		if o == NoOrdinal {
			continue
		}
		if _, ok := nv.ProfileOf(o); ok {
			reg.Add(o)
			rep.Registered++
		}
	}
	matched := nv.ProfilesOf(lk.matched.audience())
	rep.MatchedProfiles = int(matched.Len())
	out := bitmap.Or(matched.set, nv.ProfilesOf(reg.Audience()).set)
	return Imported{Profiles: Profiles{set: out, v: nv}, Report: rep}, nil
}
