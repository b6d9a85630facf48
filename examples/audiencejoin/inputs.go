package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/idbits/idbits/bench"
	"github.com/idbits/idbits/idtypes"
	"github.com/idbits/idbits/reconcile/idfile"
)

// The synthetic world: bench.Generate with a fixed seed, a clustered segment
// of recent visitors in ECIDs, and a campaign list of hashed emails drawn
// uniformly, each with some unknown and malformed lines.
const (
	defaultPeople = 300_000
	defaultSeed   = 20260531
	maxPeople     = 2_000_000 // about 10 million identities, a few GB
)

var (
	segmentSpec = bench.SegmentSpec{
		Seed:      1,
		Namespace: idtypes.ECID,
		Density:   0.10,
		Clustered: true, // the people who visited last
		Unknown:   0.03,
		Malformed: 0.01,
	}
	listSpec = bench.SegmentSpec{
		Seed:      2,
		Namespace: idtypes.EmailSHA256,
		Density:   0.20, // of the people with an email address
		Unknown:   0.05,
		Malformed: 0.01,
	}
)

// linkSource calls rec for each record of identity links and bad for each
// bad line or identity, in file order. rec must not keep ids. It returns
// the error that stopped reading (a read error), or nil.
type linkSource func(rec func(at time.Time, ids []idtypes.ID), bad func(*idfile.LineError)) error

// inputs are the three sources of a run, with names for the report.
type inputs struct {
	links                            linkSource
	segment, list                    io.Reader
	linksName, segmentName, listName string
	world                            string // the synthetic world, described; empty for files
	closers                          []io.Closer
}

func (in *inputs) close() {
	for _, c := range in.closers {
		c.Close()
	}
}

// syntheticInputs generates the world and writes its segment and list to
// memory, in the file formats the flags take.
func syntheticInputs(c *config, prog *progress) (inputs, error) {
	var w *bench.World
	prog.time("generate world", "", func() error {
		w = bench.Generate(bench.Config{Seed: c.seed, People: c.people})
		return nil
	})
	var seg, list bytes.Buffer
	err := prog.time("write segment and list", "", func() error {
		s := w.Segment(segmentSpec)
		if err := s.WriteList(&seg, "recent visitors (ECIDs), 10% of all people"); err != nil {
			return err
		}
		return w.Segment(listSpec).WriteCSV(&list)
	})
	if err != nil {
		return inputs{}, err
	}
	in := inputs{
		links: func(rec func(time.Time, []idtypes.ID), _ func(*idfile.LineError)) error {
			for r := range w.Records() {
				rec(r.At, r.IDs)
			}
			return nil
		},
		segment:     &seg,
		list:        &list,
		linksName:   "synthetic logins and visits",
		segmentName: "synthetic ECID list: recent visitors",
		listName:    "synthetic campaign CSV keyed by " + listSpec.Namespace.String(),
		world: fmt.Sprintf("synthetic world of %s people (seed %d): %s identities, %s shared devices",
			count(w.People()), c.seed, count(len(w.Identities())), count(len(w.SharedDevices()))),
	}
	return in, nil
}

// fileInputs opens the three files, so that a missing one fails the run
// before any work.
func fileInputs(c *config) (inputs, error) {
	var in inputs
	open := func(flag, path string) (*os.File, error) {
		f, err := os.Open(path)
		if err != nil {
			in.close()
			return nil, fmt.Errorf("-%s: %w", flag, err)
		}
		if st, err := f.Stat(); err == nil && st.IsDir() {
			f.Close()
			in.close()
			return nil, fmt.Errorf("-%s: %s is a directory", flag, path)
		}
		in.closers = append(in.closers, f)
		return f, nil
	}
	links, err := open("links", c.links)
	if err != nil {
		return inputs{}, err
	}
	if in.segment, err = open("segment", c.segment); err != nil {
		return inputs{}, err
	}
	if in.list, err = open("list", c.list); err != nil {
		return inputs{}, err
	}
	in.linksName, in.segmentName, in.listName = c.links, c.segment, c.list
	in.links = func(rec func(time.Time, []idtypes.ID), bad func(*idfile.LineError)) error {
		var ids []idtypes.ID
		for r, err := range idfile.ReadXDM(links, idfile.XDMOptions{}) {
			var le *idfile.LineError
			if errors.As(err, &le) {
				bad(le)
				continue
			}
			if err != nil {
				return fmt.Errorf("-links: %w", err)
			}
			ids = ids[:0]
			for _, id := range r.IDs {
				ids = append(ids, id.ID)
			}
			rec(r.At, ids)
		}
		return nil
	}
	return in, nil
}
