package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idbits/idbits/examples/internal/cli"

	"github.com/idbits/idbits/bench"
	"github.com/idbits/idbits/idtypes"
)

// jsonReport holds the report fields, decoded independently of the
// program's types.
type jsonReport struct {
	Lines           int `json:"lines"`
	InvalidLines    int `json:"invalid_lines"`
	InvalidSegments int `json:"invalid_segments"`
	DuplicateLines  int `json:"duplicate_lines"`
	Users           int `json:"users"`
	Removed         []struct {
		Segment  string `json:"segment"`
		Users    uint64 `json:"users"`
		Withheld bool   `json:"withheld"`
	} `json:"removed"`
	Overlap struct {
		Audiences []struct {
			Name     string `json:"name"`
			Size     uint64 `json:"size"`
			Withheld bool   `json:"withheld"`
		} `json:"audiences"`
		Pairs []struct {
			A, B     string
			Overlap  uint64  `json:"overlap"`
			Jaccard  float64 `json:"jaccard"`
			AInB     float64 `json:"a_in_b"`
			BInA     float64 `json:"b_in_a"`
			Withheld bool    `json:"withheld"`
		} `json:"pairs"`
	} `json:"overlap"`
}

// segment is one segment of a test file, by its people.
type segment struct {
	sid              int
	members, removed bench.Segment
}

// expected is what the report must say about segs of world w, counted
// from the people and their ECIDs: a user is an ECID.
type expected struct {
	sizes   map[string]uint64
	removed map[string]uint64
	both    map[[2]string]uint64
	users   int
}

func expect(w *bench.World, segs []segment) expected {
	e := expected{sizes: map[string]uint64{}, removed: map[string]uint64{}, both: map[[2]string]uint64{}}
	ecids := func(p int) uint64 {
		n := uint64(0)
		for _, id := range w.IDs(p) {
			if id.Namespace() == idtypes.ECID {
				n++
			}
		}
		return n
	}
	for p := range w.People() {
		in := false
		for i, s := range segs {
			name := strconv.Itoa(s.sid)
			if s.members.Contains(p) {
				in = true
				e.sizes[name] += ecids(p)
				for _, t := range segs[i+1:] {
					if t.members.Contains(p) {
						e.both[[2]string{name, strconv.Itoa(t.sid)}] += ecids(p)
					}
				}
			} else if s.removed.Contains(p) {
				in = true
				e.removed[name] += ecids(p)
			}
		}
		if in {
			e.users += int(ecids(p))
		}
	}
	return e
}

// check compares the report with the expectations under floor.
func check(t *testing.T, got jsonReport, e expected, floor uint64, order []string) {
	t.Helper()
	hidden := func(n uint64) bool { return n != 0 && n < floor }
	require.Len(t, got.Overlap.Audiences, len(order))
	for i, name := range order {
		a := got.Overlap.Audiences[i]
		assert.Equal(t, name, a.Name)
		if hidden(e.sizes[name]) {
			assert.True(t, a.Withheld, "segment %s has %d members, under the floor", name, e.sizes[name])
			assert.Zero(t, a.Size)
		} else {
			assert.False(t, a.Withheld)
			assert.Equal(t, e.sizes[name], a.Size, "members of %s", name)
		}
		r := got.Removed[i]
		assert.Equal(t, name, r.Segment)
		assert.Equal(t, hidden(e.removed[name]), r.Withheld)
		if !r.Withheld {
			assert.Equal(t, e.removed[name], r.Users, "removed from %s", name)
		}
	}
	k := 0
	for i, a := range order {
		for _, b := range order[i+1:] {
			p := got.Overlap.Pairs[k]
			k++
			both := e.both[[2]string{a, b}] + e.both[[2]string{b, a}]
			sa, sb := e.sizes[a], e.sizes[b]
			assert.Equal(t, [2]string{a, b}, [2]string{p.A, p.B})
			if hidden(both) || hidden(sa) || hidden(sb) {
				assert.True(t, p.Withheld, "pair %s/%s", a, b)
				assert.Zero(t, p.Overlap)
				continue
			}
			require.False(t, p.Withheld, "pair %s/%s", a, b)
			assert.Equal(t, both, p.Overlap, "pair %s/%s", a, b)
			assert.InDelta(t, float64(both)/float64(sa+sb-both), p.Jaccard, 1e-12)
			assert.InDelta(t, float64(both)/float64(sa), p.AInB, 1e-12)
			assert.InDelta(t, float64(both)/float64(sb), p.BInA, 1e-12)
		}
	}
	assert.Len(t, got.Overlap.Pairs, k)
}

