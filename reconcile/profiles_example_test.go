package reconcile_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/idbits/idbits/bitmap"
	"github.com/idbits/idbits/idtypes"
	"github.com/idbits/idbits/reconcile"
)

// Profiles made under an older view are projected onto a newer one: the
// visitor who logs in as Ben joins Ben's profile.
func ExampleView_Project() {
	g := exampleGraph()
	before := g.View()
	visitors := profilesOf(before, "ECID:33220066225523700180027711130440115601", "CRMID:ana")

	visitor := idtypes.MustParse(idtypes.ECID, "33220066225523700180027711130440115601")
	if err := g.Link(time.Date(2026, 5, 8, 9, 0, 0, 0, time.UTC), idtypes.MustParse(idtypes.CRMID, "ben"), visitor); err != nil {
		fmt.Println(err)
		return
	}
	now := g.View()
	p, err := now.Project(visitors)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(p.View() == now, p.Len())
	for q := range p.All() {
		fmt.Println(now.Key(q).Text())
	}
	// Output:
	// true 2
	// CRMID:ana
	// CRMID:ben
}

// A bitmap of profile numbers stored by the process comes back as
// Profiles through View.AsProfiles, which checks every number.
func ExampleView_AsProfiles() {
	g := exampleGraph()
	v := g.View()
	data, err := v.Profiles().Audience().MarshalBinary()
	if err != nil {
		fmt.Println(err)
		return
	}
	var numbers bitmap.Audience
	if err := numbers.UnmarshalBinary(data); err != nil {
		fmt.Println(err)
		return
	}
	all, err := v.AsProfiles(numbers)
	fmt.Println(all.Len(), err)

	_, err = v.AsProfiles(bitmap.Of(42))
	fmt.Println(errors.Is(err, reconcile.ErrNotProfile))
	// Output:
	// 3 <nil>
	// true
}
