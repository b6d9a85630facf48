// Command audiencejoin imports a segment of visitor IDs and a campaign list
// keyed by declared IDs, joins the two in profile space, and exports the
// joined profiles as the identifiers a destination accepts.
//
// With no flags it runs on a synthetic world built in memory (bench.Generate
// with a fixed seed: 300,000 people, several ECIDs each, CRM IDs and hashed
// emails for most, shared devices among them), writes nothing, and prints
// a report: the funnel of each import, the join, the export counts, an overlap
// table and how long each stage took.
//
// With flags it runs on files:
//
//	-links FILE     XDM identityMap JSON lines: the identity links
//	-segment FILE   the imported segment: plain list, NS:value per line
//	-list FILE      the campaign list: CSV with a header naming the identifier column by namespace code
//	-unique CODES   unique namespaces, comma-separated (default CRMID; empty for none)
//	-export CODES   namespaces to export, comma-separated (default ECID)
//	-out FILE       the exported identifiers of the joined profiles, one NS:value per line, sorted
//	-report FILE    the report as JSON
//	-allow-empty    accept inputs with no valid line, and so an empty result
//
// -links, -segment and -list go together; -out and -report are optional.
// The -out file is sorted as bytes, the order of LC_ALL=C sort. -people and
// -seed change the synthetic world.
//
// Outputs change together or not at all: -out and -report are staged in
// temporary files and put in place only once the whole run has succeeded,
// each atomically (a regular file is replaced by a rename; a symbolic link
// keeps pointing where it did and its file is replaced; a device or pipe
// such as /dev/stdout is written through, never replaced). A run that fails
// or is interrupted (SIGINT, SIGTERM) leaves both as they were and no
// temporary file behind; an interrupted run exits with status 130 or 143.
//
// The links count their data lines: lines = invalid_lines + records, where
// invalid lines give no record, and records = linked + rejected;
// invalid_identities counts the identities left out of the records read.
// Each import counts its data lines (blank and comment lines and the CSV
// header are not data): lines = invalid + duplicates + unknown +
// matched_identities, where invalid lines give no identifier, blocked values
// included (invalid_by_reason splits them), duplicates repeat an identifier
// met before, unknown counts the distinct identifiers in no profile and
// matched_identities those in one of the matched_profiles. The names and
// their meaning are those of the library's reconcile.LinkReport and
// reconcile.ImportReport. joined_profiles is the number of profiles in both
// the segment and the list; exported counts their identifiers per exported
// namespace, and unexportable_profiles the joined profiles with none. Bad
// lines are counted and the first ones shown with their line numbers, never
// fatal, but an input with no valid line at all (an empty, garbled or binary
// file: links with no valid record, a segment or list with no valid
// identifier) is an error unless -allow-empty is given. Bad flags, such
// inputs and files that cannot be read end the program with one message and
// exit status 1, writing nothing.
//
// Long stages (linking, each import) show progress on stderr: what they
// have counted, the share of the input done and an estimate of the time
// left, in place on a terminal, and as a plain line every few seconds
// otherwise.
//
// The report as JSON (-report), shortened, from the default run:
//
//	{
//	  "links": {"source": "synthetic logins and visits", "lines": 756613, "invalid_lines": 0,
//	            "invalid_identities": 0, "records": 756613, "linked": 756613, "rejected": 0, "dropped": 0,
//	            "unique": ["CRMID"], "cuts": 3505, "identities": 1410373, "profiles": 335002},
//	  "segment": {"source": "synthetic ECID list: recent visitors", "lines": 77747, "invalid": 777,
//	              "invalid_by_reason": {"blocked": 222, "namespace": 111, "range": 111, "syntax": 333},
//	              "duplicates": 0, "unknown": 2332, "registered": 0, "matched_identities": 74638,
//	              "matched_profiles": 32787, "match_rate": 0.9697,
//	              "rejected": [{"line": 33, "text": "ECID:949707950597791799554190592219448706404", "reason": "syntax"}, ...]},
//	  "list": {"source": "...", "lines": 38268, "invalid": 383, ...},
//	  "joined_profiles": 3591,
//	  "exported": {"ECID": 9200},
//	  "unexportable_profiles": 0,
//	  "overlap": {"audiences": [{"name": "segment", "size": 32787}, ...],
//	              "pairs": [{"a": "segment", "b": "list", "overlap": 3591, "jaccard": 0.0552,
//	                         "a_in_b": 0.1095, "b_in_a": 0.1}, ...]},
//	  "stages": [{"name": "link", "seconds": 1.9}, ...]
//	}
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/idbits/idbits/examples/internal/cli"
	"github.com/idbits/idbits/idtypes"
	"github.com/idbits/idbits/reconcile/idfile"
)

const progName = "audiencejoin"

func main() { cli.Main(progName, run) }

// config is what the flags say.
type config struct {
	links, segment, list string // files; all empty for the synthetic world
	unique, export       []idtypes.Namespace
	out, report          string
	allowEmpty           bool // inputs with no valid line are not an error
	people               int
	seed                 uint64
}

// synthetic reports whether the run is on the built-in world.
func (c *config) synthetic() bool { return c.links == "" }

const usage = `usage: audiencejoin [flags]

With no flags, joins a segment and a campaign list of a synthetic world built
in memory and prints the report. With -links, -segment and -list, runs on files.

`

