package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idbits/idbits/bench"
	"github.com/idbits/idbits/examples/internal/cli"
	"github.com/idbits/idbits/examples/internal/cli/clitest"
	"github.com/idbits/idbits/idtypes"
	"github.com/idbits/idbits/reconcile/idfile"
)

func TestMain(m *testing.M) { clitest.Main(m, progName, main) }

// runMain runs the program as main does, without signals and exit: its
// files are written only if the whole run succeeds.
func runMain(args []string, stdout, stderr io.Writer) error {
	return cli.Run(context.Background(), run, args, stdout, stderr)
}

// contractReport holds the report fields the program promises, decoded
// independently of the program's own types.
type contractReport struct {
	Links struct {
		Records           int `json:"records"`
		InvalidLines      int `json:"invalid_lines"`
		InvalidIdentities int `json:"invalid_identities"`
		Linked            int `json:"linked"`
		Rejected          int `json:"rejected"`
		Identities        int `json:"identities"`
		Profiles          int `json:"profiles"`
	} `json:"links"`
	Segment              contractImport `json:"segment"`
	List                 contractImport `json:"list"`
	JoinedProfiles       int            `json:"joined_profiles"`
	Exported             map[string]int `json:"exported"`
	UnexportableProfiles int            `json:"unexportable_profiles"`
	Overlap              struct {
		Audiences []struct {
			Name string `json:"name"`
			Size uint64 `json:"size"`
		} `json:"audiences"`
		Pairs []struct {
			A       string  `json:"a"`
			B       string  `json:"b"`
			Overlap uint64  `json:"overlap"`
			Jaccard float64 `json:"jaccard"`
			AInB    float64 `json:"a_in_b"`
			BInA    float64 `json:"b_in_a"`
		} `json:"pairs"`
	} `json:"overlap"`
}

type contractImport struct {
	Lines           int `json:"lines"`
	Invalid         int `json:"invalid"`
	Duplicates      int `json:"duplicates"`
	Unknown         int `json:"unknown"`
	Matched         int `json:"matched_identities"`
	MatchedProfiles int `json:"matched_profiles"`
}

// truth resolves a world's profiles from its ground truth, the way the
// linking rules of the test cases must: each person with a declared identity
// is one profile with all their ECIDs, each ECID of a person without one is a
// profile of its own, and a shared device either moves to its guest (cut:
// both have a CRM ID and CRM IDs are unique) or joins owner and guest (merge:
// no unique namespace). Profiles are named by a representative identity.
type truth struct {
	parent []int              // union-find over identity indexes
	index  map[idtypes.ID]int // identity -> index in World.Identities
	ids    []idtypes.ID
}

func newTruth(t *testing.T, w *bench.World, cut bool) *truth {
	t.Helper()
	ids := w.Identities()
	tr := &truth{parent: make([]int, len(ids)), index: make(map[idtypes.ID]int, len(ids)), ids: ids}
	for i, id := range ids {
		tr.parent[i] = i
		tr.index[id] = i
	}
	moved := map[idtypes.ID]bool{}
	if cut {
		for _, sd := range w.SharedDevices() {
			moved[sd.ECID] = true
		}
	}
	declared := func(p int) (first int, ok bool) {
		for _, id := range w.IDs(p) {
			if id.Namespace() != idtypes.ECID {
				return tr.index[id], true
			}
		}
		return 0, false
	}
	for p := range w.People() {
		d, ok := declared(p)
		if !ok {
			continue // lone visits: each ECID stays apart
		}
		for _, id := range w.IDs(p) {
			if !moved[id] {
				tr.union(d, tr.index[id])
			}
		}
	}
	for _, sd := range w.SharedDevices() {
		g, ok := declared(sd.Guest)
		require.True(t, ok, "guest %d has no declared identity", sd.Guest)
		if cut {
			require.True(t, hasCRM(w, sd.Owner) && hasCRM(w, sd.Guest), "the cut case needs CRM IDs on both sides")
		}
		tr.union(g, tr.index[sd.ECID])
	}
	return tr
}

func hasCRM(w *bench.World, p int) bool {
	return slices.ContainsFunc(w.IDs(p), func(id idtypes.ID) bool { return id.Namespace() == idtypes.CRMID })
}

