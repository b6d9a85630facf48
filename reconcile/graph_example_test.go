package reconcile_test

import (
	"fmt"
	"slices"
	"time"

	"github.com/idbits/idbits/idtypes"
	"github.com/idbits/idbits/reconcile"
)

func ExampleGraph_Link() {
	g, err := reconcile.NewGraph(reconcile.Rules{})
	if err != nil {
		fmt.Println(err)
		return
	}
	ecid := idtypes.MustParse(idtypes.ECID, "20265673158980419722735089753036633573")
	crm := idtypes.MustParse(idtypes.CRMID, "CRM-1001")
	email := idtypes.MustParse(idtypes.Email, "jane.doe@example.com")
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

	// A login links the device to the CRM ID; a CRM row links the email.
	if err := g.Link(at, ecid, crm); err != nil {
		fmt.Println(err)
	}
	if err := g.Link(at.Add(time.Hour), crm, email); err != nil {
		fmt.Println(err)
	}
	v := g.View()
	fmt.Println("profiles:", v.Len(), "identities:", v.Identities())
	// Output:
	// profiles: 1 identities: 3
}

func ExampleGraph_View() {
	g, err := reconcile.NewGraph(reconcile.Rules{Priority: []idtypes.Namespace{idtypes.CRMID}})
	if err != nil {
		fmt.Println(err)
		return
	}
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	g.Link(at, idtypes.MustParse(idtypes.CRMID, "CRM-1"), idtypes.MustParse(idtypes.Email, "ann@example.com"))
	g.Link(at, idtypes.MustParse(idtypes.Email, "bob@example.com"))

	v := g.View()
	for k := range v.Profiles().All() {
		p := reconcile.Profile(k)
		fmt.Println(v.Key(p).Text())
	}
	for _, c := range v.Namespaces() {
		fmt.Printf("%v: %d identities in %d profiles\n", c.Namespace, c.Identities, c.Profiles)
	}
	// Output:
	// CRMID:CRM-1
	// Email:bob@example.com
	// CRMID: 1 identities in 1 profiles
	// Email: 2 identities in 2 profiles
}

func ExampleView_Profile() {
	g, err := reconcile.NewGraph(reconcile.Rules{})
	if err != nil {
		fmt.Println(err)
		return
	}
	device := idtypes.MustParse(idtypes.GAID, "3b1e0c9a-8d4f-4f3e-9a7b-2c5d6e7f8a9b")
	email := idtypes.MustParse(idtypes.Email, "ann@example.com")
	g.Link(time.Now(), device, email)

	v := g.View()
	p, ok := v.Profile(device)
	fmt.Println(ok, v.Key(p).Text()) // declared IDs outrank visitor IDs
	_, ok = v.Profile(idtypes.MustParse(idtypes.Email, "nobody@example.com"))
	fmt.Println(ok)
	// Output:
	// true Email:ann@example.com
	// false
}

func ExampleView_Members() {
	g, err := reconcile.NewGraph(reconcile.Rules{})
	if err != nil {
		fmt.Println(err)
		return
	}
	crm := idtypes.MustParse(idtypes.CRMID, "CRM-7")
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	g.Link(at, crm, idtypes.MustParse(idtypes.ECID, "08382830887934830189014177072406221371"))
	g.Link(at, crm, idtypes.MustParse(idtypes.IDFA, "B56E68EC-34ED-46D5-AF0C-1D2401F676C9"))

	v := g.View()
	p, _ := v.Profile(crm)
	var members []string
	for id := range v.Members(p) { // the key first, then in no particular order
		members = append(members, id.Text())
	}
	fmt.Println(members[0])
	slices.Sort(members[1:])
	fmt.Println(members[1:])
	// Output:
	// CRMID:CRM-7
	// [ECID:08382830887934830189014177072406221371 IDFA:B56E68EC-34ED-46D5-AF0C-1D2401F676C9]
}

// A family tablet: Ann logs in, then Bob. With CRM IDs unique, the newest
// login wins the device; when Ann logs in again it moves back.
func Example_sharedDevice() {
	g, err := reconcile.NewGraph(reconcile.Rules{Unique: []idtypes.Namespace{idtypes.CRMID}})
	if err != nil {
		fmt.Println(err)
		return
	}
	tablet := idtypes.MustParse(idtypes.ECID, "20265673158980419722735089753036633573")
	ann := idtypes.MustParse(idtypes.CRMID, "ann")
	bob := idtypes.MustParse(idtypes.CRMID, "bob")
	t1 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

	owner := func() string {
		v := g.View()
		p, _ := v.Profile(tablet)
		return v.Key(p).String()
	}
	g.Link(t1, tablet, ann)
	g.Link(t1.Add(time.Hour), tablet, bob)
	fmt.Println("tablet with", owner())
	for c := range g.View().Cuts() {
		fmt.Printf("cut: %s not joined to %s (%v)\n", c.ID.Namespace(), c.Record.IDs[0], c.Rule)
	}

	// What would Ann's next login do?
	sim, _ := g.Simulate(reconcile.Record{At: t1.Add(2 * time.Hour), IDs: []idtypes.ID{tablet, ann}})
	fmt.Println("simulated: changed", sim.Changed, "moved", sim.Moved)

	g.Link(t1.Add(2*time.Hour), tablet, ann)
	fmt.Println("tablet with", owner())
	// Output:
	// tablet with bob
	// cut: ECID not joined to ann (unique)
	// simulated: changed 2 moved 1
	// tablet with ann
}

func ExampleGraph_Erase() {
	g, err := reconcile.NewGraph(reconcile.Rules{})
	if err != nil {
		fmt.Println(err)
		return
	}
	crm := idtypes.MustParse(idtypes.CRMID, "CRM-9")
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	g.Link(at, crm, idtypes.MustParse(idtypes.ECID, "20265673158980419722735089753036633573"))
	g.Link(at, crm, idtypes.MustParse(idtypes.ECID, "08382830887934830189014177072406221371"))
	fmt.Println("before:", g.View().Len(), "profile")

	rep, _ := g.Erase(crm) // the only declared ID: the profile splits into its devices
	fmt.Println("changed:", rep.Changed.Len(), "after:", g.View().Len(), "profiles")
	err = g.Link(at, crm)
	fmt.Println(err)
	// Output:
	// before: 1 profile
	// changed: 1 after: 2 profiles
	// reconcile: identifier CRMID:CRM-9: identifier erased
}
