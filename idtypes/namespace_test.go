package idtypes_test

import (
	"encoding"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/idbits/idbits/idtypes"
)

var (
	_ encoding.TextMarshaler   = idtypes.Namespace(0)
	_ encoding.TextUnmarshaler = (*idtypes.Namespace)(nil)
)

func TestNamespaceCodes(t *testing.T) {
	tests := []struct {
		ns      idtypes.Namespace
		code    string
		visitor bool
	}{
		{idtypes.ECID, "ECID", true},
		{idtypes.AAMUUID, "CORE", true},
		{idtypes.IDFA, "IDFA", true},
		{idtypes.GAID, "GAID", true},
		{idtypes.CRMID, "CRMID", false},
		{idtypes.Email, "Email", false},
		{idtypes.EmailSHA256, "Email_LC_SHA256", false},
		{idtypes.Phone, "Phone_E.164", false},
		{idtypes.PhoneSHA256, "Phone_SHA256", false},
	}
	if len(tests) != len(allStandard) {
		t.Fatalf("%d codes tested, want %d", len(tests), len(allStandard))
	}
	for i, tc := range tests {
		if tc.ns != idtypes.Namespace(i+1) {
			t.Errorf("%s = %d, want %d: standard namespaces start at 1 in this order", tc.code, tc.ns, i+1)
		}
		if got := tc.ns.String(); got != tc.code {
			t.Errorf("Namespace(%d).String() = %q, want %q", tc.ns, got, tc.code)
		}
		if got := tc.ns.Visitor(); got != tc.visitor {
			t.Errorf("%v.Visitor() = %v, want %v", tc.ns, got, tc.visitor)
		}
		if !tc.ns.IsValid() {
			t.Errorf("%v.IsValid() = false, want true", tc.ns)
		}
		for _, code := range []string{tc.code, strings.ToLower(tc.code), strings.ToUpper(tc.code)} {
			if got, err := idtypes.ParseNamespace(code); got != tc.ns || err != nil {
				t.Errorf("ParseNamespace(%q) = %v, %v; want %v", code, got, err, tc.ns)
			}
		}
		b, err := tc.ns.MarshalText()
		var back idtypes.Namespace
		if err != nil || string(b) != tc.code || back.UnmarshalText(b) != nil || back != tc.ns {
			t.Errorf("%v text round trip = %q, %v, %v", tc.ns, b, err, back)
		}
	}
}

func TestNamespaceInvalid(t *testing.T) {
	for _, ns := range []idtypes.Namespace{0, 10, 255, 256 + idtypes.MaxCustomNamespaces, 65535} {
		if ns.IsValid() || ns.Visitor() {
			t.Errorf("%d: IsValid %v, Visitor %v; want false, false", ns, ns.IsValid(), ns.Visitor())
		}
	}
	if got := idtypes.Namespace(0).String(); got != "unknown" {
		t.Errorf("Namespace(0).String() = %q, want %q", got, "unknown")
	}
	if got := idtypes.Namespace(77).String(); got != "Namespace(77)" {
		t.Errorf("Namespace(77).String() = %q, want %q", got, "Namespace(77)")
	}
	for _, code := range []string{"", "unknown", "ECID ", "E", "CORE:", "Email_LC_SHA25", strings.Repeat("x", 65), "never-declared"} {
		if ns, err := idtypes.ParseNamespace(code); !errors.Is(err, idtypes.ErrNamespace) {
			t.Errorf("ParseNamespace(%q) = %v, %v; want ErrNamespace", code, ns, err)
		}
	}
	if b, err := idtypes.Namespace(0).MarshalText(); err != nil || len(b) != 0 {
		t.Errorf("Namespace(0).MarshalText() = %q, %v; want empty", b, err)
	}
	if _, err := idtypes.Namespace(77).MarshalText(); !errors.Is(err, idtypes.ErrNamespace) {
		t.Errorf("Namespace(77).MarshalText() error = %v, want ErrNamespace", err)
	}
	ns := idtypes.ECID
	if err := ns.UnmarshalText(nil); err != nil || ns != 0 {
		t.Errorf("UnmarshalText(empty) = %v, %v; want 0", ns, err)
	}
	if err := ns.UnmarshalText([]byte("nope")); !errors.Is(err, idtypes.ErrNamespace) {
		t.Errorf("UnmarshalText(nope) error = %v, want ErrNamespace", err)
	}
}