func (tr *truth) find(i int) int {
	for tr.parent[i] != i {
		tr.parent[i] = tr.parent[tr.parent[i]]
		i = tr.parent[i]
	}
	return i
}

func (tr *truth) union(a, b int) { tr.parent[tr.find(a)] = tr.find(b) }

// profile returns the profile of id, and false if id is in no record.
func (tr *truth) profile(id idtypes.ID) (int, bool) {
	i, ok := tr.index[id]
	if !ok {
		return 0, false
	}
	return tr.find(i), true
}

// profiles counts the profiles.
func (tr *truth) profiles() int {
	n := 0
	for i := range tr.parent {
		if tr.find(i) == i {
			n++
		}
	}
	return n
}

// expectImport computes the funnel of a segment's file from its lines.
func expectImport(t *testing.T, tr *truth, s bench.Segment) (contractImport, map[int]bool) {
	t.Helper()
	var r contractImport
	profiles := map[int]bool{}
	for l := range s.Lines() {
		r.Lines++
		switch l.Kind {
		case bench.Malformed:
			r.Invalid++
		case bench.Unknown:
			_, ok := tr.profile(l.ID)
			require.False(t, ok, "an unknown line holds a known identity %s", l.ID.Text())
			r.Unknown++
		case bench.Known:
			p, ok := tr.profile(l.ID)
			require.True(t, ok)
			r.Matched++
			profiles[p] = true
		}
	}
	r.MatchedProfiles = len(profiles)
	return r, profiles
}

// writeFile writes a test input with one of the bench writers.
func writeFile(t *testing.T, dir, name string, write func(io.Writer) error) string {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, write(&b))
	path := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(path, b.Bytes(), 0o644))
	return path
}

