package reconcile_test

import (
	"fmt"
	"strings"

	"github.com/idbits/idbits/idtypes"
	"github.com/idbits/idbits/reconcile"
	"github.com/idbits/idbits/reconcile/idfile"
)

func ExampleLinkRecords() {
	links := `{"timestamp":"2026-05-01T10:00:00Z","identityMap":{"ECID":[{"id":"20265673158980419722735089753036633573"}],"CRMID":[{"id":"C1"}]}}
not json
{"timestamp":"2026-05-01T11:00:00Z","identityMap":{"ECID":[{"id":"12345"},{"id":"08382830887934830189014177072406221371"}],"CRMID":[{"id":"C2"}]}}
{"timestamp":"3000-01-01T00:00:00Z","identityMap":{"ECID":[{"id":"59767559181262060060278870901087098252"}]}}
`
	g, err := reconcile.NewGraph(reconcile.Rules{Unique: []idtypes.Namespace{idtypes.CRMID}})
	if err != nil {
		fmt.Println(err)
		return
	}
	rep, err := reconcile.LinkRecords(g, idfile.ReadXDM(strings.NewReader(links), idfile.XDMOptions{}), reconcile.LinkOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("lines %d: invalid %d, records %d (invalid identities %d): linked %d, rejected %d\n",
		rep.Lines, rep.InvalidLines, rep.Records, rep.InvalidIdentities, rep.Linked, rep.Rejected)
	for _, e := range rep.LineErrors {
		fmt.Println(e)
	}
	for _, e := range rep.Errors {
		fmt.Println(e)
	}
	fmt.Println(g.View().Len(), "profiles")
	// Output:
	// lines 4: invalid 1, records 3 (invalid identities 1): linked 2, rejected 1
	// idfile: line 2: malformed line: invalid character 'o' in literal null (expecting 'u')
	// idfile: line 3: identityMap.ECID[0]: idtypes: parse ECID "12345": invalid syntax
	// reconcile: line 4: record time out of range
	// 2 profiles
}