func readReport(t *testing.T, path string) jsonReport {
	t.Helper()
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	var r jsonReport
	require.NoError(t, json.Unmarshal(raw, &r))
	return r
}

// The built-in file, with the default floor and with none.
func TestRunBuiltin(t *testing.T) {
	w := bench.Generate(bench.Config{Seed: worldSeed, People: worldPeople})
	var segs []segment
	var order []string
	for _, s := range builtinSegments {
		seg := segment{sid: s.sid, members: w.Segment(s.members)}
		if s.removed.Density > 0 {
			seg.removed = w.Segment(s.removed)
		}
		segs = append(segs, seg)
		order = append(order, strconv.Itoa(s.sid))
	}
	e := expect(w, segs)
	// The damaged lines: one more user, in segment 27.
	e.users++
	e.sizes["27"]++

	for _, floor := range []uint64{100, 0, 1000} {
		t.Run("floor="+strconv.FormatUint(floor, 10), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "r.json")
			args := []string{"-report", path}
			if floor != 100 {
				args = append(args, "-floor", strconv.FormatUint(floor, 10))
			}
			var out bytes.Buffer
			require.NoError(t, runMain(args, &out))
			got := readReport(t, path)
			assert.Equal(t, e.users-1+3, got.Lines, "the writer's lines and the three damaged ones")
			assert.Equal(t, 2, got.InvalidLines)
			assert.Equal(t, 2, got.InvalidSegments)
			assert.Zero(t, got.DuplicateLines)
			assert.Equal(t, e.users, got.Users)
			check(t, got, e, floor, order)

			text := out.String()
			assert.Contains(t, text, "Overlap of users")
			assert.Contains(t, text, "Removed since the last file")
			if floor > 1 {
				assert.Contains(t, text, "<"+strconv.FormatUint(floor, 10))
			}
		})
	}
	// The floor of 100 must withhold some pairs and keep others, or the
	// test above does not test it.
	hidden, shown := 0, 0
	for _, n := range e.both {
		if n < 100 {
			hidden++
		} else {
			shown++
		}
	}
	assert.Positive(t, hidden)
	assert.Positive(t, shown)
}

// newUser is an ECID no world of the tests holds.
const newUser = "20265673158980419722735089753036633573"

