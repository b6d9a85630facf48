package table

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/cespare/xxhash/v2"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func key(i int) []byte { return fmt.Appendf(nil, "key-%d", i) }

func TestHashIsSeededXXHash(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for n := range 100 {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		seed := r.Uint64()
		d := xxhash.NewWithSeed(seed)
		d.Write(b)
		require.Equal(t, d.Sum64(), hash(seed, b), "len %d", n)
	}
	assert.Equal(t, xxhash.Sum64([]byte("abc")), hash(0, []byte("abc")))
}

func TestHome(t *testing.T) {
	for _, n := range []int{1, 64, 80, 1000, 1 << 20, 3_000_001} {
		assert.Equal(t, 0, home(0, n))
		assert.Equal(t, n-1, home(slotTag, n), "n=%d", n)
		assert.Equal(t, n/2, home(tagOf(1<<31), n), "n=%d", n)
	}
}

func TestAddLookupKey(t *testing.T) {
	tab := New()
	tests := []struct {
		key   []byte
		class uint16
		want  uint32
	}{
		{[]byte("a"), 1, 0},
		{[]byte("b"), 2, 1},
		{[]byte("a"), 3, 0}, // known: keeps its ordinal and class
		{[]byte{}, 4, 2},    // the empty key is a key
		{bytes.Repeat([]byte("x"), 200), 5, 3},
		{bytes.Repeat([]byte("y"), MaxKeyLen), 6, 4},
		{[]byte("b"), 7, 1},
	}
	for _, tt := range tests {
		ord, st := tab.Add(tt.key, tt.class)
		require.Equal(t, OK, st)
		require.Equal(t, tt.want, ord, "Add(%.10q)", tt.key)
	}
	require.Equal(t, 5, tab.Len())
	for _, tt := range tests {
		ord, st := tab.Lookup(tt.key)
		require.Equal(t, OK, st)
		require.Equal(t, tt.want, ord)
		k, _, st := tab.Key(ord)
		require.Equal(t, OK, st)
		require.Equal(t, tt.key, k)
	}
	c, ok := tab.Class(0)
	assert.True(t, ok)
	assert.Equal(t, uint16(1), c)

	_, st := tab.Add(bytes.Repeat([]byte("z"), MaxKeyLen+1), 1)
	assert.Equal(t, Invalid, st)
	_, st = tab.Lookup([]byte("c"))
	assert.Equal(t, NotFound, st)
	_, _, st = tab.Key(5)
	assert.Equal(t, NotFound, st)
	_, _, st = tab.Key(NoOrdinal)
	assert.Equal(t, NotFound, st)
	_, ok = tab.Class(1 << 30)
	assert.False(t, ok)
}

func TestErase(t *testing.T) {
	tab := New()
	for i := range 100 {
		tab.Add(key(i), 9)
	}
	require.True(t, tab.Erase(42))
	assert.False(t, tab.Erase(42), "second erase")
	assert.False(t, tab.Erase(100), "not handed out")
	assert.True(t, tab.Erased(42))
	assert.False(t, tab.Erased(41))

	_, st := tab.Lookup(key(42))
	assert.Equal(t, Erased, st)
	ord, st := tab.Add(key(42), 9)
	assert.Equal(t, Erased, st)
	assert.Equal(t, NoOrdinal, ord)
	k, class, st := tab.Key(42)
	assert.Equal(t, Erased, st)
	assert.True(t, k == nil, "erased key")
	assert.Equal(t, uint16(9), class)
	c, pub, er := tab.Meta(42)
	assert.Equal(t, uint16(9), c)
	assert.True(t, pub)
	assert.True(t, er)

	// Erasure survives growth, and the ordinal is never reused.
	for i := 100; i < 5000; i++ {
		ord, st := tab.Add(key(i), 9)
		require.Equal(t, OK, st)
		require.Equal(t, uint32(i), ord)
	}
	_, st = tab.Lookup(key(42))
	assert.Equal(t, Erased, st)
	ord, st = tab.Lookup(key(43))
	assert.Equal(t, OK, st)
	assert.Equal(t, uint32(43), ord)
}

