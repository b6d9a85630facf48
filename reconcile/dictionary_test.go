package reconcile

import (
	"errors"
	"io"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/idbits/idbits/bitmap"
	"github.com/idbits/idbits/idtypes"
	"github.com/idbits/idbits/reconcile/internal/table"
)

func mustID(t testing.TB, ns idtypes.Namespace, s string) idtypes.ID {
	t.Helper()
	id, err := idtypes.Parse(ns, s)
	requireNoError(t, err, "parse %v %q", ns, s)
	return id
}

func TestDictionaryAdd(t *testing.T) {
	loyalty, err := idtypes.DeclareNamespace("LoyaltyNumber")
	requireNoError(t, err)
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
		requireNoError(t, err, tt.name)
		requireEqual(t, tt.want, ord, tt.name)
	}
	requireEqual(t, 7, d.Len())
	for _, tt := range tests {
		ord, ok := d.Lookup(tt.id)
		assertTrue(t, ok, tt.name)
		assertEqual(t, tt.want, ord, tt.name)
		got, ok := d.ID(tt.want)
		assertTrue(t, ok, tt.name)
		assertEqual(t, tt.id, got, tt.name)
		assertEqual(t, tt.id.Namespace(), d.NamespaceOf(tt.want), tt.name)
	}

	ord, err := d.Add(idtypes.ID{})
	requireErrorIs(t, err, ErrInvalid)
	assertEqual(t, NoOrdinal, ord)
	_, ok := d.Lookup(idtypes.ID{})
	assertFalse(t, ok, "zero ID")
	_, ok = d.Lookup(mustID(t, idtypes.CRMID, "CRM-2"))
	assertFalse(t, ok, "unknown ID")
	for _, ord := range []uint32{7, 1000, NoOrdinal} {
		_, ok = d.ID(ord)
		assertFalse(t, ok, "ID(%d)", ord)
		assertEqual(t, idtypes.Namespace(0), d.NamespaceOf(ord), "NamespaceOf(%d)", ord)
		assertFalse(t, d.Erased(ord), "Erased(%d)", ord)
		assertFalse(t, d.Erase(ord), "Erase(%d)", ord)
	}
}

func TestDictionaryZeroValue(t *testing.T) {
	var d Dictionary
	_, ok := d.ID(0)
	assertFalse(t, ok, "ID on an empty dictionary")
	assertEqual(t, 0, d.Len())
	assertTrue(t, d.Namespace(idtypes.ECID).IsEmpty(), "Namespace on an empty dictionary")
	id := mustID(t, idtypes.CRMID, "c1")
	ord, err := d.Add(id)
	requireNoError(t, err)
	assertEqual(t, uint32(0), ord)
	got, ok := d.ID(0)
	assertTrue(t, ok)
	assertEqual(t, id, got)
}

func TestDictionaryErase(t *testing.T) {
	d := NewDictionary()
	ids := mixedIDs(100, 1)
	ords := make([]uint32, len(ids))
	requireNoError(t, d.AddMany(ids, ords))
	requireTrue(t, d.Erase(ords[10]))
	assertFalse(t, d.Erase(ords[10]), "second erase")
	assertTrue(t, d.Erased(ords[10]))
	assertFalse(t, d.Erased(ords[11]))

	_, ok := d.Lookup(ids[10])
	assertFalse(t, ok, "Lookup of an erased ID")
	_, ok = d.ID(ords[10])
	assertFalse(t, ok, "ID of an erased ordinal")
	assertEqual(t, ids[10].Namespace(), d.NamespaceOf(ords[10]), "an erased ordinal keeps its namespace")
	ord, err := d.Add(ids[10])
	requireErrorIs(t, err, ErrErased)
	assertEqual(t, NoOrdinal, ord)

	// The ordinal is not reused and the next add gets the next one.
	ord, err = d.Add(mustID(t, idtypes.CRMID, "new"))
	requireNoError(t, err)
	assertEqual(t, uint32(100), ord)

	// Bulk adds and lookups see the erasure too.
	again := make([]uint32, len(ids))
	err = d.AddMany(ids, again)
	var ae *AddError
	requireTrue(t, errors.As(err, &ae), "AddMany error %v is an *AddError", err)
	assertEqual(t, AddError{Failed: 1, First: 10, Err: ErrErased}, *ae)
	requireErrorIs(t, err, ErrErased)
	assertEqual(t, NoOrdinal, again[10])
	again[10] = ords[10]
	assertEqual(t, ords, again)
	assertEqual(t, 99, d.LookupMany(ids, again))
	assertEqual(t, NoOrdinal, again[10])
}

