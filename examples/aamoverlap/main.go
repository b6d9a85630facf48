// Command aamoverlap compares Audience Manager segments read from an
// outbound batch file: their sizes, pairwise intersections, Jaccard indexes
// and one-directional shares, with a privacy floor that withholds small
// counts.
//
// An outbound file in the default template has one line per user: the user
// ID, a space, the segments the user is in, and, after another space, the
// segments the user was removed from:
//
//	59767559181262060060278870901087098252 24,26,27 25,28
//
// A segment's members are the users listing it among their current segments;
// removals are counted but are not members. Counts are exact (Audience
// Manager's own overlap reports estimate them from sketches).
//
// Up to 50 segments, it lists every pair. Past that (a file may hold
// 100,000 segments, and 5e9 pairs), it shows the number of segments, the
// largest ones, and the top pairs by overlap and by Jaccard index, in memory
// that grows with the segments, not with their pairs; -segments picks a few
// to compare in full, and -svg draws them as a heatmap.
//
// With no flags it runs on an outbound file generated in memory from a
// synthetic world (bench.Generate with a fixed seed), keyed by ECID. Flags:
//
//	-in FILE        the outbound file to read
//	-ns CODE        namespace of the user IDs (default CORE, the AAM UUID, for -in; ECID for the built-in file)
//	-segments IDS   the segments to compare, comma-separated, in that order (default all, by ID)
//	-floor N        withhold counts below N (default 100; 0 withholds nothing)
//	-top N          rank the top N pairs by overlap and by Jaccard index instead of listing
//	                every pair (default: list every pair of up to 50 segments, rank 10 past that)
//	-report FILE    write the report as JSON
//	-svg FILE       draw the overlap of the chosen segments, or of the 30 largest, as an SVG heatmap
//
// The -report and -svg files are written all or none (idfile.Outputs): if
// one cannot be written, neither is.
//
// Bad lines are counted and shown, never fatal; bad flags and unreadable
// files end the program with one message and exit status 1.
package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/idbits/idbits/bench"
	"github.com/idbits/idbits/bitmap"
	"github.com/idbits/idbits/examples/internal/cli"
	"github.com/idbits/idbits/idtypes"
	"github.com/idbits/idbits/reconcile"
	"github.com/idbits/idbits/reconcile/idfile"
)

const progName = "aamoverlap"

// progressEvery is how many lines read goes between two progress counts.
const progressEvery = 1 << 16

func main() { cli.Main(progName, run) }

// The built-in outbound file: segments of a synthetic world, written by
// ECID, and a few damaged lines. 27 holds 26 (both are the most recent
// visitors), 29 is so small that its overlaps fall below the default floor,
// and 28 has had members removed.
const (
	worldSeed   = 20260531
	worldPeople = 50_000
)

var builtinSegments = []struct {
	sid     int
	members bench.SegmentSpec
	removed bench.SegmentSpec // zero Density: nobody removed
}{
	{24, bench.SegmentSpec{Seed: 24, Density: 0.10}, bench.SegmentSpec{}},
	{26, bench.SegmentSpec{Seed: 26, Density: 0.05, Clustered: true}, bench.SegmentSpec{}},
	{27, bench.SegmentSpec{Seed: 27, Density: 0.10, Clustered: true}, bench.SegmentSpec{}},
	{28, bench.SegmentSpec{Seed: 28, Density: 0.20}, bench.SegmentSpec{Seed: 128, Density: 0.02}},
	{29, bench.SegmentSpec{Seed: 29, Density: 0.0008}, bench.SegmentSpec{}},
}

// damaged are lines appended to the built-in file, to show how bad lines are
// reported: a user ID that is no ECID, a new user in segment 27 with a
// segment item that is no ID, and a line whose only segment item is bad.
const damaged = `12345 24,26
20265673158980419722735089753036633573 27,x9
08382830887934830189014177072406221371 ,,0
`

// builtinFile writes the built-in outbound file.
func builtinFile() ([]byte, error) {
	w := bench.Generate(bench.Config{Seed: worldSeed, People: worldPeople})
	segs := make([]bench.AAMSegment, len(builtinSegments))
	for i, s := range builtinSegments {
		segs[i] = bench.AAMSegment{SID: s.sid, Members: w.Segment(s.members)}
		if s.removed.Density > 0 {
			segs[i].Removed = w.Segment(s.removed)
		}
	}
	var b bytes.Buffer
	if err := w.WriteAAMOutbound(&b, idtypes.ECID, segs); err != nil {
		return nil, err
	}
	b.WriteString(damaged)
	return b.Bytes(), nil
}