func TestReclass(t *testing.T) {
	tab := New()
	n := 3*revPageSize + 5 // several pages
	for i := range n {
		tab.Add(key(i), uint16(i%3))
	}
	require.True(t, tab.Erase(7))
	var to [1 << 16]uint16
	for c := range to {
		to[c] = uint16(c)
	}
	to[1], to[2] = 0xFFF0, 1
	tab.Reclass(&to)
	for i := range n {
		want := []uint16{0, 0xFFF0, 1}[i%3]
		c, pub, erased := tab.Meta(uint32(i))
		require.True(t, pub)
		require.Equal(t, want, c, "ordinal %d", i)
		require.Equal(t, i == 7, erased, "ordinal %d", i)
		if i != 7 {
			k, c, st := tab.Key(uint32(i))
			require.Equal(t, OK, st)
			require.Equal(t, key(i), k)
			require.Equal(t, want, c)
			o, st := tab.Lookup(key(i))
			require.Equal(t, OK, st)
			require.Equal(t, uint32(i), o)
		}
	}
	_, pub, _ := tab.Meta(uint32(n))
	require.False(t, pub)
}

func TestFull(t *testing.T) {
	tab := New()
	tab.SetLimit(3)
	for i := range 3 {
		ord, st := tab.Add(key(i), 1)
		require.Equal(t, OK, st)
		require.Equal(t, uint32(i), ord)
	}
	ord, st := tab.Add(key(3), 1)
	assert.Equal(t, Full, st)
	assert.Equal(t, NoOrdinal, ord)
	ord, st = tab.Add(key(1), 1)
	assert.Equal(t, OK, st, "known keys still resolve")
	assert.Equal(t, uint32(1), ord)
	assert.Equal(t, 3, tab.Len())
}

// encodeKeys returns an Encoder over keys, where a nil key is invalid.
func encodeKeys(keys [][]byte) Encoder {
	return func(i int, dst []byte) ([]byte, uint16, bool) {
		if keys[i] == nil {
			return nil, 0, false
		}
		return append(dst, keys[i]...), uint16(len(keys[i])), true
	}
}

// TestAddManyMatchesAdd checks that AddMany gives the ordinals a loop of Add
// gives, across rounds, repeats, invalid and erased keys, for small and bulk
// inputs and any number of workers.
func TestAddManyMatchesAdd(t *testing.T) {
	defer func(r int) { roundSize = r }(roundSize)
	roundSize = 3 * smallBulk
	for _, n := range []int{0, 1, 100, smallBulk + 7, 2*roundSize + 3000} {
		for _, workers := range []int{1, 3} {
			t.Run(fmt.Sprintf("n=%d/workers=%d", n, workers), func(t *testing.T) {
				r := rand.New(rand.NewPCG(uint64(n), 7))
				keys := make([][]byte, n)
				for i := range keys {
					switch x := r.IntN(100); {
					case x < 2:
						keys[i] = nil
					default:
						keys[i] = key(r.IntN(n/2 + 1))
					}
				}
				// Both tables know keys 0-99 already, and erased 0-9.
				seq, bulk := New(), New()
				for _, tab := range []*Table{seq, bulk} {
					for i := range 100 {
						tab.Add(key(i+1_000_000), 1)
						if i < 10 {
							tab.Add(key(i), 1)
							tab.Erase(uint32(100 + i))
						}
					}
				}
				want := make([]uint32, n)
				failed, first := 0, -1
				for i, k := range keys {
					st := Invalid
					if k != nil {
						want[i], st = seq.Add(k, uint16(len(k)))
					}
					if st != OK {
						want[i] = NoOrdinal
						failed++
						if first < 0 {
							first = i
						}
					}
				}
				got := make([]uint32, n)
				rep := bulk.AddMany(n, encodeKeys(keys), got, workers)
				require.Equal(t, want, got)
				assert.Equal(t, failed, rep.Failed)
				assert.Equal(t, first, rep.First)
				assert.Equal(t, seq.Len(), bulk.Len())
				for ord := range uint32(seq.Len()) {
					k1, c1, s1 := seq.Key(ord)
					k2, c2, s2 := bulk.Key(ord)
					require.Equal(t, s1, s2)
					require.Equal(t, k1, k2)
					require.Equal(t, c1, c2)
				}
				lk := make([]uint32, n)
				found := bulk.LookupMany(n, encodeKeys(keys), lk, workers)
				assert.Equal(t, n-failed, found)
				assert.Equal(t, want, lk)
			})
		}
	}
}