func TestRunFiles(t *testing.T) {
	tests := []struct {
		name     string
		world    bench.Config
		unique   string // the -unique flag
		cut      bool   // shared devices go to their guest
		listNS   idtypes.Namespace
		export   []idtypes.Namespace
		badLinks bool // append bad XDM lines
	}{
		{
			name:     "unique CRM IDs, shared devices move",
			world:    bench.Config{Seed: 7, People: 3000, CRMShare: 1, SharedShare: 0.05},
			unique:   "CRMID",
			cut:      true,
			listNS:   idtypes.EmailSHA256,
			export:   []idtypes.Namespace{idtypes.ECID},
			badLinks: true,
		},
		{
			name:   "no unique namespace, shared devices merge",
			world:  bench.Config{Seed: 8, People: 3000, SharedShare: 0.05},
			unique: "",
			listNS: idtypes.CRMID,
			export: []idtypes.Namespace{idtypes.ECID, idtypes.CRMID},
		},
		{
			name:   "lone visitors, no shared device",
			world:  bench.Config{Seed: 9, People: 3000, SharedShare: -1},
			unique: "CRMID,Email_LC_SHA256",
			listNS: idtypes.EmailSHA256,
			export: []idtypes.Namespace{idtypes.ECID, idtypes.EmailSHA256},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := bench.Generate(tt.world)
			tr := newTruth(t, w, tt.cut)
			seg := w.Segment(bench.SegmentSpec{Seed: 1, Namespace: idtypes.ECID, Density: 0.3, Unknown: 0.1, Malformed: 0.1})
			list := w.Segment(bench.SegmentSpec{Seed: 2, Namespace: tt.listNS, Density: 0.3, Unknown: 0.1, Malformed: 0.1})
			require.Positive(t, seg.Count(bench.Malformed))
			require.Positive(t, list.Count(bench.Unknown))

			dir := t.TempDir()
			someCRM := idtypes.ID{}
			for _, id := range w.Identities() {
				if id.Namespace() == idtypes.CRMID {
					someCRM = id
					break
				}
			}
			links := writeFile(t, dir, "links.json", func(b io.Writer) error {
				if err := w.WriteXDM(b); err != nil {
					return err
				}
				if tt.badLinks {
					io.WriteString(b, "not json\n")
					// One bad identity beside a good one: the record stays.
					io.WriteString(b, `{"timestamp":"2026-05-01T10:00:00Z","identityMap":{"ECID":[{"id":"123"}],"CRMID":[{"id":"`+someCRM.String()+`"}]}}`+"\n")
					// 21 identities: over the limit of a record.
					io.WriteString(b, `{"timestamp":"2026-05-01T10:00:00Z","identityMap":{"CRMID":[`)
					for i := range 21 {
						if i > 0 {
							io.WriteString(b, ",")
						}
						io.WriteString(b, `{"id":"X`+strings.Repeat("9", i+1)+`"}`)
					}
					io.WriteString(b, "]}}\n")
				}
				return nil
			})
			segPath := writeFile(t, dir, "segment.txt", func(b io.Writer) error { return seg.WriteList(b, "a test segment\nwith two header lines") })
			listPath := writeFile(t, dir, "list.csv", list.WriteCSV)
			outPath := filepath.Join(dir, "out.txt")
			repPath := filepath.Join(dir, "report.json")

			var codes []string
			for _, ns := range tt.export {
				codes = append(codes, ns.String())
			}
			var stdout, stderr bytes.Buffer
			err := runMain([]string{
				"-links", links, "-segment", segPath, "-list", listPath,
				"-unique", tt.unique, "-export", strings.Join(codes, ","),
				"-out", outPath, "-report", repPath,
			}, &stdout, &stderr)
			require.NoError(t, err)
			assert.NotContains(t, stderr.String(), "\r", "off a terminal, progress comes in plain lines")

			raw, err := os.ReadFile(repPath)
			require.NoError(t, err)
			var got contractReport
			require.NoError(t, json.Unmarshal(raw, &got))

			// Links.
			records := w.RecordCount()
			if tt.badLinks {
				assert.Equal(t, records+2, got.Links.Records)
				assert.Equal(t, 1, got.Links.InvalidLines)
				assert.Equal(t, 1, got.Links.InvalidIdentities)
				assert.Equal(t, records+1, got.Links.Linked)
				assert.Equal(t, 1, got.Links.Rejected)
			} else {
				assert.Equal(t, records, got.Links.Records)
				assert.Zero(t, got.Links.InvalidLines+got.Links.InvalidIdentities+got.Links.Rejected)
				assert.Equal(t, records, got.Links.Linked)
			}
			assert.Equal(t, len(w.Identities()), got.Links.Identities)
			assert.Equal(t, tr.profiles(), got.Links.Profiles)

			// Imports.
			wantSeg, segProfiles := expectImport(t, tr, seg)
			wantList, listProfiles := expectImport(t, tr, list)
			assert.Equal(t, wantSeg, got.Segment, "segment")
			assert.Equal(t, wantList, got.List, "list")

			// Join and export.
			var joined []int
			for p := range segProfiles {
				if listProfiles[p] {
					joined = append(joined, p)
				}
			}
			require.NotEmpty(t, joined)
			assert.Equal(t, len(joined), got.JoinedProfiles)
			isJoined := map[int]bool{}
			for _, p := range joined {
				isJoined[p] = true
			}
			exportNS := map[idtypes.Namespace]bool{}
			wantExported := map[string]int{}
			for _, ns := range tt.export {
				exportNS[ns] = true
				wantExported[ns.String()] = 0
			}
			var wantOut []string
			exportable := map[int]bool{}
			for i, id := range tr.ids {
				p := tr.find(i)
				if isJoined[p] && exportNS[id.Namespace()] {
					wantOut = append(wantOut, id.Text())
					wantExported[id.Namespace().String()]++
					exportable[p] = true
				}
			}
			assert.Equal(t, wantExported, got.Exported)
			assert.Equal(t, len(joined)-len(exportable), got.UnexportableProfiles)

			out, err := os.ReadFile(outPath)
			require.NoError(t, err)
			lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
			assert.True(t, slices.IsSorted(lines), "the out file is sorted")
			slices.Sort(wantOut)
			assert.Equal(t, wantOut, lines)
			for _, l := range lines[:min(len(lines), 50)] {
				_, err := idtypes.ParseText(l)
				assert.NoError(t, err)
			}

			// Overlap: segment, list, joined.
			s, l, j := float64(len(segProfiles)), float64(len(listProfiles)), float64(len(joined))
			require.Len(t, got.Overlap.Audiences, 3)
			for i, want := range []struct {
				name string
				size float64
			}{{"segment", s}, {"list", l}, {"joined", j}} {
				assert.Equal(t, want.name, got.Overlap.Audiences[i].Name)
				assert.InDelta(t, want.size, got.Overlap.Audiences[i].Size, 0)
			}
			require.Len(t, got.Overlap.Pairs, 3)
			for i, want := range []struct {
				a, b       string
				size, of   float64 // overlap, and the size of the union
				aInB, bInA float64
			}{
				{"segment", "list", j, s + l - j, j / s, j / l},
				{"segment", "joined", j, s, j / s, 1},
				{"list", "joined", j, l, j / l, 1},
			} {
				p := got.Overlap.Pairs[i]
				assert.Equal(t, want.a, p.A)
				assert.Equal(t, want.b, p.B)
				assert.InDelta(t, want.size, p.Overlap, 0)
				assert.InDelta(t, want.size/want.of, p.Jaccard, 1e-12)
				assert.InDelta(t, want.aInB, p.AInB, 1e-12)
				assert.InDelta(t, want.bInA, p.BInA, 1e-12)
			}

			// The printed report says the same.
			text := stdout.String()
			for _, want := range []string{"Links: " + links, "Segment: " + segPath, "List: " + listPath, "Join", "Export", "Overlap", "Stages"} {
				assert.Contains(t, text, want)
			}
			assert.Equal(t, count(len(joined)), reportValue(t, text, "profiles in segment and list"))
			assert.Equal(t, count(wantSeg.Unknown), reportValue(t, text, "unknown (in no profile)"), "the first unknown row is the segment's")
		})
	}
}

