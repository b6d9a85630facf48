// Command deltaexport shows an incremental audience export across a day of
// new logins that merge and split profiles.
//
// It runs a small built-in story. On day 1 the identity graph holds five
// people and their devices, and the audience "viewed the spring sale" holds
// the profiles of the devices that viewed it. On day 2 new logins arrive:
// Dan logs in on Bob's family tablet (a shared device switches users, and
// Bob's profile splits), Cat logs in with her CRM ID on the laptop she only
// gave her email address on (two profiles merge), and Eve visits for the
// first time. The program simulates the logins, links them, takes a new
// view, projects the day-1 audience onto it, compares it with the day-2
// audience, and writes two Experience Platform CSV files with a
// segmentMembershipStatus column: the full file (every member, realized)
// and the incremental one (members who entered, realized; members who
// exited, exited). Profiles whose identifiers merely changed, like Cat's,
// are in neither list of changes: incremental files carry membership
// changes only.
//
// Flags:
//
//	-ns CODE            namespace of the exported identifiers (default ECID)
//	-full FILE          write the day-2 full file to FILE rather than stdout
//	-incremental FILE   write the day-2 incremental file to FILE rather than stdout
//
// The two files change together or not at all: both are staged in
// temporary files and put in place only once the whole run has succeeded,
// each atomically (a regular file is replaced by a rename; a symbolic link
// keeps pointing where it did and its file is replaced; a device or pipe
// such as /dev/stdout is written through, never replaced). A run that fails
// or is interrupted (SIGINT, SIGTERM) leaves both as they were and no
// temporary file behind; an interrupted run exits with status 130 or 143.
// The program reads no input file: the story is built in.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/idbits/idbits/bitmap"
	"github.com/idbits/idbits/examples/internal/cli"
	"github.com/idbits/idbits/idtypes"
	"github.com/idbits/idbits/reconcile"
	"github.com/idbits/idbits/reconcile/idfile"
)

const progName = "deltaexport"

func main() { cli.Main(progName, run) }

// The devices of the story, by ECID.
const (
	annLaptop  = "41860259364812074455318263370211734552"
	annPhone   = "07955261652886032950143702505894272138"
	bobTablet  = "20265673158980419722735089753036633573" // the family tablet Dan logs in on
	bobPhone   = "59767559181262060060278870901087098252"
	catLaptop  = "33220066225523700180027711130440115601"
	catPhone   = "08382830887934830189014177072406221371"
	eveBrowser = "61125378903391725561089912845203416794"
	fayLaptop  = "12380185929740407933308233453578662644"
)

// login is one record of the story: identifiers seen together.
type login struct {
	at   string // RFC 3339
	who  string
	what string
	ids  []string // "NS:value"; "Email:" values are hashed
}

var day1 = []login{
	{"2026-05-01T09:00:00Z", "Ann", "logs in on her laptop", []string{"CRMID:C-1001", "ECID:" + annLaptop}},
	{"2026-05-01T09:30:00Z", "Ann", "logs in on her phone", []string{"CRMID:C-1001", "ECID:" + annPhone}},
	{"2026-05-01T10:00:00Z", "Bob", "logs in on the family tablet", []string{"CRMID:C-2002", "ECID:" + bobTablet}},
	{"2026-05-01T10:30:00Z", "Bob", "logs in on his phone", []string{"CRMID:C-2002", "ECID:" + bobPhone}},
	{"2026-05-01T11:00:00Z", "Cat", "signs up for the newsletter on her laptop", []string{"Email:cat@example.com", "ECID:" + catLaptop}},
	{"2026-05-01T11:30:00Z", "Cat", "logs in on her phone", []string{"CRMID:C-3003", "ECID:" + catPhone}},
	{"2026-05-01T12:00:00Z", "Fay", "logs in on her laptop", []string{"CRMID:C-6006", "ECID:" + fayLaptop}},
}

var day2 = []login{
	{"2026-05-02T08:00:00Z", "Dan", "logs in on Bob's family tablet", []string{"CRMID:C-4004", "ECID:" + bobTablet}},
	{"2026-05-02T09:00:00Z", "Cat", "logs in with her CRM ID on her laptop", []string{"CRMID:C-3003", "ECID:" + catLaptop}},
	{"2026-05-02T10:00:00Z", "Eve", "visits for the first time", []string{"ECID:" + eveBrowser}},
}

