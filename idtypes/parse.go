package idtypes

import (
	"encoding/binary"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// parseValue parses v, already trimmed and not blocked, as a value of ns.
// It returns the bare reason on failure.
func parseValue(ns Namespace, v string) (ID, error) {
	switch ns {
	case ECID, AAMUUID:
		hi, lo, err := parseHalves(v)
		if err != nil {
			return ID{}, err
		}
		return ID{ns: ns, hi: hi, lo: lo}, nil
	case IDFA, GAID:
		hi, lo, err := parseUUID(v)
		if err != nil {
			return ID{}, err
		}
		return ID{ns: ns, hi: hi, lo: lo}, nil
	case EmailSHA256, PhoneSHA256:
		var h [hashLen]byte
		if err := parseHash(&h, v); err != nil {
			return ID{}, err
		}
		if err := junkDigest(&h); err != nil {
			return ID{}, err
		}
		return ID{ns: ns, s: string(h[:])}, nil
	case Email:
		var buf [maxEmail]byte
		e, err := normalizeEmail(buf[:0], v)
		if err != nil {
			return ID{}, err
		}
		if placeholder(ns, e) {
			return ID{}, ErrPlaceholder
		}
		return ID{ns: ns, s: string(e)}, nil
	case Phone:
		var buf [maxPhone]byte
		p, err := normalizePhone(buf[:0], v)
		if err != nil {
			return ID{}, err
		}
		if placeholder(ns, p) {
			return ID{}, ErrPlaceholder
		}
		return ID{ns: ns, s: string(p)}, nil
	}
	// CRMID and custom namespaces.
	if len(v) > maxDeclared {
		return ID{}, ErrTooLong
	}
	if !validText(v) {
		return ID{}, ErrSyntax
	}
	return ID{ns: ns, s: strings.Clone(v)}, nil
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

// trimSpace removes surrounding ASCII white space.
func trimSpace(s string) string {
	i, j := 0, len(s)
	for i < j && isSpace(s[i]) {
		i++
	}
	for j > i && isSpace(s[j-1]) {
		j--
	}
	return s[i:j]
}

// blocked reports whether a trimmed value is one that identifies nobody.
func blocked(v string) bool {
	switch len(v) {
	case 0:
		return true
	case 4:
		return strings.EqualFold(v, "null")
	case 7:
		return strings.EqualFold(v, "invalid")
	case 9:
		return strings.EqualFold(v, "anonymous") || strings.EqualFold(v, "undefined")
	}
	return false
}

// validText reports whether s is valid UTF-8 without control characters.
func validText(s string) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 || c == 0x7f {
				return false
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 || unicode.IsControl(r) {
			return false
		}
		i += n
	}
	return true
}

// parseHalves parses 38 digits as two 19-digit halves, each at most 2^63-1.
func parseHalves(v string) (hi, lo uint64, err error) {
	if len(v) != ecidLen {
		return 0, 0, ErrSyntax
	}
	hi, ok1 := parseHalf(v[:halfDigits])
	lo, ok2 := parseHalf(v[halfDigits:])
	if !ok1 || !ok2 {
		return 0, 0, ErrSyntax
	}
	if hi > maxHalf || lo > maxHalf {
		return 0, 0, ErrRange
	}
	return hi, lo, nil
}

// parseHalf parses 19 ASCII digits: 8 + 8 at a time, then 3.
func parseHalf(s string) (uint64, bool) {
	a, ok1 := parse8(s[0:8])
	b, ok2 := parse8(s[8:16])
	c0, c1, c2 := s[16]-'0', s[17]-'0', s[18]-'0'
	if !ok1 || !ok2 || c0 > 9 || c1 > 9 || c2 > 9 {
		return 0, false
	}
	// 19 digits fit in a uint64: 10^19-1 < 2^64.
	return (a*1e8+b)*1000 + uint64(c0)*100 + uint64(c1)*10 + uint64(c2), true
}

// parse8 parses 8 ASCII digits with one 64-bit load (SWAR).
func parse8(s string) (uint64, bool) {
	_ = s[7]
	v := uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
	// Every byte must be 0x30-0x39: its high nibble is 3, and still 3 after adding 6.
	if v&0xf0f0f0f0f0f0f0f0 != 0x3030303030303030 ||
		(v+0x0606060606060606)&0xf0f0f0f0f0f0f0f0 != 0x3030303030303030 {
		return 0, false
	}
	v -= 0x3030303030303030
	v = v*10 + v>>8 // pairs of digits
	v = ((v&0x000000ff000000ff)*(100+1000000<<32) + (v>>16&0x000000ff000000ff)*(1+10000<<32)) >> 32
	return v, true
}

// unhex returns the value of a hex digit, or 0xff.
func unhex(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10
	}
	return 0xff
}

// parseUUID parses 8-4-4-4-12 hex digits into 128 bits. The all-zero UUID is ErrBlocked.
func parseUUID(v string) (hi, lo uint64, err error) {
	if len(v) != uuidLen || v[8] != '-' || v[13] != '-' || v[18] != '-' || v[23] != '-' {
		return 0, 0, ErrSyntax
	}
	var x [2]uint64
	n := 0 // hex digits read
	for i := 0; i < len(v); i++ {
		if i == 8 || i == 13 || i == 18 || i == 23 {
			continue
		}
		d := unhex(v[i])
		if d > 0xf {
			return 0, 0, ErrSyntax
		}
		x[n/16] = x[n/16]<<4 | uint64(d)
		n++
	}
	if x[0] == 0 && x[1] == 0 {
		return 0, 0, ErrBlocked
	}
	return x[0], x[1], nil
}

