package idtypes_test

import (
	"bytes"
	"cmp"
	"encoding"
	"encoding/json"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/idbits/idbits/idtypes"
)

var (
	_ encoding.TextMarshaler     = idtypes.ID{}
	_ encoding.TextAppender      = idtypes.ID{}
	_ encoding.TextUnmarshaler   = (*idtypes.ID)(nil)
	_ encoding.BinaryMarshaler   = idtypes.ID{}
	_ encoding.BinaryAppender    = idtypes.ID{}
	_ encoding.BinaryUnmarshaler = (*idtypes.ID)(nil)
)

// sampleIDs returns valid IDs of every kind, including a custom namespace.
func sampleIDs(t testing.TB) []idtypes.ID {
	t.Helper()
	var ids []idtypes.ID
	for _, tc := range parseCases {
		if tc.err == nil {
			ids = append(ids, idtypes.MustParse(tc.ns, tc.in))
		}
	}
	custom := mustDeclare(t, "Test-Sample")
	for _, v := range []string{"A-1", "a-1", "Zoë", "x:y:z", strings.Repeat("long", 256)} {
		ids = append(ids, idtypes.MustParse(custom, v))
	}
	return ids
}

func TestRoundTrips(t *testing.T) {
	for _, id := range sampleIDs(t) {
		if got, err := idtypes.Parse(id.Namespace(), id.String()); got != id || err != nil {
			t.Errorf("Parse(%v, %q) = %#v, %v; want %#v", id.Namespace(), id.String(), got, err, id)
		}
		if got, err := idtypes.ParseText(id.Text()); got != id || err != nil {
			t.Errorf("ParseText(%q) = %#v, %v; want %#v", id.Text(), got, err, id)
		}
		if got := id.Text(); got != id.Namespace().String()+":"+id.String() {
			t.Errorf("Text() = %q, want %q", got, id.Namespace().String()+":"+id.String())
		}
		if got := string(id.AppendValue([]byte("x"))); got != "x"+id.String() {
			t.Errorf("AppendValue = %q, want %q", got, "x"+id.String())
		}
		if b, err := id.AppendText([]byte("x")); err != nil || string(b) != "x"+id.Text() {
			t.Errorf("AppendText = %q, %v; want %q", b, err, "x"+id.Text())
		}

		text, err := id.MarshalText()
		var back idtypes.ID
		if err != nil || string(text) != id.Text() || back.UnmarshalText(text) != nil || back != id {
			t.Errorf("%v: MarshalText = %q, %v; UnmarshalText gives %#v", id.Text(), text, err, back)
		}

		key, err := id.MarshalBinary()
		back = idtypes.ID{}
		if err != nil || back.UnmarshalBinary(key) != nil || back != id {
			t.Errorf("%v: MarshalBinary = %x, %v; UnmarshalBinary gives %#v", id.Text(), key, err, back)
		}
		if appended, _ := id.AppendBinary([]byte{0xAA}); !bytes.Equal(appended, append([]byte{0xAA}, key...)) {
			t.Errorf("%v: AppendBinary = %x, want aa%x", id.Text(), appended, key)
		}

		wantLen := map[idtypes.Namespace]int{
			idtypes.ECID: 17, idtypes.AAMUUID: 17, idtypes.IDFA: 17, idtypes.GAID: 17,
			idtypes.EmailSHA256: 33, idtypes.PhoneSHA256: 33,
			idtypes.CRMID: 1 + len(id.String()), idtypes.Email: 1 + len(id.String()), idtypes.Phone: 1 + len(id.String()),
		}[id.Namespace()]
		if wantLen == 0 { // custom: tag, code length, code, value
			wantLen = 2 + len(id.Namespace().String()) + len(id.String())
		}
		if len(key) != wantLen {
			t.Errorf("%v: key of %d bytes, want %d", id.Text(), len(key), wantLen)
		}
	}
}

