package reconcile_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/idbits/idbits/idtypes"
	"github.com/idbits/idbits/reconcile"
	"github.com/idbits/idbits/reconcile/idfile"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// importLine is one line of a generated import file: its text and, for a
// line the reader must reject, the reason the model expects.
type importLine struct {
	text   string
	reason reconcile.Reason // for a rejected line; zero for an identifier or a line readers skip
	skip   bool             // blank or comment: not a data line
}

// badLines are malformed and blocked lines of every kind, with the reason.
var badLines = []importLine{
	{text: "ECID:12345", reason: reconcile.ReasonSyntax},
	{text: "ECID:2026567315898041972273508975303663357x", reason: reconcile.ReasonSyntax},
	{text: "Email:no-at-sign.example.com", reason: reconcile.ReasonSyntax},
	{text: "Email:two@at@signs", reason: reconcile.ReasonSyntax},
	{text: "Email_LC_SHA256:abc", reason: reconcile.ReasonSyntax},
	{text: "Phone_E.164:12345", reason: reconcile.ReasonSyntax},
	{text: "no colon at all", reason: reconcile.ReasonSyntax},
	{text: "ECID:99999999999999999990000000000000000000", reason: reconcile.ReasonRange},
	{text: "CRMID:" + strings.Repeat("c", 2000), reason: reconcile.ReasonTooLong},
	{text: "TNTID:abc", reason: reconcile.ReasonNamespace},
	{text: ":value", reason: reconcile.ReasonNamespace},
	{text: "CRMID:" + strings.Repeat("l", importMaxLine+10), reason: reconcile.ReasonLineTooLong},
	{text: "CRMID:null", reason: reconcile.ReasonBlocked},
	{text: "ECID:", reason: reconcile.ReasonBlocked},
	{text: "Email:Anonymous", reason: reconcile.ReasonBlocked},
	{text: "IDFA:00000000-0000-0000-0000-000000000000", reason: reconcile.ReasonBlocked},
}

// importMaxLine is the MaxLine of the generated files' reader.
const importMaxLine = 4096

// genImport makes lines for an import into w: identities of people (some in
// a non-canonical spelling), fresh unknown identifiers, repeats of both, and
// bad lines of every kind, shuffled, with blank and comment lines.
func genImport(w *flowWorld, rnd *rand.Rand, known, unknown, bad int) []importLine {
	var ls []importLine
	for range known {
		ids := w.people[rnd.IntN(len(w.people))]
		id := ids[rnd.IntN(len(ids))]
		text := id.Text()
		if id.Namespace() == idtypes.Email && rnd.IntN(2) == 0 {
			text = "EMAIL:" + strings.ToUpper(id.String()) // same identifier, other spelling
		}
		ls = append(ls, importLine{text: text})
	}
	for i := range unknown {
		id := w.freshECID()
		if i%3 == 0 {
			id = w.freshCRM()
		}
		ls = append(ls, importLine{text: id.Text()})
	}
	for range (known + unknown) / 5 { // repeats
		ls = append(ls, ls[rnd.IntN(len(ls))])
	}
	for i := range bad {
		ls = append(ls, badLines[i%len(badLines)])
	}
	for i := range (known + unknown) / 20 {
		ls = append(ls, importLine{text: "", skip: true}, importLine{text: fmt.Sprint("# comment ", i), skip: true})
	}
	rnd.Shuffle(len(ls), func(i, j int) { ls[i], ls[j] = ls[j], ls[i] })
	return ls
}

func importText(ls []importLine) string {
	var b strings.Builder
	for _, l := range ls {
		b.WriteString(l.text)
		b.WriteString("\n")
	}
	return b.String()
}

