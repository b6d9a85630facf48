package reconcile

import (
	"crypto/rand"
	"crypto/sha256"
	"sync"
	"sync/atomic"

	"github.com/idbits/idbits/idtypes"
	"github.com/idbits/idbits/reconcile/internal/table"
)

// Erased identifiers in snapshots.
//
// A snapshot must not hold the identifiers that were erased, yet a graph
// loaded from it must still refuse them. So a snapshot writes each erased
// identifier as a digest: the first 16 bytes of SHA-256 over the
// dictionary's salt and the identifier's binary key. Loading puts the
// tombstone into the table under the key forgottenTag + digest, a key no
// identifier has (idtypes binary keys never start with 0). Add and AddMany
// then look up the digest of every new identifier of a dictionary that holds
// such tombstones, and refuse those erased with ErrErased.
//
// The salt is random per dictionary and travels in the snapshot, so digests
// do not match between graphs; whoever holds the file can still test a guess
// of an identifier against it, as with any hashed suppression list.

// forgottenTag is the first byte of a tombstone key that holds a digest.
const forgottenTag = 0

// digestLen is the length of an erased identifier's digest.
const digestLen = 16

// erasure is the per-dictionary state for digests of erased identifiers.
type erasure struct {
	once sync.Once
	salt [16]byte
	// loaded is set once the table holds a tombstone keyed by a digest;
	// until then adds skip the digest check.
	loaded atomic.Bool
}

// erasureSalt returns the dictionary's salt, drawing it on first use.
func (d *Dictionary) erasureSalt() [16]byte {
	d.erasure.once.Do(func() { rand.Read(d.erasure.salt[:]) })
	return d.erasure.salt
}

// setErasureSalt sets the salt of an empty dictionary loaded from a
// snapshot. It reports false if the dictionary already has another salt.
func (d *Dictionary) setErasureSalt(salt [16]byte) bool {
	d.erasure.once.Do(func() { d.erasure.salt = salt })
	return d.erasure.salt == salt
}

// erasedDigest returns the digest of the identifier with binary key key.
func (d *Dictionary) erasedDigest(key []byte) [digestLen]byte {
	salt := d.erasureSalt()
	h := sha256.New()
	h.Write(salt[:])
	h.Write(key)
	var sum [sha256.Size]byte
	var out [digestLen]byte
	copy(out[:], h.Sum(sum[:0]))
	return out
}

// tombstoneDigest returns the digest a snapshot writes for the erased
// ordinal whose table key is key: the stored digest of a tombstone loaded
// from a snapshot, or the digest of the identifier's key.
func (d *Dictionary) tombstoneDigest(key []byte) [digestLen]byte {
	if len(key) == 1+digestLen && key[0] == forgottenTag {
		return [digestLen]byte(key[1:])
	}
	return d.erasedDigest(key)
}

// forgottenKey appends the table key of a tombstone with digest sum.
func forgottenKey(dst []byte, sum [digestLen]byte) []byte {
	return append(append(dst, forgottenTag), sum[:]...)
}

// wasErased reports whether the identifier with binary key key was erased
// in a graph this dictionary was loaded from. It is false, without hashing,
// for a dictionary that holds no such tombstone.
func (d *Dictionary) wasErased(key []byte) bool {
	if !d.erasure.loaded.Load() {
		return false
	}
	var buf [1 + digestLen]byte
	_, st := d.tab().Lookup(forgottenKey(buf[:0], d.erasedDigest(key)))
	return st == table.Erased
}

// erasedEncoder wraps the encoder of ids for AddMany on a dictionary that
// holds digest tombstones: identifiers that are new to the table and whose
// digest is erased are left out (the table reports them as invalid, and
// AddMany tells why).
func (d *Dictionary) erasedEncoder(ids []idtypes.ID) table.Encoder {
	enc := encoder(ids)
	return func(i int, dst []byte) ([]byte, uint16, bool) {
		key, class, ok := enc(i, dst)
		if !ok {
			return key, class, ok
		}
		if _, st := d.tab().Lookup(key); st == table.NotFound && d.wasErased(key) {
			return nil, 0, false
		}
		return key, class, true
	}
}

// digestSalt is the salt of erased identifiers' digests.
type digestSalt = [16]byte
