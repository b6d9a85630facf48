package reconcile

import (
	"fmt"
	"iter"

	"github.com/idbits/idbits/idtypes"
	"github.com/idbits/idbits/reconcile/idfile"
)

// ProgressEvery is how many items (lines) a flow handles between two calls
// of its Progress callback (LinkOptions.Progress, ImportOptions.Progress).
const ProgressEvery = 1 << 16

// LinkOptions configure LinkRecords. The zero value keeps
// DefaultMaxRejected errors of each kind and reports no progress.
type LinkOptions struct {
	// MaxRejected caps the errors kept in LinkReport.Errors and in
	// LinkReport.LineErrors, each: zero means DefaultMaxRejected, a
	// negative value keeps none. Every error is counted whatever the cap.
	MaxRejected int
	// Progress, if set, is called with the number of data lines read so
	// far: every ProgressEvery lines, and once at the end with
	// LinkReport.Lines (also when LinkRecords stops on an error). It runs
	// on the goroutine that called LinkRecords, between two lines, so it
	// should return quickly.
	Progress func(done int64)
}

// linkBatch is how many records LinkRecords hands to one LinkMany call.
const linkBatch = 1 << 15

// LinkRecords links the records of an identity-links file (idfile.ReadXDM)
// into g, as LinkMany does, in batches of a bounded size, and reports the
// funnel from lines to linked records.
//
// Each *idfile.LineError the reader yields is counted (a line that gave no
// record, or an identity left out of its record) and the first ones are
// kept; a bad line never stops linking. Records the graph rejects, and
// erased identifiers it drops, are counted and the first ones kept as
// *RecordError values naming their line (idfile.Record.N). A record with
// N zero is taken as a line of its own, and its errors name it by its
// index among the records read.
//
// Any other error from records (a read error) stops linking: LinkRecords
// links the records read before it and returns the error, wrapped, with
// the report so far. So does an error of LinkMany for a batch as a whole.
//
// Records are ranged over on the caller's goroutine, which also links
// them; LinkRecords allocates nothing per record beyond what the reader
// and LinkMany do.
func LinkRecords(g *Graph, records iter.Seq2[idfile.Record, error], opts LinkOptions) (LinkReport, error) {
	var rep LinkReport
	maxRejected := opts.MaxRejected
	if maxRejected == 0 {
		maxRejected = DefaultMaxRejected
	}
	l := linker{g: g, rep: &rep, maxRejected: maxRejected, progress: opts.Progress}
	var err error
	for rec, rerr := range records {
		if rerr != nil {
			le := lineError(rerr)
			if le == nil {
				err = fmt.Errorf("link: %w", rerr)
				break
			}
			l.line(le.Line)
			l.lineErrs++
			if len(rep.LineErrors) < maxRejected {
				rep.LineErrors = append(rep.LineErrors, le)
			}
			continue
		}
		l.line(rec.N)
		l.record = true
		rep.InvalidIdentities += l.lineErrs
		l.lineErrs = 0
		l.ids = l.ids[:0]
		for _, id := range rec.IDs {
			l.ids = append(l.ids, id.ID)
		}
		l.b.Add(rec.At, l.ids...)
		l.lines = append(l.lines, rec.N)
		if l.b.Len() == linkBatch {
			if err = l.flush(); err != nil {
				break
			}
		}
	}
	l.line(-1)
	if ferr := l.flush(); ferr != nil && err == nil {
		err = ferr
	}
	if l.progress != nil {
		l.progress(int64(rep.Lines))
	}
	return rep, err
}

// linker is the state of one LinkRecords.
type linker struct {
	g           *Graph
	rep         *LinkReport
	maxRejected int
	progress    func(int64)

	b     Batch
	ids   []idtypes.ID // the identifiers of a record
	lines []int        // the line of each record of b
	base  int          // records linked before b

	cur      int  // the line being read; 0 before the first
	record   bool // the line being read gave a record
	lineErrs int  // errors of the line being read, not yet known to be of a record
}

// line notes that an item of line n came; n <= 0 is a line of its own, and
// -1 ends the input. Errors of a line that gave no record make it an
// invalid line.
func (l *linker) line(n int) {
	if n == l.cur && n > 0 {
		return
	}
	if l.cur != 0 && !l.record {
		l.rep.InvalidLines++
	}
	l.cur, l.record, l.lineErrs = n, false, 0
	if n == -1 {
		return
	}
	l.rep.Lines++
	if l.progress != nil && l.rep.Lines%ProgressEvery == 0 {
		l.progress(int64(l.rep.Lines))
	}
}

// flush links the batch and adds its report, giving its errors their
// lines.
func (l *linker) flush() error {
	if l.b.Len() == 0 {
		return nil
	}
	r, err := l.g.LinkMany(&l.b)
	if err != nil {
		return err
	}
	rep := l.rep
	rep.Records += r.Records
	rep.Linked += r.Linked
	rep.Rejected += r.Rejected
	rep.Dropped += r.Dropped
	for _, e := range r.Errors {
		if len(rep.Errors) == l.maxRejected || l.maxRejected < 0 {
			break
		}
		e.Line = l.lines[e.Record]
		e.Record += l.base
		rep.Errors = append(rep.Errors, e)
	}
	l.base += l.b.Len()
	l.b.Reset()
	l.lines = l.lines[:0]
	return nil
}