// importModel is what the model expects of an import of ls under the
// components of m, before registration: the report (without the rejected
// lines' errors) and the components the audience must cover.
func importModel(tb testing.TB, m *flowModel, ls []importLine, maxRejected int) (reconcile.ImportReport, map[idtypes.ID]bool, []idtypes.ID) {
	tb.Helper()
	rep := reconcile.ImportReport{InvalidByReason: map[reconcile.Reason]int{}, Rejected: []reconcile.RejectedLine{}}
	seen := map[idtypes.ID]bool{}
	want := map[idtypes.ID]bool{}
	var unknown []idtypes.ID
	for i, l := range ls {
		if l.skip {
			continue
		}
		rep.Lines++
		if l.reason != 0 {
			rep.Invalid++
			rep.InvalidByReason[l.reason]++
			if len(rep.Rejected) < maxRejected {
				rep.Rejected = append(rep.Rejected, reconcile.RejectedLine{Line: i + 1, Reason: l.reason})
			}
			continue
		}
		id, err := idtypes.ParseText(l.text)
		require.NoError(tb, err, "generated line %q", l.text)
		if seen[id] {
			rep.Duplicates++
			continue
		}
		seen[id] = true
		c, ok := m.comp(id)
		if !ok {
			rep.Unknown++
			unknown = append(unknown, id)
			continue
		}
		rep.MatchedIdentities++
		want[c] = true
	}
	rep.MatchedProfiles = len(want)
	if d := rep.MatchedIdentities + rep.Unknown; d > 0 {
		rep.MatchRate = float64(rep.MatchedIdentities) / float64(d)
	}
	return rep, want, unknown
}

// requireReport compares a report with the model's, rejected lines by line
// number and reason.
func requireReport(tb testing.TB, want, got reconcile.ImportReport) {
	tb.Helper()
	require.Len(tb, got.Rejected, len(want.Rejected))
	for i, r := range got.Rejected {
		assert.Equal(tb, want.Rejected[i].Line, r.Line, "rejected[%d]", i)
		assert.Equal(tb, want.Rejected[i].Reason, r.Reason, "rejected[%d] line %d", i, r.Line)
		var le *idfile.LineError
		require.ErrorAs(tb, r.Err, &le)
		assert.Equal(tb, r.Line, le.Line)
	}
	want.Rejected, got.Rejected = nil, nil
	require.InDelta(tb, want.MatchRate, got.MatchRate, 1e-12)
	want.MatchRate, got.MatchRate = 0, 0
	require.Equal(tb, want, got)
	require.Equal(tb, got.Lines, got.Invalid+got.Duplicates+got.Unknown+got.MatchedIdentities, "funnel")
}

func TestImportFunnel(t *testing.T) {
	for _, tc := range []struct {
		name                string
		known, unknown, bad int
		maxRejected         int // option
		keep                int // rejected lines the report keeps
	}{
		{name: "empty", keep: reconcile.DefaultMaxRejected},
		{name: "known only", known: 500, keep: reconcile.DefaultMaxRejected},
		{name: "every kind", known: 2000, unknown: 300, bad: 40, keep: reconcile.DefaultMaxRejected},
		{name: "over the cap", known: 2000, unknown: 300, bad: 250, keep: reconcile.DefaultMaxRejected},
		{name: "cap 7", known: 300, unknown: 30, bad: 50, maxRejected: 7, keep: 7},
		{name: "keep none", known: 300, unknown: 30, bad: 50, maxRejected: -1, keep: 0},
		{name: "all bad", bad: 120, keep: reconcile.DefaultMaxRejected},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := flowGen(t, 1, 1500, reconcile.Rules{})
			ls := genImport(w, rand.New(rand.NewPCG(2, 3)), tc.known, tc.unknown, tc.bad)
			v := w.g.View()
			want, comp, _ := importModel(t, w.model, ls, tc.keep)

			res, err := reconcile.ImportList(v, strings.NewReader(importText(ls)),
				idfile.ListOptions{MaxLine: importMaxLine}, reconcile.ImportOptions{MaxRejected: tc.maxRejected})
			require.NoError(t, err)
			requireReport(t, want, res.Report)
			require.Same(t, v, res.Profiles.View())
			require.Equal(t, comp, comps(t, w.model, v, res.Profiles))
			require.Equal(t, uint64(res.Report.MatchedProfiles), res.Profiles.Len())
		})
	}
}