// reportValue returns the number printed on the first line of the text
// report that starts with label.
func reportValue(t *testing.T, text, label string) string {
	t.Helper()
	for l := range strings.Lines(text) {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(l), label); ok {
			return strings.Fields(rest)[0]
		}
	}
	t.Fatalf("no line %q in the report", label)
	return ""
}

// A missing link to a profile that the export asks for is unexportable:
// with CRM IDs unique, an owner whose only ECID went to a guest of the shared
// device has no ECID left.
func TestRunUnexportable(t *testing.T) {
	w := bench.Generate(bench.Config{Seed: 11, People: 4000, CRMShare: 1, SharedShare: 0.2})
	tr := newTruth(t, w, true)
	ecids := map[int]int{} // ECIDs per profile
	for i, id := range tr.ids {
		if id.Namespace() == idtypes.ECID {
			ecids[tr.find(i)]++
		}
	}
	var lonely []int // owners left with no ECID
	for _, sd := range w.SharedDevices() {
		if p, ok := tr.profile(crmOf(w, sd.Owner)); ok && ecids[p] == 0 {
			lonely = append(lonely, sd.Owner)
		}
	}
	require.NotEmpty(t, lonely, "the world has owners left without an ECID")

	dir := t.TempDir()
	links := writeFile(t, dir, "links.json", w.WriteXDM)
	// The segment and the list both name exactly the lonely owners, by CRM ID.
	var seg, csv strings.Builder
	csv.WriteString("CRMID\n")
	for _, p := range lonely {
		seg.WriteString(crmOf(w, p).Text() + "\n")
		csv.WriteString(crmOf(w, p).String() + "\n")
	}
	segPath := writeFile(t, dir, "seg.txt", func(b io.Writer) error { _, err := io.WriteString(b, seg.String()); return err })
	listPath := writeFile(t, dir, "list.csv", func(b io.Writer) error { _, err := io.WriteString(b, csv.String()); return err })
	repPath := filepath.Join(dir, "r.json")
	var stdout bytes.Buffer
	require.NoError(t, runMain([]string{"-links", links, "-segment", segPath, "-list", listPath, "-report", repPath}, &stdout, &stdout))
	var got contractReport
	raw, err := os.ReadFile(repPath)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(raw, &got))
	assert.Equal(t, len(lonely), got.JoinedProfiles)
	assert.Equal(t, len(lonely), got.UnexportableProfiles)
	assert.Equal(t, map[string]int{"ECID": 0}, got.Exported)
}

