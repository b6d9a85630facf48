package idfile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/idbits/idbits/idtypes"
)

// AuthState is the authenticated state of an identity in an XDM identityMap.
// The zero AuthState means the record did not say, which Experience
// Platform treats as Ambiguous.
type AuthState uint8

// Authenticated states, as XDM spells them. Audience Manager's declared-ID
// states 0, 1 and 2 are Ambiguous, Authenticated and LoggedOut.
const (
	Ambiguous     AuthState = 1 + iota // "ambiguous": not known to be logged in
	Authenticated                      // "authenticated": the person is logged in
	LoggedOut                          // "loggedOut": the person logged out
)

var authStates = [...]string{Ambiguous: "ambiguous", Authenticated: "authenticated", LoggedOut: "loggedOut"}

// String returns the XDM spelling, or "" for the zero AuthState.
func (s AuthState) String() string {
	if int(s) < len(authStates) {
		return authStates[s]
	}
	return "AuthState(" + strconv.Itoa(int(s)) + ")"
}

func parseAuthState(s string) (AuthState, bool) {
	for st := Ambiguous; st <= LoggedOut; st++ {
		if strings.EqualFold(s, authStates[st]) {
			return st, true
		}
	}
	return 0, false
}

// Identity is one identity of an XDM record.
type Identity struct {
	ID      idtypes.ID // always valid
	State   AuthState  // the authenticatedState; zero if the record had none
	Primary bool       // the record marks it as its primary identity
}

// Record is one XDM record: identities seen together at one time.
type Record struct {
	N   int        // 1-based line number
	At  time.Time  // the record's timestamp
	IDs []Identity // the good identities, in the order of the line; never empty
}

// XDMOptions configure [ReadXDM]. The zero value reads identities of
// standard and already declared namespaces only.
type XDMOptions struct {
	// DeclareUnknown declares every unknown namespace code met as a custom
	// namespace (idtypes.DeclareNamespace) rather than reporting it. The
	// namespace registry is process-wide and bounded
	// (idtypes.MaxCustomNamespaces), so use it only with files you trust.
	DeclareUnknown bool
	// MaxLine is the longest line read, in bytes without its ending; zero
	// means DefaultMaxLine.
	MaxLine int
}

// ReadXDM returns the records of an XDM identityMap JSON-lines file, as
// Experience Platform exports them, one JSON object per line:
//
//	{"timestamp":"2026-05-01T10:00:00Z","identityMap":{"ECID":[{"id":"…"}],"CRMID":[{"id":"…","authenticatedState":"authenticated","primary":true}]}}
//
// Each line needs an RFC 3339 "timestamp" and an "identityMap" from
// namespace codes (in any case) to arrays of identities with an "id" string,
// and optionally "authenticatedState" (ambiguous, authenticated or
// loggedOut) and "primary". Other fields are ignored. Blank lines are
// skipped; a UTF-8 byte order mark at the start is ignored.
//
// A line that cannot be read as a record (bad JSON, ErrTimestamp, no
// identities, ErrLineTooLong) yields a zero Record and a *LineError. A
// record with some bad identities (unknown namespace, an id that does not
// parse, a malformed identity) yields a *LineError for each, whose Field is
// its path (identityMap.ECID[1]), and then the Record of the good ones.
// A read error ends the iteration with that error. The iteration reads r
// once, as it goes, and holds at most about opts.MaxLine bytes of input.
func ReadXDM(r io.Reader, opts XDMOptions) iter.Seq2[Record, error] {
	return func(yield func(Record, error) bool) {
		lr := newLineReader(r, maxLine(opts.MaxLine, DefaultMaxLine))
		x := xdmReader{opts: &opts}
		for {
			l, err := lr.next()
			if err == io.EOF {
				return
			}
			if err != nil {
				yield(Record{}, readError(lr, err))
				return
			}
			if l.tooLong {
				if !yield(Record{}, lineError(&l, "", ErrLineTooLong)) {
					return
				}
				continue
			}
			if len(trimSpace(l.text)) == 0 {
				continue
			}
			rec, errs := x.parse(&l)
			for _, err := range errs {
				if !yield(Record{}, err) {
					return
				}
			}
			if len(rec.IDs) > 0 && !yield(rec, nil) {
				return
			}
		}
	}
}

type xdmReader struct {
	opts *XDMOptions
	errs []error
}

// xdmLine is the part of a line the reader looks at.
type xdmLine struct {
	Timestamp   json.RawMessage `json:"timestamp"`
	IdentityMap json.RawMessage `json:"identityMap"`
}

type xdmIdentity struct {
	ID                 *string `json:"id"`
	AuthenticatedState *string `json:"authenticatedState"`
	Primary            *bool   `json:"primary"`
}

var null = []byte("null")

