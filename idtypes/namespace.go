package idtypes

import (
	"fmt"
	"iter"
	"maps"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// Namespace says what kind of identifier a value is. The standard namespaces
// are constants; custom ones (a loyalty number, a partner ID) come from
// [DeclareNamespace]. The zero Namespace is unknown and not valid.
type Namespace uint16

// Standard namespaces. Their String is the Experience Platform code.
const (
	ECID        Namespace = 1 + iota // Experience Cloud ID: 38 digits; code "ECID"
	AAMUUID                          // Audience Manager UUID: 38 digits; code "CORE"
	IDFA                             // Apple advertising ID: upper-case UUID; code "IDFA"
	GAID                             // Google advertising ID: lower-case UUID; code "GAID"
	CRMID                            // CRM ID: case-sensitive text; code "CRMID"
	Email                            // email address, lower-cased; code "Email"
	EmailSHA256                      // SHA-256 of a lower-cased email; code "Email_LC_SHA256"
	Phone                            // phone number in E.164 form; code "Phone_E.164"
	PhoneSHA256                      // SHA-256 of an E.164 phone number; code "Phone_SHA256"

	numStandard = iota // the largest standard namespace
)

// Custom namespaces are numbered from customBase in order of declaration.
const (
	customBase = 256
	// MaxCustomNamespaces is how many custom namespaces a process can declare.
	MaxCustomNamespaces = 4096
	maxCodeLen          = 64
)

var standardCodes = [numStandard + 1]string{
	ECID:        "ECID",
	AAMUUID:     "CORE",
	IDFA:        "IDFA",
	GAID:        "GAID",
	CRMID:       "CRMID",
	Email:       "Email",
	EmailSHA256: "Email_LC_SHA256",
	Phone:       "Phone_E.164",
	PhoneSHA256: "Phone_SHA256",
}

// nsTable is an immutable snapshot of the custom namespaces.
type nsTable struct {
	codes  []string             // codes[i] is the code of Namespace(customBase+i), as first declared
	folded []string             // folded[i] is codes[i] in lower case
	byCode map[string]Namespace // lower-case code -> namespace
}

var errRegistryFull = fmt.Errorf("registry full (%d custom namespaces): %w", MaxCustomNamespaces, ErrNamespace)

// registry holds the custom namespaces. Readers load the table without
// locking; DeclareNamespace copies it under mu and swaps it in.
var registry struct {
	mu    sync.Mutex
	table atomic.Pointer[nsTable]
}

func customTable() *nsTable {
	if t := registry.table.Load(); t != nil {
		return t
	}
	return &nsTable{}
}

// custom returns the index of a declared custom namespace and true, or false.
func (ns Namespace) custom(t *nsTable) (int, bool) {
	if ns < customBase {
		return 0, false
	}
	i := int(ns - customBase)
	return i, i < len(t.codes)
}

// String returns the namespace code: ECID, CORE, IDFA, GAID, CRMID, Email,
// Email_LC_SHA256, Phone_E.164, Phone_SHA256, or a custom code as first declared.
// It returns "unknown" for the zero Namespace and "Namespace(N)" for other
// invalid values.
func (ns Namespace) String() string {
	if ns >= 1 && ns <= numStandard {
		return standardCodes[ns]
	}
	t := customTable()
	if i, ok := ns.custom(t); ok {
		return t.codes[i]
	}
	if ns == 0 {
		return "unknown"
	}
	return "Namespace(" + strconv.Itoa(int(ns)) + ")"
}

// IsValid reports whether ns is a standard or a declared custom namespace.
func (ns Namespace) IsValid() bool {
	if ns >= 1 && ns <= numStandard {
		return true
	}
	_, ok := ns.custom(customTable())
	return ok
}

// Visitor reports whether ns holds anonymous, per-device visitor IDs
// (ECID, AAMUUID, IDFA, GAID) rather than IDs a person declares.
func (ns Namespace) Visitor() bool {
	return ns >= ECID && ns <= GAID
}

// Compare returns -1, 0 or +1 as ns sorts before, with or after o.
// The zero and other invalid namespaces come first (by number), then the
// standard namespaces in the order of their constants, then custom
// namespaces by lower-case code. The order is the same in every process,
// whatever order the custom namespaces were declared in.
func (ns Namespace) Compare(o Namespace) int {
	if ns == o {
		return 0
	}
	t := customTable()
	ri, ci := ns.rank(t)
	ro, co := o.rank(t)
	if ri != ro {
		if ri < ro {
			return -1
		}
		return 1
	}
	if ri == rankCustom {
		return strings.Compare(t.folded[ci], t.folded[co])
	}
	if ns < o {
		return -1
	}
	return 1
}

const (
	rankInvalid = iota
	rankStandard
	rankCustom
)

func (ns Namespace) rank(t *nsTable) (rank, index int) {
	if ns >= 1 && ns <= numStandard {
		return rankStandard, 0
	}
	if i, ok := ns.custom(t); ok {
		return rankCustom, i
	}
	return rankInvalid, 0
}

// MarshalText returns the namespace code. The zero Namespace gives empty
// text; other invalid namespaces are an error.
func (ns Namespace) MarshalText() ([]byte, error) {
	if ns == 0 {
		return []byte{}, nil
	}
	if !ns.IsValid() {
		return nil, parseError(0, ns.String(), ErrNamespace)
	}
	return []byte(ns.String()), nil
}

// UnmarshalText sets ns from a standard or declared code, ignoring case.
// Empty text gives the zero Namespace. It does not declare unknown codes.
func (ns *Namespace) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*ns = 0
		return nil
	}
	n, err := ParseNamespace(string(b))
	if err != nil {
		return err
	}
	*ns = n
	return nil
}