func TestImportReportJSON(t *testing.T) {
	w := flowGen(t, 4, 50, reconcile.Rules{})
	in := w.people[0][0].Text() + "\nECID:1\nCRMID:null\n" + w.people[0][0].Text() + "\n" + w.freshECID().Text() + "\n"
	res, err := reconcile.ImportList(w.g.View(), strings.NewReader(in), idfile.ListOptions{}, reconcile.ImportOptions{})
	require.NoError(t, err)
	b, err := json.Marshal(res.Report)
	require.NoError(t, err)
	var got map[string]any
	require.NoError(t, json.Unmarshal(b, &got))
	for k, want := range map[string]any{
		"lines": 5.0, "invalid": 2.0, "invalid_by_reason": map[string]any{"syntax": 1.0, "blocked": 1.0},
		"duplicates": 1.0, "unknown": 1.0, "registered": 0.0, "matched_identities": 1.0, "matched_profiles": 1.0,
		"match_rate": 0.5,
	} {
		assert.Equal(t, want, got[k], k)
	}
	_, ok := got["blocked"]
	assert.False(t, ok, "blocked values are counted in invalid, by reason")
	rej, ok := got["rejected"].([]any)
	require.True(t, ok, "rejected is %T", got["rejected"])
	require.Len(t, rej, 2)
	assert.Equal(t, map[string]any{"line": 2.0, "text": "ECID:1", "reason": "syntax"}, rej[0])
}

func TestImportRegister(t *testing.T) {
	w := flowGen(t, 5, 800, reconcile.Rules{})
	ls := genImport(w, rand.New(rand.NewPCG(6, 7)), 1500, 200, 30)
	v := w.g.View()

	// An identifier linked after v: known to the graph, unknown to v.
	late := w.freshECID()
	w.link(t, 1, late, w.people[3][0])
	// An erased identifier: unknown (erasure reaches old views too), and
	// never registered.
	gone := w.people[4][0]
	w.erase(t, gone)
	ls = append(ls, importLine{text: late.Text()}, importLine{text: gone.Text()}, importLine{text: gone.Text()})

	// What v knows: the people, without the erased identifier.
	mv := newFlowModel()
	for _, ids := range w.people {
		mv.link(ids)
	}
	mv.erase(gone)
	want, _, unknown := importModel(t, mv, ls, reconcile.DefaultMaxRejected)
	require.Contains(t, unknown, late)
	require.Contains(t, unknown, gone)

	res, err := reconcile.ImportList(v, strings.NewReader(importText(ls)),
		idfile.ListOptions{MaxLine: importMaxLine}, reconcile.ImportOptions{Register: w.g, At: flowT0.Add(48 * time.Hour)})
	require.NoError(t, err)
	nv := res.Profiles.View()
	require.NotSame(t, v, nv)
	require.Same(t, w.g.View(), nv)

	// The model registers every unknown identifier but the erased one; the
	// late one was in the graph already, and counts as registered since
	// the new view holds it.
	for _, id := range unknown {
		if id != gone {
			w.model.link([]idtypes.ID{id})
			want.Registered++
		}
	}
	// The audience holds the profile of every identifier of the file but
	// the erased one, under the new view; the matched ones are counted
	// there too.
	all, matched := map[idtypes.ID]bool{}, map[idtypes.ID]bool{}
	for _, l := range ls {
		if l.reason != 0 || l.skip {
			continue
		}
		id, err := idtypes.ParseText(l.text)
		require.NoError(t, err)
		c, ok := w.model.comp(id)
		if !ok {
			require.Equal(t, gone, id)
			continue
		}
		all[c] = true
		if !slices.Contains(unknown, id) {
			matched[c] = true
		}
	}
	want.MatchedProfiles = len(matched)
	requireReport(t, want, res.Report)
	require.Equal(t, all, comps(t, w.model, nv, res.Profiles))

	// Registered identifiers are profiles of their own.
	for _, id := range unknown {
		if id == gone || id == late {
			continue
		}
		p, ok := nv.Profile(id)
		require.True(t, ok, "%v not registered", id.Text())
		require.Equal(t, id, nv.Key(p))
		require.True(t, res.Profiles.Contains(p))
	}

	// Importing the same file again under the new view finds everything but
	// the erased identifier, and registers nothing.
	again, err := reconcile.ImportList(nv, strings.NewReader(importText(ls)),
		idfile.ListOptions{MaxLine: importMaxLine}, reconcile.ImportOptions{Register: w.g})
	require.NoError(t, err)
	require.Equal(t, 1, again.Report.Unknown)
	require.Equal(t, 0, again.Report.Registered)
	require.Same(t, nv, again.Profiles.View(), "nothing registered: no new view")
	require.True(t, again.Profiles.Equal(res.Profiles))
}

