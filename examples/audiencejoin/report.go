package main

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/idbits/idbits/examples/internal/cli"
	"github.com/idbits/idbits/reconcile"
	"github.com/idbits/idbits/reconcile/idfile"
)

// report is what a run found; its JSON form is the -report file.
type report struct {
	World                string                  `json:"world,omitempty"`
	Links                linksReport             `json:"links"`
	Segment              importReport            `json:"segment"`
	List                 importReport            `json:"list"`
	JoinedProfiles       int                     `json:"joined_profiles"`
	Exported             map[string]int          `json:"exported"`
	UnexportableProfiles int                     `json:"unexportable_profiles"`
	Overlap              reconcile.OverlapReport `json:"overlap"`
	Stages               []cli.Stage             `json:"stages"`
}

// linksReport is the funnel of the identity links, as the library reports
// it (its counts and their JSON names), with what the graph made of them.
type linksReport struct {
	Source string `json:"source"`
	reconcile.LinkReport
	Unique     []string `json:"unique"`     // the unique namespaces
	Cuts       int      `json:"cuts"`       // joins the rules cut
	Identities int      `json:"identities"` // identities in profiles
	Profiles   int      `json:"profiles"`
	Examples   []string `json:"examples,omitempty"` // the first bad lines and records, in file order
}

// fillExamples keeps the first bad lines and records of the report, in
// file order.
func (r *linksReport) fillExamples() {
	les, res := r.LineErrors, r.Errors
	for len(r.Examples) < maxExamples && len(les)+len(res) > 0 {
		if len(res) == 0 || len(les) > 0 && les[0].Line <= res[0].Line {
			r.Examples = append(r.Examples, les[0].Error())
			les = les[1:]
		} else {
			r.Examples = append(r.Examples, res[0].Error())
			res = res[1:]
		}
	}
}

// importReport is the funnel of one import, as the library reports it
// (its counts and their JSON names):
// Lines = Invalid + Duplicates + Unknown + MatchedIdentities.
type importReport struct {
	Source string `json:"source"`
	reconcile.ImportReport
}

// writeJSON stages rep as indented JSON for path in out.
func writeJSON(out *idfile.Outputs, path string, rep *report) error {
	_, err := out.Write(path, 0o644, func(w io.Writer) error {
		e := json.NewEncoder(w)
		e.SetIndent("", "  ")
		return e.Encode(rep)
	})
	return err
}

// printReport prints rep for people.
func printReport(w io.Writer, rep *report) error {
	var b strings.Builder
	row := func(label, n, share string) {
		if share == "" {
			fmt.Fprintf(&b, "  %-40s %11s\n", label, n)
			return
		}
		fmt.Fprintf(&b, "  %-40s %11s %8s\n", label, n, share)
	}
	if rep.World != "" {
		fmt.Fprintf(&b, "%s\n", rep.World)
	}

	l := rep.Links
	unique := "none"
	if len(l.Unique) > 0 {
		unique = strings.Join(l.Unique, ",")
	}
	fmt.Fprintf(&b, "\nLinks: %s\n", l.Source)
	row("data lines", count(l.Lines), "")
	row("invalid lines (no record)", count(l.InvalidLines), "")
	row("records read", count(l.Records), "")
	row("invalid identities (left out)", count(l.InvalidIdentities), "")
	row("records rejected", count(l.Rejected), "")
	row("records linked", count(l.Linked), "")
	if l.Dropped > 0 {
		row("erased identities dropped", count(l.Dropped), "")
	}
	row("joins cut (unique: "+unique+")", count(l.Cuts), "")
	row("identities", count(l.Identities), "")
	row("profiles", count(l.Profiles), "")
	for _, e := range l.Examples {
		fmt.Fprintf(&b, "    e.g. %s\n", e)
	}

	for _, part := range []struct {
		title string
		r     importReport
	}{{"Segment", rep.Segment}, {"List", rep.List}} {
		r := part.r
		fmt.Fprintf(&b, "\n%s: %s\n", part.title, r.Source)
		row("data lines", count(r.Lines), "")
		row("invalid", count(r.Invalid), pct(r.Invalid, r.Lines))
		for _, reason := range sortedReasons(r.InvalidByReason) {
			row("  "+reason.String(), count(r.InvalidByReason[reason]), "")
		}
		row("duplicates", count(r.Duplicates), pct(r.Duplicates, r.Lines))
		row("unknown (in no profile)", count(r.Unknown), pct(r.Unknown, r.Lines))
		row("matched identifiers", count(r.MatchedIdentities), pct(r.MatchedIdentities, r.Lines))
		row("match rate (matched / well-formed)", fmt.Sprintf("%.2f%%", 100*r.MatchRate), "")
		row("matched profiles", count(r.MatchedProfiles), "")
		for _, l := range r.Rejected {
			fmt.Fprintf(&b, "    e.g. %s\n", l.Err)
		}
	}

	fmt.Fprintf(&b, "\nJoin\n")
	row("profiles in segment and list", count(rep.JoinedProfiles), "")

	fmt.Fprintf(&b, "\nExport of the joined profiles\n")
	for _, ns := range slices.Sorted(maps.Keys(rep.Exported)) {
		row(ns+" identifiers", count(rep.Exported[ns]), "")
	}
	row("profiles with none (unexportable)", count(rep.UnexportableProfiles), pct(rep.UnexportableProfiles, rep.JoinedProfiles))

	fmt.Fprintf(&b, "\nOverlap of profiles\n")
	for l := range strings.Lines(rep.Overlap.String()) {
		if l == "\n" {
			b.WriteString(l)
			continue
		}
		b.WriteString("  " + l)
	}

	fmt.Fprintf(&b, "\nStages\n")
	total := 0.0
	for _, s := range rep.Stages {
		fmt.Fprintf(&b, "  %-40s %9.3f s\n", s.Name, s.Seconds)
		total += s.Seconds
	}
	fmt.Fprintf(&b, "  %-40s %9.3f s\n", "total", total)
	_, err := io.WriteString(w, b.String())
	return err
}

// count formats n with thousands separators: 1,234,567.
func count(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// pct formats part as a share of whole.
func pct(part, whole int) string {
	if whole == 0 {
		return ""
	}
	return fmt.Sprintf("%.2f%%", 100*float64(part)/float64(whole))
}

// sortedReasons returns the reasons of m, most frequent first.
func sortedReasons(m map[reconcile.Reason]int) []reconcile.Reason {
	rs := slices.Collect(maps.Keys(m))
	slices.SortFunc(rs, func(a, b reconcile.Reason) int {
		return cmp.Or(cmp.Compare(m[b], m[a]), cmp.Compare(a.String(), b.String()))
	})
	return rs
}
