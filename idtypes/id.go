package idtypes

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"math"
	"strconv"
	"strings"
)

// ID is one identifier: a namespace and a value in canonical form.
// IDs are small, immutable values: == compares them, they can be map keys,
// and the zero ID means "no identifier" (IsValid is false).
//
// ECIDs, AAM UUIDs, IDFAs and GAIDs are held as two integers: parsing them,
// and printing them with AppendValue or AppendText, does not allocate.
// SHA-256 hashes are held as 32 raw bytes, other declared values as
// normalized strings.
type ID struct {
	ns     Namespace
	hi, lo uint64 // ECID/AAMUUID halves; UUID bits, big-endian
	s      string // SHA-256 as 32 raw bytes; other declared values, normalized
}

// kind is how an ID holds its value.
type kind uint8

const (
	kindNone   kind = iota
	kindHalves      // ECID, AAMUUID: two 19-digit halves in hi, lo
	kindUUID        // IDFA, GAID: 128 bits in hi, lo
	kindHash        // EmailSHA256, PhoneSHA256: 32 raw bytes in s
	kindString      // CRMID, Email, Phone, custom: normalized text in s
)

var standardKinds = [numStandard + 1]kind{
	ECID:        kindHalves,
	AAMUUID:     kindHalves,
	IDFA:        kindUUID,
	GAID:        kindUUID,
	CRMID:       kindString,
	Email:       kindString,
	EmailSHA256: kindHash,
	Phone:       kindString,
	PhoneSHA256: kindHash,
}

// kind returns how an ID of namespace ns holds its value. It assumes ns is
// the namespace of an ID, so that a custom ns has been declared.
func (ns Namespace) kind() kind {
	if ns <= numStandard {
		return standardKinds[ns]
	}
	return kindString
}

const (
	halfDigits  = 19
	ecidLen     = 2 * halfDigits
	uuidLen     = 36
	hashLen     = 32
	maxDeclared = 1024 // bytes in a CRM ID or custom value
	maxEmail    = 254  // bytes in an email address
	maxHalf     = math.MaxInt64
)

// Parse parses s as an identifier of namespace ns. Surrounding ASCII white
// space is ignored. The rules per namespace are:
//
//   - ECID, AAMUUID: exactly 38 ASCII digits, two zero-padded 19-digit halves,
//     each at most 2^63-1 (else ErrRange). Leading zeros are kept.
//   - IDFA, GAID: a UUID (8-4-4-4-12 hex digits) in any case. An IDFA prints in
//     upper case and a GAID in lower case. The all-zero UUID (tracking
//     disabled) is rejected with ErrBlocked.
//   - CRMID and custom namespaces: valid UTF-8 without control characters,
//     1 to 1024 bytes (else ErrTooLong). Case is kept.
//   - Email: exactly one '@', a non-empty local part, a domain with a dot and
//     no empty labels, no white space, at most 254 bytes (else ErrTooLong).
//     The address is lower-cased.
//   - Phone: spaces, dashes, dots and parentheses are removed; what is left
//     must be '+' and 8 to 15 digits, the first not 0 (E.164).
//   - EmailSHA256, PhoneSHA256: exactly 64 hex digits in any case; they print
//     in lower case. The SHA-256 of a blank or blocked value ("", "null",
//     "anonymous", "invalid", "undefined", as HashEmail would hash them) is
//     rejected with ErrBlocked, and that of a placeholder with
//     ErrPlaceholder, in both namespaces.
//
// In every namespace a blank value and "null", "anonymous", "invalid" and
// "undefined" (in any case) are rejected with ErrBlocked. An Email or Phone
// whose normal form is a well-known placeholder ([Placeholders], such as
// "test@test.com") is rejected with ErrPlaceholder, which wraps ErrBlocked.
// Errors are *ParseError values; an invalid ns gives ErrNamespace.
func Parse(ns Namespace, s string) (ID, error) {
	if !ns.IsValid() {
		return ID{}, parseError(ns, s, ErrNamespace)
	}
	v := trimSpace(s)
	if blocked(v) {
		return ID{}, parseError(ns, s, ErrBlocked)
	}
	id, err := parseValue(ns, v)
	if err != nil {
		return ID{}, parseError(ns, s, err)
	}
	return id, nil
}