func TestImportForeignView(t *testing.T) {
	a := flowGen(t, 8, 10, reconcile.Rules{})
	b := flowGen(t, 8, 10, reconcile.Rules{})
	_, err := reconcile.ImportList(a.g.View(), strings.NewReader(a.people[0][0].Text()), idfile.ListOptions{},
		reconcile.ImportOptions{Register: b.g})
	require.ErrorIs(t, err, reconcile.ErrForeignView)
}

func TestImportReadError(t *testing.T) {
	w := flowGen(t, 9, 100, reconcile.Rules{})
	boom := errors.New("disk on fire")
	in := w.people[1][0].Text() + "\nECID:1\n" + w.people[2][0].Text() + "\n"
	res, err := reconcile.ImportList(w.g.View(), io.MultiReader(strings.NewReader(in), iotest.ErrReader(boom)),
		idfile.ListOptions{}, reconcile.ImportOptions{})
	require.ErrorIs(t, err, boom)
	require.Equal(t, 3, res.Report.Lines)
	require.Equal(t, 2, res.Report.MatchedIdentities)
	require.Equal(t, 1, res.Report.Invalid)
	requireProfiles(t, keySet(t, w.g.View(), w.people[1][0], w.people[2][0]), res.Profiles)

	// The same past the first batches, which the lookups run beside the
	// reading.
	ls := genImport(w, rand.New(rand.NewPCG(1, 1)), 60000, 100, 0)
	want, comp, _ := importModel(t, w.model, ls, reconcile.DefaultMaxRejected)
	res, err = reconcile.ImportList(w.g.View(), io.MultiReader(strings.NewReader(importText(ls)), iotest.ErrReader(boom)),
		idfile.ListOptions{}, reconcile.ImportOptions{})
	require.ErrorIs(t, err, boom)
	requireReport(t, want, res.Report)
	require.Equal(t, comp, comps(t, w.model, w.g.View(), res.Profiles))
}

// Progress comes every ProgressEvery lines, in increasing counts, and last
// with the total, also when a read error stops the import.
func TestImportProgress(t *testing.T) {
	w := flowGen(t, 12, 50, reconcile.Rules{})
	known := w.people[0][0]
	errRead := errors.New("disk on fire")
	for _, tt := range []struct {
		n   int
		err error
	}{{0, nil}, {10, nil}, {reconcile.ProgressEvery, nil}, {2*reconcile.ProgressEvery + 5, nil}, {reconcile.ProgressEvery + 3, errRead}} {
		t.Run(fmt.Sprint(tt.n, tt.err), func(t *testing.T) {
			lines := func(yield func(idfile.Line, error) bool) {
				for i := range tt.n {
					var ln idfile.Line
					var err error
					switch i % 3 {
					case 0:
						ln = idfile.Line{N: i + 1, ID: known}
					case 1:
						ln = idfile.Line{N: i + 1, ID: w.freshECID()}
					case 2:
						err = &idfile.LineError{Line: i + 1, Err: idtypes.ErrBlocked}
					}
					if !yield(ln, err) {
						return
					}
				}
				if tt.err != nil {
					yield(idfile.Line{}, tt.err)
				}
			}
			var got []int64
			res, err := reconcile.Import(w.g.View(), lines, reconcile.ImportOptions{Progress: func(done int64) { got = append(got, done) }})
			if tt.err != nil {
				require.ErrorIs(t, err, tt.err)
			} else {
				require.NoError(t, err)
			}
			var want []int64
			for k := int64(reconcile.ProgressEvery); k <= int64(tt.n); k += reconcile.ProgressEvery {
				want = append(want, k)
			}
			want = append(want, int64(tt.n))
			assert.Equal(t, want, got)
			assert.Equal(t, tt.n, res.Report.Lines)
		})
	}
}

