package reconcile

import (
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/idbits/idbits/bitmap"
	"github.com/idbits/idbits/idtypes"
	"github.com/idbits/idbits/reconcile/idfile"
)

// ErrNoNamespace: WriteDelta was not given a valid export namespace.
var ErrNoNamespace = errors.New("reconcile: no export namespace")

// Delta is the change of an audience between two snapshots, in the profile
// space of one view: Diff makes its four sets under the view it is given.
type Delta struct {
	Previous Profiles // the earlier snapshot, projected onto the view
	Current  Profiles // the later snapshot, projected onto the view
	Entered  Profiles // profiles of Current not in Previous
	Exited   Profiles // profiles of Previous not in Current
}

// Diff compares two snapshots of an audience, each possibly made under an
// older view, in the profile space of view v: it projects both onto v
// (View.Project) and takes bitmap.Diff. So profiles that merged since count
// once, and when a profile split, the part its key went to stands for it in
// prev: a member of the audience whose identities moved to another profile
// shows as that profile entering and the old one exiting. It fails with
// ErrForeignView for profiles of another graph.
func Diff(v *View, prev, cur Profiles) (Delta, error) {
	p, err := v.Project(prev)
	if err != nil {
		return Delta{}, fmt.Errorf("diff: %w", err)
	}
	c, err := v.Project(cur)
	if err != nil {
		return Delta{}, fmt.Errorf("diff: %w", err)
	}
	entered, exited := bitmap.Diff(p.set, c.set)
	return Delta{Previous: p, Current: c, Entered: Profiles{set: entered, v: v}, Exited: Profiles{set: exited, v: v}}, nil
}

// view returns the view of d's sets: that of Current, else of Previous
// (nil for the zero Delta).
func (d Delta) view() *View {
	if d.Current.v != nil {
		return d.Current.v
	}
	return d.Previous.v
}

// DeltaOptions configure WriteDelta.
type DeltaOptions struct {
	// Namespace is the namespace of the file's identifiers; required.
	Namespace idtypes.Namespace
	// Full writes the whole current audience, every row "realized"; else
	// the file is incremental: entered profiles "realized", exited ones
	// "exited".
	Full bool
	// OnePerProfile writes one identifier per profile, the first of the
	// namespace by idtypes.ID.Compare; else all of them.
	OnePerProfile bool
	// Column heads the identifier column; empty means the namespace code.
	Column string
	// Comma is the field separator; zero means ','.
	Comma byte
}

// DeltaReport counts what WriteDelta wrote. Its JSON form uses the
// snake_case names of the tags.
type DeltaReport struct {
	Full     bool   `json:"full"`
	Previous uint64 `json:"previous"` // profiles of Delta.Previous
	Current  uint64 `json:"current"`  // profiles of Delta.Current
	Entered  uint64 `json:"entered"`  // profiles of Delta.Entered
	Exited   uint64 `json:"exited"`   // profiles of Delta.Exited
	// RealizedRows and ExitedRows count the rows written of each status.
	RealizedRows int `json:"realized_rows"`
	ExitedRows   int `json:"exited_rows"`
	// Unmapped counts the profiles written about that have no identifier
	// of the namespace, and UnmappedProfiles holds them.
	Unmapped         int      `json:"unmapped"`
	UnmappedProfiles Profiles `json:"-"`
}

// WriteDelta writes d as an Experience Platform delta CSV file
// (idfile.WriteCSV with a segmentMembershipStatus column): with opts.Full,
// the current audience as "realized"; otherwise the entered profiles as
// "realized" and the exited ones as "exited". Each profile is written as its
// identifiers of opts.Namespace under the view Diff computed d in
// (d.Current.View()); rows are sorted by identifier. It fails without
// writing with ErrNoNamespace if opts.Namespace is not valid, or
// ErrForeignView if d's sets are profiles of different graphs, and stops at
// the first write error.
func WriteDelta(w io.Writer, d Delta, opts DeltaOptions) (DeltaReport, error) {
	rep := DeltaReport{Full: opts.Full}
	v := d.view()
	if v != nil {
		for _, a := range []*Profiles{&d.Previous, &d.Current, &d.Entered, &d.Exited} {
			p, err := v.Project(*a)
			if err != nil {
				return rep, fmt.Errorf("write delta: %w", err)
			}
			*a = p
		}
	}
	rep.Previous, rep.Current = d.Previous.Len(), d.Current.Len()
	rep.Entered, rep.Exited = d.Entered.Len(), d.Exited.Len()
	if !opts.Namespace.IsValid() {
		return rep, fmt.Errorf("write delta: %w", ErrNoNamespace)
	}
	ex := &exporter{v: v, rank: newNSRank(v, []idtypes.Namespace{opts.Namespace}, nil), one: opts.OnePerProfile}
	var lines []idfile.Line
	var unmapped bitmap.Builder
	add := func(a Profiles, st idfile.Status) int {
		var ms []member
		n := 0
		for p := range a.set.All() {
			ms = ex.members(p, ms[:0])
			if len(ms) == 0 {
				unmapped.Add(p)
			}
			for _, m := range ms {
				lines = append(lines, idfile.Line{ID: m.id, Status: st})
			}
			n += len(ms)
		}
		return n
	}
	if opts.Full {
		rep.RealizedRows = add(d.Current, idfile.Realized)
	} else {
		rep.RealizedRows = add(d.Entered, idfile.Realized)
		rep.ExitedRows = add(d.Exited, idfile.Exited)
	}
	rep.UnmappedProfiles = Profiles{set: unmapped.Audience(), v: v}
	rep.Unmapped = int(rep.UnmappedProfiles.Len())
	slices.SortFunc(lines, func(a, b idfile.Line) int { return a.ID.Compare(b.ID) })
	err := idfile.WriteCSV(w, slices.Values(lines), idfile.CSVOptions{
		Column: opts.Column, Namespace: opts.Namespace, Delta: true, Comma: opts.Comma,
	})
	if err != nil {
		return rep, fmt.Errorf("write delta: %w", err)
	}
	return rep, nil
}