// A file from the bench writer, with damaged lines, read as ECIDs, and a
// chosen order of segments.
func TestRunFile(t *testing.T) {
	w := bench.Generate(bench.Config{Seed: 3, People: 4000})
	segs := []segment{
		{sid: 7, members: w.Segment(bench.SegmentSpec{Seed: 1, Density: 0.3})},
		{sid: 8, members: w.Segment(bench.SegmentSpec{Seed: 2, Density: 0.2, Clustered: true}), removed: w.Segment(bench.SegmentSpec{Seed: 3, Density: 0.1})},
		{sid: 9, members: w.Segment(bench.SegmentSpec{Seed: 4, Density: 0.1, Clustered: true})},
	}
	var b bytes.Buffer
	aam := make([]bench.AAMSegment, len(segs))
	for i, s := range segs {
		aam[i] = bench.AAMSegment{SID: s.sid, Members: s.members, Removed: s.removed}
	}
	require.NoError(t, w.WriteAAMOutbound(&b, idtypes.ECID, aam))
	firstLine, _, _ := strings.Cut(b.String(), "\n")
	fields := strings.Split(firstLine, " ") // user, current, removed
	require.GreaterOrEqual(t, len(fields), 2)
	first := fields[0]
	b.WriteString("\n")                // a blank line: not data
	b.WriteString(first + " 9\n")      // the first user again, now also in 9
	b.WriteString("null 7\n")          // a blocked user ID
	b.WriteString(first + " 7 8 9\n")  // too many fields
	b.WriteString(newUser + " 7,-1\n") // a new user in 7, and a bad segment item
	path := filepath.Join(t.TempDir(), "outbound.sync")
	require.NoError(t, os.WriteFile(path, b.Bytes(), 0o644))

	e := expect(w, segs)
	e.users++ // the new user
	e.sizes["7"]++
	inFirst := map[string]bool{}
	for s := range strings.SplitSeq(fields[1], ",") {
		if s != "" {
			inFirst[s] = true
		}
	}
	// Adding 9 to the first user: 9 grows by one unless it was there, and
	// so does every pair of 9 with a current segment of the first user.
	if !inFirst["9"] {
		e.sizes["9"]++
		for s := range inFirst {
			e.both[[2]string{s, "9"}]++
		}
	}
	order := []string{"9", "7", "8"}
	rpath := filepath.Join(t.TempDir(), "r.json")
	var out bytes.Buffer
	require.NoError(t, runMain([]string{"-in", path, "-ns", "ECID", "-segments", "9,7,8", "-floor", "0", "-report", rpath}, &out))
	got := readReport(t, rpath)
	assert.Equal(t, e.users-1+4, got.Lines, "the writer's lines and four more")
	assert.Equal(t, 2, got.InvalidLines, "the blocked user and the line of four fields")
	assert.Equal(t, 1, got.InvalidSegments)
	assert.Equal(t, 1, got.DuplicateLines)
	assert.Equal(t, e.users, got.Users)
	check(t, got, e, 0, order)
}

func TestRunErrors(t *testing.T) {
	dir := t.TempDir()
	for _, tt := range []struct {
		name  string
		args  []string
		names string
		is    error
	}{
		{"unknown flag", []string{"-x"}, "-x", nil},
		{"argument", []string{"file.sync"}, "file.sync", nil},
		{"bad namespace", []string{"-ns", "NOPE"}, "-ns", nil},
		{"bad segment", []string{"-segments", "24,abc"}, "-segments", nil},
		{"segment twice", []string{"-segments", "24,24"}, "-segments", nil},
		{"missing file", []string{"-in", filepath.Join(dir, "none.sync")}, "none.sync", fs.ErrNotExist},
		{"report in a missing folder", []string{"-report", filepath.Join(dir, "no", "r.json")}, "-report", fs.ErrNotExist},
		{"negative top", []string{"-top", "-1"}, "-top", nil},
		{"empty svg name", []string{"-svg", ""}, "-svg", nil},
		{"too many segments to draw", []string{"-svg", "h.svg", "-segments", manyIDs(51)}, "-svg", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := runMain(tt.args, io.Discard)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.names)
			if tt.is != nil {
				assert.ErrorIs(t, err, tt.is)
			}
		})
	}
}

// manyIDs returns the segment IDs 1 to n, comma-separated.
func manyIDs(n int) string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = strconv.Itoa(i + 1)
	}
	return strings.Join(ids, ",")
}

func TestRunHelp(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, runMain([]string{"-h"}, &out))
	for _, f := range []string{"-in", "-ns", "-segments", "-floor", "-top", "-report", "-svg"} {
		assert.Contains(t, out.String(), f)
	}
}

