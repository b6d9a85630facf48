package table

import "github.com/cespare/xxhash/v2"

// hash is the seeded 64-bit xxhash of key.
func hash(seed uint64, key []byte) uint64 {
	var d xxhash.Digest
	d.ResetWithSeed(seed)
	d.Write(key)
	return d.Sum64()
}
