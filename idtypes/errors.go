package idtypes

import (
	"errors"
	"strconv"
)

// Reasons a value is rejected. A [ParseError] wraps exactly one of them;
// match it with [errors.Is].
var (
	// ErrSyntax reports a value that does not have the shape its namespace requires.
	ErrSyntax = errors.New("invalid syntax")
	// ErrRange reports an ECID or AAM UUID half above 2^63-1.
	ErrRange = errors.New("value out of range")
	// ErrBlocked reports a value that identifies nobody: empty or blank, "null",
	// "anonymous", "invalid", "undefined" (in any case), or the all-zero
	// IDFA or GAID (tracking disabled).
	ErrBlocked = errors.New("blocked value")
	// ErrTooLong reports a CRM ID or custom value over 1024 bytes, or an email over 254 bytes.
	ErrTooLong = errors.New("value too long")
	// ErrNamespace reports an unknown namespace code, a Namespace that is not
	// valid, one that FromHalves cannot build, or a full namespace registry.
	ErrNamespace = errors.New("invalid namespace")
)

// maxQuoted is how many bytes of the input an error message shows.
const maxQuoted = 64

// ParseError reports a value that could not be parsed or decoded.
// Its Err is one of ErrSyntax, ErrRange, ErrBlocked, ErrTooLong or ErrNamespace.
type ParseError struct {
	Namespace Namespace // the namespace the value was parsed for; zero if unknown
	Input     string    // the input, in full
	Err       error     // the reason
}

// Error returns a message such as
//
//	idtypes: parse ECID "123": invalid syntax
//
// Input longer than 64 bytes is cut short in the message and marked with "...".
func (e *ParseError) Error() string {
	what := "ID"
	switch {
	case e.Namespace != 0:
		what = e.Namespace.String()
	case errors.Is(e.Err, ErrNamespace):
		what = "namespace"
	}
	in := e.Input
	more := ""
	if len(in) > maxQuoted {
		in, more = in[:maxQuoted], "..."
	}
	msg := "<nil>"
	if e.Err != nil {
		msg = e.Err.Error()
	}
	return "idtypes: parse " + what + " " + strconv.Quote(in) + more + ": " + msg
}

// Unwrap returns the reason, so errors.Is(err, ErrSyntax) works.
func (e *ParseError) Unwrap() error { return e.Err }

func parseError(ns Namespace, in string, err error) error {
	return &ParseError{Namespace: ns, Input: in, Err: err}
}