// parseFlags reads args into a config. It returns flag.ErrHelp after printing
// the usage to w for -h.
func parseFlags(args []string, w io.Writer) (*config, error) {
	fs := flag.NewFlagSet(progName, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var c config
	fs.StringVar(&c.links, "links", "", "XDM identityMap JSON lines `FILE`: the identity links")
	fs.StringVar(&c.segment, "segment", "", "the imported segment `FILE`: plain list, NS:value per line")
	fs.StringVar(&c.list, "list", "", "the campaign list `FILE`: CSV with a header naming the identifier column by namespace code")
	unique := fs.String("unique", "CRMID", "unique namespaces, comma-separated `CODES` (empty for none)")
	export := fs.String("export", "ECID", "namespaces to export, comma-separated `CODES`")
	fs.StringVar(&c.out, "out", "", "write the exported identifiers of the joined profiles to `FILE`, one NS:value per line, sorted")
	fs.StringVar(&c.report, "report", "", "write the report as JSON to `FILE`")
	fs.BoolVar(&c.allowEmpty, "allow-empty", false, "accept inputs with no valid line (an empty, garbled or binary file), and so an empty result")
	fs.IntVar(&c.people, "people", defaultPeople, "`N` people in the synthetic world (without -links)")
	fs.Uint64Var(&c.seed, "seed", defaultSeed, "`SEED` of the synthetic world (without -links)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(w, usage)
			fs.SetOutput(w)
			fs.PrintDefaults()
			return nil, err
		}
		return nil, fmt.Errorf("%w (see -h)", err)
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q (flags only; see -h)", fs.Arg(0))
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })

	var err error
	if c.unique, err = namespaces(*unique); err != nil {
		return nil, fmt.Errorf("-unique: %w", err)
	}
	if c.export, err = namespaces(*export); err != nil {
		return nil, fmt.Errorf("-export: %w", err)
	}
	if len(c.export) == 0 {
		return nil, errors.New("-export: no namespace to export")
	}
	files := 0
	for _, f := range []string{"links", "segment", "list"} {
		if set[f] {
			files++
		}
	}
	switch {
	case files > 0 && files < 3:
		for _, f := range []string{"links", "segment", "list"} {
			if !set[f] {
				return nil, fmt.Errorf("-links, -segment and -list go together, and -%s is missing (give all three, or none for the synthetic world)", f)
			}
		}
	case files == 3:
		for f, v := range map[string]string{"links": c.links, "segment": c.segment, "list": c.list} {
			if v == "" {
				return nil, fmt.Errorf("-%s: empty file name", f)
			}
		}
		if set["people"] || set["seed"] {
			return nil, errors.New("-people and -seed describe the synthetic world: they cannot go with -links")
		}
	}
	if c.people < 1 || c.people > maxPeople {
		return nil, fmt.Errorf("-people: %d is not between 1 and %d", c.people, maxPeople)
	}
	for f, v := range map[string]string{"out": c.out, "report": c.report} {
		if set[f] && v == "" {
			return nil, fmt.Errorf("-%s: empty file name", f)
		}
	}
	return &c, nil
}

// namespaces parses comma-separated namespace codes, skipping empty items and
// repeats.
func namespaces(codes string) ([]idtypes.Namespace, error) {
	var nss []idtypes.Namespace
	seen := map[idtypes.Namespace]bool{}
	for code := range strings.SplitSeq(codes, ",") {
		code = strings.TrimSpace(code)
		if code == "" {
			continue
		}
		ns, err := idtypes.ParseNamespace(code)
		if err != nil {
			return nil, fmt.Errorf("unknown namespace code %q", code)
		}
		if !seen[ns] {
			seen[ns] = true
			nss = append(nss, ns)
		}
	}
	return nss, nil
}

// run is the program: it parses args, runs the scenario they describe,
// stages -out and -report in out, prints the report to stdout and progress
// (on a terminal) to stderr.
func run(_ context.Context, args []string, out *idfile.Outputs, stdout, stderr io.Writer) error {
	c, err := parseFlags(args, stdout)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	prog := cli.NewProgress(progName, stderr)

	var in inputs
	if c.synthetic() {
		in, err = syntheticInputs(c, prog)
	} else {
		in, err = fileInputs(c)
	}
	if err != nil {
		return err
	}
	defer in.close()

	rep, err := scenario(c, in, prog, out)
	if err != nil {
		return err
	}
	rep.Stages = prog.Stages()
	if c.report != "" {
		if err := writeJSON(out, c.report, rep); err != nil {
			return fmt.Errorf("-report: %w", err)
		}
	}
	if !c.allowEmpty {
		if err := noValidLine(rep); err != nil {
			return err
		}
	}
	return printReport(stdout, rep)
}

// noValidLine reports the first input of rep with no valid line at all, which
// is an empty, garbled or binary file more often than a wanted empty result.
func noValidLine(rep *report) error {
	const hint = "(-allow-empty accepts it)"
	switch {
	case rep.Links.Records == 0:
		return fmt.Errorf("-links: %s has no valid record %s", rep.Links.Source, hint)
	case rep.Segment.Lines == rep.Segment.Invalid:
		return fmt.Errorf("-segment: %s has no valid identifier %s", rep.Segment.Source, hint)
	case rep.List.Lines == rep.List.Invalid:
		return fmt.Errorf("-list: %s has no valid identifier %s", rep.List.Source, hint)
	}
	return nil
}