// ParseECID parses s as an ECID; see [Parse]. It does not allocate unless it
// fails.
func ParseECID(s string) (ID, error) {
	v := trimSpace(s)
	hi, lo, err := parseHalves(v)
	if err != nil {
		if blocked(v) {
			err = ErrBlocked
		}
		return ID{}, parseError(ECID, s, err)
	}
	return ID{ns: ECID, hi: hi, lo: lo}, nil
}

// MustParse is like [Parse] but panics if s is not valid.
// Use it in tests and for constants only.
func MustParse(ns Namespace, s string) ID {
	id, err := Parse(ns, s)
	if err != nil {
		panic(err)
	}
	return id
}

// ParseText parses an identifier written as "NS:value", such as
// "ECID:20265673158980419722735089753036633573". The text is split at the
// first colon; the part before it is a standard or declared namespace code in
// any case (else ErrNamespace), the part after it is parsed as by [Parse].
// Text without a colon is ErrSyntax.
func ParseText(s string) (ID, error) {
	code, value, ok := strings.Cut(s, ":")
	if !ok {
		return ID{}, parseError(0, s, ErrSyntax)
	}
	code = trimSpace(code)
	ns, ok := lookupNamespace(code)
	if !ok {
		return ID{}, parseError(0, code, ErrNamespace)
	}
	return Parse(ns, value)
}

// FromHalves returns the ECID or AAM UUID whose halves are hi and lo: the
// first and last 19 digits, each at most 2^63-1 (else ErrRange). For IDFA and
// GAID, hi and lo are the UUID's 128 bits, big-endian, and zero is ErrBlocked.
// Other namespaces give ErrNamespace.
func FromHalves(ns Namespace, hi, lo uint64) (ID, error) {
	var err error
	switch ns {
	case ECID, AAMUUID:
		if hi > maxHalf || lo > maxHalf {
			err = ErrRange
		}
	case IDFA, GAID:
		if hi == 0 && lo == 0 {
			err = ErrBlocked
		}
	default:
		err = ErrNamespace
	}
	if err != nil {
		return ID{}, parseError(ns, strconv.FormatUint(hi, 10)+","+strconv.FormatUint(lo, 10), err)
	}
	return ID{ns: ns, hi: hi, lo: lo}, nil
}

// Halves returns the two halves of an ECID or AAM UUID, or the high and low 64
// bits of an IDFA or GAID, as [FromHalves] takes them. Other IDs give 0, 0.
func (id ID) Halves() (hi, lo uint64) {
	return id.hi, id.lo
}

// Namespace returns the namespace of id; zero for the zero ID.
func (id ID) Namespace() Namespace { return id.ns }

// IsValid reports whether id is an identifier rather than the zero ID.
func (id ID) IsValid() bool { return id.ns != 0 }

// String returns the canonical value alone, without the namespace, such as
// "20265673158980419722735089753036633573". The zero ID gives "".
func (id ID) String() string {
	if id.ns == 0 {
		return ""
	}
	if id.ns.kind() == kindString {
		return id.s
	}
	var buf [2 * hashLen]byte
	return string(id.AppendValue(buf[:0]))
}

// AppendValue appends the canonical value of id, as String returns it, to b.
// It allocates only if b has too little room.
func (id ID) AppendValue(b []byte) []byte {
	switch id.ns.kind() {
	case kindHalves:
		return appendHalves(b, id.hi, id.lo)
	case kindUUID:
		return appendUUID(b, id.hi, id.lo, id.ns == IDFA)
	case kindHash:
		for i := 0; i < len(id.s); i++ {
			b = append(b, lowerHex[id.s[i]>>4], lowerHex[id.s[i]&0xf])
		}
		return b
	case kindString:
		return append(b, id.s...)
	}
	return b
}

