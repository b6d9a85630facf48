package main

import (
	"fmt"
	"io"

	"github.com/idbits/idbits/examples/internal/cli"
	"github.com/idbits/idbits/reconcile"
	"github.com/idbits/idbits/reconcile/idfile"
)

// maxExamples is how many bad lines each part of the report shows.
const maxExamples = 5

// scenario links, imports, joins, exports and compares, timing each stage,
// and stages the exported identifiers for c.out in out if it is set.
func scenario(c *config, in inputs, prog *cli.Progress, out *idfile.Outputs) (*report, error) {
	rep := &report{World: in.world}
	g, err := reconcile.NewGraph(reconcile.Rules{Unique: c.unique})
	if err != nil {
		return nil, fmt.Errorf("-unique: %w", err)
	}

	// Link the records into the graph.
	lr := &rep.Links
	lr.Source = in.linksName
	for _, ns := range c.unique {
		lr.Unique = append(lr.Unique, ns.String())
	}
	err = prog.Time("link", "lines", func(m *cli.Meter) error {
		var err error
		lr.LinkReport, err = reconcile.LinkRecords(g, in.links(m), reconcile.LinkOptions{MaxRejected: maxExamples, Progress: m.Done})
		if err != nil {
			return fmt.Errorf("-links: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	lr.fillExamples()
	var v *reconcile.View
	prog.Time("resolve profiles", "", func(*cli.Meter) error {
		v = g.View()
		return nil
	})
	lr.Identities, lr.Profiles = v.Identities(), v.Len()
	for range v.Cuts() {
		lr.Cuts++
	}

	// Import the segment and the list under the same view.
	var segment, list reconcile.Imported
	rep.Segment.Source, rep.List.Source = in.segmentName, in.listName
	err = prog.Time("import segment", "lines", func(m *cli.Meter) error {
		var err error
		segment, err = reconcile.Import(v, idfile.ReadList(m.Reader(in.segment, in.segmentSize), idfile.ListOptions{}), importOptions(m))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("-segment: %w", err)
	}
	rep.Segment.ImportReport = segment.Report
	err = prog.Time("import list", "lines", func(m *cli.Meter) error {
		var err error
		list, err = reconcile.Import(v, idfile.ReadCSV(m.Reader(in.list, in.listSize), idfile.CSVOptions{}), importOptions(m))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("-list: %w", err)
	}
	rep.List.ImportReport = list.Report

	// Join in profile space, export the joined profiles' identifiers.
	var joined reconcile.Profiles
	err = prog.Time("join", "", func(*cli.Meter) error {
		var err error
		joined, _, err = reconcile.Join(v, reconcile.JoinAnd, segment.Profiles, list.Profiles)
		return err
	})
	if err != nil {
		return nil, err
	}
	rep.JoinedProfiles = int(joined.Len())
	opts := reconcile.ExportOptions{Namespaces: c.export}
	var exp reconcile.ExportReport
	err = prog.Time("export", "", func(*cli.Meter) error {
		if c.out == "" {
			res, err := reconcile.Export(v, joined, opts)
			exp = res.Report
			return err
		}
		_, err := out.Write(c.out, 0o644, func(w io.Writer) error {
			var err error
			exp, err = reconcile.WriteExport(w, v, joined, opts)
			return err
		})
		if err != nil {
			return fmt.Errorf("-out: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	rep.Exported = map[string]int{}
	for _, ns := range c.export {
		rep.Exported[ns.String()] = exp.ByNamespace[ns]
	}
	rep.UnexportableProfiles = exp.Unmapped

	prog.Time("overlap", "", func(*cli.Meter) error {
		rep.Overlap = reconcile.Overlap([]reconcile.NamedAudience{
			// All three are profiles of v: Import and Join made them
			// under it, so their numbers compare as they are.
			{Name: "segment", Audience: segment.Profiles.Audience()},
			{Name: "list", Audience: list.Profiles.Audience()},
			{Name: "joined", Audience: joined.Audience()},
		}, reconcile.OverlapOptions{})
		return nil
	})
	return rep, nil
}

// importOptions keep the first few rejected lines for the report, and
// report progress on m.
func importOptions(m *cli.Meter) reconcile.ImportOptions {
	return reconcile.ImportOptions{MaxRejected: maxExamples, Progress: m.Done}
}
