package reconcile

import (
	"errors"
	"fmt"
	"io"
	"math"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/idbits/idbits/idtypes"
	"github.com/idbits/idbits/reconcile/internal/table"
)

// NoOrdinal is the ordinal of no identifier: bulk lookups and adds store it
// for identifiers they could not resolve.
const NoOrdinal uint32 = math.MaxUint32

// Errors the Dictionary returns; match them with errors.Is.
var (
	// ErrInvalid: the zero ID is not an identifier.
	ErrInvalid = errors.New("reconcile: invalid identifier")
	// ErrErased: the identifier was erased and cannot come back.
	ErrErased = errors.New("reconcile: identifier erased")
	// ErrFull: all 2^32-1 ordinals are handed out.
	ErrFull = errors.New("reconcile: dictionary full")
)

// AddError reports the identifiers an AddMany call could not add. Unwrap
// gives the reason the first of them failed: ErrInvalid, ErrErased or ErrFull.
type AddError struct {
	Failed int   // identifiers left at NoOrdinal
	First  int   // index of the first of them
	Err    error // why it failed
}

func (e *AddError) Error() string {
	return fmt.Sprintf("reconcile: %d identifiers not added, the first at index %d: %v", e.Failed, e.First, e.Err)
}

func (e *AddError) Unwrap() error { return e.Err }

// Dictionary maps identifiers to dense, permanent ordinals 0, 1, 2, ... in the
// order they arrive, and back. See the package documentation for the
// guarantees and for what is safe concurrently (everything).
//
// The zero Dictionary is empty and ready to use; it draws its seed on first
// use. A Dictionary must not be copied after first use.
type Dictionary struct {
	once    sync.Once
	t       *table.Table // set once; methods reach it through tab
	ns      namespaces
	erasure erasure // digests of identifiers erased before a snapshot; see dict_erased.go
	// erasures counts the ordinals erased, so that views can tell that none
	// was erased since they were taken.
	erasures atomic.Uint64
}

// NewDictionary returns an empty dictionary with its own random hash seed.
func NewDictionary() *Dictionary { return newDictionary(table.New()) }

func newDictionary(t *table.Table) *Dictionary {
	d := new(Dictionary)
	d.once.Do(func() { d.t = t })
	return d
}

// tab returns the table, making it on first use of a zero Dictionary.
func (d *Dictionary) tab() *table.Table {
	d.once.Do(func() { d.t = table.New() })
	return d.t
}

// keyBuf is room for the binary key of most identifiers (ECIDs and UUIDs take
// 17 bytes, SHA-256 hashes 33) without a heap allocation.
type keyBuf [64]byte

// Add returns the ordinal of id, handing out the next one if id is new. It
// fails with ErrInvalid for the zero ID, ErrErased for an erased identifier
// and ErrFull when every ordinal is taken, returning NoOrdinal.
func (d *Dictionary) Add(id idtypes.ID) (uint32, error) {
	if !id.IsValid() {
		return NoOrdinal, ErrInvalid
	}
	var buf keyBuf
	key, _ := id.AppendBinary(buf[:0])
	if d.erasure.loaded.Load() {
		if ord, st := d.tab().Lookup(key); st == table.OK {
			return ord, nil
		}
		if d.wasErased(key) {
			return NoOrdinal, ErrErased
		}
	}
	ord, st := d.tab().Add(key, uint16(id.Namespace()))
	return ord, statusError(st)
}

func statusError(st table.Status) error {
	switch st {
	case table.OK:
		return nil
	case table.Erased:
		return ErrErased
	case table.Full:
		return ErrFull
	}
	return ErrInvalid
}

// Lookup returns the ordinal of id, and false if id is unknown, erased or
// invalid. It takes no lock.
func (d *Dictionary) Lookup(id idtypes.ID) (uint32, bool) {
	if !id.IsValid() {
		return NoOrdinal, false
	}
	var buf keyBuf
	key, _ := id.AppendBinary(buf[:0])
	ord, st := d.tab().Lookup(key)
	return ord, st == table.OK
}

