package reconcile_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/idbits/idbits/idtypes"
	"github.com/idbits/idbits/reconcile"
)

// A shop's test account was typed into every checkout. Listed in the
// blocklist, it no longer merges the visitors who carry it.
func ExampleRules_blocklist() {
	shared := idtypes.MustParse(idtypes.Email, "orders@shop.example")
	g, err := reconcile.NewGraph(reconcile.Rules{Blocklist: []idtypes.ID{shared}})
	if err != nil {
		fmt.Println(err)
		return
	}
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	for _, v := range []string{
		"20265673158980419722735089753036633573",
		"08382830887934830189014177072406221371",
	} {
		err := g.Link(at, idtypes.MustParse(idtypes.ECID, v), shared)
		fmt.Println("blocklisted:", errors.Is(err, reconcile.ErrBlocklisted))
	}
	fmt.Println(g.View().Len(), "profiles")
	// Output:
	// blocklisted: true
	// blocklisted: true
	// 2 profiles
}
