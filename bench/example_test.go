package bench_test

import (
	"fmt"
	"os"

	"github.com/idbits/idbits/bench"
	"github.com/idbits/idbits/idtypes"
)

func ExampleGenerate() {
	w := bench.Generate(bench.Config{Seed: 1, People: 2})
	for p := range w.People() {
		fmt.Println("person", p)
		for _, id := range w.IDs(p) {
			fmt.Println(" ", id.Text())
		}
	}
	fmt.Println(len(w.Identities()), "identities,", w.RecordCount(), "records")
	// Output:
	// person 0
	//   ECID:12380185929740407933308233453578662644
	//   CRMID:C44625517805
	// person 1
	//   ECID:51156115769077252937705711940251673319
	//   ECID:49727493061770306168113510586952463253
	//   ECID:77910414636467241913936748839354313671
	//   ECID:74464847608307237593555702908600882898
	//   ECID:47014193616065794095452917242658453371
	//   ECID:02456390169684514481695870855887897737
	//   ECID:60444042437507580308629447665873433680
	//   CRMID:C91065103616
	//   Email:priya.garcia.879009115@mail.example.com
	//   Email_LC_SHA256:232370207920e54774bc67917428e38dd44371a9b48161adb0a5a2ac32f385b7
	// 12 identities, 8 records
}

func ExampleSegment_WriteList() {
	w := bench.Generate(bench.Config{Seed: 1, People: 1000})
	s := w.Segment(bench.SegmentSpec{
		Namespace: idtypes.CRMID,
		Density:   0.004, // of the people with a CRM ID
		Malformed: 0.25,
	})
	if err := s.WriteList(os.Stdout, "CRM segment, 0.4%"); err != nil {
		fmt.Println(err)
	}
	fmt.Println(s.Len(), "people,", s.Count(bench.Known), "known lines,", s.Count(bench.Malformed), "malformed")
	// Output:
	// # CRM segment, 0.4%
	// CRMID:C57311377974
	// CRMID:C75884455689
	// CRMID:C16100855152
	// CRMID:NULL
	// 3 people, 3 known lines, 1 malformed
}

func ExampleWorld_WriteXDM() {
	w := bench.Generate(bench.Config{Seed: 1, People: 1})
	if err := w.WriteXDM(os.Stdout); err != nil {
		fmt.Println(err)
	}
	// Output:
	// {"timestamp":"2026-05-28T05:20:57Z","identityMap":{"ECID":[{"id":"12380185929740407933308233453578662644"}],"CRMID":[{"id":"C44625517805","authenticatedState":"authenticated"}]}}
}
