package idtypes_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/idbits/idbits/idtypes"
)

// fuzzNamespaces are the namespaces the fuzzers pick from by index.
func fuzzNamespaces(t testing.TB) []idtypes.Namespace {
	return append(slicesClone(allStandard), mustDeclare(t, "Fuzz-Custom"))
}

func slicesClone[T any](s []T) []T { return append([]T(nil), s...) }

func fuzzSeeds(f *testing.F, add func(ns uint8, s string)) {
	nss := fuzzNamespaces(f)
	for _, tc := range parseCases {
		for i, ns := range nss {
			if ns == tc.ns {
				add(uint8(i), tc.in)
			}
		}
	}
	for i := range nss {
		add(uint8(i), "null")
		add(uint8(i), " x ")
	}
}

// checkParsed checks what every parsed ID must satisfy.
func checkParsed(t *testing.T, id idtypes.ID, ns idtypes.Namespace) {
	t.Helper()
	if !id.IsValid() || id.Namespace() != ns {
		t.Fatalf("parsed %#v: valid %v, namespace %v; want valid in %v", id, id.IsValid(), id.Namespace(), ns)
	}
	s := id.String()
	if got, err := idtypes.Parse(ns, s); got != id || err != nil {
		t.Fatalf("Parse(%v, %q) = %#v, %v; want %#v", ns, s, got, err, id)
	}
	if got, err := idtypes.ParseText(id.Text()); got != id || err != nil {
		t.Fatalf("ParseText(%q) = %#v, %v; want %#v", id.Text(), got, err, id)
	}
	if !utf8.ValidString(s) || strings.Trim(s, " \t\n\v\f\r") != s || s == "" {
		t.Fatalf("String() = %q: not trimmed, valid UTF-8", s)
	}
	key, err := id.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var back idtypes.ID
	if err := back.UnmarshalBinary(key); err != nil || back != id {
		t.Fatalf("UnmarshalBinary(%q) = %#v, %v; want %#v", key, back, err, id)
	}
	if id.Compare(id) != 0 {
		t.Fatalf("Compare(%v, itself) != 0", id.Text())
	}
	switch ns {
	case idtypes.ECID, idtypes.AAMUUID:
		if len(s) != 38 {
			t.Fatalf("%v printed as %q, want 38 digits", ns, s)
		}
	case idtypes.IDFA:
		if len(s) != 36 || strings.ToUpper(s) != s {
			t.Fatalf("IDFA printed as %q", s)
		}
	case idtypes.GAID, idtypes.EmailSHA256, idtypes.PhoneSHA256:
		if strings.ToLower(s) != s {
			t.Fatalf("%v printed as %q, want lower case", ns, s)
		}
	case idtypes.Email:
		if len(s) > 254 || strings.Count(s, "@") != 1 {
			t.Fatalf("email %q", s)
		}
	case idtypes.Phone:
		if len(s) < 9 || len(s) > 16 || s[0] != '+' || s[1] == '0' {
			t.Fatalf("phone %q", s)
		}
	default:
		if len(s) > 1024 {
			t.Fatalf("%v value of %d bytes", ns, len(s))
		}
	}
}

// checkError checks that err is a *ParseError with a known reason.
func checkError(t *testing.T, err error) {
	t.Helper()
	var pe *idtypes.ParseError
	if !errors.As(err, &pe) {
		t.Fatalf("error %v is not a *ParseError", err)
	}
	for _, reason := range []error{idtypes.ErrSyntax, idtypes.ErrRange, idtypes.ErrBlocked, idtypes.ErrTooLong, idtypes.ErrNamespace} {
		if errors.Is(err, reason) {
			_ = err.Error()
			return
		}
	}
	t.Fatalf("error %v has no known reason", err)
}

// refECID is the obvious check: trim, 38 digits, each half fits an int64.
func refECID(s string) (ok, rangeErr bool) {
	s = strings.Trim(s, " \t\n\v\f\r")
	if len(s) != 38 || strings.Trim(s, "0123456789") != "" {
		return false, false
	}
	_, err1 := strconv.ParseInt(s[:19], 10, 64)
	_, err2 := strconv.ParseInt(s[19:], 10, 64)
	return err1 == nil && err2 == nil, err1 != nil || err2 != nil
}

