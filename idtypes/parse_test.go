package idtypes_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/idbits/idbits/idtypes"
)

type parseCase struct {
	ns   idtypes.Namespace
	in   string
	want string // canonical value; ignored if err != nil
	err  error
}

var parseCases = []parseCase{
	// ECID and AAM UUID: 38 digits, two halves each at most 2^63-1.
	{idtypes.ECID, "20265673158980419722735089753036633573", "20265673158980419722735089753036633573", nil},
	{idtypes.ECID, "08382830887934830189014177072406221371", "08382830887934830189014177072406221371", nil},
	{idtypes.ECID, " \t08382830887934830189014177072406221371\r\n", "08382830887934830189014177072406221371", nil},
	{idtypes.ECID, "00000000000000000000000000000000000001", "00000000000000000000000000000000000001", nil},
	{idtypes.ECID, "00000000000000000000000000000000000000", "00000000000000000000000000000000000000", nil},
	{idtypes.ECID, "92233720368547758079223372036854775807", "92233720368547758079223372036854775807", nil},
	{idtypes.ECID, "92233720368547758070000000000000000000", "92233720368547758070000000000000000000", nil},
	{idtypes.ECID, "00000000000000000009223372036854775807", "00000000000000000009223372036854775807", nil},
	{idtypes.ECID, "92233720368547758080000000000000000000", "", idtypes.ErrRange},
	{idtypes.ECID, "00000000000000000009223372036854775808", "", idtypes.ErrRange},
	{idtypes.ECID, "99999999999999999999999999999999999999", "", idtypes.ErrRange},
	{idtypes.ECID, "2026567315898041972273508975303663357", "", idtypes.ErrSyntax},
	{idtypes.ECID, "202656731589804197227350897530366335730", "", idtypes.ErrSyntax},
	{idtypes.ECID, "2026567315898041972273508975303663357a", "", idtypes.ErrSyntax},
	{idtypes.ECID, "-2026567315898041972273508975303663357", "", idtypes.ErrSyntax},
	{idtypes.ECID, "+2026567315898041972273508975303663357", "", idtypes.ErrSyntax},
	{idtypes.ECID, "20265673158980419722 735089753036633573", "", idtypes.ErrSyntax},
	{idtypes.ECID, "２0265673158980419722735089753036633573", "", idtypes.ErrSyntax},
	{idtypes.ECID, "MCMID|20265673158980419722735089753036633573", "", idtypes.ErrSyntax},
	{idtypes.AAMUUID, "07955261652886032950143702505894272138", "07955261652886032950143702505894272138", nil},
	{idtypes.AAMUUID, "99552616528860329501437025058942721380", "", idtypes.ErrRange},
	{idtypes.AAMUUID, "0795526165288603295014370250589427213", "", idtypes.ErrSyntax},
	// IDFA upper, GAID lower; the all-zero UUID is blocked.
	{idtypes.IDFA, "b56e68ec-34ed-46d5-af0c-1d2401f676c9", "B56E68EC-34ED-46D5-AF0C-1D2401F676C9", nil},
	{idtypes.IDFA, "B56E68EC-34ED-46D5-AF0C-1D2401F676C9", "B56E68EC-34ED-46D5-AF0C-1D2401F676C9", nil},
	{idtypes.IDFA, "ffffffff-ffff-ffff-ffff-ffffffffffff", "FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF", nil},
	{idtypes.GAID, "38400000-8CF0-11BD-B23E-10B96E40000D", "38400000-8cf0-11bd-b23e-10b96e40000d", nil},
	{idtypes.GAID, "00000000-0000-0000-0000-000000000001", "00000000-0000-0000-0000-000000000001", nil},
	{idtypes.GAID, "10000000-0000-0000-0000-000000000000", "10000000-0000-0000-0000-000000000000", nil},
	{idtypes.IDFA, "00000000-0000-0000-0000-000000000000", "", idtypes.ErrBlocked},
	{idtypes.GAID, "00000000-0000-0000-0000-000000000000", "", idtypes.ErrBlocked},
	{idtypes.GAID, "384000008cf011bdb23e10b96e40000d", "", idtypes.ErrSyntax},
	{idtypes.GAID, "{38400000-8cf0-11bd-b23e-10b96e40000d}", "", idtypes.ErrSyntax},
	{idtypes.GAID, "38400000-8cf0-11bd-b23e-10b96e40000g", "", idtypes.ErrSyntax},
	{idtypes.GAID, "384000008-cf0-11bd-b23e-10b96e40000d", "", idtypes.ErrSyntax},
	{idtypes.GAID, "38400000-8cf0-11bd-b23e-10b96e40000", "", idtypes.ErrSyntax},
	{idtypes.GAID, "38400000-8cf0-11bd-b23e-10b96e40000d0", "", idtypes.ErrSyntax},
	{idtypes.IDFA, "user_null", "", idtypes.ErrSyntax},
	// CRMID: UTF-8 text without controls, case kept, at most 1024 bytes.
	{idtypes.CRMID, "2132-3423vn-343fds-3432r", "2132-3423vn-343fds-3432r", nil},
	{idtypes.CRMID, "  AbC:12 x ", "AbC:12 x", nil},
	{idtypes.CRMID, "Zoë", "Zoë", nil},
	{idtypes.CRMID, "\u00a0x\u00a0", "\u00a0x\u00a0", nil}, // only ASCII space is trimmed
	{idtypes.CRMID, strings.Repeat("x", 1024), strings.Repeat("x", 1024), nil},
	{idtypes.CRMID, " " + strings.Repeat("x", 1024) + " ", strings.Repeat("x", 1024), nil},
	{idtypes.CRMID, strings.Repeat("x", 1025), "", idtypes.ErrTooLong},
	{idtypes.CRMID, "a\x00b", "", idtypes.ErrSyntax},
	{idtypes.CRMID, "a\x7fb", "", idtypes.ErrSyntax},
	{idtypes.CRMID, "a\u0085b", "", idtypes.ErrSyntax},
	{idtypes.CRMID, "a\xffb", "", idtypes.ErrSyntax},
	{idtypes.CRMID, "a\xc3", "", idtypes.ErrSyntax},
	{idtypes.CRMID, "a\tb", "", idtypes.ErrSyntax},
	// Email: lower-cased, one '@', a dotted domain without empty labels or spaces.
	{idtypes.Email, " John.Doe@Example.COM ", "john.doe@example.com", nil},
	{idtypes.Email, "a@b.c", "a@b.c", nil},
	{idtypes.Email, "first+tag@sub.example.co.uk", "first+tag@sub.example.co.uk", nil},
	{idtypes.Email, "ÉLODIE@exemple.fr", "élodie@exemple.fr", nil},
	{idtypes.Email, "john.doe.example.com", "", idtypes.ErrSyntax},
	{idtypes.Email, "john@doe@example.com", "", idtypes.ErrSyntax},
	{idtypes.Email, "@example.com", "", idtypes.ErrSyntax},
	{idtypes.Email, "john@localhost", "", idtypes.ErrSyntax},
	{idtypes.Email, "john@", "", idtypes.ErrSyntax},
	{idtypes.Email, "john@.example.com", "", idtypes.ErrSyntax},
	{idtypes.Email, "john@example.com.", "", idtypes.ErrSyntax},
	{idtypes.Email, "john@example..com", "", idtypes.ErrSyntax},
	{idtypes.Email, "john@exa mple.com", "", idtypes.ErrSyntax},
	{idtypes.Email, "jo hn@example.com", "", idtypes.ErrSyntax},
	{idtypes.Email, "jo\thn@example.com", "", idtypes.ErrSyntax},
	{idtypes.Email, "john@example\u00a0.com", "", idtypes.ErrSyntax},
	{idtypes.Email, "john\x00@example.com", "", idtypes.ErrSyntax},
	{idtypes.Email, "jöhn\xff@example.com", "", idtypes.ErrSyntax},
	{idtypes.Email, email254, email254, nil},
	{idtypes.Email, "x" + email254, "", idtypes.ErrTooLong},
	// Phone: separators removed, then '+' and 8 to 15 digits, the first not 0.
	{idtypes.Phone, "+1 (415) 555-2671", "+14155552671", nil},
	{idtypes.Phone, "+33.1.23.45.67.89", "+33123456789", nil},
	{idtypes.Phone, "+12345678", "+12345678", nil},
	{idtypes.Phone, "+123456789012345", "+123456789012345", nil},
	{idtypes.Phone, "+1234567", "", idtypes.ErrSyntax},
	{idtypes.Phone, "+1234567890123456", "", idtypes.ErrSyntax},
	{idtypes.Phone, "14155552671", "", idtypes.ErrSyntax},
	{idtypes.Phone, "+04155552671", "", idtypes.ErrSyntax},
	{idtypes.Phone, "+1415555267a", "", idtypes.ErrSyntax},
	{idtypes.Phone, "+1415+5552671", "", idtypes.ErrSyntax},
	{idtypes.Phone, "1+4155552671", "", idtypes.ErrSyntax},
	{idtypes.Phone, "+1/415/555/2671", "", idtypes.ErrSyntax},
	{idtypes.Phone, "+1 415\t5552671", "", idtypes.ErrSyntax},
	{idtypes.Phone, "+", "", idtypes.ErrSyntax},
	{idtypes.Phone, "(-)", "", idtypes.ErrSyntax},
	// SHA-256 hashes: 64 hex digits, lower-case out.
	{idtypes.EmailSHA256, "A6EA4CDE5DA5AE7CC68BAAE894D1D6544FCA26254433B0FFF7C2CB4843B4A097", "a6ea4cde5da5ae7cc68baae894d1d6544fca26254433b0fff7c2cb4843b4a097", nil},
	{idtypes.PhoneSHA256, "55e79200c1635b37ad31a378c39feb12f120f116625093a19bc32fff15041149", "55e79200c1635b37ad31a378c39feb12f120f116625093a19bc32fff15041149", nil},
	{idtypes.EmailSHA256, "55e79200c1635b37ad31a378c39feb12f120f116625093a19bc32fff1504114", "", idtypes.ErrSyntax},
	{idtypes.EmailSHA256, "55e79200c1635b37ad31a378c39feb12f120f116625093a19bc32fff150411490", "", idtypes.ErrSyntax},
	{idtypes.PhoneSHA256, "55e79200c1635b37ad31a378c39feb12f120f116625093a19bc32fff1504114g", "", idtypes.ErrSyntax},
	{idtypes.PhoneSHA256, "55e79200c1635b37ad31a378c39feb12f120f116625093a19bc32fff1504114 ", "", idtypes.ErrSyntax},
	// The SHA-256 of the empty string and of placeholders identify nobody.
	{idtypes.EmailSHA256, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "", idtypes.ErrBlocked},
	{idtypes.PhoneSHA256, "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855", "", idtypes.ErrBlocked},
	{idtypes.EmailSHA256, "f660ab912ec121d1b1e928a0bb4bc61b15f5ad44d5efdc4e1c92a25e99b8e44a", "", idtypes.ErrPlaceholder}, // test@test.com
	// Placeholders, in any spelling that normalizes to them.
	{idtypes.Email, " Test@TEST.com ", "", idtypes.ErrPlaceholder},
	{idtypes.Phone, "+1-111-111-1111", "", idtypes.ErrPlaceholder},
	{idtypes.CRMID, "test@test.com", "test@test.com", nil}, // an opaque CRM ID is not an email
	{idtypes.Email, "test@test.co", "test@test.co", nil},
	{idtypes.Phone, "+1-111-111-1112", "+11111111112", nil},
	// Unknown namespaces.
	{0, "x", "", idtypes.ErrNamespace},
	{idtypes.Namespace(99), "x", "", idtypes.ErrNamespace},
	{idtypes.Namespace(60000), "x", "", idtypes.ErrNamespace},
}