func TestImportCSV(t *testing.T) {
	w := flowGen(t, 10, 100, reconcile.Rules{})
	e1, e2 := w.people[5][0], w.people[6][0]
	in := "name,ECID\n" +
		"a," + e1.String() + "\n" +
		"b\"x," + e2.String() + "\n" + // quote inside an unquoted field
		"short\n" + // no identifier column
		"c,null\n" +
		"\"d\"," + e2.String() + "\n" +
		"e,123\n"
	res, err := reconcile.ImportCSV(w.g.View(), strings.NewReader(in), idfile.CSVOptions{}, reconcile.ImportOptions{})
	require.NoError(t, err)
	rep := res.Report
	assert.Equal(t, 6, rep.Lines)
	assert.Equal(t, map[reconcile.Reason]int{reconcile.ReasonQuote: 1, reconcile.ReasonFormat: 1, reconcile.ReasonSyntax: 1, reconcile.ReasonBlocked: 1}, rep.InvalidByReason)
	assert.Equal(t, 4, rep.Invalid, "blocked values are invalid")
	assert.Equal(t, 2, rep.MatchedIdentities)
	var lines []int
	for _, r := range rep.Rejected {
		lines = append(lines, r.Line)
	}
	assert.Equal(t, []int{3, 4, 5, 7}, lines)
	requireProfiles(t, keySet(t, w.g.View(), e1, e2), res.Profiles)

	_, err = reconcile.ImportCSV(w.g.View(), strings.NewReader("name,age\nx,1\n"), idfile.CSVOptions{}, reconcile.ImportOptions{})
	require.ErrorIs(t, err, idfile.ErrHeader)
}

// TestImportEmptyValue: an iterator of another source that yields the zero
// ID without an error has it rejected, not imported.
func TestImportEmptyValue(t *testing.T) {
	w := flowGen(t, 11, 10, reconcile.Rules{})
	var lines iter.Seq2[idfile.Line, error] = func(yield func(idfile.Line, error) bool) {
		_ = yield(idfile.Line{N: 1}, nil) && yield(idfile.Line{N: 2, ID: w.people[0][0]}, nil)
	}
	res, err := reconcile.Import(w.g.View(), lines, reconcile.ImportOptions{})
	require.NoError(t, err)
	require.Equal(t, map[reconcile.Reason]int{reconcile.ReasonEmpty: 1}, res.Report.InvalidByReason)
	require.Equal(t, 1, res.Report.MatchedIdentities)
	require.Equal(t, 1, res.Report.Rejected[0].Line)
}

// TestImportShortenedLine: a rejected line kept in the report says when its
// text is only the start of the line, and how long the line was.
func TestImportShortenedLine(t *testing.T) {
	w := flowGen(t, 11, 10, reconcile.Rules{})
	long := "ECID:" + strings.Repeat("7", 300)
	in := "ECID:123\n" + long + "\n"
	res, err := reconcile.ImportList(w.g.View(), strings.NewReader(in), idfile.ListOptions{}, reconcile.ImportOptions{})
	require.NoError(t, err)
	require.Len(t, res.Report.Rejected, 2)
	short, cut := res.Report.Rejected[0], res.Report.Rejected[1]
	assert.Equal(t, "ECID:123", short.Text)
	assert.Zero(t, short.Len, "a whole line has no length of its own")
	assert.Len(t, cut.Text, 256)
	assert.True(t, strings.HasPrefix(long, cut.Text))
	assert.Equal(t, len(long), cut.Len)
}