// Text returns id as "NS:value", such as "CORE:07955261652886032950143702505894272138".
// The zero ID gives "".
func (id ID) Text() string {
	if id.ns == 0 {
		return ""
	}
	var buf [128]byte
	b, _ := id.AppendText(buf[:0])
	return string(b)
}

// AppendText appends id as "NS:value" to b. The zero ID appends nothing.
// The error is always nil.
func (id ID) AppendText(b []byte) ([]byte, error) {
	if id.ns == 0 {
		return b, nil
	}
	b = append(b, id.ns.String()...)
	b = append(b, ':')
	return id.AppendValue(b), nil
}

// MarshalText returns id as "NS:value"; the zero ID gives empty text.
func (id ID) MarshalText() ([]byte, error) {
	if id.ns == 0 {
		return []byte{}, nil
	}
	return id.AppendText(make([]byte, 0, len(id.ns.String())+1+id.valueLen()))
}

// UnmarshalText sets id from "NS:value" as [ParseText] does. Empty text gives
// the zero ID. An undeclared custom code is an error (ErrNamespace).
func (id *ID) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*id = ID{}
		return nil
	}
	v, err := ParseText(string(b))
	if err != nil {
		return err
	}
	*id = v
	return nil
}

func (id ID) valueLen() int {
	switch id.ns.kind() {
	case kindHalves:
		return ecidLen
	case kindUUID:
		return uuidLen
	case kindHash:
		return 2 * hashLen
	}
	return len(id.s)
}

// Compare returns -1, 0 or +1 as id sorts before, with or after o: first by
// namespace ([Namespace.Compare]), then by canonical value, which within a
// namespace is the same as comparing the String of each. The zero ID sorts
// first. Use it with slices.SortFunc(ids, ID.Compare).
func (id ID) Compare(o ID) int {
	if c := id.ns.Compare(o.ns); c != 0 {
		return c
	}
	switch id.ns.kind() {
	case kindHalves, kindUUID:
		// 19-digit zero-padded halves and fixed-width hex digits sort as
		// their integers do.
		if c := cmp.Compare(id.hi, o.hi); c != 0 {
			return c
		}
		return cmp.Compare(id.lo, o.lo)
	}
	// Raw hash bytes sort as their lower-case hex does.
	return strings.Compare(id.s, o.s)
}

// Binary keys. A key is a tag byte and the value:
//
//	tag 1-9 (the standard Namespace), then
//	  ECID, AAMUUID: hi, lo as 8 bytes each, big-endian
//	  IDFA, GAID:    the 16 bytes of the UUID
//	  EmailSHA256, PhoneSHA256: the 32 bytes of the hash
//	  CRMID, Email, Phone: the normalized text
//	tag 0xFF, a length byte n, the n-byte lower-case custom code, the text.
//
// The zero ID has the empty key. No key starts with a zero byte. Other
// packages must not parse keys: KeyCode, CompareKeys and UnmarshalBinary
// tell them what they need.
const tagCustom = 0xFF

// AppendBinary appends the binary key of id to b. Keys are canonical: two IDs
// are equal exactly when their keys are. A key is a tag byte followed by 16
// bytes for ECIDs, AAM UUIDs, IDFAs and GAIDs, 32 bytes for SHA-256 hashes, or
// the text of other declared values; a custom namespace writes its code into
// the key, so keys mean the same in every process. The zero ID gives an
// empty key, and no key starts with a zero byte, so a table of keys can hold
// entries of its own that start with one. The error is always nil.
//
// The layout is this package's: read keys with [ID.UnmarshalBinary],
// [KeyCode] and [CompareKeys] rather than by hand.
func (id ID) AppendBinary(b []byte) ([]byte, error) {
	if id.ns == 0 {
		return b, nil
	}
	b = id.appendKeyHeader(b)
	switch id.ns.kind() {
	case kindHalves, kindUUID:
		b = binary.BigEndian.AppendUint64(b, id.hi)
		return binary.BigEndian.AppendUint64(b, id.lo), nil
	}
	return append(b, id.s...), nil
}