// email254 is an address of exactly 254 bytes.
var email254 = strings.Repeat("a", 64) + "@" + strings.Repeat("b", 185) + ".com"

var allStandard = []idtypes.Namespace{
	idtypes.ECID, idtypes.AAMUUID, idtypes.IDFA, idtypes.GAID, idtypes.CRMID,
	idtypes.Email, idtypes.EmailSHA256, idtypes.Phone, idtypes.PhoneSHA256,
}

func TestParse(t *testing.T) {
	if len(email254) != 254 {
		t.Fatalf("len(email254) = %d, want 254", len(email254))
	}
	for _, tc := range parseCases {
		id, err := idtypes.Parse(tc.ns, tc.in)
		if tc.err != nil {
			if !errors.Is(err, tc.err) {
				t.Errorf("Parse(%v, %q) = %v, %v; want error %v", tc.ns, tc.in, id, err, tc.err)
				continue
			}
			var pe *idtypes.ParseError
			if !errors.As(err, &pe) || pe.Namespace != tc.ns || pe.Input != tc.in {
				t.Errorf("Parse(%v, %q) error = %#v, want a *ParseError with the namespace and input", tc.ns, tc.in, err)
			}
			if id != (idtypes.ID{}) {
				t.Errorf("Parse(%v, %q) = %v with an error, want the zero ID", tc.ns, tc.in, id)
			}
			continue
		}
		if err != nil {
			t.Errorf("Parse(%v, %q) error: %v", tc.ns, tc.in, err)
			continue
		}
		if got := id.String(); got != tc.want {
			t.Errorf("Parse(%v, %q).String() = %q, want %q", tc.ns, tc.in, got, tc.want)
		}
		if id.Namespace() != tc.ns || !id.IsValid() {
			t.Errorf("Parse(%v, %q) = namespace %v, valid %v; want %v, true", tc.ns, tc.in, id.Namespace(), id.IsValid(), tc.ns)
		}
	}
}

