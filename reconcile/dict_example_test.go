package reconcile_test

import (
	"fmt"

	"github.com/idbits/idbits/bitmap"
	"github.com/idbits/idbits/idtypes"
	"github.com/idbits/idbits/reconcile"
)

func ExampleDictionary() {
	d := reconcile.NewDictionary()
	ecid := idtypes.MustParse(idtypes.ECID, "20265673158980419722735089753036633573")
	crm := idtypes.MustParse(idtypes.CRMID, "CRM-1001")
	email := idtypes.MustParse(idtypes.Email, "Jane.Doe@Example.com")

	ords := make([]uint32, 3)
	if err := d.AddMany([]idtypes.ID{ecid, crm, email}, ords); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("ordinals:", ords)

	again, _ := d.Add(crm) // known: same ordinal
	id, _ := d.ID(again)
	fmt.Println(again, id.Text(), d.NamespaceOf(again))

	// Keep only the ECIDs of an audience.
	audience := bitmap.Of(ords...)
	fmt.Println(bitmap.And(audience, d.Ordinals(idtypes.ECID)).AppendTo(nil))
	// Output:
	// ordinals: [0 1 2]
	// 1 CRMID:CRM-1001 CRMID
	// [0]
}
