package reconcile_test

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/idbits/idbits/bitmap"
	"github.com/idbits/idbits/idtypes"
	"github.com/idbits/idbits/reconcile"
	"github.com/idbits/idbits/reconcile/idfile"
)

// exampleGraph links three people: Ana (CRM ID, email, two ECIDs), Ben (CRM
// ID, one ECID) and a visitor known only by an ECID.
func exampleGraph() *reconcile.Graph {
	at := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	g, err := reconcile.NewGraph(reconcile.Rules{Unique: []idtypes.Namespace{idtypes.CRMID}})
	if err != nil {
		panic(err) // the rules are valid
	}
	for _, rec := range [][]string{
		{"CRMID:ana", "Email:ana@example.com", "ECID:20265673158980419722735089753036633573"},
		{"CRMID:ana", "ECID:08382830887934830189014177072406221371"},
		{"CRMID:ben", "ECID:59767559181262060060278870901087098252"},
		{"ECID:33220066225523700180027711130440115601"},
	} {
		var ids []idtypes.ID
		for _, s := range rec {
			id, err := idtypes.ParseText(s)
			if err != nil {
				panic(err)
			}
			ids = append(ids, id)
		}
		if err := g.Link(at, ids...); err != nil {
			panic(err)
		}
	}
	return g
}