// encoder returns the table encoder of ids.
func encoder(ids []idtypes.ID) table.Encoder {
	return func(i int, dst []byte) ([]byte, uint16, bool) {
		id := ids[i]
		if !id.IsValid() {
			return nil, 0, false
		}
		key, _ := id.AppendBinary(dst)
		return key, uint16(id.Namespace()), true
	}
}

// AddMany adds every identifier of ids and stores its ordinal in the same
// position of ords, which must be at least as long as ids. The ordinals are
// those calling Add for each identifier in turn would give: new identifiers
// get consecutive ordinals in slice order (adds from other goroutines may
// interleave between blocks of 262,144 identifiers). Identifiers that cannot
// be added get NoOrdinal and are reported by an *AddError; the others are
// added all the same.
//
// Inputs of 1024 identifiers or more fan out over GOMAXPROCS goroutines, a
// block at a time: they hash the identifiers and sort them by shard, each
// shard resolves its identifiers with its lock held, and the block's new
// identifiers get their ordinals in one reservation. A shard that must grow
// grows for the new identifiers it expects from the rest of the call, at the
// rate of new ones so far. AddMany calls run one at a time; Add calls wait
// for the shards a block holds, and readers never wait.
func (d *Dictionary) AddMany(ids []idtypes.ID, ords []uint32) error {
	if len(ords) < len(ids) {
		return fmt.Errorf("reconcile: add %d identifiers into %d ordinals: %w", len(ids), len(ords), io.ErrShortBuffer)
	}
	enc := encoder(ids)
	loaded := d.erasure.loaded.Load()
	if loaded {
		enc = d.erasedEncoder(ids)
	}
	rep := d.tab().AddMany(len(ids), enc, ords, runtime.GOMAXPROCS(0))
	if rep.Failed == 0 {
		return nil
	}
	why := statusError(rep.Why)
	if loaded && rep.Why == table.Invalid && ids[rep.First].IsValid() {
		why = ErrErased // left out by erasedEncoder
	}
	return &AddError{Failed: rep.Failed, First: rep.First, Err: why}
}

// LookupMany stores in ords the ordinal of each identifier of ids, NoOrdinal
// for unknown, erased and invalid ones, and returns how many it found. It
// looks up the first min(len(ids), len(ords)) identifiers, fanning out over
// GOMAXPROCS goroutines for large inputs, and takes no lock.
func (d *Dictionary) LookupMany(ids []idtypes.ID, ords []uint32) int {
	n := min(len(ids), len(ords))
	return d.tab().LookupMany(n, encoder(ids), ords, runtime.GOMAXPROCS(0))
}

// ID returns the identifier with ordinal ord, and false if ord was not handed
// out (or its add has not finished) or was erased. It decodes the stored key:
// ECIDs, AAM UUIDs, IDFAs and GAIDs do not allocate, other values allocate
// their string.
func (d *Dictionary) ID(ord uint32) (idtypes.ID, bool) {
	key, _, st := d.tab().Key(ord)
	if st != table.OK {
		return idtypes.ID{}, false
	}
	var id idtypes.ID
	if err := id.UnmarshalBinary(key); err != nil {
		return idtypes.ID{}, false // unreachable: the key came from AppendBinary
	}
	return id, true
}

// NamespaceOf returns the namespace of ordinal ord, or 0 if ord was not
// handed out. Erased ordinals keep their namespace. It reads one word and
// decodes nothing.
func (d *Dictionary) NamespaceOf(ord uint32) idtypes.Namespace {
	class, _ := d.tab().Class(ord)
	return idtypes.Namespace(class)
}

// Len returns the number of ordinals handed out, erased ones included: the
// ordinals in use are 0 to Len()-1.
func (d *Dictionary) Len() int { return d.tab().Len() }

// erase tombstones ord: Lookup and ID no longer find it, Add of its
// identifier fails with ErrErased, Ordinals leaves it out, and the ordinal
// is never handed out again. It reports whether ord was a live ordinal.
// Graph.Erase is the one way in: it erases in the graph's dictionary and
// resolves the graph again.
func (d *Dictionary) erase(ord uint32) bool {
	if !d.tab().Erase(ord) {
		return false
	}
	d.ns.erased(ord)
	d.erasures.Add(1)
	return true
}

// Erased reports whether ord was erased.
func (d *Dictionary) Erased(ord uint32) bool { return d.tab().Erased(ord) }
