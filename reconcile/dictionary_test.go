package reconcile

import (
	"errors"
	"github.com/cespare/xxhash/v2"
	"io"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/idbits/idbits/bitmap"
	"github.com/idbits/idbits/idtypes"
	"github.com/idbits/idbits/reconcile/internal/table"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func mustID(t testing.TB, ns idtypes.Namespace, s string) idtypes.ID {
	t.Helper()
	id, err := idtypes.Parse(ns, s)
	require.NoError(t, err, "parse %v %q", ns, s)
	return id
}

func TestDictionaryAdd(t *testing.T) {
	loyalty, err := idtypes.DeclareNamespace("LoyaltyNumber")
	require.NoError(t, err)
	d := NewDictionary()
	ecid := mustID(t, idtypes.ECID, "20265673158980419722735089753036633573")
	tests := []struct {
		name string
		id   idtypes.ID
		want uint32
	}{
		{"ECID", ecid, 0},
		{"CRM ID", mustID(t, idtypes.CRMID, "CRM-1"), 1},
		{"email", mustID(t, idtypes.Email, "John.Doe@Example.com"), 2},
		{"hashed email", mustID(t, idtypes.EmailSHA256, "a6ea4cde2b1d9b8a6b2c3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b"), 3},
		{"same ECID again", ecid, 0},
		{"same email, other case", mustID(t, idtypes.Email, "john.doe@example.com"), 2},
		{"IDFA", mustID(t, idtypes.IDFA, "6D92078A-8246-4BA4-AE5B-76104861E7DC"), 4},
		{"AAM UUID with the ECID's digits", mustID(t, idtypes.AAMUUID, "20265673158980419722735089753036633573"), 5},
		{"custom namespace", mustID(t, loyalty, "L-77"), 6},
	}
	for _, tt := range tests {
		ord, err := d.Add(tt.id)
		require.NoError(t, err, tt.name)
		require.Equal(t, tt.want, ord, tt.name)
	}
	require.Equal(t, 7, d.Len())
	for _, tt := range tests {
		ord, ok := d.Lookup(tt.id)
		assert.True(t, ok, tt.name)
		assert.Equal(t, tt.want, ord, tt.name)
		got, ok := d.ID(tt.want)
		assert.True(t, ok, tt.name)
		assert.Equal(t, tt.id, got, tt.name)
		assert.Equal(t, tt.id.Namespace(), d.NamespaceOf(tt.want), tt.name)
	}

	ord, err := d.Add(idtypes.ID{})
	require.ErrorIs(t, err, ErrInvalid)
	assert.Equal(t, NoOrdinal, ord)
	_, ok := d.Lookup(idtypes.ID{})
	assert.False(t, ok, "zero ID")
	_, ok = d.Lookup(mustID(t, idtypes.CRMID, "CRM-2"))
	assert.False(t, ok, "unknown ID")
	for _, ord := range []uint32{7, 1000, NoOrdinal} {
		_, ok = d.ID(ord)
		assert.False(t, ok, "ID(%d)", ord)
		assert.Equal(t, idtypes.Namespace(0), d.NamespaceOf(ord), "NamespaceOf(%d)", ord)
		assert.False(t, d.Erased(ord), "Erased(%d)", ord)
		assert.False(t, d.erase(ord), "Erase(%d)", ord)
	}
}

func TestDictionaryZeroValue(t *testing.T) {
	var d Dictionary
	_, ok := d.ID(0)
	assert.False(t, ok, "ID on an empty dictionary")
	assert.Equal(t, 0, d.Len())
	assert.True(t, d.Ordinals(idtypes.ECID).IsEmpty(), "Ordinals on an empty dictionary")
	id := mustID(t, idtypes.CRMID, "c1")
	ord, err := d.Add(id)
	require.NoError(t, err)
	assert.Equal(t, uint32(0), ord)
	got, ok := d.ID(0)
	assert.True(t, ok)
	assert.Equal(t, id, got)
}

func TestDictionaryErase(t *testing.T) {
	d := NewDictionary()
	ids := mixedIDs(100, 1)
	ords := make([]uint32, len(ids))
	require.NoError(t, d.AddMany(ids, ords))
	require.True(t, d.erase(ords[10]))
	assert.False(t, d.erase(ords[10]), "second erase")
	assert.True(t, d.Erased(ords[10]))
	assert.False(t, d.Erased(ords[11]))

	_, ok := d.Lookup(ids[10])
	assert.False(t, ok, "Lookup of an erased ID")
	_, ok = d.ID(ords[10])
	assert.False(t, ok, "ID of an erased ordinal")
	assert.Equal(t, ids[10].Namespace(), d.NamespaceOf(ords[10]), "an erased ordinal keeps its namespace")
	ord, err := d.Add(ids[10])
	require.ErrorIs(t, err, ErrErased)
	assert.Equal(t, NoOrdinal, ord)

	// The ordinal is not reused and the next add gets the next one.
	ord, err = d.Add(mustID(t, idtypes.CRMID, "new"))
	require.NoError(t, err)
	assert.Equal(t, uint32(100), ord)

	// Bulk adds and lookups see the erasure too.
	again := make([]uint32, len(ids))
	err = d.AddMany(ids, again)
	var ae *AddError
	require.True(t, errors.As(err, &ae), "AddMany error %v is an *AddError", err)
	assert.Equal(t, AddError{Failed: 1, First: 10, Err: ErrErased}, *ae)
	require.ErrorIs(t, err, ErrErased)
	assert.Equal(t, NoOrdinal, again[10])
	again[10] = ords[10]
	assert.Equal(t, ords, again)
	assert.Equal(t, 99, d.LookupMany(ids, again))
	assert.Equal(t, NoOrdinal, again[10])
}

func TestDictionaryAddManyErrors(t *testing.T) {
	d := NewDictionary()
	ids := mixedIDs(5, 2)
	err := d.AddMany(ids, make([]uint32, 4))
	require.ErrorIs(t, err, io.ErrShortBuffer)
	assert.Equal(t, 0, d.Len(), "nothing added on a short buffer")

	ids[3] = idtypes.ID{}
	ords := make([]uint32, 6) // longer is fine
	err = d.AddMany(ids, ords)
	require.ErrorIs(t, err, ErrInvalid)
	var ae *AddError
	require.True(t, errors.As(err, &ae))
	assert.Equal(t, 3, ae.First)
	assert.Equal(t, []uint32{0, 1, 2, NoOrdinal, 3, 0}, ords)

	// LookupMany looks up as many as fit.
	short := make([]uint32, 2)
	assert.Equal(t, 2, d.LookupMany(ids, short))
	assert.Equal(t, []uint32{0, 1}, short)
}

func TestDictionaryFull(t *testing.T) {
	tab := table.New()
	tab.SetLimit(3)
	d := newDictionary(tab)
	ids := mixedIDs(5, 3)
	for i, id := range ids[:3] {
		ord, err := d.Add(id)
		require.NoError(t, err)
		require.Equal(t, uint32(i), ord)
	}
	_, err := d.Add(ids[3])
	require.ErrorIs(t, err, ErrFull)
	ords := make([]uint32, 5)
	err = d.AddMany(ids, ords)
	require.ErrorIs(t, err, ErrFull)
	assert.Equal(t, []uint32{0, 1, 2, NoOrdinal, NoOrdinal}, ords)
}

// TestDictionaryAddManyMatchesAdd checks that a bulk add gives the ordinals
// single adds give, on an input large enough for the parallel path.
func TestDictionaryAddManyMatchesAdd(t *testing.T) {
	ids := mixedIDs(20_000, 4)
	// Repeat some identifiers, and start from a dictionary that knows a few.
	for i := range 2000 {
		ids[len(ids)-1-i] = ids[i*7]
	}
	one, many := NewDictionary(), NewDictionary()
	for _, d := range []*Dictionary{one, many} {
		for _, id := range ids[5000:5100] {
			_, err := d.Add(id)
			require.NoError(t, err)
		}
	}
	want := make([]uint32, len(ids))
	for i, id := range ids {
		var err error
		want[i], err = one.Add(id)
		require.NoError(t, err)
	}
	got := make([]uint32, len(ids))
	require.NoError(t, many.AddMany(ids, got))
	require.Equal(t, want, got)
	require.Equal(t, one.Len(), many.Len())
	require.Equal(t, 18_000, many.Len())
	for ord := range uint32(many.Len()) {
		a, _ := one.ID(ord)
		b, ok := many.ID(ord)
		require.True(t, ok)
		require.Equal(t, a, b)
	}
}

// TestDictionaryModel runs random operation sequences against a map model.
func TestDictionaryModel(t *testing.T) {
	for seed := range uint64(8) {
		r := rand.New(rand.NewPCG(seed, 5))
		pool := mixedIDs(50+r.IntN(1500), seed)
		d := NewDictionary()
		model := map[idtypes.ID]uint32{}
		var byOrd []idtypes.ID
		erased := map[uint32]bool{}
		// check compares the outcome of adding id with the model's, and
		// updates the model.
		check := func(id idtypes.ID, ord uint32, err error) {
			t.Helper()
			want, known := model[id]
			switch {
			case known && erased[want]:
				require.ErrorIs(t, err, ErrErased, "seed %d", seed)
			case known:
				require.NoError(t, err)
				require.Equal(t, want, ord)
			default:
				require.NoError(t, err)
				require.Equal(t, uint32(len(byOrd)), ord)
				model[id] = ord
				byOrd = append(byOrd, id)
			}
		}
		for range 1500 {
			id := pool[r.IntN(len(pool))]
			switch op := r.IntN(20); {
			case op < 8:
				ord, err := d.Add(id)
				check(id, ord, err)
			case op < 9:
				batch := make([]idtypes.ID, r.IntN(3000))
				for i := range batch {
					batch[i] = pool[r.IntN(len(pool))]
				}
				ords := make([]uint32, len(batch))
				err := d.AddMany(batch, ords)
				if err != nil {
					require.ErrorIs(t, err, ErrErased)
				}
				for i, id := range batch {
					var err error
					if ords[i] == NoOrdinal {
						err = ErrErased
					}
					check(id, ords[i], err)
				}
			case op < 13:
				ord, ok := d.Lookup(id)
				want, known := model[id]
				require.Equal(t, known && !erased[want], ok)
				if ok {
					require.Equal(t, want, ord)
				}
			case op < 15:
				ord := uint32(r.IntN(len(byOrd) + 2))
				live := int(ord) < len(byOrd) && !erased[ord]
				require.Equal(t, live, d.erase(ord))
				if live {
					erased[ord] = true
				}
			case op < 19:
				ord := uint32(r.IntN(len(byOrd) + 2))
				got, ok := d.ID(ord)
				live := int(ord) < len(byOrd) && !erased[ord]
				require.Equal(t, live, ok)
				require.Equal(t, int(ord) < len(byOrd) && erased[ord], d.Erased(ord))
				if int(ord) < len(byOrd) {
					require.Equal(t, byOrd[ord].Namespace(), d.NamespaceOf(ord))
				}
				if live {
					require.Equal(t, byOrd[ord], got)
				}
			default:
				ns := idtypes.Namespace(1 + r.IntN(int(idtypes.PhoneSHA256)))
				var want []uint32
				for ord, id := range byOrd {
					if id.Namespace() == ns && !erased[uint32(ord)] {
						want = append(want, uint32(ord))
					}
				}
				require.Equal(t, want, d.Ordinals(ns).AppendTo(nil), "Ordinals(%v)", ns)
			}
			require.Equal(t, len(byOrd), d.Len())
		}
	}
}

func TestDictionaryNamespace(t *testing.T) {
	d := NewDictionary()
	ids := mixedIDs(4000, 6)
	ords := make([]uint32, len(ids))
	require.NoError(t, d.AddMany(ids[:3000], ords))
	assert.True(t, d.Ordinals(idtypes.IDFA).IsEmpty(), "no IDFAs")
	ecids := d.Ordinals(idtypes.ECID)
	assert.Equal(t, uint64(1500), ecids.Len())
	assert.True(t, ecids.Equal(d.Ordinals(idtypes.ECID)), "cached")

	// Adds and erasures after a call show up in the next one; the audience
	// handed out before stays as it was.
	require.NoError(t, d.AddMany(ids[3000:], ords[3000:]))
	var erasedECID uint32
	for i, id := range ids {
		if id.Namespace() == idtypes.ECID {
			erasedECID = ords[i]
			require.True(t, d.erase(erasedECID))
			break
		}
	}
	assert.Equal(t, uint64(1500), ecids.Len())
	now := d.Ordinals(idtypes.ECID)
	assert.Equal(t, uint64(1999), now.Len())
	assert.False(t, now.Contains(erasedECID))

	var all []bitmap.Audience
	for _, ns := range []idtypes.Namespace{idtypes.ECID, idtypes.CRMID, idtypes.EmailSHA256} {
		a := d.Ordinals(ns)
		for ord := range a.All() {
			require.Equal(t, ns, d.NamespaceOf(ord))
		}
		all = append(all, a)
	}
	u := bitmap.OrAll(all...)
	assert.Equal(t, uint64(3999), u.Len(), "the namespaces cover every live ordinal")
}

// TestDictionaryConcurrent has goroutines add overlapping sets of IDs, one by
// one and in bulk, while others look IDs up and read ordinals back, erase a
// few, and build namespace audiences. Run it with -race.
func TestDictionaryConcurrent(t *testing.T) {
	const sets, perSet = 6, 3000
	pool := mixedIDs((sets+1)*perSet/2, 7)
	d := NewDictionary()
	got := make([][]uint32, sets)
	var writers sync.WaitGroup
	for w := range sets {
		writers.Go(func() {
			ids := pool[w*perSet/2 : w*perSet/2+perSet] // overlaps its neighbours
			ords := make([]uint32, perSet)
			if w%2 == 0 {
				for i, id := range ids {
					ord, err := d.Add(id)
					assert.True(t, err == nil || errors.Is(err, ErrErased), "Add: %v", err)
					ords[i] = ord
				}
			} else if err := d.AddMany(ids, ords); err != nil {
				assert.True(t, errors.Is(err, ErrErased), "AddMany: %v", err)
			}
			got[w] = ords
		})
	}
	stop := make(chan struct{})
	var readers sync.WaitGroup
	for r := range 3 {
		readers.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(r), 3))
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				id := pool[rng.IntN(len(pool))]
				if ord, ok := d.Lookup(id); ok {
					if back, ok := d.ID(ord); ok {
						assert.Equal(t, id, back)
					}
					assert.Equal(t, id.Namespace(), d.NamespaceOf(ord))
				}
				switch {
				case r == 0 && i%500 == 0 && d.Len() > 0:
					d.erase(uint32(rng.IntN(d.Len())))
				case r == 1 && i%200 == 0:
					for ord := range d.Ordinals(idtypes.CRMID).All() {
						assert.Equal(t, idtypes.CRMID, d.NamespaceOf(ord))
					}
				case r == 2 && i%100 == 0:
					ords := make([]uint32, 50)
					d.LookupMany(pool[:50], ords)
				}
			}
		})
	}
	writers.Wait()
	close(stop)
	readers.Wait()

	require.Equal(t, len(pool), d.Len(), "every ID got an ordinal, none two, no gaps")
	owner := make(map[uint32]idtypes.ID)
	for w, ords := range got {
		for i, ord := range ords {
			id := pool[w*perSet/2+i]
			if ord == NoOrdinal {
				continue // erased before this writer reached it
			}
			if prev, ok := owner[ord]; ok {
				require.Equal(t, prev, id, "ordinal %d", ord)
			}
			owner[ord] = id
			if back, ok := d.ID(ord); ok {
				require.Equal(t, id, back)
			} else {
				require.True(t, d.Erased(ord), "ordinal %d unreadable but not erased", ord)
			}
		}
	}
	for _, id := range pool {
		ord, ok := d.Lookup(id)
		if !ok {
			continue
		}
		require.Equal(t, id, owner[ord])
	}
}