func crmOf(w *bench.World, p int) idtypes.ID {
	for _, id := range w.IDs(p) {
		if id.Namespace() == idtypes.CRMID {
			return id
		}
	}
	return idtypes.ID{}
}

// The synthetic world, smaller, with the report and the export written.
func TestRunSynthetic(t *testing.T) {
	dir := t.TempDir()
	repPath, outPath := filepath.Join(dir, "r.json"), filepath.Join(dir, "out.txt")
	var stdout, stderr bytes.Buffer
	require.NoError(t, runMain([]string{"-people", "20000", "-report", repPath, "-out", outPath}, &stdout, &stderr))
	text := stdout.String()
	for _, want := range []string{"synthetic world of 20,000 people", "Links:", "Segment:", "List:", "Join", "Export of the joined profiles", "Overlap of profiles", "Stages", "total"} {
		assert.Contains(t, text, want)
	}
	var got contractReport
	raw, err := os.ReadFile(repPath)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(raw, &got))
	for _, r := range []contractImport{got.Segment, got.List} {
		assert.Positive(t, r.Invalid)
		assert.Positive(t, r.Unknown)
		assert.Equal(t, r.Lines, r.Invalid+r.Duplicates+r.Unknown+r.Matched)
		assert.LessOrEqual(t, r.MatchedProfiles, r.Matched)
	}
	assert.Positive(t, got.JoinedProfiles)
	f, err := os.Open(outPath)
	require.NoError(t, err)
	defer f.Close()
	n := 0
	for sc := bufio.NewScanner(f); sc.Scan(); n++ {
		id, err := idtypes.ParseText(sc.Text())
		require.NoError(t, err)
		require.Equal(t, idtypes.ECID, id.Namespace())
	}
	assert.Equal(t, got.Exported["ECID"], n)
}

// The default run with no flags at all writes nothing and prints each
// section of the report.
func TestRunNoFlags(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("builds the full synthetic world, too slow under -short or -race")
	}
	dir := t.TempDir()
	t.Chdir(dir)
	var stdout, stderr bytes.Buffer
	require.NoError(t, runMain(nil, &stdout, &stderr))
	for _, want := range []string{"synthetic world of 300,000 people", "Links:", "Segment:", "List:", "Join", "Export of the joined profiles", "Overlap of profiles", "Stages", "total"} {
		assert.Contains(t, stdout.String(), want)
	}
	assert.NotContains(t, stderr.String(), "\r", "off a terminal, progress comes in plain lines")
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Empty(t, entries, "the default run writes nothing")
}

func TestRunErrors(t *testing.T) {
	dir := t.TempDir()
	good := writeFile(t, dir, "ok.txt", func(b io.Writer) error {
		_, err := io.WriteString(b, "ECID:20265673158980419722735089753036633573\n")
		return err
	})
	csv := writeFile(t, dir, "ok.csv", func(b io.Writer) error { _, err := io.WriteString(b, "CRMID\nC1\n"); return err })
	noHeader := writeFile(t, dir, "nohdr.csv", func(b io.Writer) error { _, err := io.WriteString(b, "name,city\nann,paris\n"); return err })
	missing := filepath.Join(dir, "missing.json")
	tests := []struct {
		name  string
		args  []string
		names string // what the message must name
		is    error  // what the error must match, if anything
	}{
		{"unknown flag", []string{"-bogus"}, "-bogus", nil},
		{"argument", []string{"links.json"}, "links.json", nil},
		{"links alone", []string{"-links", good}, "-segment", nil},
		{"list missing", []string{"-links", good, "-segment", good}, "-list", nil},
		{"unknown unique code", []string{"-unique", "CRMID,NOPE"}, "NOPE", nil},
		{"unknown export code", []string{"-export", "ECID,FOO"}, "-export", nil},
		{"nothing to export", []string{"-export", ""}, "-export", nil},
		{"bad people", []string{"-people", "0"}, "-people", nil},
		{"report in a missing folder", []string{"-links", good, "-segment", good, "-list", csv, "-report", filepath.Join(missing, "r.json")}, "-report", fs.ErrNotExist},
		{"people with files", []string{"-links", good, "-segment", good, "-list", good, "-people", "5"}, "-people", nil},
		{"missing links file", []string{"-links", missing, "-segment", good, "-list", good}, "missing.json", fs.ErrNotExist},
		{"missing list file", []string{"-links", good, "-segment", good, "-list", missing}, "-list", fs.ErrNotExist},
		{"directory", []string{"-links", good, "-segment", dir, "-list", good}, "-segment", nil},
		{"list without identifier column", []string{"-links", good, "-segment", good, "-list", noHeader}, "-list", idfile.ErrHeader},
		{"out in a missing folder", []string{"-links", good, "-segment", good, "-list", csv, "-out", filepath.Join(missing, "o.txt")}, "-out", fs.ErrNotExist},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := runMain(tt.args, &stdout, &stderr)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.names)
			assert.NotContains(t, err.Error(), "\n", "one line")
			if tt.is != nil {
				assert.ErrorIs(t, err, tt.is)
			}
		})
	}
}

