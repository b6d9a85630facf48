package idtypes_test

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/idbits/idbits/idtypes"
)

var hashNamespaces = []idtypes.Namespace{idtypes.EmailSHA256, idtypes.PhoneSHA256}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// TestBlockedDigests checks that the SHA-256 of a blank or blocked value, as
// the hashing rules would produce it, is refused in both hash namespaces,
// in any case, plain or as "NS:value".
func TestBlockedDigests(t *testing.T) {
	const empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	if sha256Hex("") != empty {
		t.Fatalf("SHA-256 of the empty string = %s, want %s", sha256Hex(""), empty)
	}
	for _, ns := range hashNamespaces {
		for _, v := range []string{"", "null", "anonymous", "invalid", "undefined"} {
			h := sha256Hex(v)
			for _, in := range []string{h, strings.ToUpper(h), " " + h + "\n"} {
				id, err := idtypes.Parse(ns, in)
				var pe *idtypes.ParseError
				if !errors.Is(err, idtypes.ErrBlocked) || errors.Is(err, idtypes.ErrPlaceholder) ||
					!errors.As(err, &pe) || pe.Namespace != ns || pe.Input != in {
					t.Errorf("Parse(%v, %q) (SHA-256 of %q) = %v, %v; want a ParseError wrapping ErrBlocked", ns, in, v, id, err)
					continue
				}
				if !strings.Contains(err.Error(), "SHA-256 of a blank or blocked value") {
					t.Errorf("Parse(%v, SHA-256 of %q) error %q does not say why", ns, v, err)
				}
				if id, err := idtypes.ParseText(ns.String() + ":" + in); !errors.Is(err, idtypes.ErrBlocked) {
					t.Errorf("ParseText(%v:%q) = %v, %v; want ErrBlocked", ns, in, id, err)
				}
			}
		}
	}
	for _, hash := range []func(string) (idtypes.ID, error){idtypes.HashEmail, idtypes.HashPhone} {
		for _, in := range []string{"", " ", "null", "NULL", "Anonymous", "invalid", "undefined"} {
			if id, err := hash(in); !errors.Is(err, idtypes.ErrBlocked) {
				t.Errorf("hash of %q = %v, %v; want ErrBlocked", in, id.Text(), err)
			}
		}
	}
	// Other digests still parse.
	for _, ns := range hashNamespaces {
		for _, v := range []string{"a", " ", "NULL", "nul"} {
			if _, err := idtypes.Parse(ns, sha256Hex(v)); err != nil {
				t.Errorf("Parse(%v, SHA-256 of %q) error: %v", ns, v, err)
			}
		}
	}
}

// TestPlaceholders checks every placeholder Placeholders lists: in plain
// form in its namespace, through HashEmail or HashPhone, and as its SHA-256
// in both hash namespaces.
func TestPlaceholders(t *testing.T) {
	want := map[string]idtypes.Namespace{"test@test.com": idtypes.Email, "+11111111111": idtypes.Phone}
	got := map[string]idtypes.Namespace{}
	for ns, v := range idtypes.Placeholders() {
		got[v] = ns
		checkPlaceholder(t, ns, v, v)
		h := sha256Hex(v)
		for _, hns := range hashNamespaces {
			for _, in := range []string{h, strings.ToUpper(h)} {
				id, err := idtypes.Parse(hns, in)
				if !errors.Is(err, idtypes.ErrPlaceholder) || !errors.Is(err, idtypes.ErrBlocked) {
					t.Errorf("Parse(%v, SHA-256 of %q) = %v, %v; want ErrPlaceholder", hns, v, id, err)
					continue
				}
				if !strings.Contains(err.Error(), "SHA-256 of a well-known placeholder") {
					t.Errorf("Parse(%v, SHA-256 of %q) error %q does not say why", hns, v, err)
				}
			}
		}
	}
	if len(got) != len(want) {
		t.Errorf("Placeholders() = %v, want %v", got, want)
	}
	for v, ns := range want {
		if got[v] != ns {
			t.Errorf("Placeholders() gives %q in %v, want it in %v", v, got[v], ns)
		}
	}
	// Other spellings of the same placeholders.
	for _, tc := range []struct {
		ns idtypes.Namespace
		in string
	}{
		{idtypes.Email, "TEST@TEST.COM"},
		{idtypes.Email, " Test@test.Com\t"},
		{idtypes.Phone, "+1-111-111-1111"},
		{idtypes.Phone, "+1 (111) 111-1111"},
		{idtypes.Phone, " +1.111.111.1111 "},
	} {
		checkPlaceholder(t, tc.ns, tc.in, "")
	}
	// Stopping early stops.
	n := 0
	for range idtypes.Placeholders() {
		n++
		break
	}
	if n != 1 {
		t.Errorf("Placeholders() yielded %d values after a break, want 1", n)
	}
}

// checkPlaceholder checks that in is refused as a placeholder in ns by
// Parse, ParseText and the hash function of ns. If normal is not empty, it
// is the normal form in must have.
func checkPlaceholder(t *testing.T, ns idtypes.Namespace, in, normal string) {
	t.Helper()
	id, err := idtypes.Parse(ns, in)
	var pe *idtypes.ParseError
	if !errors.Is(err, idtypes.ErrPlaceholder) || !errors.Is(err, idtypes.ErrBlocked) ||
		!errors.As(err, &pe) || pe.Namespace != ns || pe.Input != in {
		t.Errorf("Parse(%v, %q) = %v, %v; want a ParseError wrapping ErrPlaceholder", ns, in, id, err)
		return
	}
	if !strings.Contains(err.Error(), "placeholder") {
		t.Errorf("Parse(%v, %q) error %q does not say it is a placeholder", ns, in, err)
	}
	if _, err := idtypes.ParseText(ns.String() + ":" + in); !errors.Is(err, idtypes.ErrPlaceholder) {
		t.Errorf("ParseText(%v:%q) error = %v, want ErrPlaceholder", ns, in, err)
	}
	hash := idtypes.HashEmail
	if ns == idtypes.Phone {
		hash = idtypes.HashPhone
	}
	h, err := hash(in)
	if !errors.Is(err, idtypes.ErrPlaceholder) || !errors.As(err, &pe) || pe.Namespace != ns {
		t.Errorf("hash of %q = %v, %v; want a ParseError for %v wrapping ErrPlaceholder", in, h.Text(), err, ns)
	}
	if normal != "" {
		// The listed value is a normal form: a small change of it parses
		// to itself.
		changed := normal[:len(normal)-1] + "2"
		if ns == idtypes.Email {
			changed = "x" + normal
		}
		if id, err := idtypes.Parse(ns, changed); err != nil || id.String() != changed {
			t.Errorf("Parse(%v, %q) = %v, %v; want it back", ns, changed, id, err)
		}
	}
}