// appendKeyHeader appends the tag, and for a custom namespace its code.
func (id ID) appendKeyHeader(b []byte) []byte {
	if id.ns <= numStandard {
		return append(b, byte(id.ns))
	}
	code := id.ns.foldedCode()
	b = append(b, tagCustom, byte(len(code)))
	return append(b, code...)
}

// MarshalBinary returns the binary key of id; see [ID.AppendBinary].
func (id ID) MarshalBinary() ([]byte, error) {
	return id.AppendBinary(nil)
}

// UnmarshalBinary sets id from a binary key made by [ID.AppendBinary]. It
// checks the key fully and accepts only canonical keys; an empty key gives
// the zero ID. The key of a custom namespace this process has not declared
// is an error (ErrNamespace): decoding never declares a namespace, so keys
// from an untrusted source cannot fill the registry. To vet such keys before
// declaring their namespaces, use [KeyCode]. On error id is unchanged.
func (id *ID) UnmarshalBinary(b []byte) error {
	if len(b) == 17 && b[0] >= byte(ECID) && b[0] <= byte(GAID) { // the commonest keys, inlined
		ns, hi, lo := Namespace(b[0]), binary.BigEndian.Uint64(b[1:]), binary.BigEndian.Uint64(b[9:])
		if ns.kind() == kindHalves && hi <= maxHalf && lo <= maxHalf || ns.kind() == kindUUID && hi|lo != 0 {
			*id = ID{ns: ns, hi: hi, lo: lo}
			return nil
		}
	}
	v, err := decodeKey(b)
	if err != nil {
		return err
	}
	*id = v
	return nil
}

// KeyCode checks a binary key as [ID.UnmarshalBinary] does and returns the
// code of its namespace in lower case, as the key holds it: "ecid",
// "email_lc_sha256", or the code of a custom namespace, such as
// "loyaltynumber". Unlike UnmarshalBinary it accepts the key of a custom
// namespace this process has not declared, and like it, it declares
// nothing: a program can vet keys from an untrusted source, and learn which
// namespaces they need, before it declares any. The empty key (the zero ID)
// gives "".
//
// For a key that KeyCode accepts, UnmarshalBinary succeeds exactly when
// ParseNamespace(code) does. Errors are the *ParseError values
// UnmarshalBinary returns, but never ErrNamespace.
func KeyCode(key []byte) (string, error) {
	if len(key) == 0 {
		return "", nil
	}
	ns, code, v, err := splitKey(key)
	if err != nil {
		return "", parseError(0, string(key), err)
	}
	if code == nil {
		if _, err := decodeValue(ns, v); err != nil {
			return "", parseError(ns, string(key), err)
		}
		return foldedStandard[ns], nil
	}
	if _, err := decodeValue(CRMID, v); err != nil {
		return "", parseError(0, string(key), err)
	}
	return string(code), nil
}

// CompareKeys returns -1, 0 or +1 as the identifier whose binary key is a
// sorts before, with or after the one whose key is b, in the order of
// [ID.Compare]; the empty key is the zero ID. It neither decodes nor checks
// the keys, does not need their namespaces to be declared and does not
// allocate: it is the comparison of a table that holds keys rather than IDs.
// Keys that are not valid sort in some order consistent with the others.
func CompareKeys(a, b []byte) int {
	ca, va, oka := customKey(a)
	cb, vb, okb := customKey(b)
	switch {
	case !oka && !okb:
		// The tag is the standard namespace, then integers big-endian,
		// raw hash bytes or the text: bytes sort as the IDs do.
		return bytes.Compare(a, b)
	case !oka:
		return -1 // the zero ID and standard namespaces come first
	case !okb:
		return 1
	}
	// Custom namespaces sort by lower-case code, as the key holds it.
	if c := bytes.Compare(ca, cb); c != 0 {
		return c
	}
	return bytes.Compare(va, vb)
}