// TestDictionaryFloodResistance crafts thousands of ECIDs whose unseeded
// hash (xxhash of the binary key, seed 0) agrees in the bits that choose
// the shard and the home slot, and counts probe lengths: under seed 0 they
// pile into one cluster, under a dictionary's random seed they spread out.
// Nothing is timed.
func TestDictionaryFloodResistance(t *testing.T) {
	const n, bits = 2000, 6
	var ids []idtypes.ID
	var want uint64
	for i := uint64(0); len(ids) < n; i++ {
		id, err := idtypes.FromHalves(idtypes.ECID, i, 42)
		if err != nil {
			t.Fatal(err)
		}
		key, _ := id.MarshalBinary()
		h := xxhash.Sum64(key)
		sig := h>>58<<bits | h>>(32-bits)&(1<<bits-1) // shard, then the tag's top bits
		if len(ids) == 0 {
			want = sig
		}
		if sig == want {
			ids = append(ids, id)
		}
	}
	fill := func(d *Dictionary) table.Stats {
		ords := make([]uint32, n)
		require.NoError(t, d.AddMany(ids, ords))
		for i, id := range ids {
			ord, ok := d.Lookup(id)
			require.True(t, ok)
			require.Equal(t, ords[i], ord)
		}
		return d.tab().Stats()
	}
	bad := fill(newDictionary(table.NewSeeded(0)))
	t.Logf("seed 0: mean probe %.1f, longest %d", bad.MeanProbe, bad.MaxProbe)
	require.True(t, bad.MeanProbe > n/8, "the crafted IDs collide under seed 0")
	for range 3 {
		good := fill(NewDictionary())
		t.Logf("random seed: mean probe %.2f, longest %d", good.MeanProbe, good.MaxProbe)
		assert.True(t, good.MeanProbe < 3, "mean probe %.2f", good.MeanProbe)
		assert.True(t, good.MaxProbe < 40, "longest probe %d", good.MaxProbe)
	}
}

// TestDictionaryAllocs checks the paths that must not allocate.
func TestDictionaryAllocs(t *testing.T) {
	d := NewDictionary()
	ecid := mustID(t, idtypes.ECID, "20265673158980419722735089753036633573")
	hashed := mixedIDs(4, 8)[3]
	for _, id := range []idtypes.ID{ecid, hashed} {
		_, err := d.Add(id)
		require.NoError(t, err)
	}
	for _, tt := range []struct {
		name string
		fn   func()
		want float64
	}{
		{"Add known", func() { d.Add(ecid) }, 0},
		{"Add known hashed email", func() { d.Add(hashed) }, 0},
		{"Lookup", func() { d.Lookup(ecid) }, 0},
		{"ID of an ECID", func() { d.ID(0) }, 0},
		{"NamespaceOf", func() { d.NamespaceOf(1) }, 0},
		{"ID of a hashed email", func() { d.ID(1) }, 1},
	} {
		assert.Equal(t, tt.want, testing.AllocsPerRun(100, tt.fn), tt.name)
	}
}