func FuzzParse(f *testing.F) {
	fuzzSeeds(f, func(ns uint8, s string) { f.Add(ns, s) })
	f.Fuzz(func(t *testing.T, nsIndex uint8, s string) {
		nss := fuzzNamespaces(t)
		ns := nss[int(nsIndex)%len(nss)]
		id, err := idtypes.Parse(ns, s)
		if ns == idtypes.ECID || ns == idtypes.AAMUUID {
			ok, rangeErr := refECID(s)
			if ok != (err == nil) || rangeErr != errors.Is(err, idtypes.ErrRange) {
				t.Fatalf("Parse(%v, %q) = %v, %v; the reference check says ok %v, range error %v", ns, s, id, err, ok, rangeErr)
			}
			if ns == idtypes.ECID {
				if got, err2 := idtypes.ParseECID(s); got != id || (err2 == nil) != (err == nil) {
					t.Fatalf("ParseECID(%q) = %v, %v; Parse gives %v, %v", s, got, err2, id, err)
				}
			}
		}
		if ns == idtypes.Email || ns == idtypes.Phone {
			checkHash(t, ns, s, id)
		}
		if err != nil {
			checkError(t, err)
			var pe *idtypes.ParseError
			if errors.As(err, &pe); pe.Namespace != ns || pe.Input != s || id != (idtypes.ID{}) {
				t.Fatalf("Parse(%v, %q) = %#v, %#v", ns, s, id, err)
			}
			return
		}
		checkParsed(t, id, ns)
		checkNotJunk(t, id)
		switch ns {
		case idtypes.ECID, idtypes.AAMUUID, idtypes.IDFA, idtypes.GAID, idtypes.EmailSHA256, idtypes.PhoneSHA256:
			if trimmed := strings.Trim(s, " \t\n\v\f\r"); !strings.EqualFold(id.String(), trimmed) {
				t.Fatalf("Parse(%v, %q) = %q, want the trimmed input up to case", ns, s, id.String())
			}
		case idtypes.Email, idtypes.Phone:
			checkHash(t, ns, s, id)
		case idtypes.CRMID:
			if id.String() != strings.Trim(s, " \t\n\v\f\r") {
				t.Fatalf("Parse(CRMID, %q) = %q, want the trimmed input", s, id.String())
			}
		}
	})
}

// checkHash checks that HashEmail or HashPhone of s is the SHA-256 of the
// parsed value, or fails exactly when parsing does.
func checkHash(t *testing.T, ns idtypes.Namespace, s string, parsed idtypes.ID) {
	t.Helper()
	hash, to := idtypes.HashEmail, idtypes.EmailSHA256
	if ns == idtypes.Phone {
		hash, to = idtypes.HashPhone, idtypes.PhoneSHA256
	}
	h, err := hash(s)
	if !parsed.IsValid() {
		_, perr := idtypes.Parse(ns, s)
		if err == nil || err.Error() != perr.Error() {
			t.Fatalf("hash of %q = %v, %v; want the parse error %v", s, h, err, perr)
		}
		return
	}
	sum := sha256.Sum256([]byte(parsed.String()))
	if err != nil || h.Namespace() != to || h.String() != hex.EncodeToString(sum[:]) {
		t.Fatalf("hash of %q = %v, %v; want the SHA-256 of %q", s, h.Text(), err, parsed.String())
	}
	// A value that parses never hashes to a digest the hash namespaces refuse.
	if back, err := idtypes.Parse(to, h.String()); err != nil || back != h {
		t.Fatalf("hash of %q = %v, but Parse gives %v, %v", s, h.Text(), back, err)
	}
}

// junkDigests are the lower-case hex SHA-256 digests of the blocked values
// and placeholders, computed here without the package's own table.
func junkDigests() map[string]bool {
	m := map[string]bool{}
	for _, v := range []string{"", "null", "anonymous", "invalid", "undefined"} {
		m[sha256Hex(v)] = true
	}
	for _, v := range idtypes.Placeholders() {
		m[sha256Hex(v)] = true
	}
	return m
}

// checkNotJunk checks that a parsed ID is neither a placeholder nor the
// SHA-256 of a blocked value or placeholder.
func checkNotJunk(t *testing.T, id idtypes.ID) {
	t.Helper()
	switch id.Namespace() {
	case idtypes.EmailSHA256, idtypes.PhoneSHA256:
		if junkDigests()[id.String()] {
			t.Fatalf("%v parsed, but it is the SHA-256 of a blocked value or placeholder", id.Text())
		}
	case idtypes.Email, idtypes.Phone:
		for ns, v := range idtypes.Placeholders() {
			if ns == id.Namespace() && v == id.String() {
				t.Fatalf("%v parsed, but it is a placeholder", id.Text())
			}
		}
	}
}

func FuzzCompare(f *testing.F) {
	f.Add(uint8(0), "20265673158980419722735089753036633573", "08382830887934830189014177072406221371")
	f.Add(uint8(2), "b56e68ec-34ed-46d5-af0c-1d2401f676c9", "B56E68EC-34ED-46D5-AF0C-1D2401F676CA")
	f.Add(uint8(3), "38400000-8cf0-11bd-b23e-10b96e40000d", "a8400000-8cf0-11bd-b23e-10b96e40000d")
	f.Add(uint8(5), "b@x.com", "A@x.com")
	f.Add(uint8(6), strings.Repeat("a", 64), strings.Repeat("9", 64))
	f.Add(uint8(7), "+14155552671", "+9 555 2671 00")
	f.Add(uint8(9), "abc", "ABC")
	f.Fuzz(func(t *testing.T, nsIndex uint8, a, b string) {
		nss := fuzzNamespaces(t)
		ns := nss[int(nsIndex)%len(nss)]
		x, err1 := idtypes.Parse(ns, a)
		y, err2 := idtypes.Parse(ns, b)
		if err1 != nil || err2 != nil {
			return
		}
		if got, want := x.Compare(y), strings.Compare(x.String(), y.String()); got != want {
			t.Fatalf("Compare(%v, %v) = %d, want %d as their String", x.Text(), y.Text(), got, want)
		}
		kx, _ := x.MarshalBinary()
		ky, _ := y.MarshalBinary()
		if (x == y) != bytes.Equal(kx, ky) {
			t.Fatalf("%v == %v is %v, but their keys %x and %x", x.Text(), y.Text(), x == y, kx, ky)
		}
		if got, want := idtypes.CompareKeys(kx, ky), x.Compare(y); got != want {
			t.Fatalf("CompareKeys(%x, %x) = %d, want %d as ID.Compare", kx, ky, got, want)
		}
	})
}

