package idtypes

import (
	"errors"
	"strconv"
	"unicode/utf8"
)

// Reasons a value is rejected. A [ParseError] wraps exactly one of them
// (sometimes through a more precise reason, such as [ErrPlaceholder]);
// match it with [errors.Is].
var (
	// ErrSyntax reports a value that does not have the shape its namespace requires.
	ErrSyntax = errors.New("invalid syntax")
	// ErrRange reports an ECID or AAM UUID half above 2^63-1.
	ErrRange = errors.New("value out of range")
	// ErrBlocked reports a value that identifies nobody: empty or blank, "null",
	// "anonymous", "invalid", "undefined" (in any case), the all-zero IDFA or
	// GAID (tracking disabled), the SHA-256 of a blank or blocked value in
	// EmailSHA256 or PhoneSHA256, or a well-known placeholder
	// ([ErrPlaceholder]).
	ErrBlocked = errors.New("blocked value")
	// ErrTooLong reports a CRM ID or custom value over 1024 bytes, or an email over 254 bytes.
	ErrTooLong = errors.New("value too long")
	// ErrNamespace reports an unknown namespace code, a Namespace that is not
	// valid, one that FromHalves cannot build, or a full namespace registry.
	ErrNamespace = errors.New("invalid namespace")
)

// ErrPlaceholder reports a well-known placeholder that real files carry in
// place of a person's email or phone number ("test@test.com"), or its
// SHA-256; see [Placeholders]. It wraps [ErrBlocked], so
// errors.Is(err, ErrBlocked) holds for it too.
var ErrPlaceholder error = &reason{"blocked value: well-known placeholder", ErrBlocked}

// Reasons with more to say than their sentinel; each wraps one.
var (
	errBlockedHash     error = &reason{"blocked value: SHA-256 of a blank or blocked value", ErrBlocked}
	errPlaceholderHash error = &reason{"blocked value: SHA-256 of a well-known placeholder", ErrPlaceholder}
)

// reason is an error that says more than the sentinel it wraps.
type reason struct {
	msg string
	err error
}

func (r *reason) Error() string { return r.msg }
func (r *reason) Unwrap() error { return r.err }

// maxQuoted is how many bytes of the input an error message shows.
const maxQuoted = 64

// ParseError reports a value that could not be parsed or decoded.
// Its Err is, or wraps, one of ErrSyntax, ErrRange, ErrBlocked, ErrTooLong or
// ErrNamespace; match it with errors.Is.
type ParseError struct {
	Namespace Namespace // the namespace the value was parsed for; zero if unknown
	Input     string    // the input, in full
	Err       error     // the reason
}

// Error returns a message such as
//
//	idtypes: parse ECID "123": invalid syntax
//
// Input longer than 64 bytes is shortened in the message, at a character
// boundary, and says so with its length:
//
//	idtypes: parse CORE "9999…" (100 bytes, shortened): invalid syntax
func (e *ParseError) Error() string {
	what := "ID"
	switch {
	case e.Namespace != 0:
		what = e.Namespace.String()
	case errors.Is(e.Err, ErrNamespace):
		what = "namespace"
	}
	msg := "<nil>"
	if e.Err != nil {
		msg = e.Err.Error()
	}
	return "idtypes: parse " + what + " " + quote(e.Input) + ": " + msg
}

// quote quotes s for a message. Over maxQuoted bytes it quotes the longest
// prefix of at most maxQuoted bytes that ends at a character boundary, adds
// "…" inside the quotes and the full length after them.
func quote(s string) string {
	if len(s) <= maxQuoted {
		return strconv.Quote(s)
	}
	n := maxQuoted
	// Back up to the start of the character at n; past utf8.UTFMax-1
	// continuation bytes the input is not UTF-8 there, and Quote escapes
	// each byte anyway.
	for i := 0; i < utf8.UTFMax-1 && n > 0 && !utf8.RuneStart(s[n]); i++ {
		n--
	}
	q := strconv.Quote(s[:n])
	return q[:len(q)-1] + "…\" (" + strconv.Itoa(len(s)) + " bytes, shortened)"
}

// Unwrap returns the reason, so errors.Is(err, ErrSyntax) works.
func (e *ParseError) Unwrap() error { return e.Err }

func parseError(ns Namespace, in string, err error) error {
	return &ParseError{Namespace: ns, Input: in, Err: err}
}