// config is what the flags say.
type config struct {
	in       string
	ns       idtypes.Namespace
	segments []idfile.Trait // nil: all
	floor    uint64
	top      int
	report   string
	svg      string
	// allowEmpty accepts an input with no valid line.
	allowEmpty bool
}

func parseFlags(args []string, stdout io.Writer) (*config, error) {
	fs := flag.NewFlagSet(progName, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var c config
	fs.StringVar(&c.in, "in", "", "the Audience Manager outbound `FILE` to read (default: a built-in synthetic file)")
	ns := fs.String("ns", "", "namespace `CODE` of the user IDs (default CORE for -in, ECID for the built-in file)")
	segments := fs.String("segments", "", "the segment `IDS` to compare, comma-separated, in that order (default all)")
	fs.Uint64Var(&c.floor, "floor", 100, "withhold counts below `N` (0 withholds nothing)")
	fs.IntVar(&c.top, "top", 0, "rank the top `N` pairs by overlap and by Jaccard index instead of listing every pair (default: list up to 50 segments, rank 10 past that)")
	fs.StringVar(&c.report, "report", "", "write the report as JSON to `FILE`")
	fs.BoolVar(&c.allowEmpty, "allow-empty", false, "accept an input with no valid line, and so an empty result")
	fs.StringVar(&c.svg, "svg", "", "draw the overlap of the chosen segments, or of the largest, as an SVG heatmap in `FILE`")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(stdout, "usage: %s [flags]\n\nCompares the segments of an Audience Manager outbound file.\n\n", progName)
			fs.SetOutput(stdout)
			fs.PrintDefaults()
		}
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q (flags only; see -h)", fs.Arg(0))
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if set["in"] && c.in == "" {
		return nil, errors.New("-in: empty file name")
	}
	if set["report"] && c.report == "" {
		return nil, errors.New("-report: empty file name")
	}
	if set["svg"] && c.svg == "" {
		return nil, errors.New("-svg: empty file name")
	}
	if c.top < 0 {
		return nil, fmt.Errorf("-top: %d is negative", c.top)
	}
	switch {
	case *ns != "":
		var err error
		if c.ns, err = idtypes.ParseNamespace(*ns); err != nil {
			return nil, fmt.Errorf("-ns: unknown namespace code %q", *ns)
		}
	case c.in != "":
		c.ns = idtypes.AAMUUID
	default:
		c.ns = idtypes.ECID
	}
	for item := range strings.SplitSeq(*segments, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		sid, err := strconv.ParseUint(item, 10, 64)
		if err != nil || sid == 0 {
			return nil, fmt.Errorf("-segments: %q is not a segment ID", item)
		}
		t := idfile.Trait{ID: sid}
		if slices.Contains(c.segments, t) {
			return nil, fmt.Errorf("-segments: %s is listed twice", item)
		}
		c.segments = append(c.segments, t)
	}
	if c.svg != "" && len(c.segments) > reconcile.OverlapListMax {
		return nil, fmt.Errorf("-svg: a heatmap draws at most %d segments; %d are chosen", reconcile.OverlapListMax, len(c.segments))
	}
	return &c, nil
}

// report is what a run found; its JSON form is the -report file.
type report struct {
	Source          string                  `json:"source"`
	Namespace       string                  `json:"namespace"`
	Lines           int                     `json:"lines"`              // data lines read
	InvalidLines    int                     `json:"invalid_lines"`      // lines that gave no user: bad user ID, bad layout, only bad segments
	InvalidSegments int                     `json:"invalid_segments"`   // segment items that were not IDs, left out
	DuplicateLines  int                     `json:"duplicate_lines"`    // lines of a user met before, merged
	Users           int                     `json:"users"`              // distinct users
	Segments        int                     `json:"segments"`           // distinct segments in the file
	Removed         []removedReport         `json:"removed"`            // users removed from each segment shown: every one compared, or the largest
	Overlap         reconcile.OverlapReport `json:"overlap"`            // sizes and pairs of the segments compared
	Examples        []string                `json:"examples,omitempty"` // the first bad lines
}