func TestBlocked(t *testing.T) {
	custom, err := idtypes.DeclareNamespace("test-blocked")
	if err != nil {
		t.Fatal(err)
	}
	blocked := []string{"", " ", "\t\r\n", "null", "NULL", " Null ", "anonymous", "ANONYMOUS", "invalid", "Invalid", "undefined", "UNDEFINED"}
	for _, ns := range append(allStandard, custom) {
		for _, in := range blocked {
			if id, err := idtypes.Parse(ns, in); !errors.Is(err, idtypes.ErrBlocked) {
				t.Errorf("Parse(%v, %q) = %v, %v; want ErrBlocked", ns, in, id, err)
			}
		}
	}
	for _, in := range blocked {
		if id, err := idtypes.ParseECID(in); !errors.Is(err, idtypes.ErrBlocked) {
			t.Errorf("ParseECID(%q) = %v, %v; want ErrBlocked", in, id, err)
		}
		if id, err := idtypes.HashEmail(in); !errors.Is(err, idtypes.ErrBlocked) {
			t.Errorf("HashEmail(%q) = %v, %v; want ErrBlocked", in, id, err)
		}
		if id, err := idtypes.HashPhone(in); !errors.Is(err, idtypes.ErrBlocked) {
			t.Errorf("HashPhone(%q) = %v, %v; want ErrBlocked", in, id, err)
		}
	}
	// Only the whole value is blocked.
	for _, in := range []string{"nullx", "null1", "anonymous1", "notnull", "undefined!"} {
		if _, err := idtypes.Parse(idtypes.CRMID, in); err != nil {
			t.Errorf("Parse(CRMID, %q) error: %v", in, err)
		}
	}
}

