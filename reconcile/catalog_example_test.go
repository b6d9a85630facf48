package reconcile_test

import (
	"fmt"
	"time"

	"github.com/idbits/idbits/bitmap"
	"github.com/idbits/idbits/idtypes"
	"github.com/idbits/idbits/reconcile"
)

func ExampleCatalog() {
	g, err := reconcile.NewGraph(reconcile.Rules{Priority: []idtypes.Namespace{idtypes.CRMID}})
	if err != nil {
		fmt.Println(err)
		return
	}
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	device, _ := idtypes.FromHalves(idtypes.ECID, 1, 2)
	crm := idtypes.MustParse(idtypes.CRMID, "CRM-7")
	g.Link(at, device)
	g.Link(at, crm)

	// The device browsed shoes: keep its profile as an audience.
	v := g.View()
	p, _ := v.Profile(device)
	shoes, _ := v.AsProfiles(bitmap.Of(uint32(p)))
	g.Catalog().Put("shoe browsers", shoes)

	// The person logs in on the device: two profiles become one, and the
	// audience follows, now under the CRM ID's key.
	g.Link(at.Add(time.Hour), device, crm)
	a, _ := g.Catalog().Get("shoe browsers")
	for k := range a.All() {
		fmt.Println(a.View().Key(k).Text())
	}
	// Output:
	// CRMID:CRM-7
}

func ExampleGraph_Erase_catalog() {
	g, err := reconcile.NewGraph(reconcile.Rules{})
	if err != nil {
		fmt.Println(err)
		return
	}
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	ann := idtypes.MustParse(idtypes.Email, "ann@example.com")
	device, _ := idtypes.FromHalves(idtypes.ECID, 1, 2)
	bob := idtypes.MustParse(idtypes.Email, "bob@example.com")
	g.Link(at, ann)
	g.Link(at, bob)
	v := g.View()
	g.Catalog().Put("newsletter", v.Profiles())
	g.Link(at.Add(time.Hour), ann, device) // the device joins Ann's profile later

	// Ann asks to be forgotten: her profile leaves the audience. The
	// report names it under the view before the erasure, whose Members
	// give the identifiers left to send the suppression to.
	rep, _ := g.Erase(ann)
	for name, exited := range rep.Exited {
		for k := range exited.All() {
			for id := range exited.View().Members(k) {
				fmt.Println(name, "suppress", id.Text())
			}
		}
	}
	a, _ := g.Catalog().Get("newsletter")
	for k := range a.All() {
		fmt.Println("newsletter keeps", a.View().Key(k).Text())
	}
	// Output:
	// newsletter suppress ECID:00000000000000000010000000000000000002
	// newsletter keeps Email:bob@example.com
}
