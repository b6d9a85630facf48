package table

// ErasedKey returns the key and class of an erased ordinal, which Key hides,
// so that a snapshot can write a digest of it. The status is Erased with the
// key, OK (nil key) if ord is live, or NotFound.
func (t *Table) ErasedKey(ord uint32) ([]byte, uint16, Status) {
	e := t.rev.load(ord)
	switch {
	case e&revPublished == 0:
		return nil, 0, NotFound
	case e&revErased == 0:
		return nil, revClass(e), OK
	}
	return t.sh[revShard(e)].arena.key(e & offsetMask), revClass(e), Erased
}