// The devices that viewed the spring sale, as of each day. Fay's view has
// expired by day 2; Eve's first visit viewed it.
var (
	viewers1 = []string{annLaptop, bobTablet, catLaptop, fayLaptop}
	viewers2 = []string{annLaptop, bobTablet, catLaptop, eveBrowser}
)

type config struct {
	ns                idtypes.Namespace
	full, incremental string
}

func parseFlags(args []string, stdout io.Writer) (*config, error) {
	fs := flag.NewFlagSet(progName, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var c config
	ns := fs.String("ns", "ECID", "namespace `CODE` of the exported identifiers")
	fs.StringVar(&c.full, "full", "", "write the day-2 full file to `FILE` rather than stdout")
	fs.StringVar(&c.incremental, "incremental", "", "write the day-2 incremental file to `FILE` rather than stdout")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(stdout, "usage: %s [flags]\n\nExports an audience in full and as a delta after new logins merge and split profiles.\n\n", progName)
			fs.SetOutput(stdout)
			fs.PrintDefaults()
		}
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q (flags only; see -h)", fs.Arg(0))
	}
	var err error
	if c.ns, err = idtypes.ParseNamespace(*ns); err != nil {
		return nil, fmt.Errorf("-ns: unknown namespace code %q", *ns)
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	for f, v := range map[string]string{"full": c.full, "incremental": c.incremental} {
		if set[f] && v == "" {
			return nil, fmt.Errorf("-%s: empty file name", f)
		}
	}
	return &c, nil
}

// story is the graph of the story and who is who in it.
type story struct {
	g     *reconcile.Graph
	names map[idtypes.ID]string // identifier -> person
}

// parse reads an identifier of the story; "Email:" values are hashed.
func parse(text string) idtypes.ID {
	ns, v, _ := strings.Cut(text, ":")
	if ns == "Email" {
		id, err := idtypes.HashEmail(v)
		if err != nil {
			panic(err) // the story's constants are valid
		}
		return id
	}
	return idtypes.MustParse(must(idtypes.ParseNamespace(ns)), v)
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err) // the story's constants are valid
	}
	return v
}

func (s *story) record(l login) reconcile.Record {
	r := reconcile.Record{At: must(time.Parse(time.RFC3339, l.at))}
	for _, t := range l.ids {
		id := parse(t)
		r.IDs = append(r.IDs, id)
		if _, ok := s.names[id]; !ok {
			s.names[id] = l.who
		}
	}
	return r
}

func (s *story) link(ls []login) error {
	for _, l := range ls {
		r := s.record(l)
		if err := s.g.Link(r.At, r.IDs...); err != nil {
			return err
		}
	}
	return nil
}

// label names profile p of v by the people its declared identifiers came
// from or, if it has none, its devices.
func (s *story) label(v *reconcile.View, p reconcile.Profile) string {
	var declared, devices []string
	for id := range v.Members(p) {
		n := s.names[id]
		switch {
		case n == "":
		case !id.Namespace().Visitor():
			if !slices.Contains(declared, n) {
				declared = append(declared, n)
			}
		case !slices.Contains(devices, n):
			devices = append(devices, n)
		}
	}
	who := declared
	if len(who) == 0 {
		who = devices
	}
	slices.Sort(who)
	return strings.Join(who, "+")
}

// labels names the profiles of a, under the view a was made under.
func (s *story) labels(a reconcile.Profiles) string {
	var ls []string
	for p := range a.All() {
		ls = append(ls, s.label(a.View(), p))
	}
	slices.Sort(ls)
	if len(ls) == 0 {
		return "none"
	}
	return strings.Join(ls, ", ")
}

// audience returns the profiles of the devices under v.
func audience(v *reconcile.View, devices []string) reconcile.Profiles {
	var b bitmap.Builder
	for _, d := range devices {
		if p, ok := v.Profile(parse("ECID:" + d)); ok {
			b.Add(uint32(p))
		}
	}
	// The numbers are profiles of v, so the check cannot fail.
	a, _ := v.AsProfiles(b.Audience())
	return a
}

// profiles prints the profiles of v, one a line.
func (s *story) profiles(w io.Writer, v *reconcile.View) {
	type row struct{ label, ids string }
	var rows []row
	for p := range v.Profiles().All() {
		var ids []string
		for id := range v.Members(p) {
			ids = append(ids, shortText(id))
		}
		slices.Sort(ids)
		rows = append(rows, row{s.label(v, p), strings.Join(ids, " ")})
	}
	slices.SortFunc(rows, func(a, b row) int { return strings.Compare(a.label, b.label) })
	for _, r := range rows {
		fmt.Fprintf(w, "  %-8s %s\n", r.label, r.ids)
	}
}