// ParseNamespace returns the standard or declared custom namespace with the
// given code, ignoring case. An unknown code gives a *ParseError wrapping
// ErrNamespace. It does not allocate for a known code.
func ParseNamespace(code string) (Namespace, error) {
	if ns, ok := lookupNamespace(code); ok {
		return ns, nil
	}
	return 0, parseError(0, code, ErrNamespace)
}

func lookupNamespace(code string) (Namespace, bool) {
	if len(code) == 0 || len(code) > maxCodeLen {
		return 0, false
	}
	for ns := ECID; ns <= numStandard; ns++ {
		if len(code) == len(standardCodes[ns]) && strings.EqualFold(code, standardCodes[ns]) {
			return ns, true
		}
	}
	t := registry.table.Load()
	if t == nil {
		return 0, false
	}
	var buf [maxCodeLen]byte
	lower := buf[:len(code)]
	for i := 0; i < len(code); i++ {
		lower[i] = toLowerASCII(code[i])
	}
	ns, ok := t.byCode[string(lower)] // no allocation: the compiler borrows lower
	return ns, ok
}

// validCode reports whether code is 1 to 64 bytes of ASCII letters, digits,
// '_', '.' and '-'.
func validCode(code string) bool {
	if len(code) == 0 || len(code) > maxCodeLen {
		return false
	}
	for i := 0; i < len(code); i++ {
		c := code[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '_', c == '.', c == '-':
		default:
			return false
		}
	}
	return true
}

// DeclareNamespace returns the namespace with the given code, declaring a
// custom one if needed. Custom namespaces hold declared IDs (Visitor is false)
// validated like CRMID, and work everywhere a standard one does.
//
// Declaring is idempotent and ignores case: the first spelling declared is the
// one String returns. A standard code, in any case, returns the standard
// namespace. A code must be 1 to 64 bytes of ASCII letters, digits, '_', '.'
// and '-' (else ErrSyntax), and a process can declare at most
// MaxCustomNamespaces custom namespaces (else ErrNamespace); both errors are a
// *ParseError. DeclareNamespace is safe for concurrent use, and never slows
// down readers: lookups do not lock.
func DeclareNamespace(code string) (Namespace, error) {
	if !validCode(code) {
		return 0, parseError(0, code, ErrSyntax)
	}
	if ns, ok := lookupNamespace(code); ok {
		return ns, nil
	}
	registry.mu.Lock()
	defer registry.mu.Unlock()
	if ns, ok := lookupNamespace(code); ok { // declared while we waited
		return ns, nil
	}
	old := customTable()
	if len(old.codes) >= MaxCustomNamespaces {
		return 0, parseError(0, code, errRegistryFull)
	}
	code = strings.Clone(code)
	folded := strings.ToLower(code)
	ns := Namespace(customBase + len(old.codes))
	t := &nsTable{
		codes:  append(old.codes[:len(old.codes):len(old.codes)], code),
		folded: append(old.folded[:len(old.folded):len(old.folded)], folded),
		byCode: make(map[string]Namespace, len(old.byCode)+1),
	}
	maps.Copy(t.byCode, old.byCode)
	t.byCode[folded] = ns
	registry.table.Store(t)
	return ns, nil
}

// CustomNamespaces returns the custom namespaces declared so far, in the
// order they were declared. It walks the registry as it was when called:
// namespaces declared during the walk are not in it. Its length is how many
// of the MaxCustomNamespaces a process can declare are taken.
func CustomNamespaces() iter.Seq[Namespace] {
	t := customTable()
	return func(yield func(Namespace) bool) {
		for i := range t.codes {
			if !yield(Namespace(customBase + i)) {
				return
			}
		}
	}
}

// foldedCode returns the lower-case code of a valid namespace.
func (ns Namespace) foldedCode() string {
	t := customTable()
	if i, ok := ns.custom(t); ok {
		return t.folded[i]
	}
	return strings.ToLower(ns.String())
}

func toLowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