// parseHash parses 64 hex digits into the 32 raw bytes of h.
func parseHash(h *[hashLen]byte, v string) error {
	if len(v) != 2*hashLen {
		return ErrSyntax
	}
	for i := range h {
		a, b := unhex(v[2*i]), unhex(v[2*i+1])
		if a > 0xf || b > 0xf {
			return ErrSyntax
		}
		h[i] = a<<4 | b
	}
	return nil
}

// normalizeEmail checks an email address and appends it, lower-cased, to dst.
func normalizeEmail(dst []byte, v string) ([]byte, error) {
	if len(v) > maxEmail {
		return nil, ErrTooLong
	}
	at := -1
	ascii := true
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c == '@':
			if at >= 0 {
				return nil, ErrSyntax
			}
			at = i
		case c <= ' ' || c == 0x7f:
			return nil, ErrSyntax
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	if at <= 0 {
		return nil, ErrSyntax
	}
	domain := v[at+1:]
	if !strings.Contains(domain, ".") || domain[0] == '.' || domain[len(domain)-1] == '.' ||
		strings.Contains(domain, "..") {
		return nil, ErrSyntax
	}
	if !ascii {
		if !validText(v) || strings.ContainsFunc(v, unicode.IsSpace) {
			return nil, ErrSyntax
		}
		e := strings.ToLower(v) // may change the length
		if len(e) > maxEmail {
			return nil, ErrTooLong
		}
		return append(dst, e...), nil
	}
	for i := 0; i < len(v); i++ {
		dst = append(dst, toLowerASCII(v[i]))
	}
	return dst, nil
}

// maxPhone is the length of an E.164 number: '+' and at most 15 digits.
const maxPhone = 16

// normalizePhone removes spaces, dashes, dots and parentheses, checks that
// '+' and 8 to 15 digits, the first not 0, remain, and appends them to dst.
func normalizePhone(dst []byte, v string) ([]byte, error) {
	n := 0 // bytes appended
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c == ' ' || c == '-' || c == '.' || c == '(' || c == ')':
		case c == '+':
			if n != 0 {
				return nil, ErrSyntax
			}
			dst = append(dst, '+')
			n = 1
		case '0' <= c && c <= '9':
			if n == 0 || n == maxPhone || n == 1 && c == '0' {
				return nil, ErrSyntax
			}
			dst = append(dst, c)
			n++
		default:
			return nil, ErrSyntax
		}
	}
	if n < 1+8 {
		return nil, ErrSyntax
	}
	return dst, nil
}

const (
	lowerHex = "0123456789abcdef"
	upperHex = "0123456789ABCDEF"
)

// digitPairs holds "00" to "99", for printing two digits at a time.
const digitPairs = "00010203040506070809" +
	"10111213141516171819" +
	"20212223242526272829" +
	"30313233343536373839" +
	"40414243444546474849" +
	"50515253545556575859" +
	"60616263646566676869" +
	"70717273747576777879" +
	"80818283848586878889" +
	"90919293949596979899"

// appendHalves appends hi and lo, each below 10^19, as 38 zero-padded
// digits.
func appendHalves(b []byte, hi, lo uint64) []byte {
	n := len(b)
	b = slices.Grow(b, 2*halfDigits)[:n+2*halfDigits]
	putHalf((*[halfDigits]byte)(b[n:]), hi)
	putHalf((*[halfDigits]byte)(b[n+halfDigits:]), lo)
	return b
}

// putHalf writes x, which is below 10^19, as 19 zero-padded digits. It
// splits x with divisions by constants (which compile to multiplications)
// into 3, 8 and 8 digits, and converts the 8-digit chunks with put8, without
// a loop carrying a dependency from one digit to the next. A larger x keeps
// its low 19 digits.
func putHalf(d *[halfDigits]byte, x uint64) {
	top := x / 1e16
	rest := x - top*1e16
	mid := uint32(rest / 1e8)
	low := uint32(rest - uint64(mid)*1e8)
	t := uint32(top % 1000)
	h := t / 100
	r := t - h*100
	d[0] = byte('0' + h%10)
	d[1], d[2] = digitPairs[2*r], digitPairs[2*r+1]
	put8((*[8]byte)(d[3:11]), mid)
	put8((*[8]byte)(d[11:19]), low)
}

// put8 writes x, which is below 10^8, as 8 zero-padded digits. It converts
// all of them at once in one 64-bit word, first digit in the low byte: two
// 32-bit lanes of 4 digits, split into four 16-bit lanes of 2, then eight
// bytes of 1. Each split divides every lane at once by a multiplication and
// a shift that are exact in their range: x*5243>>19 is x/100 below 43699,
// x*103>>10 is x/10 below 179.
func put8(d *[8]byte, x uint32) {
	v := uint64(x/10000) | uint64(x%10000)<<32
	q := (v * 5243 >> 19) & 0x0000007f_0000007f
	v = q | (v-q*100)<<16
	q = (v * 103 >> 10) & 0x000f_000f_000f_000f
	v = q | (v-q*10)<<8
	binary.LittleEndian.PutUint64(d[:], v+0x30303030_30303030)
}

// appendUUID appends 128 bits as 8-4-4-4-12 hex digits.
func appendUUID(b []byte, hi, lo uint64, upper bool) []byte {
	digits := lowerHex
	if upper {
		digits = upperHex
	}
	for i := range 32 {
		if i == 8 || i == 12 || i == 16 || i == 20 {
			b = append(b, '-')
		}
		x := hi
		if i >= 16 {
			x = lo
		}
		shift := 60 - 4*(i%16)
		b = append(b, digits[x>>shift&0xf])
	}
	return b
}