// With -top, the report ranks pairs instead of listing them: the top pairs
// by overlap are those of the expected counts, by count and then by
// position, leaving out those the floor withholds.
func TestRunTop(t *testing.T) {
	w := bench.Generate(bench.Config{Seed: worldSeed, People: worldPeople})
	var segs []segment
	var order []string
	for _, s := range builtinSegments {
		seg := segment{sid: s.sid, members: w.Segment(s.members)}
		segs = append(segs, seg)
		order = append(order, strconv.Itoa(s.sid))
	}
	e := expect(w, segs)
	e.sizes["27"]++ // the damaged lines: one more user, in segment 27
	path := filepath.Join(t.TempDir(), "r.json")
	var out bytes.Buffer
	require.NoError(t, runMain([]string{"-top", "3", "-report", path}, &out))
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	var got struct {
		Segments int `json:"segments"`
		Overlap  struct {
			Top        int               `json:"top"`
			Pairs      []json.RawMessage `json:"pairs"`
			TopOverlap []struct {
				A, B    string
				Overlap uint64 `json:"overlap"`
			} `json:"top_overlap"`
			TopJaccard []struct{ A, B string } `json:"top_jaccard"`
		} `json:"overlap"`
		Removed []struct{ Segment string } `json:"removed"`
	}
	require.NoError(t, json.Unmarshal(raw, &got))
	assert.Equal(t, len(builtinSegments), got.Segments)
	assert.Equal(t, 3, got.Overlap.Top)
	assert.Empty(t, got.Overlap.Pairs)
	type pair struct {
		a, b string
		n    uint64
	}
	var want []pair
	for i, a := range order {
		for _, b := range order[i+1:] {
			n := e.both[[2]string{a, b}] + e.both[[2]string{b, a}]
			if n >= 100 && e.sizes[a] >= 100 && e.sizes[b] >= 100 {
				want = append(want, pair{a, b, n})
			}
		}
	}
	slices.SortStableFunc(want, func(x, y pair) int { return cmp.Compare(y.n, x.n) })
	require.Len(t, got.Overlap.TopOverlap, 3)
	for k, p := range got.Overlap.TopOverlap {
		assert.Equal(t, want[k], pair{p.A, p.B, p.Overlap}, "rank %d", k)
	}
	assert.Len(t, got.Overlap.TopJaccard, 3)
	assert.Len(t, got.Removed, 3, "removals of the 3 largest segments")
	assert.Contains(t, out.String(), "top 3 pairs by overlap")
	assert.Contains(t, out.String(), "top 3 pairs by jaccard")
}

// -svg draws a heatmap: well-formed XML naming every segment, with the
// withheld cells marked.
func TestRunSVG(t *testing.T) {
	dir := t.TempDir()
	for _, tt := range []struct {
		name     string
		args     []string
		segments []string
		withheld bool
	}{
		{"all segments, default floor", nil, []string{"24", "26", "27", "28", "29"}, true},
		{"chosen, no floor", []string{"-segments", "28,24", "-floor", "0"}, []string{"28", "24"}, false},
		// 8 of 27's users are in 29: a share printed as "<.1%".
		{"all segments, no floor", []string{"-floor", "0"}, []string{"24", "26", "27", "28", "29"}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, "h.svg")
			require.NoError(t, runMain(append(tt.args, "-svg", path), io.Discard))
			raw, err := os.ReadFile(path)
			require.NoError(t, err)
			var texts []string
			d := xml.NewDecoder(bytes.NewReader(raw))
			for {
				tok, err := d.Token()
				if err == io.EOF {
					break
				}
				require.NoError(t, err, "the SVG is well-formed XML")
				if cd, ok := tok.(xml.CharData); ok {
					texts = append(texts, string(cd))
				}
			}
			for _, s := range tt.segments {
				assert.Contains(t, texts, s+" ", "row label of %s", s)
				assert.Contains(t, texts, s, "column label of %s", s)
			}
			assert.Equal(t, tt.withheld, strings.Contains(string(raw), `fill="url(#withheld)"`), "withheld cells")
			cells := strings.Count(string(raw), "<rect x=")
			n := len(tt.segments)
			assert.GreaterOrEqual(t, cells, n*n, "a cell per pair")
		})
	}
}

// The outputs are written all or none: when the heatmap cannot be
// written, the report is not written either.
func TestRunOutputsAllOrNothing(t *testing.T) {
	dir := t.TempDir()
	report := filepath.Join(dir, "r.json")
	err := runMain([]string{"-report", report, "-svg", filepath.Join(dir, "missing", "h.svg")}, io.Discard)
	require.ErrorIs(t, err, fs.ErrNotExist)
	assert.Contains(t, err.Error(), "-svg")
	_, err = os.Stat(report)
	assert.ErrorIs(t, err, fs.ErrNotExist, "the report was written without the heatmap")
}