func TestZeroID(t *testing.T) {
	var id idtypes.ID
	if id.IsValid() || id.Namespace() != 0 || id.String() != "" || id.Text() != "" {
		t.Errorf("zero ID: IsValid %v, Namespace %v, String %q, Text %q", id.IsValid(), id.Namespace(), id.String(), id.Text())
	}
	if b, err := id.MarshalText(); err != nil || len(b) != 0 {
		t.Errorf("zero MarshalText() = %q, %v; want empty", b, err)
	}
	if b, err := id.MarshalBinary(); err != nil || len(b) != 0 {
		t.Errorf("zero MarshalBinary() = %x, %v; want empty", b, err)
	}
	back := idtypes.MustParse(idtypes.CRMID, "x")
	if err := back.UnmarshalText(nil); err != nil || back != id {
		t.Errorf("UnmarshalText(empty) = %#v, %v; want the zero ID", back, err)
	}
	back = idtypes.MustParse(idtypes.CRMID, "x")
	if err := back.UnmarshalBinary(nil); err != nil || back != id {
		t.Errorf("UnmarshalBinary(empty) = %#v, %v; want the zero ID", back, err)
	}
	if hi, lo := id.Halves(); hi != 0 || lo != 0 {
		t.Errorf("zero Halves() = %d, %d", hi, lo)
	}
	if id.Compare(idtypes.ID{}) != 0 || id.Compare(idtypes.MustParse(idtypes.ECID, "00000000000000000000000000000000000000")) != -1 {
		t.Error("the zero ID must equal itself and sort before every valid ID")
	}
	if zero := idtypes.MustParse(idtypes.ECID, "00000000000000000000000000000000000000"); zero == id || !zero.IsValid() {
		t.Error("the all-zero ECID must be valid and differ from the zero ID")
	}
}