func TestParseECID(t *testing.T) {
	for _, tc := range parseCases {
		if tc.ns != idtypes.ECID {
			continue
		}
		got, err := idtypes.ParseECID(tc.in)
		want, wantErr := idtypes.Parse(idtypes.ECID, tc.in)
		if got != want || (err == nil) != (wantErr == nil) || err != nil && err.Error() != wantErr.Error() {
			t.Errorf("ParseECID(%q) = %v, %v; want %v, %v as Parse(ECID) gives", tc.in, got, err, want, wantErr)
		}
	}
}

func TestHashEmailPhone(t *testing.T) {
	// Vectors from the Experience Cloud ID service and Audience Manager
	// documentation, also checked with
	//	printf %s ecid@adobe.com | sha256sum
	//	printf %s johndoe@example.com | sha256sum
	//	printf %s +14155552671 | sha256sum
	tests := []struct {
		hash func(string) (idtypes.ID, error)
		ns   idtypes.Namespace
		in   string
		want string
	}{
		{idtypes.HashEmail, idtypes.EmailSHA256, " ecid@adobe.com ", "a6ea4cde5da5ae7cc68baae894d1d6544fca26254433b0fff7c2cb4843b4a097"},
		{idtypes.HashEmail, idtypes.EmailSHA256, "johndoe@example.com", "55e79200c1635b37ad31a378c39feb12f120f116625093a19bc32fff15041149"},
		{idtypes.HashEmail, idtypes.EmailSHA256, "JohnDoe@Example.com", "55e79200c1635b37ad31a378c39feb12f120f116625093a19bc32fff15041149"},
		{idtypes.HashPhone, idtypes.PhoneSHA256, "+1 (415) 555-2671", "cb6880e416769253645cb9c6b8989154bf66a56a77fc14c81fb1019663cbb928"},
		{idtypes.HashPhone, idtypes.PhoneSHA256, "+14155552671", "cb6880e416769253645cb9c6b8989154bf66a56a77fc14c81fb1019663cbb928"},
	}
	for _, tc := range tests {
		id, err := tc.hash(tc.in)
		if err != nil {
			t.Errorf("hash of %q error: %v", tc.in, err)
			continue
		}
		if id.Namespace() != tc.ns || id.String() != tc.want {
			t.Errorf("hash of %q = %v:%v, want %v:%v", tc.in, id.Namespace(), id, tc.ns, tc.want)
		}
		if want := idtypes.MustParse(tc.ns, tc.want); id != want {
			t.Errorf("hash of %q = %#v, want %#v (the parsed digest)", tc.in, id, want)
		}
	}

	var pe *idtypes.ParseError
	if _, err := idtypes.HashEmail("not an email"); !errors.As(err, &pe) || pe.Namespace != idtypes.Email || !errors.Is(err, idtypes.ErrSyntax) {
		t.Errorf("HashEmail(invalid) error = %v, want a ParseError for Email wrapping ErrSyntax", err)
	}
	if _, err := idtypes.HashPhone("4155552671"); !errors.As(err, &pe) || pe.Namespace != idtypes.Phone || !errors.Is(err, idtypes.ErrSyntax) {
		t.Errorf("HashPhone(invalid) error = %v, want a ParseError for Phone wrapping ErrSyntax", err)
	}
}