// shortText shortens long values for people: the first 8 characters.
func shortText(id idtypes.ID) string {
	v := id.String()
	if len(v) > 12 {
		v = v[:8] + "…"
	}
	return id.Namespace().String() + ":" + v
}

// run tells the story on stdout and stages the -full and -incremental files
// in out.
func run(_ context.Context, args []string, out *idfile.Outputs, stdout, _ io.Writer) error {
	c, err := parseFlags(args, stdout)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	g, err := reconcile.NewGraph(reconcile.Rules{Unique: []idtypes.Namespace{idtypes.CRMID}})
	if err != nil {
		return err
	}
	s := &story{g: g, names: map[idtypes.ID]string{}}
	w := stdout

	// Day 1: the graph, the audience, its profiles.
	if err := s.link(day1); err != nil {
		return err
	}
	v1 := s.g.View()
	fmt.Fprintf(w, "Day 1: %d logins, %d profiles (CRM IDs unique)\n", len(day1), v1.Len())
	s.profiles(w, v1)
	prev := audience(v1, viewers1)
	fmt.Fprintf(w, "Audience \"viewed the spring sale\": %d profiles: %s\n", prev.Len(), s.labels(prev))

	// Day 2: what the new logins would do, then link them.
	fmt.Fprintf(w, "\nDay 2: new logins\n")
	var recs []reconcile.Record
	for _, l := range day2 {
		fmt.Fprintf(w, "  %s  %s %s\n", l.at, l.who, l.what)
		recs = append(recs, s.record(l))
	}
	sim, err := s.g.Simulate(recs...)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "Simulated before linking: %d merged, %d split, %d changed, %d identifiers moved, %d created, %d joins cut\n",
		sim.Merged, sim.Split, sim.Changed, sim.Moved, sim.Created, len(sim.Cuts))
	if err := s.link(day2); err != nil {
		return err
	}
	v2 := s.g.View()
	fmt.Fprintf(w, "\nDay 2: %d profiles\n", v2.Len())
	s.profiles(w, v2)
	cur := audience(v2, viewers2)
	fmt.Fprintf(w, "Audience \"viewed the spring sale\": %d profiles: %s\n", cur.Len(), s.labels(cur))

	// The delta, in day 2's profile space.
	d, err := reconcile.Diff(v2, prev, cur)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "\nDelta in day 2's profiles\n")
	fmt.Fprintf(w, "  day 1 audience, projected: %d profiles: %s\n", d.Previous.Len(), s.labels(d.Previous))
	fmt.Fprintf(w, "  entered: %d: %s\n", d.Entered.Len(), s.labels(d.Entered))
	fmt.Fprintf(w, "  exited:  %d: %s\n", d.Exited.Len(), s.labels(d.Exited))

	for _, f := range []struct {
		title, path string
		full        bool
	}{
		{"Full file", c.full, true},
		{"Incremental file", c.incremental, false},
	} {
		opts := reconcile.DeltaOptions{Namespace: c.ns, Full: f.full}
		var rep reconcile.DeltaReport
		write := func(out io.Writer) error {
			var err error
			rep, err = reconcile.WriteDelta(out, d, opts)
			return err
		}
		var body strings.Builder
		if f.path != "" {
			if _, err := out.Write(f.path, 0o644, write); err != nil {
				flag := "-incremental"
				if f.full {
					flag = "-full"
				}
				return fmt.Errorf("%s: %w", flag, err)
			}
		} else if err := write(&body); err != nil {
			return err
		}
		fmt.Fprintf(w, "\n%s (%s): %d realized rows, %d exited rows", f.title, c.ns, rep.RealizedRows, rep.ExitedRows)
		if rep.Unmapped > 0 {
			fmt.Fprintf(w, ", %d %s with no %s left out: %s", rep.Unmapped, plural(rep.Unmapped, "profile"), c.ns, s.labels(rep.UnmappedProfiles))
		}
		if f.path != "" {
			fmt.Fprintf(w, ", written to %s\n", f.path)
			continue
		}
		fmt.Fprintf(w, "\n%s", body.String())
	}
	return nil
}

// plural returns word, with an s unless n is 1.
func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}
