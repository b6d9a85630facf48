package idfile_test

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/idbits/idbits/idtypes"
	"github.com/idbits/idbits/reconcile/idfile"
)

func ExampleReadList() {
	in := strings.NewReader(`# visitors of the spring campaign
ECID:20265673158980419722735089753036633573
CRMID:2132-3423vn-343fds-3432r
ECID:2026567315898041972273508975303663357
`)
	for ln, err := range idfile.ReadList(in, idfile.ListOptions{}) {
		var le *idfile.LineError
		if errors.As(err, &le) {
			fmt.Println("rejected:", le.Line, errors.Is(err, idtypes.ErrSyntax))
			continue
		}
		if err != nil {
			fmt.Println(err) // a read error ends the loop
			return
		}
		fmt.Println(ln.N, ln.ID.Namespace(), ln.ID)
	}
	// Output:
	// 2 ECID 20265673158980419722735089753036633573
	// 3 CRMID 2132-3423vn-343fds-3432r
	// rejected: 4 true
}

func ExampleReadList_bare() {
	in := strings.NewReader("\xef\xbb\xbf07955261652886032950143702505894272138\r\nnull\r\n")
	for ln, err := range idfile.ReadList(in, idfile.ListOptions{Namespace: idtypes.AAMUUID}) {
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Println(ln.ID.Text())
	}
	// Output:
	// CORE:07955261652886032950143702505894272138
	// idfile: line 2: idtypes: parse CORE "null": blocked value
}

func ExampleWriteList() {
	ids := []idtypes.ID{
		idtypes.MustParse(idtypes.ECID, "20265673158980419722735089753036633573"),
		idtypes.MustParse(idtypes.Email, "Ann@Example.com"),
	}
	if err := idfile.WriteList(os.Stdout, slices.Values(ids), idfile.ListOptions{}); err != nil {
		fmt.Println(err)
	}
	// Output:
	// ECID:20265673158980419722735089753036633573
	// Email:ann@example.com
}

func ExampleReadCSV() {
	in := strings.NewReader(`name,ECID,segmentMembershipStatus
"Doe, Ann",20265673158980419722735089753036633573,realized
Bob,08382830887934830189014177072406221371,exited
Cy,"07955261652886032950143702505894272138,existing
Di,07955261652886032950143702505894272138,existing
`)
	for ln, err := range idfile.ReadCSV(in, idfile.CSVOptions{Delta: true}) {
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Println(ln.N, ln.ID, ln.Status)
	}
	// Output:
	// 2 20265673158980419722735089753036633573 realized
	// 3 08382830887934830189014177072406221371 exited
	// idfile: line 4: bad quoting: quoted field not closed
	// 5 07955261652886032950143702505894272138 realized
}

func ExampleWriteCSV() {
	delta := []idfile.Line{
		{ID: idtypes.MustParse(idtypes.CRMID, "u-1"), Status: idfile.Realized},
		{ID: idtypes.MustParse(idtypes.CRMID, `Doe, "Ann"`), Status: idfile.Exited},
	}
	err := idfile.WriteCSV(os.Stdout, slices.Values(delta), idfile.CSVOptions{Delta: true})
	if err != nil {
		fmt.Println(err)
	}
	// Output:
	// CRMID,segmentMembershipStatus
	// u-1,realized
	// "Doe, ""Ann""",exited
}

func ExampleReadXDM() {
	in := strings.NewReader(`{"timestamp":"2026-05-01T10:00:00Z","identityMap":{"ecid":[{"id":"20265673158980419722735089753036633573"}],"CRMID":[{"id":"u-1","authenticatedState":"authenticated","primary":true}]}}
{"timestamp":"2026-05-01T10:05:00Z","identityMap":{"ECID":[{"id":"123"},{"id":"08382830887934830189014177072406221371","authenticatedState":"ambiguous"}]}}
`)
	for rec, err := range idfile.ReadXDM(in, idfile.XDMOptions{}) {
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Println("line", rec.N, "at", rec.At.Format("15:04"))
		for _, id := range rec.IDs {
			fmt.Printf("  %s state=%q primary=%v\n", id.ID.Text(), id.State, id.Primary)
		}
	}
	// Output:
	// line 1 at 10:00
	//   ECID:20265673158980419722735089753036633573 state="" primary=false
	//   CRMID:u-1 state="authenticated" primary=true
	// idfile: line 2: identityMap.ECID[0]: idtypes: parse ECID "123": invalid syntax
	// line 2 at 10:05
	//   ECID:08382830887934830189014177072406221371 state="ambiguous" primary=false
}

func ExampleReadAAMInbound() {
	in := strings.NewReader("59767559181262060060278870901087098252\td_sid=24,d_sid=26,d_unsid=28\n" +
		"07955261652886032950143702505894272138\t24, 26:-1, ic=loyal\n" +
		"07955261652886032950143702505894272138 24\n")
	for u, err := range idfile.ReadAAMInbound(in, idfile.AAMOptions{Namespace: idtypes.AAMUUID}) {
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Println(u.N, u.User, "added", u.Added, "removed", u.Removed)
	}
	// Output:
	// 1 59767559181262060060278870901087098252 added [24 26] removed [28]
	// 2 07955261652886032950143702505894272138 added [24 ic=loyal] removed [26]
	// idfile: line 3: malformed line: no TAB between the user ID and the traits
}

func ExampleReadAAMOutbound() {
	in := strings.NewReader("59767559181262060060278870901087098252 24,26,27 25,28\n")
	for u, err := range idfile.ReadAAMOutbound(in, idfile.AAMOptions{}) {
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Println(u.User.Text(), "in", u.Added, "out", u.Removed)
	}
	// Output:
	// CORE:59767559181262060060278870901087098252 in [24 26 27] out [25 28]
}

func ExampleWriteFile() {
	dir, err := os.MkdirTemp("", "idfile-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)

	ids := []idtypes.ID{idtypes.MustParse(idtypes.ECID, "20265673158980419722735089753036633573")}
	name := filepath.Join(dir, "audience.txt")
	sum, err := idfile.WriteFile(name, 0o644, func(w io.Writer) error {
		return idfile.WriteList(w, slices.Values(ids), idfile.ListOptions{Namespace: idtypes.ECID})
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("sha256 %x\n", sum[:8])

	// A failing writer leaves the file as it was.
	_, err = idfile.WriteFile(name, 0o644, func(w io.Writer) error {
		io.WriteString(w, "half a line")
		return errors.New("export cancelled")
	})
	fmt.Println(err != nil)
	b, _ := os.ReadFile(name)
	fmt.Print(string(b))
	// Output:
	// sha256 ae3c12090b7adbb2
	// true
	// 20265673158980419722735089753036633573
}