func TestAddManyFull(t *testing.T) {
	for _, n := range []int{50, 3 * smallBulk} {
		tab := New()
		tab.SetLimit(uint32(n / 2))
		keys := make([][]byte, n)
		for i := range keys {
			keys[i] = key(i % (n - 5)) // a few repeats at the end
		}
		ords := make([]uint32, n)
		rep := tab.AddMany(n, encodeKeys(keys), ords, 2)
		assert.Equal(t, n/2, tab.Len())
		assert.Equal(t, n/2, rep.First)
		assert.Equal(t, Full, rep.Why)
		assert.Equal(t, n-n/2-5, rep.Failed)
		for i, o := range ords {
			if i < n/2 || i >= n-5 {
				require.Equal(t, uint32(i%(n-5)), o, "item %d", i)
			} else {
				require.Equal(t, NoOrdinal, o, "item %d", i)
			}
		}
		// Keys that found no room are absent, and the table still works.
		_, st := tab.Lookup(key(n / 2))
		assert.Equal(t, NotFound, st)
		tab.SetLimit(uint32(n))
		ord, st := tab.Add(key(n/2), 1)
		assert.Equal(t, OK, st)
		assert.Equal(t, uint32(n/2), ord)
	}
}

// TestModel runs random operation sequences against a map model.
func TestModel(t *testing.T) {
	for seed := range uint64(12) {
		r := rand.New(rand.NewPCG(seed, 99))
		tab := New()
		if seed%3 == 0 {
			tab.SetLimit(uint32(50 + r.IntN(200)))
		}
		model := map[string]uint32{}
		var keys []string // by ordinal
		erased := map[uint32]bool{}
		universe := 20 + r.IntN(2000)
		for step := range 1500 {
			k := fmt.Sprint("k", r.IntN(universe))
			switch op := r.IntN(10); {
			case op < 4:
				ord, st := tab.Add([]byte(k), uint16(len(k)))
				want, known := model[k]
				switch {
				case known && erased[want]:
					require.Equal(t, Erased, st, "seed %d step %d", seed, step)
				case known:
					require.Equal(t, OK, st)
					require.Equal(t, want, ord)
				case uint64(len(keys)) == tab.limit:
					require.Equal(t, Full, st)
				default:
					require.Equal(t, OK, st)
					require.Equal(t, uint32(len(keys)), ord)
					model[k] = ord
					keys = append(keys, k)
				}
			case op < 5:
				n := r.IntN(smallBulk)
				if r.IntN(20) == 0 {
					n = smallBulk + r.IntN(smallBulk) // the bulk path
				}
				batch := make([][]byte, n)
				for i := range batch {
					batch[i] = fmt.Append(nil, "k", r.IntN(universe))
				}
				ords := make([]uint32, len(batch))
				tab.AddMany(len(batch), encodeKeys(batch), ords, 1+r.IntN(3))
				for i, b := range batch {
					k := string(b)
					want, known := model[k]
					switch {
					case known && erased[want]:
						require.Equal(t, NoOrdinal, ords[i])
					case known:
						require.Equal(t, want, ords[i])
					case uint64(len(keys)) == tab.limit:
						require.Equal(t, NoOrdinal, ords[i])
					default:
						require.Equal(t, uint32(len(keys)), ords[i])
						model[k] = ords[i]
						keys = append(keys, k)
					}
				}
			case op < 7:
				ord, st := tab.Lookup([]byte(k))
				want, known := model[k]
				switch {
				case !known:
					require.Equal(t, NotFound, st)
				case erased[want]:
					require.Equal(t, Erased, st)
				default:
					require.Equal(t, OK, st)
					require.Equal(t, want, ord)
				}
			case op < 8:
				ord := uint32(r.IntN(len(keys) + 2))
				live := int(ord) < len(keys) && !erased[ord]
				require.Equal(t, live, tab.Erase(ord))
				if live {
					erased[ord] = true
				}
			default:
				ord := uint32(r.IntN(len(keys) + 2))
				got, class, st := tab.Key(ord)
				switch {
				case int(ord) >= len(keys):
					require.Equal(t, NotFound, st)
				case erased[ord]:
					require.Equal(t, Erased, st)
				default:
					require.Equal(t, OK, st)
					require.Equal(t, keys[ord], string(got))
					require.Equal(t, uint16(len(keys[ord])), class)
				}
			}
			require.Equal(t, len(keys), tab.Len())
		}
	}
}

