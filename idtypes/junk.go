package idtypes

import (
	"crypto/sha256"
	"iter"
	"sync"
)

// placeholders are the well-known placeholder values, in normal form (what
// Parse makes of them, and what HashEmail and HashPhone hash). Each entry
// needs a source; keep the list short.
var placeholders = [...]struct {
	ns Namespace
	v  string
}{
	// Experience Platform's identity graph linking rules overview names
	// both as "bad email and phone numbers" that collapse graphs.
	{Email, "test@test.com"},
	{Phone, "+11111111111"}, // written +1-111-111-1111 there
}

// blockedValues are the normal forms of the blocked values that a hash of a
// blocked value would have hashed: blank, and the values blocked in every
// namespace, lower-cased as HashEmail lower-cases.
var blockedValues = [...]string{"", "null", "anonymous", "invalid", "undefined"}

// Placeholders returns the well-known placeholder values that [Parse],
// [HashEmail] and [HashPhone] refuse with [ErrPlaceholder], each with its
// namespace, in the normal form Parse would give. Their SHA-256 digests are
// refused the same way in EmailSHA256 and PhoneSHA256. The list is short on
// purpose; every entry comes from a source, listed in the package
// documentation. A value that is junk only in your data belongs in your own
// blocklist (such as reconcile.Rules.Blocklist), not here.
func Placeholders() iter.Seq2[Namespace, string] {
	return func(yield func(Namespace, string) bool) {
		for _, p := range placeholders {
			if !yield(p.ns, p.v) {
				return
			}
		}
	}
}

// placeholder reports whether v, the normal form of a value of ns, is a
// well-known placeholder. It does not allocate.
func placeholder(ns Namespace, v []byte) bool {
	for _, p := range placeholders {
		if p.ns == ns && string(v) == p.v {
			return true
		}
	}
	return false
}

// junkDigests maps the SHA-256 of each blocked value and placeholder to the
// reason a hash namespace refuses it. It is built on first use.
var junkDigests = sync.OnceValue(func() map[[hashLen]byte]error {
	m := make(map[[hashLen]byte]error, len(blockedValues)+len(placeholders))
	for _, v := range blockedValues {
		m[sha256.Sum256([]byte(v))] = errBlockedHash
	}
	for _, p := range placeholders {
		m[sha256.Sum256([]byte(p.v))] = errPlaceholderHash
	}
	return m
})

// junkDigest returns why a SHA-256 digest identifies nobody, or nil.
// It does not allocate.
func junkDigest(h *[hashLen]byte) error {
	return junkDigests()[*h]
}
