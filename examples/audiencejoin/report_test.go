package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idbits/idbits/reconcile"
	"github.com/idbits/idbits/reconcile/idfile"
)

// ecidText is a valid ECID for n.
func ecidText(n int) string { return fmt.Sprintf("%019d%019d", n+1, n) }

// smallRun runs the program on a links file of n lines (line i linking
// ECID i to CRM ID Ci, unless bad holds another text for it), a segment and
// a list, and returns the JSON report decoded generically, the report's
// raw bytes and the printed report.
func smallRun(t *testing.T, n int, bad map[int]string, segment, list string) (map[string]any, []byte, string) {
	t.Helper()
	dir := t.TempDir()
	var b strings.Builder
	for i := 1; i <= n; i++ {
		if s, ok := bad[i]; ok {
			b.WriteString(s + "\n")
			continue
		}
		fmt.Fprintf(&b, `{"timestamp":"2026-05-01T10:00:00Z","identityMap":{"ECID":[{"id":"%s"}],"CRMID":[{"id":"C%d"}]}}`+"\n", ecidText(i), i)
	}
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(text), 0o644))
		return p
	}
	links, seg, csv := write("links.json", b.String()), write("segment.txt", segment), write("list.csv", list)
	repPath := filepath.Join(dir, "r.json")
	var stdout, stderr bytes.Buffer
	require.NoError(t, runMain([]string{"-links", links, "-segment", seg, "-list", csv, "-report", repPath}, &stdout, &stderr))
	raw, err := os.ReadFile(repPath)
	require.NoError(t, err)
	var got map[string]any
	require.NoError(t, json.Unmarshal(raw, &got))
	return got, raw, stdout.String()
}

// Bad records past the first batch of LinkMany are named by their line
// in the file, in the JSON report and the printed one.
func TestReportLinkLines(t *testing.T) {
	bad := map[int]string{
		35_001: `{"timestamp":"3000-01-01T00:00:00Z","identityMap":{"ECID":[{"id":"` + ecidText(35_001) + `"}]}}`,
		36_000: "not json",
		37_000: `{"timestamp":"2026-05-01T10:00:00Z","identityMap":{"ECID":[{"id":5}],"CRMID":[{"id":"C37000"}]}}`,
	}
	got, raw, text := smallRun(t, 40_000, bad, "ECID:"+ecidText(1)+"\n", "CRMID\nC1\n")
	links := got["links"].(map[string]any)
	for k, want := range map[string]float64{"lines": 40_000, "invalid_lines": 1, "invalid_identities": 1, "records": 39_999, "linked": 39_998, "rejected": 1} {
		assert.Equal(t, want, links[k], k)
	}
	wantExamples := []any{
		"reconcile: line 35001: record time out of range",
		"idfile: line 36000: malformed line: invalid character 'o' in literal null (expecting 'u')",
		`idfile: line 37000: identityMap.ECID[0]: malformed line: "id" is a number, not a string`,
	}
	assert.Equal(t, wantExamples, links["examples"])
	for _, e := range wantExamples {
		assert.Contains(t, text, "e.g. "+e.(string))
	}
	for _, goName := range []string{"Go ", "reconcile.", "idfile.", "idtypes.", "*", "struct"} {
		assert.NotContains(t, text, goName, "the printed report names no Go type")
		assert.NotContains(t, string(raw), goName, "the JSON report names no Go type")
	}
}

// keys returns the JSON field names of v.
func keys(t *testing.T, v any) []string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m))
	return slices.Sorted(maps.Keys(m))
}

// "invalid" is what the library calls invalid, blocked values included,
// and the report's funnels carry the library's JSON names.
func TestReportMatchesLibrary(t *testing.T) {
	segment := "ECID:" + ecidText(1) + "\nECID:null\nfoo\nECID:" + ecidText(2) + "\nECID:" + ecidText(99) + "\n"
	list := "CRMID\nC1\nnull\n\"a\"b\n"
	got, _, text := smallRun(t, 10, nil, segment, list)

	// The library on the same files, under an empty view: only Invalid
	// and its reasons are compared.
	for part, imp := range map[string]func(v *reconcile.View) (reconcile.Imported, error){
		"segment": func(v *reconcile.View) (reconcile.Imported, error) {
			return reconcile.ImportList(v, strings.NewReader(segment), idfile.ListOptions{}, reconcile.ImportOptions{})
		},
		"list": func(v *reconcile.View) (reconcile.Imported, error) {
			return reconcile.ImportCSV(v, strings.NewReader(list), idfile.CSVOptions{}, reconcile.ImportOptions{})
		},
	} {
		g, err := reconcile.NewGraph(reconcile.Rules{})
		require.NoError(t, err)
		res, err := imp(g.View())
		require.NoError(t, err)
		r := got[part].(map[string]any)
		assert.Equal(t, float64(res.Report.Invalid), r["invalid"], part)
		assert.Equal(t, float64(2), r["invalid"], "%s: blocked values are invalid", part)
		assert.Equal(t, 1.0, r["invalid_by_reason"].(map[string]any)["blocked"], part)
		assert.Equal(t, r["lines"], r["invalid"].(float64)+r["duplicates"].(float64)+r["unknown"].(float64)+r["matched_identities"].(float64), part)

		want := append(keys(t, reconcile.ImportReport{}), "source")
		slices.Sort(want)
		assert.Equal(t, want, slices.Sorted(maps.Keys(r)), "%s: the library's names", part)
	}
	_, seg, _ := strings.Cut(text, "\nSegment:")
	assert.Equal(t, "2", reportValue(t, seg, "invalid"), "the printed report says the same")

	links := got["links"].(map[string]any)
	for _, k := range keys(t, reconcile.LinkReport{}) {
		assert.Contains(t, links, k, "links: the library's names")
	}
}

// The printed report's examples come from the library's rejected lines.
func TestPrintReportExamples(t *testing.T) {
	rep := &report{Segment: importReport{Source: "s.txt", ImportReport: reconcile.ImportReport{
		Lines: 1, Invalid: 1, InvalidByReason: map[reconcile.Reason]int{reconcile.ReasonBlocked: 1},
		Rejected: []reconcile.RejectedLine{{Line: 1, Reason: reconcile.ReasonBlocked, Err: &idfile.LineError{Line: 1, Err: io.ErrUnexpectedEOF}}},
	}}}
	var b strings.Builder
	require.NoError(t, printReport(&b, rep))
	assert.Contains(t, b.String(), "e.g. idfile: line 1: unexpected EOF")
	assert.Contains(t, b.String(), "    blocked")
}