func TestRunHelp(t *testing.T) {
	var stdout, stderr bytes.Buffer
	require.NoError(t, runMain([]string{"-h"}, &stdout, &stderr))
	for _, f := range []string{"-links", "-segment", "-list", "-unique", "-export", "-out", "-report"} {
		assert.Contains(t, stdout.String(), f)
	}
}

func TestCount(t *testing.T) {
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567", -1234: "-1,234"} {
		assert.Equal(t, want, count(n), "count(%d)", n)
	}
}

// smallInputs writes good links, segment and list files of a small world to
// dir and returns their paths.
func smallInputs(t *testing.T, dir string) (links, segment, list string) {
	t.Helper()
	w := bench.Generate(bench.Config{Seed: 5, People: 500})
	links = writeFile(t, dir, "links.json", w.WriteXDM)
	seg := w.Segment(bench.SegmentSpec{Seed: 1, Namespace: idtypes.ECID, Density: 0.5})
	segment = writeFile(t, dir, "segment.txt", func(b io.Writer) error { return seg.WriteList(b, "") })
	list = writeFile(t, dir, "list.csv", w.Segment(bench.SegmentSpec{Seed: 2, Namespace: idtypes.EmailSHA256, Density: 0.5}).WriteCSV)
	return links, segment, list
}

const goodOut = "ECID:20265673158980419722735089753036633573\n" // what -out held before

// A run whose -report cannot be written leaves -out as it was.
func TestRunAllOrNothing(t *testing.T) {
	for _, tc := range []struct {
		name   string
		report func(dir string) string
	}{
		{"report folder missing", func(dir string) string { return filepath.Join(dir, "missing", "r.json") }},
		{"report folder is a file", func(dir string) string { return filepath.Join(dir, "segment.txt", "r.json") }},
		{"report is a folder", func(dir string) string {
			os.Mkdir(filepath.Join(dir, "r.json"), 0o755)
			return filepath.Join(dir, "r.json")
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			links, segment, list := smallInputs(t, dir)
			out := filepath.Join(dir, "out.txt")
			require.NoError(t, os.WriteFile(out, []byte(goodOut), 0o644))
			var stdout, stderr bytes.Buffer
			err := runMain([]string{"-links", links, "-segment", segment, "-list", list, "-out", out, "-report", tc.report(dir)}, &stdout, &stderr)
			require.Error(t, err)
			assert.Contains(t, err.Error(), "-report")
			got, rerr := os.ReadFile(out)
			require.NoError(t, rerr)
			assert.Equal(t, goodOut, string(got), "-out is as it was")
			assert.Empty(t, clitest.TempFiles(t, dir))
		})
	}
}