func FuzzParseText(f *testing.F) {
	nss := fuzzNamespaces(f)
	fuzzSeeds(f, func(ns uint8, s string) { f.Add(nss[ns].String() + ":" + s) })
	f.Add("")
	f.Add(":")
	f.Add("ecid:")
	f.Add("nope:1")
	f.Add("fuzz-custom:a:b")
	f.Fuzz(func(t *testing.T, s string) {
		id, err := idtypes.ParseText(s)
		if err != nil {
			checkError(t, err)
			if id != (idtypes.ID{}) {
				t.Fatalf("ParseText(%q) = %#v with an error", s, id)
			}
			return
		}
		checkParsed(t, id, id.Namespace())
		code, value, _ := strings.Cut(s, ":")
		if ns, err := idtypes.ParseNamespace(strings.Trim(code, " \t\n\v\f\r")); err != nil || ns != id.Namespace() {
			t.Fatalf("ParseText(%q) = %v, but its code gives %v, %v", s, id.Text(), ns, err)
		}
		if want, err := idtypes.Parse(id.Namespace(), value); want != id || err != nil {
			t.Fatalf("ParseText(%q) = %v, but Parse gives %v, %v", s, id.Text(), want, err)
		}
		var back idtypes.ID
		if err := back.UnmarshalText([]byte(s)); err != nil || back != id {
			t.Fatalf("UnmarshalText(%q) = %v, %v; want %v", s, back, err, id)
		}
	})
}

// errorReason is the sentinel a *ParseError wraps.
func errorReason(err error) error {
	var pe *idtypes.ParseError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func FuzzUnmarshalBinary(f *testing.F) {
	for _, id := range sampleIDs(f) {
		key, _ := id.MarshalBinary()
		f.Add(key)
	}
	f.Add([]byte{})
	f.Add([]byte{0xff})
	f.Add([]byte("\xff\x0bfuzz-customv"))
	f.Add([]byte("\xff\x06fuzz-xv"))
	f.Fuzz(func(t *testing.T, b []byte) {
		declared := slices.Collect(idtypes.CustomNamespaces())
		code, codeErr := idtypes.KeyCode(b)
		var id idtypes.ID
		err := id.UnmarshalBinary(b)
		if now := slices.Collect(idtypes.CustomNamespaces()); !slices.Equal(now, declared) {
			t.Fatalf("decoding %q declared a namespace: %v, was %v", b, now, declared)
		}
		// KeyCode accepts what UnmarshalBinary accepts, and keys of
		// undeclared namespaces, nothing else.
		if codeErr != nil {
			checkError(t, codeErr)
			if errors.Is(codeErr, idtypes.ErrNamespace) {
				t.Fatalf("KeyCode(%q) = %v", b, codeErr)
			}
			if !errors.Is(err, errorReason(codeErr)) {
				t.Fatalf("KeyCode(%q) = %v, but UnmarshalBinary = %v", b, codeErr, err)
			}
		} else if _, nsErr := idtypes.ParseNamespace(code); len(b) > 0 && (nsErr == nil) != (err == nil) {
			t.Fatalf("KeyCode(%q) = %q (ParseNamespace: %v), but UnmarshalBinary = %v", b, code, nsErr, err)
		}
		if err != nil {
			checkError(t, err)
			if id != (idtypes.ID{}) {
				t.Fatalf("UnmarshalBinary(%q) set %#v with an error", b, id)
			}
			return
		}
		if want := strings.ToLower(id.Namespace().String()); len(b) > 0 && code != want {
			t.Fatalf("KeyCode(%q) = %q, want %q", b, code, want)
		}
		key, err := id.AppendBinary(nil)
		if err != nil || !bytes.Equal(key, b) {
			t.Fatalf("UnmarshalBinary(%q) = %v, whose key is %q: keys must be canonical", b, id.Text(), key)
		}
		if len(b) == 0 {
			if id != (idtypes.ID{}) {
				t.Fatalf("empty key gives %#v", id)
			}
			return
		}
		checkParsed(t, id, id.Namespace())
	})
}