// parse reads one line. The errors it returns are valid until the next call.
func (x *xdmReader) parse(l *line) (Record, []error) {
	x.errs = x.errs[:0]
	fail := func(field string, err error) (Record, []error) {
		x.errs = append(x.errs, lineError(l, field, err))
		return Record{}, x.errs
	}
	if !utf8.Valid(l.text) { // encoding/json would quietly change bad bytes in IDs
		return fail("", fmt.Errorf("%w: not UTF-8", ErrFormat))
	}
	var v xdmLine
	if err := json.Unmarshal(l.text, &v); err != nil {
		return fail("", jsonError(err, "a JSON object"))
	}
	if len(v.Timestamp) == 0 || bytes.Equal(v.Timestamp, null) {
		return fail("timestamp", fmt.Errorf("%w: none", ErrTimestamp))
	}
	var ts string
	if err := json.Unmarshal(v.Timestamp, &ts); err != nil {
		return fail("timestamp", fmt.Errorf("%w: not a string", ErrTimestamp))
	}
	at, err := time.Parse(time.RFC3339Nano, ts)
	if err != nil {
		return fail("timestamp", fmt.Errorf("%w: %w", ErrTimestamp, err))
	}
	if len(v.IdentityMap) == 0 || bytes.Equal(v.IdentityMap, null) {
		return fail("identityMap", fmt.Errorf("%w: no identityMap", ErrFormat))
	}
	if v.IdentityMap[0] != '{' {
		return fail("identityMap", fmt.Errorf("%w: identityMap is not an object", ErrFormat))
	}
	rec := Record{N: l.n, At: at}
	dec := json.NewDecoder(bytes.NewReader(v.IdentityMap))
	if _, err := dec.Token(); err != nil { // '{'; the JSON is known to be valid
		return fail("identityMap", fmt.Errorf("%w: %w", ErrFormat, err))
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return fail("identityMap", fmt.Errorf("%w: %w", ErrFormat, err))
		}
		code, _ := tok.(string)
		var list json.RawMessage
		if err := dec.Decode(&list); err != nil {
			return fail("identityMap", fmt.Errorf("%w: %w", ErrFormat, err))
		}
		field := "identityMap." + code
		ns, err := idtypes.ParseNamespace(code)
		if err != nil && x.opts.DeclareUnknown {
			ns, err = idtypes.DeclareNamespace(code)
		}
		if err != nil {
			x.errs = append(x.errs, lineError(l, field, err))
			continue
		}
		var items []json.RawMessage
		if err := json.Unmarshal(list, &items); err != nil {
			x.errs = append(x.errs, lineError(l, field, fmt.Errorf("%w: not an array of identities", ErrFormat)))
			continue
		}
		for i, item := range items {
			ident, err := parseIdentity(ns, item)
			if err != nil {
				x.errs = append(x.errs, lineError(l, field+"["+strconv.Itoa(i)+"]", err))
				continue
			}
			rec.IDs = append(rec.IDs, ident)
		}
	}
	if len(rec.IDs) == 0 && len(x.errs) == 0 {
		return fail("identityMap", fmt.Errorf("%w: no identities", ErrFormat))
	}
	return rec, x.errs
}

// jsonError is the ErrFormat error for err from json.Unmarshal, in the
// file's terms rather than Go's: a value of the wrong type names the JSON
// field and the type it should have (want, for the whole value), not the
// Go type it was to be decoded into.
func jsonError(err error, want string) error {
	var te *json.UnmarshalTypeError
	if !errors.As(err, &te) {
		return fmt.Errorf("%w: %w", ErrFormat, err)
	}
	if te.Field == "" {
		return fmt.Errorf("%w: %s where %s should be", ErrFormat, te.Value, want)
	}
	return fmt.Errorf("%w: %q is %s, not %s", ErrFormat, te.Field, article(te.Value), jsonKind(te.Type.Kind()))
}

// article puts "a" or "an" before a JSON kind ("number", "array").
func article(kind string) string {
	if strings.ContainsRune("aeiou", rune(kind[0])) {
		return "an " + kind
	}
	return "a " + kind
}

// jsonKind names a Go kind as JSON calls its values.
func jsonKind(k reflect.Kind) string {
	switch k {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Struct, reflect.Map:
		return "an object"
	}
	return "a number"
}

func parseIdentity(ns idtypes.Namespace, item json.RawMessage) (Identity, error) {
	var v xdmIdentity
	if err := json.Unmarshal(item, &v); err != nil {
		return Identity{}, jsonError(err, "an identity object")
	}
	if v.ID == nil {
		return Identity{}, fmt.Errorf("%w: no id", ErrFormat)
	}
	id, err := idtypes.Parse(ns, *v.ID)
	if err != nil {
		return Identity{}, err
	}
	ident := Identity{ID: id}
	if v.AuthenticatedState != nil {
		st, ok := parseAuthState(*v.AuthenticatedState)
		if !ok {
			return Identity{}, fmt.Errorf("%w: authenticatedState %q is not ambiguous, authenticated or loggedOut", ErrFormat, *v.AuthenticatedState)
		}
		ident.State = st
	}
	if v.Primary != nil {
		ident.Primary = *v.Primary
	}
	return ident, nil
}
