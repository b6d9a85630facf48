package main

import (
	"fmt"
	"io"
	"time"

	"github.com/idbits/idbits/bitmap"
	"github.com/idbits/idbits/idtypes"
	"github.com/idbits/idbits/reconcile"
	"github.com/idbits/idbits/reconcile/idfile"
)

// linkChunk is how many records go to the graph per LinkMany call: a
// bounded batch, reused.
const linkChunk = 1 << 15

// maxExamples is how many bad lines each part of the report shows.
const maxExamples = 5

// scenario links, imports, joins, exports and compares, timing each stage,
// and writes the exported identifiers to c.out if it is set.
func scenario(c *config, in inputs, prog *progress) (*report, error) {
	rep := &report{World: in.world}
	g := reconcile.NewGraph(reconcile.Rules{Unique: c.unique})

	// Link the records into the graph, in bounded batches.
	lr := &rep.Links
	lr.Source = in.linksName
	for _, ns := range c.unique {
		lr.Unique = append(lr.Unique, ns.String())
	}
	err := prog.time("link", "records", func() error {
		var b reconcile.Batch
		flush := func() error {
			r, err := g.LinkMany(&b)
			if err != nil {
				return err
			}
			lr.Linked += r.Linked
			lr.Rejected += r.Rejected
			for _, e := range r.Errors {
				lr.examples(e.Error())
			}
			b.Reset()
			return nil
		}
		var ferr error
		err := in.links(func(at time.Time, ids []idtypes.ID) {
			lr.Records++
			prog.add(1)
			b.Add(at, ids...)
			if b.Len() == linkChunk && ferr == nil {
				ferr = flush()
			}
		}, func(le *idfile.LineError) {
			if le.Field == "" {
				lr.InvalidLines++
			} else {
				lr.InvalidIdentities++
			}
			lr.examples(le.Error())
		})
		if err != nil {
			return err
		}
		if ferr != nil {
			return ferr
		}
		return flush()
	})
	if err != nil {
		return nil, err
	}
	var v *reconcile.View
	prog.time("resolve profiles", "", func() error {
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
	err = prog.time("import segment", "lines", func() error {
		var err error
		segment, err = reconcile.Import(v, prog.lines(idfile.ReadList(in.segment, idfile.ListOptions{})), importOptions)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("-segment: %w", err)
	}
	rep.Segment.fill(segment.Report)
	err = prog.time("import list", "lines", func() error {
		var err error
		list, err = reconcile.Import(v, prog.lines(idfile.ReadCSV(in.list, idfile.CSVOptions{})), importOptions)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("-list: %w", err)
	}
	rep.List.fill(list.Report)

	// Join in profile space, export the joined profiles' identifiers.
	var joined bitmap.Audience
	err = prog.time("join", "", func() error {
		var err error
		joined, _, err = reconcile.Join(v, reconcile.JoinAnd, segment.Audience, list.Audience)
		return err
	})
	if err != nil {
		return nil, err
	}
	rep.JoinedProfiles = int(joined.Len())
	opts := reconcile.ExportOptions{Namespaces: c.export}
	var exp reconcile.ExportReport
	err = prog.time("export", "", func() error {
		if c.out == "" {
			_, exp = reconcile.Export(v, joined, opts)
			return nil
		}
		_, err := idfile.WriteFile(c.out, 0o644, func(w io.Writer) error {
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

	prog.time("overlap", "", func() error {
		rep.Overlap = reconcile.Overlap([]reconcile.NamedAudience{
			{Name: "segment", Audience: segment.Audience},
			{Name: "list", Audience: list.Audience},
			{Name: "joined", Audience: joined},
		}, reconcile.OverlapOptions{})
		return nil
	})
	return rep, nil
}

// importOptions keep the first few rejected lines for the report.
var importOptions = reconcile.ImportOptions{MaxRejected: maxExamples}