// TestConcurrent has writers add overlapping key sets, one by one and in
// bulk, while readers look keys up and read ordinals back. Every key must
// end with exactly one ordinal, every ordinal with one key, and readers must
// never see a wrong answer. Run it with -race.
func TestConcurrent(t *testing.T) {
	const keysPerSet, sets = 4000, 6
	tab := New()
	var wg sync.WaitGroup
	results := make([][]uint32, sets)
	for w := range sets {
		wg.Go(func() {
			// Set w covers keys [w*k/2, w*k/2+k): it overlaps its neighbours.
			lo := w * keysPerSet / 2
			ords := make([]uint32, keysPerSet)
			if w%2 == 0 {
				for i := range ords {
					o, st := tab.Add(key(lo+i), 1)
					assert.Equal(t, OK, st)
					ords[i] = o
				}
			} else {
				keys := make([][]byte, keysPerSet)
				for i := range keys {
					keys[i] = key(lo + i)
				}
				rep := tab.AddMany(keysPerSet, encodeKeys(keys), ords, 2)
				assert.Equal(t, 0, rep.Failed)
			}
			results[w] = ords
		})
	}
	stop := make(chan struct{})
	var readers sync.WaitGroup
	for r := range 3 {
		readers.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(r), 1))
			for {
				select {
				case <-stop:
					return
				default:
				}
				i := rng.IntN(sets * keysPerSet)
				if ord, st := tab.Lookup(key(i)); st == OK {
					k, _, st := tab.Key(ord)
					if assert.Equal(t, OK, st) {
						assert.Equal(t, string(key(i)), string(k))
					}
				}
				if n := tab.Len(); n > 0 {
					ord := uint32(rng.IntN(n))
					if k, _, st := tab.Key(ord); st == OK {
						o, st := tab.Lookup(k)
						assert.Equal(t, OK, st)
						assert.Equal(t, ord, o)
					}
				}
			}
		})
	}
	wg.Wait()
	close(stop)
	readers.Wait()

	distinct := (sets + 1) * keysPerSet / 2
	require.Equal(t, distinct, tab.Len(), "no gaps, no double ordinals")
	byKey := map[int]uint32{}
	for w, ords := range results {
		for i, o := range ords {
			k := w*keysPerSet/2 + i
			if prev, ok := byKey[k]; ok {
				require.Equal(t, prev, o, "key %d got two ordinals", k)
			}
			byKey[k] = o
		}
	}
	seen := make([]bool, distinct)
	for k, o := range byKey {
		require.False(t, seen[o], "ordinal %d given twice", o)
		seen[o] = true
		got, _, st := tab.Key(o)
		require.Equal(t, OK, st)
		require.Equal(t, string(key(k)), string(got))
	}
}

// TestSequentialOrdinals checks that adds from one goroutine number new keys
// 0, 1, 2, ... exactly, through every growth.
func TestSequentialOrdinals(t *testing.T) {
	tab := New()
	for i := range 20_000 {
		ord, st := tab.Add(key(i), 1)
		require.Equal(t, OK, st)
		require.Equal(t, uint32(i), ord)
		if i%7 == 0 {
			ord, _ = tab.Add(key(i/2), 1)
			require.Equal(t, uint32(i/2), ord)
		}
	}
	st := tab.Stats()
	assert.Equal(t, 20_000, st.Keys)
	assert.True(t, float64(st.Keys) <= 0.8*float64(st.Slots), "load %d/%d", st.Keys, st.Slots)
}