// removedReport counts the users a file lists as removed from a segment.
// Like every count of the report, it is withheld when below the floor.
type removedReport struct {
	Segment  string `json:"segment"`
	Users    uint64 `json:"users"`              // 0 when withheld
	Withheld bool   `json:"withheld,omitempty"` // the floor withheld the count
}

// run is the program: it stages -report and -svg in outs, which cli.Run
// commits once run has succeeded.
func run(_ context.Context, args []string, outs *idfile.Outputs, stdout, stderr io.Writer) error {
	c, err := parseFlags(args, stdout)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	var r io.Reader
	var size int64 // of the input in bytes, 0 if not known
	rep := &report{Namespace: c.ns.String()}
	if c.in == "" {
		data, err := builtinFile()
		if err != nil {
			return err
		}
		r, size = bytes.NewReader(data), int64(len(data))
		rep.Source = fmt.Sprintf("built-in outbound file (%d people of a synthetic world, seed %d)", worldPeople, worldSeed)
	} else {
		f, err := os.Open(c.in)
		if err != nil {
			return fmt.Errorf("-in: %w", err)
		}
		defer f.Close()
		r = f
		if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
			size = fi.Size()
		}
		rep.Source = c.in
	}
	var hm *heatmap
	err = cli.NewProgress(progName, stderr).Time("read", "lines", func(m *cli.Meter) error {
		var err error
		hm, err = read(rep, m.Reader(r, size), c, m)
		return err
	})
	if err != nil {
		return fmt.Errorf("-in: %w", err)
	}
	if rep.Users == 0 && !c.allowEmpty {
		return fmt.Errorf("-in: %s has no valid line (-allow-empty accepts it)", rep.Source)
	}
	if c.report != "" {
		_, err := outs.Write(c.report, 0o644, func(w io.Writer) error {
			e := json.NewEncoder(w)
			e.SetIndent("", "  ")
			return e.Encode(rep)
		})
		if err != nil {
			return fmt.Errorf("-report: %w", err)
		}
	}
	if hm != nil {
		_, err := outs.Write(c.svg, 0o644, func(w io.Writer) error {
			_, err := hm.WriteTo(w)
			return err
		})
		if err != nil {
			return fmt.Errorf("-svg: %w", err)
		}
	}
	return printReport(stdout, rep, c)
}