func TestDictionaryAddManyErrors(t *testing.T) {
	d := NewDictionary()
	ids := mixedIDs(5, 2)
	err := d.AddMany(ids, make([]uint32, 4))
	requireErrorIs(t, err, io.ErrShortBuffer)
	assertEqual(t, 0, d.Len(), "nothing added on a short buffer")

	ids[3] = idtypes.ID{}
	ords := make([]uint32, 6) // longer is fine
	err = d.AddMany(ids, ords)
	requireErrorIs(t, err, ErrInvalid)
	var ae *AddError
	requireTrue(t, errors.As(err, &ae))
	assertEqual(t, 3, ae.First)
	assertEqual(t, []uint32{0, 1, 2, NoOrdinal, 3, 0}, ords)

	// LookupMany looks up as many as fit.
	short := make([]uint32, 2)
	assertEqual(t, 2, d.LookupMany(ids, short))
	assertEqual(t, []uint32{0, 1}, short)
}

func TestDictionaryFull(t *testing.T) {
	tab := table.New()
	tab.SetLimit(3)
	d := newDictionary(tab)
	ids := mixedIDs(5, 3)
	for i, id := range ids[:3] {
		ord, err := d.Add(id)
		requireNoError(t, err)
		requireEqual(t, uint32(i), ord)
	}
	_, err := d.Add(ids[3])
	requireErrorIs(t, err, ErrFull)
	ords := make([]uint32, 5)
	err = d.AddMany(ids, ords)
	requireErrorIs(t, err, ErrFull)
	assertEqual(t, []uint32{0, 1, 2, NoOrdinal, NoOrdinal}, ords)
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
			requireNoError(t, err)
		}
	}
	want := make([]uint32, len(ids))
	for i, id := range ids {
		var err error
		want[i], err = one.Add(id)
		requireNoError(t, err)
	}
	got := make([]uint32, len(ids))
	requireNoError(t, many.AddMany(ids, got))
	requireEqual(t, want, got)
	requireEqual(t, one.Len(), many.Len())
	requireEqual(t, 18_000, many.Len())
	for ord := range uint32(many.Len()) {
		a, _ := one.ID(ord)
		b, ok := many.ID(ord)
		requireTrue(t, ok)
		requireEqual(t, a, b)
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
				requireErrorIs(t, err, ErrErased, "seed %d", seed)
			case known:
				requireNoError(t, err)
				requireEqual(t, want, ord)
			default:
				requireNoError(t, err)
				requireEqual(t, uint32(len(byOrd)), ord)
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
					requireErrorIs(t, err, ErrErased)
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
				requireEqual(t, known && !erased[want], ok)
				if ok {
					requireEqual(t, want, ord)
				}
			case op < 15:
				ord := uint32(r.IntN(len(byOrd) + 2))
				live := int(ord) < len(byOrd) && !erased[ord]
				requireEqual(t, live, d.Erase(ord))
				if live {
					erased[ord] = true
				}
			case op < 19:
				ord := uint32(r.IntN(len(byOrd) + 2))
				got, ok := d.ID(ord)
				live := int(ord) < len(byOrd) && !erased[ord]
				requireEqual(t, live, ok)
				requireEqual(t, int(ord) < len(byOrd) && erased[ord], d.Erased(ord))
				if int(ord) < len(byOrd) {
					requireEqual(t, byOrd[ord].Namespace(), d.NamespaceOf(ord))
				}
				if live {
					requireEqual(t, byOrd[ord], got)
				}
			default:
				ns := idtypes.Namespace(1 + r.IntN(int(idtypes.PhoneSHA256)))
				var want []uint32
				for ord, id := range byOrd {
					if id.Namespace() == ns && !erased[uint32(ord)] {
						want = append(want, uint32(ord))
					}
				}
				requireEqual(t, want, d.Namespace(ns).AppendTo(nil), "Namespace(%v)", ns)
			}
			requireEqual(t, len(byOrd), d.Len())
		}
	}
}

