package reconcile_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/idbits/idbits/idtypes"
	"github.com/idbits/idbits/reconcile"
)

func ExampleGraph_WriteFile() {
	g, err := reconcile.NewGraph(reconcile.Rules{Unique: []idtypes.Namespace{idtypes.CRMID}})
	if err != nil {
		fmt.Println(err)
		return
	}
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	crm := idtypes.MustParse(idtypes.CRMID, "CRM-1001")
	email := idtypes.MustParse(idtypes.Email, "jane.doe@example.com")
	g.Link(at, crm, email)

	dir, err := os.MkdirTemp("", "snapshot")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "graph.idbits")
	if err := g.WriteFile(path); err != nil {
		fmt.Println(err)
		return
	}
	loaded, err := reconcile.ReadGraphFile(path)
	if err != nil {
		fmt.Println(err)
		return
	}
	v := loaded.View()
	p, _ := v.Profile(email)
	fmt.Println("key:", v.Key(p).Text())
	fmt.Println("rules:", loaded.Rules().Unique)
	// Output:
	// key: CRMID:CRM-1001
	// rules: [CRMID]
}

func ExampleReadGraph() {
	g, err := reconcile.NewGraph(reconcile.Rules{})
	if err != nil {
		fmt.Println(err)
		return
	}
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	g.Link(at, idtypes.MustParse(idtypes.Email, "ann@example.com"), idtypes.MustParse(idtypes.CRMID, "A-1"))
	g.Link(at, idtypes.MustParse(idtypes.Email, "bob@example.com"))

	var buf bytes.Buffer
	if _, err := g.WriteTo(&buf); err != nil {
		fmt.Println(err)
		return
	}
	snapshot := buf.Bytes()
	loaded, err := reconcile.ReadGraph(bytes.NewReader(snapshot))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("profiles:", loaded.View().Len(), "identities:", loaded.Dictionary().Len())

	// A damaged snapshot gives an error naming the section and the byte.
	snapshot[40] ^= 1
	_, err = reconcile.ReadGraph(bytes.NewReader(snapshot))
	var se *reconcile.SnapshotError
	if errors.As(err, &se) && errors.Is(err, reconcile.ErrCorrupt) {
		fmt.Println("corrupt:", se.Section, "section")
	}
	// Output:
	// profiles: 2 identities: 3
	// corrupt: NSPC section
}
