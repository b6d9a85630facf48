package bench_test

import (
	"bufio"
	"bytes"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/idbits/idbits/bench"
	"github.com/idbits/idbits/idtypes"
	"github.com/idbits/idbits/reconcile"
	"github.com/idbits/idbits/reconcile/idfile"
)

// e2eSegment is the segment file the import benchmark reads: about one line
// per ten identities of the world (1M lines at 10M identities), as
// "ECID:value" lines, 5% of them unknown and 1% malformed.
type e2eSegment struct {
	data  []byte
	lines int
	known int // lines of identities in the graph
}

func (fx *e2eFixture) e2eSegment(b *testing.B) *e2eSegment {
	return e2eExtra(fx, "segment", func() *e2eSegment { return fx.newE2ESegment(b) })
}

func (fx *e2eFixture) newE2ESegment(b *testing.B) *e2eSegment {
	const unknown, malformed = 0.05, 0.01
	ecids := 0
	for _, id := range fx.ids {
		if id.Namespace() == idtypes.ECID {
			ecids++
		}
	}
	// Members give all their ECIDs; unknown and malformed lines come on top.
	density := float64(fx.n) / 10 * (1 - unknown - malformed) / float64(ecids)
	seg := fx.world.Segment(bench.SegmentSpec{Seed: 11, Density: density, Namespace: idtypes.ECID, Unknown: unknown, Malformed: malformed})
	var buf bytes.Buffer
	if err := seg.WriteList(&buf, ""); err != nil {
		b.Fatal(err)
	}
	s := &e2eSegment{
		data:  buf.Bytes(),
		lines: seg.Count(bench.Known) + seg.Count(bench.Unknown) + seg.Count(bench.Malformed),
		known: seg.Count(bench.Known),
	}
	return s
}

// BenchmarkImport imports a segment file of ECIDs onto the profiles of the
// resolved world, per line: about 1M lines at 10M identities (a tenth of
// the identities), 5% unknown and 1% malformed. impl=idbits:
// reconcile.ImportList, which parses and checks every line, looks the
// identifiers up in batches, deduplicates them and projects them to a
// profile audience with a funnel report. impl=naive: bufio.Scanner lines
// looked up whole in the naive map from "NS:value" text to profile (no
// parsing: a malformed line just misses), profiles gathered in a
// map[uint32]struct{} and sorted into a []uint32.
func BenchmarkImport(b *testing.B) {
	e2eEach(b, func(b *testing.B, fx *e2eFixture, impl string) {
		seg := fx.e2eSegment(b)
		var v *reconcile.View
		var nv map[string]uint32
		switch impl {
		case "idbits":
			_, v = fx.e2eGraph(b)
		case "naive":
			_, nv = fx.e2eNaive(b)
		}
		profiles := 0
		b.ReportAllocs()
		for b.Loop() {
			switch impl {
			case "idbits":
				im, err := reconcile.ImportList(v, bytes.NewReader(seg.data), idfile.ListOptions{}, reconcile.ImportOptions{})
				if err != nil {
					b.Fatal(err)
				}
				if im.Report.Lines != seg.lines || im.Report.MatchedIdentities != seg.known {
					b.Fatalf("import read %d lines and matched %d identities, want %d and %d", im.Report.Lines, im.Report.MatchedIdentities, seg.lines, seg.known)
				}
				profiles = int(im.Profiles.Len())
			case "naive":
				aud, lines := naiveImport(b, nv, seg.data)
				if lines != seg.lines {
					b.Fatalf("import read %d lines, want %d", lines, seg.lines)
				}
				profiles = len(aud)
			}
		}
		e2eRate(b, seg.lines, "line")
		b.ReportMetric(float64(profiles), "profiles")
	})
}

