// Package idtypes defines identifier values: what an ECID, an Audience Manager
// UUID, an IDFA or GAID, a CRM ID, an email or phone number and their SHA-256
// hashes are, how to parse them, print them and key them.
//
// It is modelled on net/netip. An [ID] is a small comparable value: == works,
// it can be a map key, and it holds its value in canonical form, so parsing
// validates and normalizes once, at the edge. ECIDs, AAM UUIDs, IDFAs and
// GAIDs are held as two integers: parsing them, and printing them with
// AppendValue or AppendText, does not allocate.
//
//	id, err := idtypes.Parse(idtypes.ECID, "20265673158980419722735089753036633573")
//	id, err = idtypes.ParseText("Email:John.Doe@Example.com") // Email:john.doe@example.com
//	h, err := idtypes.HashEmail(" ecid@adobe.com ")           // Email_LC_SHA256:a6ea4cde...
//	key, _ := id.MarshalBinary()                              // canonical, portable key
//
// # Namespaces
//
// A [Namespace] is one of the standard constants (ECID, AAMUUID, IDFA, GAID,
// CRMID, Email, EmailSHA256, Phone, PhoneSHA256), whose String is the
// Experience Platform code, or a custom namespace declared by code with
// [DeclareNamespace] (a loyalty number, a partner ID). Codes are matched
// without regard to case.
//
// Only DeclareNamespace declares a namespace: parsing and decoding
// (ParseText, UnmarshalText, UnmarshalBinary) never do, so untrusted input
// cannot fill the process-wide registry. [KeyCode] and [CompareKeys] read
// binary keys whose custom namespaces are not declared, and
// [CustomNamespaces] lists the registry.
//
// # Zero values
//
// The zero Namespace is unknown and not valid. The zero ID means "no
// identifier": IsValid is false, String and Text are "", MarshalText gives
// empty text and the binary key is empty; decoding those gives the zero ID
// back.
//
// # Errors
//
// Parsing and decoding fail with a *[ParseError] carrying the namespace and
// the input. Match its reason with errors.Is: [ErrSyntax], [ErrRange],
// [ErrBlocked] (blank, "null", "anonymous", "invalid", "undefined" or their
// SHA-256, the all-zero IDFA or GAID, or a placeholder),
// [ErrPlaceholder] (a well-known placeholder; it also matches ErrBlocked),
// [ErrTooLong], or [ErrNamespace] (an unknown namespace code, or a binary
// key of a custom namespace this process has not declared). Decoding a
// binary key refuses what parsing refuses, blocked values included. Error messages
// show at most 64 bytes of the input; a longer one is shortened at a
// character boundary and the message gives its length. No input makes the
// package panic, except [MustParse], which is meant for tests and constants.
//
// # Blocked values and placeholders
//
// Some values identify nobody, and linking on them would merge strangers
// into one profile ("graph collapse"). The package refuses them wherever it
// meets them, plain or hashed:
//
//   - Blank, "null", "anonymous" and "invalid" are the values Experience
//     Platform's guardrails block in every namespace; "undefined" is what
//     JavaScript writes for a missing value. They are refused in any case in
//     every namespace, and their SHA-256 (of the lower-cased value, as
//     [HashEmail] would hash it; the SHA-256 of the empty string is
//     e3b0c442…b855) in EmailSHA256 and PhoneSHA256.
//   - The all-zero IDFA or GAID is what a device reports when tracking is
//     disabled.
//   - The placeholders [Placeholders] lists: "test@test.com" (Email) and
//     "+1-111-111-1111", that is +11111111111 (Phone), which Experience
//     Platform's identity graph linking rules overview gives as the bad
//     email and phone numbers that collapse graphs. They are refused in
//     their namespace in any spelling that normalizes to them, and their
//     SHA-256 in EmailSHA256 and PhoneSHA256.
//
// The list stays short: each entry needs a source. A value that is junk only
// in your own data belongs in your own blocklist.
//
// # Concurrency
//
// IDs and Namespaces are immutable values, safe to share. All functions are
// safe for concurrent use. [DeclareNamespace] may run while other goroutines
// parse: reading the namespace registry never locks.
package idtypes