// craftCollisions returns n distinct keys whose seed-0 hashes share the top
// bits that pick the shard and the top bits of the tag that pick the home
// slot: under seed 0 they all start probing at the same slot of one shard.
func craftCollisions(n, bits int) [][]byte {
	var keys [][]byte
	want := uint64(0)
	mask := uint64(1)<<bits - 1
	buf := []byte("crafted-........")
	for i := 0; len(keys) < n; i++ {
		binary.BigEndian.PutUint64(buf[8:], uint64(i))
		h := xxhash.Sum64(buf)                       // the seed-0 hash, cheap under the race detector
		sig := h>>shardPos<<bits | h>>(32-bits)&mask // shard, then the tag's top bits
		if len(keys) == 0 {
			want = sig
		}
		if sig == want {
			keys = append(keys, bytes.Clone(buf))
		}
	}
	return keys
}

// TestFloodResistance shows that keys crafted to pile into one bucket under a
// known seed (0) spread out under a table's random seed. It counts probe
// lengths, so it does not depend on timing.
func TestFloodResistance(t *testing.T) {
	const n, bits = 2000, 6
	keys := craftCollisions(n, bits)

	probe := func(tab *Table) Stats {
		for i, k := range keys {
			ord, st := tab.Add(k, 1)
			require.Equal(t, OK, st)
			require.Equal(t, uint32(i), ord)
		}
		for i, k := range keys {
			ord, _ := tab.Lookup(k)
			require.Equal(t, uint32(i), ord)
		}
		return tab.Stats()
	}
	// The control: with the seed the keys were crafted for, they all land in
	// one shard and probe sequences grow with the number of keys.
	bad := probe(NewSeeded(0))
	t.Logf("seed 0: %+v", bad)
	require.True(t, bad.MeanProbe > float64(n)/8, "the keys do collide under seed 0")

	for range 3 {
		good := probe(New())
		t.Logf("random seed: %+v", good)
		assert.True(t, good.MeanProbe < 3, "mean probe %.2f", good.MeanProbe)
		assert.True(t, good.MaxProbe < 40, "max probe %d", good.MaxProbe)
	}
}

// TestLookupManyMatchesLookup checks that LookupMany gives what a loop of
// Lookup gives for known, unknown, erased, invalid and too long keys, for
// small and bulk inputs and any number of workers, while another goroutine
// keeps adding keys that the lookups do not ask for.
func TestLookupManyMatchesLookup(t *testing.T) {
	tab := New()
	for i := range 20_000 {
		tab.Add(key(i), uint16(i%3))
	}
	for i := range 500 {
		tab.Erase(uint32(i * 7))
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
				tab.Add(key(1_000_000+i), 1)
			}
		}
	})
	defer func() { close(stop); wg.Wait() }()
	long := bytes.Repeat([]byte("x"), MaxKeyLen+1)
	for _, n := range []int{0, 1, smallBulk - 1, smallBulk, 3*lookupBlock + 17} {
		for _, workers := range []int{1, 2, 3} {
			t.Run(fmt.Sprintf("n=%d/workers=%d", n, workers), func(t *testing.T) {
				r := rand.New(rand.NewPCG(uint64(n), uint64(workers)))
				keys := make([][]byte, n)
				for i := range keys {
					switch x := r.IntN(100); {
					case x < 2:
						keys[i] = nil
					case x < 3:
						keys[i] = long
					default:
						keys[i] = key(r.IntN(25_000)) // a fifth unknown
					}
				}
				want := make([]uint32, n)
				wantFound := 0
				for i, k := range keys {
					want[i] = NoOrdinal
					if k != nil && len(k) <= MaxKeyLen {
						var st Status
						if want[i], st = tab.Lookup(k); st == OK {
							wantFound++
						}
					}
				}
				got := make([]uint32, n)
				for i := range got {
					got[i] = 12345 // every item must be written
				}
				found := tab.LookupMany(n, encodeKeys(keys), got, workers)
				require.Equal(t, want, got)
				assert.Equal(t, wantFound, found)
			})
		}
	}
}