// naiveImport is the import a Go programmer would write: each line looked
// up in the view, profiles gathered in a set and sorted.
func naiveImport(tb testing.TB, view map[string]uint32, data []byte) (aud []uint32, lines int) {
	set := map[uint32]struct{}{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		lines++
		if p, ok := view[string(line)]; ok {
			set[p] = struct{}{}
		}
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	aud = make([]uint32, 0, len(set))
	for p := range set {
		aud = append(aud, p)
	}
	slices.Sort(aud)
	return aud, lines
}

// e2eExport is the audience the export benchmark writes out, in both
// implementations' profile spaces.
type e2eExport struct {
	aud      reconcile.Profiles // profiles of the idbits view
	naive    []uint32           // the naive profiles of their keys
	naiveMem map[uint32][]string
}

func (fx *e2eFixture) e2eExport(b *testing.B) *e2eExport {
	return e2eExtra(fx, "export", func() *e2eExport { return fx.newE2EExport(b) })
}

func (fx *e2eFixture) newE2EExport(b *testing.B) *e2eExport {
	_, v := fx.e2eGraph(b)
	ng, nv := fx.e2eNaive(b)
	x := &e2eExport{aud: fx.e2eAudiences(b).profiles[0], naiveMem: map[uint32][]string{}}
	set := map[uint32]struct{}{}
	for p := range x.aud.All() {
		set[nv[v.Key(p).Text()]] = struct{}{}
	}
	for p := range set {
		x.naive = append(x.naive, p)
	}
	slices.Sort(x.naive)
	for _, t := range ng.keys[:len(nv)] { // the incremental benchmark may have added more
		p := nv[t]
		x.naiveMem[p] = append(x.naiveMem[p], t)
	}
	return x
}

// BenchmarkExport writes the ECIDs of an audience of a tenth as many
// profiles as the world has identities (1M at 10M) as a plain list of bare
// values, per identifier written. impl=idbits: reconcile.Export (profiles
// in order, each profile's ECIDs decoded from the dictionary and sorted)
// into idfile.WriteList. impl=naive: for each profile of a sorted []uint32,
// its members' "NS:value" text from a map[uint32][]string built with the
// view, those that start with "ECID:" written through a bufio.Writer.
// The naive audience is the naive profiles of the idbits audience's keys,
// so both write about the same identifiers.
func BenchmarkExport(b *testing.B) {
	e2eEach(b, func(b *testing.B, fx *e2eFixture, impl string) {
		x := fx.e2eExport(b)
		var v *reconcile.View
		if impl == "idbits" {
			_, v = fx.e2eGraph(b)
		}
		opts := reconcile.ExportOptions{Namespaces: []idtypes.Namespace{idtypes.ECID}}
		written := 0
		b.ReportAllocs()
		for b.Loop() {
			switch impl {
			case "idbits":
				ex, err := reconcile.Export(v, x.aud, opts)
				if err != nil {
					b.Fatal(err)
				}
				if err := idfile.WriteList(io.Discard, ex.IDs, idfile.ListOptions{Namespace: idtypes.ECID}); err != nil {
					b.Fatal(err)
				}
				written = ex.Report.Identifiers
			case "naive":
				written = naiveExport(b, io.Discard, x.naive, x.naiveMem, "ECID:")
			}
		}
		if written == 0 {
			b.Fatal("exported nothing")
		}
		e2eRate(b, written, "id")
	})
}

// naiveExport writes the members of the profiles of aud whose text starts
// with prefix, without it, one per line, and returns how many it wrote.
func naiveExport(tb testing.TB, w io.Writer, aud []uint32, members map[uint32][]string, prefix string) int {
	bw := bufio.NewWriter(w)
	n := 0
	for _, p := range aud {
		for _, t := range members[p] {
			if v, ok := strings.CutPrefix(t, prefix); ok {
				bw.WriteString(v)
				bw.WriteByte('\n')
				n++
			}
		}
	}
	if err := bw.Flush(); err != nil {
		tb.Fatal(err)
	}
	return n
}