// An input with no valid line is an error that writes nothing, unless
// -allow-empty accepts it; then the empty result is written.
func TestRunNoValidLine(t *testing.T) {
	binary := string([]byte{0x1f, 0x8b, 0x08, 0x00, 0xff, 0xfe, 0x00, 0x01, '\n', 0x80, 0x81, 0x00})
	for _, tc := range []struct {
		name, flag, content string
	}{
		{"links empty", "links", ""},
		{"links garbage", "links", "not json\n{\"identityMap\":{}}\n"},
		{"links binary", "links", binary},
		{"segment empty", "segment", ""},
		{"segment comments only", "segment", "# nothing here\n\n"},
		{"segment garbage", "segment", "hello\nECID:12\nnull\n"},
		{"segment binary", "segment", binary},
		{"list header only", "list", "Email_LC_SHA256\n"},
		{"list garbage", "list", "Email_LC_SHA256\nnot a hash\nnull\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			paths := map[string]string{}
			paths["links"], paths["segment"], paths["list"] = smallInputs(t, dir)
			require.NoError(t, os.WriteFile(paths[tc.flag], []byte(tc.content), 0o644))
			out, rep := filepath.Join(dir, "out.txt"), filepath.Join(dir, "r.json")
			require.NoError(t, os.WriteFile(out, []byte(goodOut), 0o644))
			args := []string{"-links", paths["links"], "-segment", paths["segment"], "-list", paths["list"], "-out", out, "-report", rep}

			var stdout, stderr bytes.Buffer
			err := runMain(args, &stdout, &stderr)
			require.Error(t, err)
			assert.Contains(t, err.Error(), "-"+tc.flag+": ")
			assert.Contains(t, err.Error(), "-allow-empty")
			assert.NotContains(t, err.Error(), "\n", "one line")
			assert.Empty(t, stdout.String(), "no report printed")
			got, rerr := os.ReadFile(out)
			require.NoError(t, rerr)
			assert.Equal(t, goodOut, string(got), "-out is as it was")
			assert.NoFileExists(t, rep)
			assert.Empty(t, clitest.TempFiles(t, dir))

			stdout.Reset()
			require.NoError(t, runMain(append(args, "-allow-empty"), &stdout, &stderr))
			got, rerr = os.ReadFile(out)
			require.NoError(t, rerr)
			assert.Empty(t, string(got), "the empty result is written")
			assert.FileExists(t, rep)
			assert.Contains(t, stdout.String(), "Join")
			assert.Empty(t, clitest.TempFiles(t, dir))
		})
	}
}

// An interrupted run leaves its outputs as they were and no temporary file.
// -report is a named pipe nobody reads, so the run cannot end by itself.
func TestRunInterrupted(t *testing.T) {
	for _, tc := range clitest.Stops {
		t.Run(tc.Sig.String(), func(t *testing.T) {
			dir := t.TempDir()
			out := filepath.Join(dir, "out.txt")
			require.NoError(t, os.WriteFile(out, []byte(goodOut), 0o644))
			clitest.Stopped(t, progName, tc.Sig, tc.Status, dir,
				func(fifo string) []string { return []string{"-people", "2000", "-out", out, "-report", fifo} },
				func(dir, _ string) bool { return len(clitest.TempFiles(t, dir)) > 0 })
			got, err := os.ReadFile(out)
			require.NoError(t, err)
			assert.Equal(t, goodOut, string(got), "-out is as it was")
		})
	}
}

// -out /dev/stdout prints the identifiers, and leaves /dev/stdout alone. A
// link made like /dev/stdout in a temporary folder stands for it, so that
// the test cannot harm the real /dev.
func TestRunOutToStdout(t *testing.T) {
	if _, err := os.Stat("/proc/self/fd/1"); err != nil {
		t.Skip("no /proc/self/fd here")
	}
	dir := t.TempDir()
	stdoutLink := filepath.Join(dir, "stdout")
	require.NoError(t, os.Symlink("/proc/self/fd/1", stdoutLink))
	links, segment, list := smallInputs(t, dir)
	cmd := clitest.Command("-links", links, "-segment", segment, "-list", list, "-out", stdoutLink)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	require.NoError(t, cmd.Run(), stderr.String())
	fi, err := os.Lstat(stdoutLink)
	require.NoError(t, err)
	assert.Equal(t, os.ModeSymlink, fi.Mode().Type(), "the link is still a link")
	ecids := 0
	for line := range strings.Lines(stdout.String()) {
		if strings.HasPrefix(line, "ECID:") {
			ecids++
		}
	}
	assert.Positive(t, ecids, "the identifiers are printed")
	assert.Contains(t, stdout.String(), "Export of the joined profiles")
}
