package idtypes_test

import (
	"errors"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"testing"

	"github.com/idbits/idbits/idtypes"
)

// TestRegistryFull fills the namespace registry. It does so in a child
// process, so that the other tests keep room to declare namespaces.
func TestRegistryFull(t *testing.T) {
	if os.Getenv("IDTYPES_FILL_REGISTRY") != "1" {
		if testing.Short() {
			t.Skip("fills the registry in a child process")
		}
		cmd := exec.Command(os.Args[0], "-test.run=^TestRegistryFull$", "-test.count=1")
		cmd.Env = append(os.Environ(), "IDTYPES_FILL_REGISTRY=1")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("child process: %v\n%s", err, out)
		}
		return
	}
	first := idtypes.Namespace(0)
	for i := range idtypes.MaxCustomNamespaces {
		ns, err := idtypes.DeclareNamespace("fill-" + strconv.Itoa(i))
		if err != nil {
			t.Fatalf("declaring namespace %d: %v", i, err)
		}
		if i == 0 {
			first = ns
		}
	}
	if n := len(slices.Collect(idtypes.CustomNamespaces())); n != idtypes.MaxCustomNamespaces {
		t.Errorf("CustomNamespaces holds %d namespaces once full, want %d", n, idtypes.MaxCustomNamespaces)
	}
	if ns, err := idtypes.DeclareNamespace("one-too-many"); !errors.Is(err, idtypes.ErrNamespace) {
		t.Errorf("declaring past the cap = %v, %v; want ErrNamespace", ns, err)
	}
	// Known codes still resolve, standard ones still declare.
	if ns, err := idtypes.DeclareNamespace("FILL-0"); ns != first || err != nil {
		t.Errorf("DeclareNamespace(FILL-0) = %v, %v; want %v", ns, err, first)
	}
	if ns, err := idtypes.DeclareNamespace("ecid"); ns != idtypes.ECID || err != nil {
		t.Errorf("DeclareNamespace(ecid) = %v, %v; want ECID", ns, err)
	}
	var id idtypes.ID
	if err := id.UnmarshalBinary([]byte("\xff\x03newv")); !errors.Is(err, idtypes.ErrNamespace) {
		t.Errorf("decoding a key with a new code past the cap = %v, %v; want ErrNamespace", id, err)
	}
	last := idtypes.MustParse(idtypes.Namespace(int(first)+idtypes.MaxCustomNamespaces-1), "v")
	if got, err := idtypes.ParseText(last.Text()); got != last || err != nil {
		t.Errorf("ParseText(%q) = %v, %v", last.Text(), got, err)
	}
}
