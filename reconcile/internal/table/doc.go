// Package table is the hash table under reconcile.Dictionary: an append-only,
// sharded map from byte keys to dense uint32 ordinals handed out in arrival
// order, and back.
//
// Keys hash with a per-table random seed (xxhash), so crafted keys cannot pile
// into one bucket. The top bits of the hash pick one of 64 shards; each shard
// is an open-addressing array of 8-byte slots (a 30-bit hash tag, two flags and
// the ordinal) probed linearly at a load of at most 0.8, plus an arena of
// length-prefixed keys in pages that never move. Growth places every slot
// again from its stored tag, reading no key. A paged reverse index gives each
// ordinal its shard, arena offset, class and erased flag in one uint64.
//
// Writers hold the shard lock; readers (Lookup, Key, Class, Meta, Erased,
// Len) take no lock: slots and reverse entries are read and published with
// atomic loads and stores, and pages are never freed or moved. Every method
// is safe for concurrent use.
package table