func TestJSON(t *testing.T) {
	type record struct {
		ID    idtypes.ID        `json:"id"`
		Other idtypes.ID        `json:"other"`
		NS    idtypes.Namespace `json:"ns"`
	}
	in := record{ID: idtypes.MustParse(idtypes.GAID, "38400000-8cf0-11bd-b23e-10b96e40000d"), NS: idtypes.EmailSHA256}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"id":"GAID:38400000-8cf0-11bd-b23e-10b96e40000d","other":"","ns":"Email_LC_SHA256"}`
	if string(b) != want {
		t.Errorf("json.Marshal = %s, want %s", b, want)
	}
	var out record
	if err := json.Unmarshal(b, &out); err != nil || out != in {
		t.Errorf("json.Unmarshal = %+v, %v; want %+v", out, err, in)
	}
	err = json.Unmarshal([]byte(`{"id":"ECID:123"}`), &out)
	if !errors.Is(err, idtypes.ErrSyntax) {
		t.Errorf("json.Unmarshal(bad ECID) error = %v, want ErrSyntax", err)
	}
	err = json.Unmarshal([]byte(`{"id":"Nope:123"}`), &out)
	if !errors.Is(err, idtypes.ErrNamespace) {
		t.Errorf("json.Unmarshal(unknown namespace) error = %v, want ErrNamespace", err)
	}
}

func TestParseText(t *testing.T) {
	tests := []struct {
		in, want string
		err      error
	}{
		{"ECID:20265673158980419722735089753036633573", "ECID:20265673158980419722735089753036633573", nil},
		{"ecid: 20265673158980419722735089753036633573 ", "ECID:20265673158980419722735089753036633573", nil},
		{" core :07955261652886032950143702505894272138", "CORE:07955261652886032950143702505894272138", nil},
		{"email_lc_sha256:A6EA4CDE5DA5AE7CC68BAAE894D1D6544FCA26254433B0FFF7C2CB4843B4A097", "Email_LC_SHA256:a6ea4cde5da5ae7cc68baae894d1d6544fca26254433b0fff7c2cb4843b4a097", nil},
		{"CRMID:a:b", "CRMID:a:b", nil}, // split at the first colon
		{"PHONE_E.164:+1 415 555 2671", "Phone_E.164:+14155552671", nil},
		{"20265673158980419722735089753036633573", "", idtypes.ErrSyntax},
		{"", "", idtypes.ErrSyntax},
		{":x", "", idtypes.ErrNamespace},
		{"MCMID:20265673158980419722735089753036633573", "", idtypes.ErrNamespace},
		{"ECID:", "", idtypes.ErrBlocked},
		{"Email:null", "", idtypes.ErrBlocked},
		{"ECID:1", "", idtypes.ErrSyntax},
	}
	for _, tc := range tests {
		id, err := idtypes.ParseText(tc.in)
		if tc.err != nil {
			if !errors.Is(err, tc.err) {
				t.Errorf("ParseText(%q) = %v, %v; want %v", tc.in, id.Text(), err, tc.err)
			}
			continue
		}
		if err != nil || id.Text() != tc.want {
			t.Errorf("ParseText(%q) = %q, %v; want %q", tc.in, id.Text(), err, tc.want)
		}
	}
}

func TestFromHalves(t *testing.T) {
	const max = math.MaxInt64
	tests := []struct {
		ns     idtypes.Namespace
		hi, lo uint64
		want   string
		err    error
	}{
		{idtypes.ECID, 2026567315898041972, 2735089753036633573, "20265673158980419722735089753036633573", nil},
		{idtypes.AAMUUID, 795526165288603295, 143702505894272138, "07955261652886032950143702505894272138", nil},
		{idtypes.ECID, max, max, "92233720368547758079223372036854775807", nil},
		{idtypes.ECID, 0, 0, "00000000000000000000000000000000000000", nil},
		{idtypes.ECID, max + 1, 0, "", idtypes.ErrRange},
		{idtypes.ECID, 0, max + 1, "", idtypes.ErrRange},
		{idtypes.AAMUUID, math.MaxUint64, 1, "", idtypes.ErrRange},
		{idtypes.IDFA, 0xB56E68EC34ED46D5, 0xAF0C1D2401F676C9, "B56E68EC-34ED-46D5-AF0C-1D2401F676C9", nil},
		{idtypes.GAID, 0, 1, "00000000-0000-0000-0000-000000000001", nil},
		{idtypes.GAID, 0, 0, "", idtypes.ErrBlocked},
		{idtypes.CRMID, 1, 1, "", idtypes.ErrNamespace},
		{0, 1, 1, "", idtypes.ErrNamespace},
	}
	for _, tc := range tests {
		id, err := idtypes.FromHalves(tc.ns, tc.hi, tc.lo)
		if tc.err != nil {
			if !errors.Is(err, tc.err) {
				t.Errorf("FromHalves(%v, %d, %d) = %v, %v; want %v", tc.ns, tc.hi, tc.lo, id, err, tc.err)
			}
			continue
		}
		if err != nil || id.String() != tc.want || id != idtypes.MustParse(tc.ns, tc.want) {
			t.Errorf("FromHalves(%v, %d, %d) = %v, %v; want %v", tc.ns, tc.hi, tc.lo, id, err, tc.want)
		}
		if hi, lo := id.Halves(); hi != tc.hi || lo != tc.lo {
			t.Errorf("%v.Halves() = %d, %d; want %d, %d", id, hi, lo, tc.hi, tc.lo)
		}
	}
}

func TestCompare(t *testing.T) {
	ids := sampleIDs(t)
	ids = append(ids, idtypes.ID{})
	for _, a := range ids {
		for _, b := range ids {
			got := a.Compare(b)
			if want := -b.Compare(a); got != want {
				t.Errorf("Compare(%v, %v) = %d, but the reverse is %d", a.Text(), b.Text(), got, -want)
			}
			if (got == 0) != (a == b) {
				t.Errorf("Compare(%v, %v) = %d, but == is %v", a.Text(), b.Text(), got, a == b)
			}
			if a.Namespace() != b.Namespace() {
				if want := a.Namespace().Compare(b.Namespace()); got != want {
					t.Errorf("Compare(%v, %v) = %d, want the namespace order %d", a.Text(), b.Text(), got, want)
				}
				continue
			}
			if want := strings.Compare(a.String(), b.String()); got != want {
				t.Errorf("Compare(%v, %v) = %d, want %d as their String", a.Text(), b.Text(), got, want)
			}
		}
	}
	sorted := slices.Clone(ids)
	slices.SortFunc(sorted, idtypes.ID.Compare)
	if sorted[0] != (idtypes.ID{}) {
		t.Errorf("sorted[0] = %v, want the zero ID", sorted[0])
	}
}

// TestCompareMatchesString checks the integer orderings against String on
// values that differ in one digit position, where a wrong order would show.
func TestCompareMatchesString(t *testing.T) {
	type gen struct {
		ns    idtypes.Namespace
		width int
		alpha string
		tmpl  func(string) string
	}
	gens := []gen{
		{idtypes.ECID, 38, "0123456789", func(s string) string { return s }},
		{idtypes.AAMUUID, 38, "0123456789", func(s string) string { return s }},
		{idtypes.IDFA, 32, "0123456789ABCDEF", uuidOf},
		{idtypes.GAID, 32, "0123456789abcdef", uuidOf},
		{idtypes.EmailSHA256, 64, "0123456789abcdef", func(s string) string { return s }},
	}
	for _, g := range gens {
		var ids []idtypes.ID
		for pos := 0; pos < g.width; pos += 3 {
			for _, c := range []byte{g.alpha[0], g.alpha[1], g.alpha[len(g.alpha)/2], g.alpha[len(g.alpha)-1]} {
				digits := []byte(strings.Repeat(g.alpha[1:2], g.width))
				digits[pos] = c
				if g.width == 38 && pos%19 == 0 && c > '8' {
					continue // stay within 2^63-1
				}
				ids = append(ids, idtypes.MustParse(g.ns, g.tmpl(string(digits))))
			}
		}
		for _, a := range ids {
			for _, b := range ids {
				if got, want := a.Compare(b), strings.Compare(a.String(), b.String()); got != want {
					t.Errorf("Compare(%v, %v) = %d, want %d", a.Text(), b.Text(), got, want)
				}
			}
		}
	}
}

func uuidOf(h string) string {
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

func TestBinaryKeys(t *testing.T) {
	ids := sampleIDs(t)
	// Equal IDs <=> equal keys.
	keys := make(map[string]idtypes.ID)
	for _, id := range ids {
		key, _ := id.MarshalBinary()
		if other, ok := keys[string(key)]; ok && other != id {
			t.Errorf("%v and %v share the key %x", id.Text(), other.Text(), key)
		}
		keys[string(key)] = id
	}
	if len(keys) != countDistinct(ids) {
		t.Errorf("%d distinct keys for %d distinct IDs", len(keys), countDistinct(ids))
	}

	// Known layouts.
	ecid := idtypes.MustParse(idtypes.ECID, "00000000000000000010000000000000000002")
	want := []byte{1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2}
	if got, _ := ecid.MarshalBinary(); !bytes.Equal(got, want) {
		t.Errorf("ECID key = %x, want %x", got, want)
	}
	crm := idtypes.MustParse(idtypes.CRMID, "Ab")
	if got, _ := crm.MarshalBinary(); !bytes.Equal(got, []byte{5, 'A', 'b'}) {
		t.Errorf("CRMID key = %x, want 054162", got)
	}
	custom := idtypes.MustParse(mustDeclare(t, "Test-Key"), "v")
	if got, _ := custom.MarshalBinary(); !bytes.Equal(got, []byte("\xff\x08test-keyv")) {
		t.Errorf("custom key = %q, want the lower-case code in it", got)
	}
}

func countDistinct(ids []idtypes.ID) int {
	m := make(map[idtypes.ID]bool)
	for _, id := range ids {
		m[id] = true
	}
	return len(m)
}

func TestUnmarshalBinaryInvalid(t *testing.T) {
	valid := func(id idtypes.ID) []byte { b, _ := id.MarshalBinary(); return b }
	ecid := valid(idtypes.MustParse(idtypes.ECID, "20265673158980419722735089753036633573"))
	hash := valid(idtypes.MustParse(idtypes.EmailSHA256, strings.Repeat("ab", 32)))
	tests := []struct {
		name string
		key  []byte
		err  error
	}{
		{"tag 0", []byte{0, 1}, idtypes.ErrSyntax},
		{"tag 10", []byte{10, 1}, idtypes.ErrSyntax},
		{"short ECID", ecid[:16], idtypes.ErrSyntax},
		{"long ECID", append(slices.Clone(ecid), 0), idtypes.ErrSyntax},
		{"ECID high half 2^63", append([]byte{1, 0x80, 0, 0, 0, 0, 0, 0, 0}, make([]byte, 8)...), idtypes.ErrRange},
		{"ECID low half 2^63", append(append([]byte{2}, make([]byte, 8)...), 0x80, 0, 0, 0, 0, 0, 0, 0), idtypes.ErrRange},
		{"zero IDFA", append([]byte{3}, make([]byte, 16)...), idtypes.ErrBlocked},
		{"short hash", hash[:32], idtypes.ErrSyntax},
		{"empty CRMID", []byte{5}, idtypes.ErrBlocked},
		{"CRMID with space", []byte{5, ' ', 'a'}, idtypes.ErrSyntax},
		{"CRMID control", []byte{5, 'a', 0}, idtypes.ErrSyntax},
		{"CRMID blocked", []byte("\x05null"), idtypes.ErrBlocked},
		{"upper-case email", []byte("\x06A@b.co"), idtypes.ErrSyntax},
		{"email", []byte("\x06ab.co"), idtypes.ErrSyntax},
		{"phone with dashes", []byte("\x08+1-415-555-2671"), idtypes.ErrSyntax},
		{"custom no length", []byte{0xff}, idtypes.ErrSyntax},
		{"custom short code", []byte{0xff, 5, 'a'}, idtypes.ErrSyntax},
		{"custom empty code", []byte{0xff, 0, 'a'}, idtypes.ErrSyntax},
		{"custom upper code", []byte("\xff\x01Av"), idtypes.ErrSyntax},
		{"custom bad code", []byte("\xff\x03a:bv"), idtypes.ErrSyntax},
		{"custom standard code", []byte("\xff\x04ecidv"), idtypes.ErrSyntax},
		{"custom empty value", []byte("\xff\x01a"), idtypes.ErrBlocked},
		// Regression (found by FuzzUnmarshalBinary): a code length of 255
		// wrapped to 0 in byte arithmetic and sliced out of range.
		{"custom code length 255", append([]byte{0xff, 0xff}, bytes.Repeat([]byte{'0'}, 255)...), idtypes.ErrSyntax},
		{"custom code length 255, short", []byte{0xff, 0xff, '0'}, idtypes.ErrSyntax},
		{"custom long value", append([]byte("\xff\x01a"), bytes.Repeat([]byte{'v'}, 1025)...), idtypes.ErrTooLong},
	}
	for _, tc := range tests {
		id := idtypes.MustParse(idtypes.CRMID, "unchanged")
		err := id.UnmarshalBinary(tc.key)
		if !errors.Is(err, tc.err) {
			t.Errorf("%s: UnmarshalBinary(%q) = %v, %v; want %v", tc.name, tc.key, id.Text(), err, tc.err)
		}
		if code, err := idtypes.KeyCode(tc.key); !errors.Is(err, tc.err) {
			t.Errorf("%s: KeyCode(%q) = %q, %v; want %v", tc.name, tc.key, code, err, tc.err)
		}
		if id != idtypes.MustParse(idtypes.CRMID, "unchanged") {
			t.Errorf("%s: UnmarshalBinary changed the ID on error to %v", tc.name, id.Text())
		}
	}
}

// TestUnmarshalBinaryUndeclared checks that decoding a key never declares
// its namespace: the key of a custom namespace this process has not
// declared fails with ErrNamespace and leaves the registry as it was, while
// KeyCode accepts it and names the code.
func TestUnmarshalBinaryUndeclared(t *testing.T) {
	const code = "test-portable-key"
	if _, err := idtypes.ParseNamespace(code); err == nil {
		t.Fatalf("%s is already declared", code)
	}
	key := append([]byte{0xff, byte(len(code))}, code+"member-7"...)
	before := slices.Collect(idtypes.CustomNamespaces())
	unchanged := idtypes.MustParse(idtypes.CRMID, "unchanged")
	id := unchanged
	err := id.UnmarshalBinary(key)
	var pe *idtypes.ParseError
	if !errors.Is(err, idtypes.ErrNamespace) || !errors.As(err, &pe) || pe.Input != string(key) {
		t.Errorf("UnmarshalBinary(%q) = %v; want a *ParseError of the key wrapping ErrNamespace", key, err)
	}
	if id != unchanged {
		t.Errorf("UnmarshalBinary changed the ID on error to %v", id.Text())
	}
	if after := slices.Collect(idtypes.CustomNamespaces()); !slices.Equal(after, before) {
		t.Errorf("UnmarshalBinary declared a namespace: %v, was %v", after, before)
	}
	if _, err := idtypes.ParseNamespace(code); !errors.Is(err, idtypes.ErrNamespace) {
		t.Errorf("UnmarshalBinary declared %s", code)
	}

	if got, err := idtypes.KeyCode(key); got != code || err != nil {
		t.Errorf("KeyCode(%q) = %q, %v; want %q", key, got, err, code)
	}
	if after := slices.Collect(idtypes.CustomNamespaces()); !slices.Equal(after, before) {
		t.Errorf("KeyCode declared a namespace: %v, was %v", after, before)
	}

	// Once the program declares the namespace, the same key decodes.
	ns := mustDeclare(t, "Test-Portable-Key")
	if err := id.UnmarshalBinary(key); err != nil || id != idtypes.MustParse(ns, "member-7") {
		t.Errorf("UnmarshalBinary(%q) once declared = %v, %v; want %s:member-7", key, id.Text(), err, ns)
	}
}

func TestKeyCode(t *testing.T) {
	for _, id := range sampleIDs(t) {
		key, _ := id.MarshalBinary()
		want := strings.ToLower(id.Namespace().String())
		if got, err := idtypes.KeyCode(key); got != want || err != nil {
			t.Errorf("KeyCode(%x) = %q, %v; want %q", key, got, err, want)
		}
	}
	if got, err := idtypes.KeyCode(nil); got != "" || err != nil {
		t.Errorf("KeyCode(empty) = %q, %v; want \"\"", got, err)
	}
}

func TestCompareKeys(t *testing.T) {
	ids := append(sampleIDs(t), idtypes.ID{}, idtypes.MustParse(mustDeclare(t, "Test-Cmp-Keys"), "A-1"))
	for _, x := range ids {
		kx, _ := x.MarshalBinary()
		for _, y := range ids {
			ky, _ := y.MarshalBinary()
			if got, want := idtypes.CompareKeys(kx, ky), x.Compare(y); got != want {
				t.Errorf("CompareKeys(%x, %x) = %d, want %d as ID.Compare(%v, %v)", kx, ky, got, want, x.Text(), y.Text())
			}
		}
	}
	// Keys of undeclared custom namespaces compare without being declared:
	// after every standard key, by code, then by value.
	before := slices.Collect(idtypes.CustomNamespaces())
	ecid, _ := idtypes.MustParse(idtypes.ECID, "20265673158980419722735089753036633573").MarshalBinary()
	keys := [][]byte{nil, ecid, []byte("\xff\x0ctest-cmp-aaax"), []byte("\xff\x0ctest-cmp-aaay"), []byte("\xff\x0dtest-cmp-aaaa0")}
	for i := range keys {
		for j := range keys {
			if got, want := idtypes.CompareKeys(keys[i], keys[j]), cmp.Compare(i, j); got != want {
				t.Errorf("CompareKeys(%q, %q) = %d, want %d", keys[i], keys[j], got, want)
			}
		}
	}
	if after := slices.Collect(idtypes.CustomNamespaces()); !slices.Equal(after, before) {
		t.Errorf("CompareKeys declared a namespace: %v, was %v", after, before)
	}
}

func TestAllocs(t *testing.T) {
	if testing.Short() {
		t.Skip("allocation counts are checked in full runs")
	}
	const in = "20265673158980419722735089753036633573"
	text := "ECID:" + in
	buf := make([]byte, 0, 64)
	ecid := idtypes.MustParse(idtypes.ECID, in)
	gaid := idtypes.MustParse(idtypes.GAID, "38400000-8cf0-11bd-b23e-10b96e40000d")
	long := idtypes.MustParse(mustDeclare(t, "test-allocs"), strings.Repeat("y", 1000))
	ecidKey, _ := ecid.MarshalBinary()
	customKey, _ := long.MarshalBinary()
	var sink idtypes.ID
	tests := []struct {
		name string
		f    func()
		want float64
	}{
		{"ParseECID", func() { sink, _ = idtypes.ParseECID(in) }, 0},
		{"Parse(ECID)", func() { sink, _ = idtypes.Parse(idtypes.ECID, in) }, 0},
		{"Parse(GAID)", func() { sink, _ = idtypes.Parse(idtypes.GAID, "38400000-8cf0-11bd-b23e-10b96e40000d") }, 0},
		{"ParseText(ECID)", func() { sink, _ = idtypes.ParseText(text) }, 0},
		{"ParseNamespace", func() { _, _ = idtypes.ParseNamespace("test-ALLOCS") }, 0},
		{"AppendValue(ECID)", func() { buf = ecid.AppendValue(buf[:0]) }, 0},
		{"AppendText(ECID)", func() { buf, _ = ecid.AppendText(buf[:0]) }, 0},
		{"AppendBinary(ECID)", func() { buf, _ = ecid.AppendBinary(buf[:0]) }, 0},
		{"AppendValue(GAID)", func() { buf = gaid.AppendValue(buf[:0]) }, 0},
		{"String(ECID)", func() { _ = ecid.String() }, 1},
		{"Text(ECID)", func() { _ = ecid.Text() }, 1},
		{"Compare", func() { _ = ecid.Compare(gaid) }, 0},
		{"CompareKeys", func() { _ = idtypes.CompareKeys(ecidKey, customKey) }, 0},
		{"KeyCode(ECID)", func() { _, _ = idtypes.KeyCode(ecidKey) }, 0},
		{"UnmarshalBinary(ECID)", func() { _ = sink.UnmarshalBinary(ecidKey) }, 0},
		{"Parse(CRMID)", func() { sink, _ = idtypes.Parse(idtypes.CRMID, "AbC-123") }, 1},
		{"Parse(Email)", func() { sink, _ = idtypes.Parse(idtypes.Email, "John.Doe@Example.com") }, 1},
		{"Parse(Phone)", func() { sink, _ = idtypes.Parse(idtypes.Phone, "+1 (415) 555-2671") }, 1},
		{"HashEmail", func() { sink, _ = idtypes.HashEmail("John.Doe@Example.com") }, 1},
		{"HashPhone", func() { sink, _ = idtypes.HashPhone("+1 (415) 555-2671") }, 1},
		{"Parse(EmailSHA256)", func() {
			sink, _ = idtypes.Parse(idtypes.EmailSHA256, "a6ea4cde5da5ae7cc68baae894d1d6544fca26254433b0fff7c2cb4843b4a097")
		}, 1},
	}
	for _, tc := range tests {
		if got := testing.AllocsPerRun(100, tc.f); got != tc.want {
			t.Errorf("%s: %v allocations per run, want %v", tc.name, got, tc.want)
		}
	}
	_ = sink
}