// read reads the outbound file into rep: users get dense ordinals from a
// dictionary, and each segment is the audience of its users' ordinals. It
// returns the heatmap to draw if c asks for one.
func read(rep *report, r io.Reader, c *config, meter *cli.Meter) (*heatmap, error) {
	d := reconcile.NewDictionary()
	type seg struct {
		b       bitmap.Builder
		removed int
	}
	segs := map[idfile.Trait]*seg{}
	of := func(t idfile.Trait) *seg {
		s := segs[t]
		if s == nil {
			s = &seg{}
			segs[t] = s
		}
		return s
	}
	// A line gives bad items, then its update unless it has none to give;
	// lines are counted as their numbers change.
	cur, curOK := 0, false
	finish := func() {
		if cur != 0 {
			rep.Lines++
			if rep.Lines%progressEvery == 0 {
				meter.Done(int64(rep.Lines))
			}
			if !curOK {
				rep.InvalidLines++
			}
		}
	}
	for u, err := range idfile.ReadAAMOutbound(r, idfile.AAMOptions{Namespace: c.ns}) {
		var le *idfile.LineError
		if errors.As(err, &le) {
			if le.Line != cur {
				finish()
				cur, curOK = le.Line, false
			}
			if le.Field != "" && le.Field != "user" {
				rep.InvalidSegments++
			}
			if len(rep.Examples) < 5 {
				rep.Examples = append(rep.Examples, le.Error())
			}
			continue
		}
		if err != nil {
			return nil, err
		}
		if u.N != cur {
			finish()
			cur = u.N
		}
		curOK = true
		before := d.Len()
		ord, err := d.Add(u.User)
		if err != nil {
			return nil, err // a full dictionary: 2^32-1 users
		}
		if int(ord) < before {
			rep.DuplicateLines++
		}
		for _, t := range u.Added {
			of(t).b.Add(ord)
		}
		for _, t := range u.Removed {
			of(t).removed++
		}
	}
	finish()
	rep.Users = d.Len()
	rep.Segments = len(segs)

	ids := c.segments
	if ids == nil {
		for t := range segs {
			ids = append(ids, t)
		}
		slices.SortFunc(ids, func(a, b idfile.Trait) int { return cmp.Or(cmp.Compare(a.ID, b.ID), cmp.Compare(a.Code, b.Code)) })
	}
	named := make([]reconcile.NamedAudience, len(ids))
	for i, t := range ids {
		named[i] = reconcile.NamedAudience{Name: t.String(), Audience: of(t).b.Audience()}
	}
	rep.Overlap = reconcile.Overlap(named, reconcile.OverlapOptions{Floor: c.floor, Top: c.top})
	// The segments shown: every one compared, or the largest.
	shown := rep.Overlap.Largest(rep.Overlap.Top)
	if rep.Overlap.Top == 0 {
		shown = make([]int, len(ids))
		for i := range shown {
			shown[i] = i
		}
	}
	for _, i := range shown {
		rr := removedReport{Segment: named[i].Name, Users: uint64(of(ids[i]).removed)}
		if rr.Users > 0 && rr.Users < c.floor {
			rr.Users, rr.Withheld = 0, true
		}
		rep.Removed = append(rep.Removed, rr)
	}
	if c.svg == "" {
		return nil, nil
	}
	// The heatmap: the chosen segments, or the largest ones.
	title := fmt.Sprintf("Overlap of %d segments", len(named))
	if c.segments == nil {
		var largest []reconcile.NamedAudience
		idx := rep.Overlap.Largest(heatmapMax)
		slices.Sort(idx) // drawn by segment ID, as listed
		for _, i := range idx {
			largest = append(largest, named[i])
		}
		if len(largest) < len(named) {
			title = fmt.Sprintf("Overlap of the %d largest of %d segments", len(largest), len(named))
		}
		named = largest
	}
	m := rep.Overlap
	if m.Matrix == nil || len(named) != len(m.Audiences) {
		m = reconcile.Overlap(named, reconcile.OverlapOptions{Floor: c.floor})
	}
	if c.floor > 1 {
		title += fmt.Sprintf(", counts under %d withheld", c.floor)
	}
	return newHeatmap(title, m), nil
}

func printReport(w io.Writer, rep *report, c *config) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n", rep.Source)
	fmt.Fprintf(&b, "  %-28s %10d\n", "lines", rep.Lines)
	fmt.Fprintf(&b, "  %-28s %10d\n", "invalid lines", rep.InvalidLines)
	fmt.Fprintf(&b, "  %-28s %10d\n", "invalid segment items", rep.InvalidSegments)
	fmt.Fprintf(&b, "  %-28s %10d\n", "duplicate users (merged)", rep.DuplicateLines)
	fmt.Fprintf(&b, "  %-28s %10d\n", "users ("+rep.Namespace+")", rep.Users)
	fmt.Fprintf(&b, "  %-28s %10d\n", "segments", rep.Segments)
	for _, e := range rep.Examples {
		fmt.Fprintf(&b, "    e.g. %s\n", e)
	}
	if c.floor > 1 {
		fmt.Fprintf(&b, "\nOverlap of users (counts below %d withheld)\n", c.floor)
	} else {
		fmt.Fprintf(&b, "\nOverlap of users\n")
	}
	for l := range strings.Lines(rep.Overlap.String()) {
		if l != "\n" {
			b.WriteString("  ")
		}
		b.WriteString(l)
	}
	fmt.Fprintf(&b, "\nRemoved since the last file")
	if rep.Overlap.Top > 0 {
		fmt.Fprintf(&b, " (the %d largest segments)", len(rep.Removed))
	}
	fmt.Fprintf(&b, "\n  %-8s %8s\n", "segment", "users")
	for _, r := range rep.Removed {
		n := strconv.FormatUint(r.Users, 10)
		if r.Withheld {
			n = "<" + strconv.FormatUint(c.floor, 10)
		}
		fmt.Fprintf(&b, "  %-8s %8s\n", r.Segment, n)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