func TestDictionaryNamespace(t *testing.T) {
	d := NewDictionary()
	ids := mixedIDs(4000, 6)
	ords := make([]uint32, len(ids))
	requireNoError(t, d.AddMany(ids[:3000], ords))
	assertTrue(t, d.Namespace(idtypes.IDFA).IsEmpty(), "no IDFAs")
	ecids := d.Namespace(idtypes.ECID)
	assertEqual(t, uint64(1500), ecids.Len())
	assertTrue(t, ecids.Equal(d.Namespace(idtypes.ECID)), "cached")

	// Adds and erasures after a call show up in the next one; the audience
	// handed out before stays as it was.
	requireNoError(t, d.AddMany(ids[3000:], ords[3000:]))
	var erasedECID uint32
	for i, id := range ids {
		if id.Namespace() == idtypes.ECID {
			erasedECID = ords[i]
			requireTrue(t, d.Erase(erasedECID))
			break
		}
	}
	assertEqual(t, uint64(1500), ecids.Len())
	now := d.Namespace(idtypes.ECID)
	assertEqual(t, uint64(1999), now.Len())
	assertFalse(t, now.Contains(erasedECID))

	var all []bitmap.Audience
	for _, ns := range []idtypes.Namespace{idtypes.ECID, idtypes.CRMID, idtypes.EmailSHA256} {
		a := d.Namespace(ns)
		for ord := range a.All() {
			requireEqual(t, ns, d.NamespaceOf(ord))
		}
		all = append(all, a)
	}
	u := bitmap.OrAll(all...)
	assertEqual(t, uint64(3999), u.Len(), "the namespaces cover every live ordinal")
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
					assertTrue(t, err == nil || errors.Is(err, ErrErased), "Add: %v", err)
					ords[i] = ord
				}
			} else if err := d.AddMany(ids, ords); err != nil {
				assertTrue(t, errors.Is(err, ErrErased), "AddMany: %v", err)
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
						assertEqual(t, id, back)
					}
					assertEqual(t, id.Namespace(), d.NamespaceOf(ord))
				}
				switch {
				case r == 0 && i%500 == 0 && d.Len() > 0:
					d.Erase(uint32(rng.IntN(d.Len())))
				case r == 1 && i%200 == 0:
					for ord := range d.Namespace(idtypes.CRMID).All() {
						assertEqual(t, idtypes.CRMID, d.NamespaceOf(ord))
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

	requireEqual(t, len(pool), d.Len(), "every ID got an ordinal, none two, no gaps")
	owner := make(map[uint32]idtypes.ID)
	for w, ords := range got {
		for i, ord := range ords {
			id := pool[w*perSet/2+i]
			if ord == NoOrdinal {
				continue // erased before this writer reached it
			}
			if prev, ok := owner[ord]; ok {
				requireEqual(t, prev, id, "ordinal %d", ord)
			}
			owner[ord] = id
			if back, ok := d.ID(ord); ok {
				requireEqual(t, id, back)
			} else {
				requireTrue(t, d.Erased(ord), "ordinal %d unreadable but not erased", ord)
			}
		}
	}
	for _, id := range pool {
		ord, ok := d.Lookup(id)
		if !ok {
			continue
		}
		requireEqual(t, id, owner[ord])
	}
}

// TestDictionaryFloodResistance crafts thousands of ECIDs whose unseeded
// hash (idtypes.ID.Hash, xxhash with seed 0) agrees in the bits that choose
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
		h := id.Hash()
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
		requireNoError(t, d.AddMany(ids, ords))
		for i, id := range ids {
			ord, ok := d.Lookup(id)
			requireTrue(t, ok)
			requireEqual(t, ords[i], ord)
		}
		return d.tab().Stats()
	}
	bad := fill(newDictionary(table.NewSeeded(0)))
	t.Logf("seed 0: mean probe %.1f, longest %d", bad.MeanProbe, bad.MaxProbe)
	requireTrue(t, bad.MeanProbe > n/8, "the crafted IDs collide under seed 0")
	for range 3 {
		good := fill(NewDictionary())
		t.Logf("random seed: mean probe %.2f, longest %d", good.MeanProbe, good.MaxProbe)
		assertTrue(t, good.MeanProbe < 3, "mean probe %.2f", good.MeanProbe)
		assertTrue(t, good.MaxProbe < 40, "longest probe %d", good.MaxProbe)
	}
}

// TestDictionaryAllocs checks the paths that must not allocate.
func TestDictionaryAllocs(t *testing.T) {
	d := NewDictionary()
	ecid := mustID(t, idtypes.ECID, "20265673158980419722735089753036633573")
	hashed := mixedIDs(4, 8)[3]
	for _, id := range []idtypes.ID{ecid, hashed} {
		_, err := d.Add(id)
		requireNoError(t, err)
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
		assertEqual(t, tt.want, testing.AllocsPerRun(100, tt.fn), tt.name)
	}
}