func ExampleImport() {
	g := exampleGraph()
	segment := `# spring campaign, as exported by another system
ECID:20265673158980419722735089753036633573
ECID:08382830887934830189014177072406221371
Email:ANA@example.com
ECID:59767559181262060060278870901087098252
ECID:59767559181262060060278870901087098252
ECID:12345
CRMID:null
ECID:11111111111111111110000000000000000001
`
	res, err := reconcile.Import(g.View(), idfile.ReadList(strings.NewReader(segment), idfile.ListOptions{}), reconcile.ImportOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	r := res.Report
	fmt.Printf("lines %d, invalid %d (blocked %d), duplicates %d, unknown %d\n", r.Lines, r.Invalid, r.InvalidByReason[reconcile.ReasonBlocked], r.Duplicates, r.Unknown)
	fmt.Printf("matched %d identities in %d profiles, match rate %.2f\n", r.MatchedIdentities, r.MatchedProfiles, r.MatchRate)
	for _, rej := range r.Rejected {
		fmt.Printf("line %d: %s\n", rej.Line, rej.Reason)
	}
	for p := range res.Profiles.All() {
		fmt.Println(res.Profiles.View().Key(p).Text())
	}
	// Output:
	// lines 8, invalid 2 (blocked 1), duplicates 1, unknown 1
	// matched 4 identities in 2 profiles, match rate 0.80
	// line 7: syntax
	// line 8: blocked
	// CRMID:ana
	// CRMID:ben
}

// With Register, unknown identifiers become profiles of their own, and the
// result says under which view.
func ExampleImport_register() {
	g := exampleGraph()
	segment := "ECID:59767559181262060060278870901087098252\nECID:11111111111111111110000000000000000001\n"
	res, err := reconcile.ImportList(g.View(), strings.NewReader(segment), idfile.ListOptions{},
		reconcile.ImportOptions{Register: g})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("unknown", res.Report.Unknown, "registered", res.Report.Registered)
	fmt.Println("the graph's latest view:", res.Profiles.View() == g.View())
	for p := range res.Profiles.All() {
		fmt.Println(res.Profiles.View().Key(p).Text())
	}
	// Output:
	// unknown 1 registered 1
	// the graph's latest view: true
	// CRMID:ben
	// ECID:11111111111111111110000000000000000001
}

func ExampleExport() {
	g := exampleGraph()
	v := g.View()
	everyone := v.Profiles()

	// A destination that takes ECIDs: one per profile, by priority.
	res, err := reconcile.Export(v, everyone, reconcile.ExportOptions{
		Namespaces:    []idtypes.Namespace{idtypes.ECID},
		OnePerProfile: true,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for id := range res.IDs {
		fmt.Println(id.Text())
	}
	fmt.Println("profiles", res.Report.Profiles, "identifiers", res.Report.Identifiers, "unmapped", res.Report.Unmapped)

	// A destination that takes emails: only Ana has one.
	rep, err := reconcile.WriteExport(os.Stdout, v, everyone, reconcile.ExportOptions{
		Namespaces: []idtypes.Namespace{idtypes.Email},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("unmapped", rep.Unmapped, "by namespace", rep.ByNamespace)
	// Output:
	// ECID:08382830887934830189014177072406221371
	// ECID:59767559181262060060278870901087098252
	// ECID:33220066225523700180027711130440115601
	// profiles 3 identifiers 3 unmapped 0
	// Email:ana@example.com
	// unmapped 2 by namespace map[Email:1]
}

// An audience of ECIDs from a web analytics system, built last week, joined
// with today's CRM audience: both are projected onto today's view first, so
// the visitor who has logged in since counts as the customer.
func ExampleJoin() {
	g := exampleGraph()
	lastWeek := g.View()
	web := profilesOf(lastWeek, "ECID:33220066225523700180027711130440115601",
		"ECID:59767559181262060060278870901087098252")

	// The visitor logs in as Ben's partner, Cleo.
	visitor := idtypes.MustParse(idtypes.ECID, "33220066225523700180027711130440115601")
	if err := g.Link(time.Date(2026, 5, 8, 9, 0, 0, 0, time.UTC), idtypes.MustParse(idtypes.CRMID, "cleo"), visitor); err != nil {
		fmt.Println(err)
		return
	}
	today := g.View()
	crm := profilesOf(today, "CRMID:cleo", "CRMID:ana")

	both, rep, err := reconcile.Join(today, reconcile.JoinAnd, web, crm)
	if err != nil {
		fmt.Println(err)
		return
	}
	for p := range both.All() {
		fmt.Println(today.Key(p).Text())
	}
	n, err := reconcile.JoinLen(today, reconcile.JoinAndNot, web, crm)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(rep.Op, rep.Result, "/", reconcile.JoinAndNot, n)
	// Output:
	// CRMID:cleo
	// and 1 / and-not 1
}

// profilesOf returns the profiles of the identifiers "NS:value" under v.
func profilesOf(v *reconcile.View, texts ...string) reconcile.Profiles {
	var b bitmap.Builder
	for _, text := range texts {
		id, err := idtypes.ParseText(text)
		if err != nil {
			panic(err)
		}
		p, ok := v.Profile(id)
		if !ok {
			panic(text + " has no profile")
		}
		b.Add(uint32(p))
	}
	a, err := v.AsProfiles(b.Audience())
	if err != nil {
		panic(err)
	}
	return a
}

func ExampleOverlap() {
	rep := reconcile.Overlap([]reconcile.NamedAudience{
		{Name: "spring_sale", Audience: bitmap.Of(1, 2, 3, 4, 5, 6, 7, 8)},
		{Name: "newsletter", Audience: bitmap.Of(5, 6, 7, 8, 9, 10)},
		{Name: "vip", Audience: bitmap.Of(8, 10)},
	}, reconcile.OverlapOptions{Floor: 2})
	fmt.Print(rep)
	// Output:
	// audience     members
	// spring_sale        8
	// newsletter         6
	// vip                2
	//
	// a            b            overlap  jaccard   a in b   b in a
	// spring_sale  newsletter         4   0.4000    50.0%    66.7%
	// spring_sale  vip               <2        -        -        -
	// newsletter   vip                2   0.3333    33.3%   100.0%
}

func ExampleWriteDelta() {
	g := exampleGraph()
	v := g.View()
	monday := profilesOf(v, "CRMID:ana", "CRMID:ben")
	tuesday := profilesOf(v, "CRMID:ben", "ECID:33220066225523700180027711130440115601")

	d, err := reconcile.Diff(v, monday, tuesday)
	if err != nil {
		fmt.Println(err)
		return
	}
	rep, err := reconcile.WriteDelta(os.Stdout, d, reconcile.DeltaOptions{Namespace: idtypes.ECID})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("entered", rep.Entered, "exited", rep.Exited)
	// Output:
	// ECID,segmentMembershipStatus
	// 08382830887934830189014177072406221371,exited
	// 20265673158980419722735089753036633573,exited
	// 33220066225523700180027711130440115601,realized
	// entered 1 exited 1
}
