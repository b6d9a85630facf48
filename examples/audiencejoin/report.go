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
	Stages               []stage                 `json:"stages"`
}

// linksReport is the funnel of the identity links.
type linksReport struct {
	Source            string   `json:"source"`
	Records           int      `json:"records"`            // records read
	InvalidLines      int      `json:"invalid_lines"`      // lines that were no record at all
	InvalidIdentities int      `json:"invalid_identities"` // identities left out of their record
	Linked            int      `json:"linked"`             // records in the graph
	Rejected          int      `json:"rejected"`           // records the graph refused (too many identifiers, bad time)
	Unique            []string `json:"unique"`             // the unique namespaces
	Cuts              int      `json:"cuts"`               // joins the rules cut
	Identities        int      `json:"identities"`         // identities in profiles
	Profiles          int      `json:"profiles"`
	Examples          []string `json:"examples,omitempty"` // the first bad lines and records
}

func (r *linksReport) examples(s string) {
	if len(r.Examples) < maxExamples {
		r.Examples = append(r.Examples, s)
	}
}

// importReport is the funnel of one import:
// Lines = Invalid + Duplicates + Unknown + Matched.
type importReport struct {
	Source          string         `json:"source"`
	Lines           int            `json:"lines"`            // data lines
	Invalid         int            `json:"invalid"`          // lines that gave no identifier
	InvalidReasons  map[string]int `json:"invalid_reasons"`  // Invalid by reason
	Duplicates      int            `json:"duplicates"`       // identifiers met again
	Unknown         int            `json:"unknown"`          // distinct identifiers in no profile
	Matched         int            `json:"matched"`          // distinct identifiers in a profile
	MatchedProfiles int            `json:"matched_profiles"` // profiles holding them
	MatchRate       float64        `json:"match_rate"`       // Matched / (Matched + Unknown)
	Examples        []string       `json:"examples,omitempty"`
}

// fill copies the counts of the import flow's report.
func (r *importReport) fill(f reconcile.ImportReport) {
	r.Lines = f.Lines
	r.Invalid = f.Invalid + f.Blocked
	r.InvalidReasons = maps.Clone(f.InvalidByReason)
	if f.Blocked > 0 {
		r.InvalidReasons[reconcile.ReasonBlocked] = f.Blocked
	}
	r.Duplicates = f.Duplicates
	r.Unknown = f.Unknown
	r.Matched = f.MatchedIdentities
	r.MatchedProfiles = f.MatchedProfiles
	r.MatchRate = f.MatchRate
	for _, l := range f.Rejected {
		r.Examples = append(r.Examples, l.Err.Error())
	}
}

// stage is how long one stage took.
type stage struct {
	Name    string  `json:"name"`
	Seconds float64 `json:"seconds"`
}

// writeJSON writes rep as indented JSON, atomically.
func writeJSON(path string, rep *report) error {
	_, err := idfile.WriteFile(path, 0o644, func(w io.Writer) error {
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
	row("records read", count(l.Records), "")
	row("invalid lines", count(l.InvalidLines), "")
	row("invalid identities (left out)", count(l.InvalidIdentities), "")
	row("records rejected", count(l.Rejected), "")
	row("records linked", count(l.Linked), "")
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
		for _, reason := range sortedReasons(r.InvalidReasons) {
			row("  "+reason, count(r.InvalidReasons[reason]), "")
		}
		row("duplicates", count(r.Duplicates), pct(r.Duplicates, r.Lines))
		row("unknown (in no profile)", count(r.Unknown), pct(r.Unknown, r.Lines))
		row("matched identifiers", count(r.Matched), pct(r.Matched, r.Lines))
		row("match rate (matched / well-formed)", fmt.Sprintf("%.2f%%", 100*r.MatchRate), "")
		row("matched profiles", count(r.MatchedProfiles), "")
		for _, e := range r.Examples {
			fmt.Fprintf(&b, "    e.g. %s\n", e)
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
func sortedReasons(m map[string]int) []string {
	rs := slices.Collect(maps.Keys(m))
	slices.SortFunc(rs, func(a, b string) int {
		return cmp.Or(cmp.Compare(m[b], m[a]), cmp.Compare(a, b))
	})
	return rs
}