// manySegmentsEnv names the file a child process of TestRunManySegments
// reads.
const manySegmentsEnv = "AAMOVERLAP_MANY_SEGMENTS"

// An outbound file of 100,000 segments (one user in every one of them, so
// that every pair overlaps: 5e9 pairs) is compared in bounded memory, with
// a bounded answer. The run is a child process, so that its peak memory
// can be read, and it stops itself if its heap passes 1 GiB.
func TestRunManySegments(t *testing.T) {
	if path := os.Getenv(manySegmentsEnv); path != "" {
		go func() {
			var ms runtime.MemStats
			for {
				runtime.ReadMemStats(&ms)
				if ms.HeapAlloc > 1<<30 {
					fmt.Fprintf(os.Stderr, "heap of %d bytes\n", ms.HeapAlloc)
					os.Exit(3)
				}
				time.Sleep(20 * time.Millisecond)
			}
		}()
		if err := runMain([]string{"-in", path, "-floor", "0", "-top", "5", "-report", path + ".json", "-svg", path + ".svg"}, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	const k = 100_000
	var b strings.Builder
	b.WriteString(newUser + " ")
	for sid := 1; sid <= k; sid++ {
		if sid > 1 {
			b.WriteString(",")
		}
		b.WriteString(strconv.Itoa(sid))
	}
	b.WriteString("\n")
	dir := t.TempDir()
	path := filepath.Join(dir, "many.sync")
	require.NoError(t, os.WriteFile(path, []byte(b.String()), 0o644))

	cmd := exec.Command(os.Args[0], "-test.run=^TestRunManySegments$")
	cmd.Env = append(os.Environ(), manySegmentsEnv+"="+path, "GOMAXPROCS=2")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	require.NoError(t, cmd.Run(), "stderr: %s", stderr.String())
	rss := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss * 1024 // kilobytes on Linux
	t.Logf("peak RSS %d MiB", rss>>20)
	assert.Less(t, rss, int64(512<<20), "peak memory")
	text := stdout.String()
	assert.Less(t, len(text), 4096, "a bounded answer")
	assert.Contains(t, text, "100000 audiences")
	assert.Contains(t, text, "top 5 pairs by overlap")
	assert.Contains(t, text, "1         2               1   1.0000   100.0%   100.0%")
	raw, err := os.ReadFile(path + ".json")
	require.NoError(t, err)
	var rep jsonReport
	require.NoError(t, json.Unmarshal(raw, &rep))
	assert.Len(t, rep.Overlap.Audiences, k)
	assert.Empty(t, rep.Overlap.Pairs)
	svg, err := os.ReadFile(path + ".svg")
	require.NoError(t, err)
	assert.Contains(t, string(svg), "the 30 largest of 100000 segments")
}

// runMain runs the program as main does, committing its outputs on success.
func runMain(args []string, stdout io.Writer) error {
	return cli.Run(context.Background(), run, args, stdout, io.Discard)
}

// An input with no valid line is an error that writes nothing, unless
// -allow-empty asks for the empty result.
func TestRunEmptyInput(t *testing.T) {
	for name, data := range map[string]string{
		"empty":   "",
		"garbage": "not an outbound line\n\x00\x01\x02 binary\n",
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			in := filepath.Join(dir, "outbound.sync")
			require.NoError(t, os.WriteFile(in, []byte(data), 0o644))
			report := filepath.Join(dir, "report.json")
			require.NoError(t, os.WriteFile(report, []byte("good"), 0o644))

			var out bytes.Buffer
			err := runMain([]string{"-in", in, "-report", report}, &out)
			require.ErrorContains(t, err, "no valid line")
			assert.Empty(t, out.String())
			got, err := os.ReadFile(report)
			require.NoError(t, err)
			assert.Equal(t, "good", string(got), "the report is left as it was")

			require.NoError(t, runMain([]string{"-in", in, "-report", report, "-allow-empty"}, &out))
			got, err = os.ReadFile(report)
			require.NoError(t, err)
			assert.Contains(t, string(got), `"users": 0`)
		})
	}
}