func TestParseErrorMessage(t *testing.T) {
	long := strings.Repeat("9", 100)
	tests := []struct {
		err  error
		want string
	}{
		{second(idtypes.Parse(idtypes.ECID, "123")), `idtypes: parse ECID "123": invalid syntax`},
		{second(idtypes.ParseNamespace("Nope")), `idtypes: parse namespace "Nope": invalid namespace`},
		{second(idtypes.Parse(idtypes.AAMUUID, long)), `idtypes: parse CORE "` + long[:64] + `…" (100 bytes, shortened): invalid syntax`},
		{second(idtypes.Parse(idtypes.EmailSHA256, hex65)), `idtypes: parse Email_LC_SHA256 "` + hex65[:64] + `…" (65 bytes, shortened): invalid syntax`},
		{second(idtypes.Parse(idtypes.ECID, long[:64])), `idtypes: parse ECID "` + long[:64] + `": invalid syntax`},
		// A cut never splits a character: "é" is 2 bytes at 63 and 64, "😀" 4 bytes at 62 to 65.
		{second(idtypes.Parse(idtypes.ECID, long[:63]+"é")), `idtypes: parse ECID "` + long[:63] + `…" (65 bytes, shortened): invalid syntax`},
		{second(idtypes.Parse(idtypes.ECID, long[:62]+"😀")), `idtypes: parse ECID "` + long[:62] + `…" (66 bytes, shortened): invalid syntax`},
		{second(idtypes.Parse(idtypes.ECID, long[:64]+"é")), `idtypes: parse ECID "` + long[:64] + `…" (66 bytes, shortened): invalid syntax`},
		{second(idtypes.Parse(idtypes.CRMID, "a\x00")), `idtypes: parse CRMID "a\x00": invalid syntax`},
		{second(idtypes.ParseText("no colon")), `idtypes: parse ID "no colon": invalid syntax`},
	}
	for _, tc := range tests {
		if tc.err == nil || tc.err.Error() != tc.want {
			t.Errorf("error = %v, want %s", tc.err, tc.want)
		}
	}
	var pe *idtypes.ParseError
	if err := second(idtypes.Parse(idtypes.AAMUUID, long)); !errors.As(err, &pe) || pe.Input != long {
		t.Errorf("ParseError.Input = %q, want the whole input", pe.Input)
	}
}

func second[T any](_ T, err error) error { return err }

// hex65 is a 64-digit hash with one digit too many; cut at 64 bytes it
// would look valid.
var hex65 = "a6ea4cde5da5ae7cc68baae894d1d6544fca26254433b0fff7c2cb4843b4a0971"

// TestECIDEveryByte puts every byte value at every position of an ECID:
// only digits may parse, and each digit must land in its place.
func TestECIDEveryByte(t *testing.T) {
	const base = "12345678901234567891234567890123456789"
	for pos := range len(base) {
		for c := range 256 {
			in := []byte(base)
			in[pos] = byte(c)
			id, err := idtypes.ParseECID(string(in))
			isDigit := '0' <= c && c <= '9'
			switch {
			case !isDigit && (pos == 0 || pos == len(base)-1) && (c == ' ' || c >= '\t' && c <= '\r'):
				// Trimmed away, leaving 37 digits.
				if !errors.Is(err, idtypes.ErrSyntax) {
					t.Errorf("ParseECID(%q) = %v, %v; want ErrSyntax", in, id, err)
				}
			case !isDigit:
				if !errors.Is(err, idtypes.ErrSyntax) {
					t.Errorf("ParseECID(%q) = %v, %v; want ErrSyntax", in, id, err)
				}
			case (pos == 0 || pos == 19) && c > '8':
				if !errors.Is(err, idtypes.ErrRange) {
					t.Errorf("ParseECID(%q) = %v, %v; want ErrRange", in, id, err)
				}
			default:
				if err != nil || id.String() != string(in) {
					t.Errorf("ParseECID(%q) = %v, %v; want it back", in, id, err)
				}
			}
		}
	}
}
