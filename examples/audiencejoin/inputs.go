package main

import (
	"bytes"
	"fmt"
	"io"
	"iter"
	"os"

	"github.com/idbits/idbits/bench"
	"github.com/idbits/idbits/examples/internal/cli"
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

// linkSource returns the records of the identity links, in file order,
// telling m how far reading has got.
type linkSource func(m *cli.Meter) iter.Seq2[idfile.Record, error]

// inputs are the three sources of a run, with names for the report.
type inputs struct {
	links                            linkSource
	segment, list                    io.Reader
	segmentSize, listSize            int64 // in bytes; 0 if not known
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
func syntheticInputs(c *config, prog *cli.Progress) (inputs, error) {
	var w *bench.World
	prog.Time("generate world", "", func(*cli.Meter) error {
		w = bench.Generate(bench.Config{Seed: c.seed, People: c.people})
		return nil
	})
	var seg, list bytes.Buffer
	err := prog.Time("write segment and list", "", func(*cli.Meter) error {
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
		links: func(m *cli.Meter) iter.Seq2[idfile.Record, error] {
			m.Total(int64(w.RecordCount()))
			return func(yield func(idfile.Record, error) bool) {
				var ids []idfile.Identity
				n := 0
				for r := range w.Records() {
					n++
					ids = ids[:0]
					for _, id := range r.IDs {
						ids = append(ids, idfile.Identity{ID: id})
					}
					if !yield(idfile.Record{N: n, At: r.At, IDs: ids}, nil) {
						return
					}
				}
			}
		},
		segment:     &seg,
		list:        &list,
		segmentSize: int64(seg.Len()),
		listSize:    int64(list.Len()),
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
	// open opens a file and returns its size, or 0 if it is not a regular
	// file (a pipe).
	open := func(flag, path string) (*os.File, int64, error) {
		f, err := os.Open(path)
		if err != nil {
			in.close()
			return nil, 0, fmt.Errorf("-%s: %w", flag, err)
		}
		var size int64
		if st, err := f.Stat(); err == nil {
			if st.IsDir() {
				f.Close()
				in.close()
				return nil, 0, fmt.Errorf("-%s: %s is a directory", flag, path)
			}
			if st.Mode().IsRegular() {
				size = st.Size()
			}
		}
		in.closers = append(in.closers, f)
		return f, size, nil
	}
	links, linksSize, err := open("links", c.links)
	if err != nil {
		return inputs{}, err
	}
	if in.segment, in.segmentSize, err = open("segment", c.segment); err != nil {
		return inputs{}, err
	}
	if in.list, in.listSize, err = open("list", c.list); err != nil {
		return inputs{}, err
	}
	in.linksName, in.segmentName, in.listName = c.links, c.segment, c.list
	in.links = func(m *cli.Meter) iter.Seq2[idfile.Record, error] {
		return idfile.ReadXDM(m.Reader(links, linksSize), idfile.XDMOptions{})
	}
	return in, nil
}