func TestDeclareNamespace(t *testing.T) {
	loyalty, err := idtypes.DeclareNamespace("Test_Loyalty.v1")
	if err != nil {
		t.Fatal(err)
	}
	if !loyalty.IsValid() || loyalty.Visitor() || loyalty.String() != "Test_Loyalty.v1" {
		t.Errorf("declared %v: IsValid %v, Visitor %v", loyalty, loyalty.IsValid(), loyalty.Visitor())
	}
	for _, code := range []string{"Test_Loyalty.v1", "test_loyalty.v1", "TEST_LOYALTY.V1"} {
		if ns, err := idtypes.DeclareNamespace(code); ns != loyalty || err != nil {
			t.Errorf("DeclareNamespace(%q) again = %v, %v; want %v", code, ns, err, loyalty)
		}
		if ns, err := idtypes.ParseNamespace(code); ns != loyalty || err != nil {
			t.Errorf("ParseNamespace(%q) = %v, %v; want %v", code, ns, err, loyalty)
		}
	}
	if got := loyalty.String(); got != "Test_Loyalty.v1" {
		t.Errorf("String() = %q, want the first spelling declared", got)
	}
	for _, code := range []string{"ecid", "Email_LC_SHA256", "CORE"} {
		want, _ := idtypes.ParseNamespace(code)
		if ns, err := idtypes.DeclareNamespace(code); ns != want || err != nil {
			t.Errorf("DeclareNamespace(%q) = %v, %v; want the standard %v", code, ns, err, want)
		}
	}
	for _, code := range []string{"", "a:b", "a b", "é", "a/b", "a\x00", strings.Repeat("x", 65)} {
		if ns, err := idtypes.DeclareNamespace(code); !errors.Is(err, idtypes.ErrSyntax) {
			t.Errorf("DeclareNamespace(%q) = %v, %v; want ErrSyntax", code, ns, err)
		}
	}
	if ns, err := idtypes.DeclareNamespace(strings.Repeat("x", 64)); err != nil || !ns.IsValid() {
		t.Errorf("DeclareNamespace(64 bytes) = %v, %v; want a namespace", ns, err)
	}

	// Declared values are validated like CRMID.
	for _, tc := range parseCases {
		if tc.ns != idtypes.CRMID {
			continue
		}
		id, err := idtypes.Parse(loyalty, tc.in)
		if tc.err != nil {
			if !errors.Is(err, tc.err) {
				t.Errorf("Parse(%v, %q) = %v, %v; want %v", loyalty, tc.in, id, err, tc.err)
			}
			continue
		}
		if err != nil || id.String() != tc.want || id.Namespace() != loyalty {
			t.Errorf("Parse(%v, %q) = %v, %v; want %q", loyalty, tc.in, id, err, tc.want)
		}
	}
	id, err := idtypes.ParseText("test_loyalty.V1:ABC-123")
	if err != nil || id.Namespace() != loyalty || id.Text() != "Test_Loyalty.v1:ABC-123" {
		t.Errorf("ParseText(custom) = %v, %v", id.Text(), err)
	}
}

func TestNamespaceCompare(t *testing.T) {
	// Custom namespaces sort by lower-case code whatever order they were
	// declared in; the standard ones come before them, the invalid ones first.
	zeta := mustDeclare(t, "test-cmp-Zeta")
	alpha := mustDeclare(t, "test-cmp-alpha")
	mid := mustDeclare(t, "TEST-CMP-MID")
	order := []idtypes.Namespace{0, 77, idtypes.ECID, idtypes.AAMUUID, idtypes.IDFA, idtypes.GAID, idtypes.CRMID,
		idtypes.Email, idtypes.EmailSHA256, idtypes.Phone, idtypes.PhoneSHA256, alpha, mid, zeta}
	for i, a := range order {
		for j, b := range order {
			want := 0
			if i < j {
				want = -1
			} else if i > j {
				want = 1
			}
			if got := a.Compare(b); got != want {
				t.Errorf("%v.Compare(%v) = %d, want %d", a, b, got, want)
			}
		}
	}
}

func TestCustomNamespaces(t *testing.T) {
	before := slices.Collect(idtypes.CustomNamespaces())
	a := mustDeclare(t, "Test-Custom-List-A")
	b := mustDeclare(t, "test-custom-list-b")
	mustDeclare(t, "TEST-CUSTOM-LIST-A") // declared already
	mustDeclare(t, "ECID")               // standard
	if got, want := slices.Collect(idtypes.CustomNamespaces()), append(before, a, b); !slices.Equal(got, want) {
		t.Errorf("CustomNamespaces() = %v, want %v", got, want)
	}
	for ns := range idtypes.CustomNamespaces() {
		if !ns.IsValid() || ns.Visitor() {
			t.Errorf("CustomNamespaces yields %v (valid %v, visitor %v)", ns, ns.IsValid(), ns.Visitor())
		}
		break
	}
}

func mustDeclare(t testing.TB, code string) idtypes.Namespace {
	t.Helper()
	ns, err := idtypes.DeclareNamespace(code)
	if err != nil {
		t.Fatal(err)
	}
	return ns
}

func TestDeclareConcurrent(t *testing.T) {
	// Run with -race: declaring while others look up and parse is safe, and
	// every goroutine gets the same namespace for the same code.
	const workers, codes = 8, 50
	got := make([][]idtypes.Namespace, workers)
	var wg sync.WaitGroup
	for w := range workers {
		got[w] = make([]idtypes.Namespace, codes)
		wg.Go(func() {
			for i := range codes {
				code := fmt.Sprintf("test-conc-%d", (i+w)%codes)
				if w%2 == 1 {
					code = strings.ToUpper(code)
				}
				ns, err := idtypes.DeclareNamespace(code)
				if err != nil {
					t.Error(err)
					return
				}
				got[w][(i+w)%codes] = ns
				if back, err := idtypes.ParseNamespace(code); back != ns || err != nil {
					t.Errorf("ParseNamespace(%q) = %v, %v; want %v", code, back, err, ns)
				}
				if id, err := idtypes.ParseText(code + ":v"); err != nil || id.Namespace() != ns {
					t.Errorf("ParseText(%q) = %v, %v", code+":v", id, err)
				}
				_ = ns.String()
				_ = ns.Compare(idtypes.ECID)
			}
		})
	}
	wg.Wait()
	for w := 1; w < workers; w++ {
		for i := range codes {
			if got[w][i] != got[0][i] {
				t.Errorf("worker %d got %v for code %d, worker 0 got %v", w, got[w][i], i, got[0][i])
			}
		}
	}
}