func TestSegmentLines(t *testing.T) {
	w := flowGen(t, 12, 20, reconcile.Rules{})
	u := func(p int) string {
		for _, id := range w.people[p] {
			if id.Namespace() == idtypes.ECID {
				return id.String()
			}
		}
		panic("no ECID")
	}
	in := u(0) + " 24,26 25\n" + // in 24
		u(1) + " 26 24\n" + // left 24
		"123 24\n" + // bad user: rejected line
		u(2) + " 24,x7 \n" + // a bad segment, 24 good
		u(3) + " 26,27\n" +
		u(5) + " x9,y8\n" + // every segment bad: rejected line, once
		u(4) + " 24\n"
	lines := reconcile.SegmentLines(idfile.ReadAAMOutbound(strings.NewReader(in), idfile.AAMOptions{Namespace: idtypes.ECID}), idfile.Trait{ID: 24})
	res, err := reconcile.Import(w.g.View(), lines, reconcile.ImportOptions{})
	require.NoError(t, err)
	assert.Equal(t, 5, res.Report.Lines)
	assert.Equal(t, 2, res.Report.Invalid)
	var rejected []int
	for _, r := range res.Report.Rejected {
		rejected = append(rejected, r.Line)
	}
	assert.Equal(t, []int{3, 6}, rejected)
	assert.Equal(t, 3, res.Report.MatchedIdentities)
	want := []idtypes.ID{}
	for _, p := range []int{0, 2, 4} {
		id, err := idtypes.Parse(idtypes.ECID, u(p))
		require.NoError(t, err)
		want = append(want, id)
	}
	requireProfiles(t, keySet(t, w.g.View(), want...), res.Profiles)

	// Stopping early stops the reader.
	n := 0
	for range reconcile.SegmentLines(idfile.ReadAAMOutbound(strings.NewReader(in), idfile.AAMOptions{Namespace: idtypes.ECID}), idfile.Trait{ID: 24}) {
		n++
		break
	}
	require.Equal(t, 1, n)
}

// TestImportBatches imports more lines than one lookup batch holds, with
// duplicates across batches.
func TestImportBatches(t *testing.T) {
	w := flowGen(t, 13, 3000, reconcile.Rules{})
	ls := genImport(w, rand.New(rand.NewPCG(14, 15)), 40000, 3000, 10)
	v := w.g.View()
	want, comp, _ := importModel(t, w.model, ls, reconcile.DefaultMaxRejected)
	res, err := reconcile.ImportList(v, strings.NewReader(importText(ls)), idfile.ListOptions{MaxLine: importMaxLine}, reconcile.ImportOptions{})
	require.NoError(t, err)
	requireReport(t, want, res.Report)
	require.Equal(t, comp, comps(t, w.model, v, res.Profiles))
}

// TestImportAllocsPerLine checks that an import allocates nothing per line:
// a long file of known ECIDs, with repeats, costs few more allocations than
// a short one (the batches' lookups allocate per batch, not per line).
func TestImportAllocsPerLine(t *testing.T) {
	w := flowGen(t, 60, 5000, reconcile.Rules{})
	v := w.g.View()
	var ecids []idtypes.ID
	for _, ids := range w.people {
		for _, id := range ids {
			if id.Namespace() == idtypes.ECID {
				ecids = append(ecids, id)
			}
		}
	}
	text := func(n int) string {
		var b strings.Builder
		for i := range n {
			b.WriteString(ecids[(i*7919)%len(ecids)].Text())
			b.WriteByte('\n')
		}
		return b.String()
	}
	allocs := func(n int) float64 {
		in := text(n)
		return testing.AllocsPerRun(3, func() {
			res, err := reconcile.ImportList(v, strings.NewReader(in), idfile.ListOptions{}, reconcile.ImportOptions{})
			if err != nil || res.Report.Lines != n {
				t.Fatal(err, res.Report.Lines)
			}
		})
	}
	short, long := allocs(20000), allocs(100000)
	perLine := (long - short) / 80000
	t.Logf("allocations: %.0f for 20000 lines, %.0f for 100000: %.4f per line", short, long, perLine)
	require.Less(t, perLine, 0.05)
}

func TestReasonText(t *testing.T) {
	for r, want := range map[reconcile.Reason]string{
		reconcile.ReasonBlocked: "blocked", reconcile.ReasonTooLong: "too_long",
		reconcile.ReasonOther: "other", 0: "Reason(0)", 99: "Reason(99)",
	} {
		assert.Equal(t, want, r.String())
		text, err := r.MarshalText()
		require.NoError(t, err)
		assert.Equal(t, want, string(text))
	}
	b, err := json.Marshal(map[reconcile.Reason]int{reconcile.ReasonSyntax: 2})
	require.NoError(t, err)
	assert.JSONEq(t, `{"syntax": 2}`, string(b))
}

// requireProfiles checks that got holds the profiles of want, under the
// same view.
func requireProfiles(t *testing.T, want, got reconcile.Profiles) {
	t.Helper()
	require.Same(t, want.View(), got.View())
	require.True(t, want.Equal(got), "got %v, want %v", got.Audience().AppendTo(nil), want.Audience().AppendTo(nil))
}