// customKey returns the code and value of a key that starts like the key of
// a custom namespace, without checking them.
func customKey(b []byte) (code, value []byte, ok bool) {
	if len(b) < 2 || b[0] != tagCustom || len(b)-2 < int(b[1]) {
		return nil, nil, false
	}
	n := 2 + int(b[1])
	return b[2:n], b[n:], true
}

// foldedStandard holds the standard codes in lower case.
var foldedStandard = func() (f [numStandard + 1]string) {
	for ns := ECID; ns <= numStandard; ns++ {
		f[ns] = strings.ToLower(standardCodes[ns])
	}
	return f
}()

func decodeKey(b []byte) (ID, error) {
	if len(b) == 0 {
		return ID{}, nil
	}
	ns, code, v, err := splitKey(b)
	if err != nil {
		return ID{}, parseError(0, string(b), err)
	}
	if code == nil {
		id, err := decodeValue(ns, v)
		if err != nil {
			return ID{}, parseError(ns, string(b), err)
		}
		return id, nil
	}
	ns, declared := lookupNamespace(string(code)) // ns is 0 if not declared
	id, err := decodeValue(CRMID, v)              // custom values are checked as CRM IDs are
	if err != nil {
		return ID{}, parseError(ns, string(b), err)
	}
	if !declared {
		return ID{}, parseError(0, string(b), ErrNamespace)
	}
	id.ns = ns
	return id, nil
}

// splitKey checks the header of the non-empty key b. It returns the
// standard namespace of the tag, or for a custom namespace zero and its
// code (valid, lower-case, not a standard code), and the value's bytes. The
// error is the reason alone.
func splitKey(b []byte) (ns Namespace, code, value []byte, err error) {
	tag, rest := b[0], b[1:]
	if tag != tagCustom {
		if tag == 0 || tag > numStandard {
			return 0, nil, nil, ErrSyntax
		}
		return Namespace(tag), nil, rest, nil
	}
	if len(rest) < 1 {
		return 0, nil, nil, ErrSyntax
	}
	n := 1 + int(rest[0]) // int: a byte sum would wrap at 255
	if len(rest) < n {
		return 0, nil, nil, ErrSyntax
	}
	code = rest[1:n]
	if !validCode(string(code)) || isStandardCode(code) {
		return 0, nil, nil, ErrSyntax // a standard code is written as its tag
	}
	for _, c := range code {
		if 'A' <= c && c <= 'Z' {
			return 0, nil, nil, ErrSyntax
		}
	}
	return 0, code, rest[n:], nil
}

// isStandardCode reports whether code is a standard code in any case.
func isStandardCode(code []byte) bool {
	for ns := ECID; ns <= numStandard; ns++ {
		if len(code) == len(foldedStandard[ns]) && strings.EqualFold(string(code), foldedStandard[ns]) {
			return true
		}
	}
	return false
}

// decodeValue checks that v is the canonical value, in a key, of an ID of
// the standard namespace ns, and returns the ID. The error is the reason
// alone.
func decodeValue(ns Namespace, v []byte) (ID, error) {
	switch ns.kind() {
	case kindHalves, kindUUID:
		if len(v) != 16 {
			return ID{}, ErrSyntax
		}
		id, err := FromHalves(ns, binary.BigEndian.Uint64(v), binary.BigEndian.Uint64(v[8:]))
		return id, errorReason(err)
	case kindHash:
		if len(v) != hashLen {
			return ID{}, ErrSyntax
		}
		if err := junkDigest((*[hashLen]byte)(v)); err != nil {
			return ID{}, err
		}
		return ID{ns: ns, s: string(v)}, nil
	}
	id, err := Parse(ns, string(v))
	if err != nil {
		return ID{}, errorReason(err)
	}
	if id.s != string(v) {
		return ID{}, ErrSyntax
	}
	return id, nil
}

func errorReason(err error) error {
	if pe, ok := err.(*ParseError); ok {
		return pe.Err
	}
	return err
}
