package bench_test

import (
	"bytes"
	"crypto/sha256"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idbits/idbits/bench"
	"github.com/idbits/idbits/idtypes"
)

// fingerprint sums up everything a world holds: identities, records and
// shared devices.
func fingerprint(t *testing.T, w *bench.World) [32]byte {
	t.Helper()
	var buf bytes.Buffer
	for _, id := range w.Identities() {
		b, err := id.AppendBinary(nil)
		require.NoError(t, err)
		buf.Write(b)
	}
	for rec := range w.Records() {
		buf.WriteString(rec.At.String())
		buf.WriteByte(byte(len(rec.IDs)))
		b, err := rec.IDs[0].AppendBinary(nil)
		require.NoError(t, err)
		buf.Write(b)
	}
	for _, sd := range w.SharedDevices() {
		buf.WriteString(sd.ECID.String() + sd.OwnerAt.String() + sd.GuestAt.String())
		buf.WriteByte(byte(sd.Owner))
		buf.WriteByte(byte(sd.Guest))
	}
	return sha256.Sum256(buf.Bytes())
}

func TestGenerateDeterministic(t *testing.T) {
	// Several chunks, the last one partial.
	cfg := bench.Config{Seed: 42, People: 20_000}
	prev := runtime.GOMAXPROCS(1)
	one := fingerprint(t, bench.Generate(cfg))
	runtime.GOMAXPROCS(2)
	two := fingerprint(t, bench.Generate(cfg))
	runtime.GOMAXPROCS(prev)
	again := fingerprint(t, bench.Generate(cfg))
	assert.Equal(t, one, two, "GOMAXPROCS 1 and 2 give different worlds")
	assert.Equal(t, one, again, "the same seed gives different worlds")

	cfg.Seed = 43
	other := bench.Generate(cfg)
	assert.NotEqual(t, one, fingerprint(t, other), "seeds 42 and 43 give the same world")
	w := bench.Generate(bench.Config{Seed: 42, People: 20_000})
	assert.NotEqual(t, w.IDs(0), other.IDs(0), "seeds 42 and 43 give person 0 the same identities")
}

func TestDistributions(t *testing.T) {
	const people = 100_000
	w := bench.Generate(bench.Config{Seed: 7, People: people})
	require.Equal(t, people, w.People())

	var ecids, ones, over20, maxECIDs int
	count := map[idtypes.Namespace]int{}
	for p := range w.People() {
		k := 0
		for _, id := range w.IDs(p) {
			count[id.Namespace()]++
			if id.Namespace() == idtypes.ECID {
				k++
			}
		}
		ecids += k
		maxECIDs = max(maxECIDs, k)
		if k == 1 {
			ones++
		}
		if k > 20 {
			over20++
		}
	}
	share := func(n int) float64 { return float64(n) / people }
	assert.InDelta(t, 2.5, float64(ecids)/people, 0.2, "mean ECIDs per person")
	assert.InDelta(t, 0.64, share(ones), 0.02, "share of people with one ECID")
	assert.Greater(t, over20, 0, "no person has more than 20 ECIDs: the tail is missing")
	assert.LessOrEqual(t, maxECIDs, bench.MaxECIDs)
	assert.InDelta(t, 0.70, share(count[idtypes.CRMID]), 0.02, "CRM ID share")
	assert.InDelta(t, 0.60, share(count[idtypes.Email]), 0.02, "email share")
	assert.Equal(t, count[idtypes.Email], count[idtypes.EmailSHA256], "every email has its hash")
	assert.InDelta(t, 0.30, share(count[idtypes.Phone]), 0.02, "phone share")
	assert.InDelta(t, 0.02, share(len(w.SharedDevices())), 0.005, "shared devices per person")
	assert.Equal(t, ecids, count[idtypes.ECID])
	assert.Equal(t, ecids+len(w.SharedDevices()), w.RecordCount())
}

func TestConfig(t *testing.T) {
	tests := []struct {
		name   string
		cfg    bench.Config
		people int
		check  func(t *testing.T, w *bench.World)
	}{
		{"zero means defaults", bench.Config{}, bench.DefaultPeople, func(t *testing.T, w *bench.World) {
			assert.Equal(t, bench.Config{
				People: bench.DefaultPeople, ECIDsPerPerson: bench.DefaultECIDsPerPerson,
				CRMShare: bench.DefaultCRMShare, EmailShare: bench.DefaultEmailShare,
				PhoneShare: bench.DefaultPhoneShare, SharedShare: bench.DefaultSharedShare,
			}, w.Config())
		}},
		{"negative shares mean none", bench.Config{People: 5000, CRMShare: -1, PhoneShare: -1, SharedShare: -0.5}, 5000,
			func(t *testing.T, w *bench.World) {
				for _, id := range w.Identities() {
					assert.NotContains(t, []idtypes.Namespace{idtypes.CRMID, idtypes.Phone}, id.Namespace())
				}
				assert.Empty(t, w.SharedDevices())
			}},
		{"one ECID each, everything declared", bench.Config{People: 3000, ECIDsPerPerson: 0.5, CRMShare: 2, EmailShare: 1, PhoneShare: 1}, 3000,
			func(t *testing.T, w *bench.World) {
				for p := range w.People() {
					ids := w.IDs(p)
					require.Len(t, ids, 5)
					assert.Equal(t, []idtypes.Namespace{idtypes.ECID, idtypes.CRMID, idtypes.Email, idtypes.EmailSHA256, idtypes.Phone},
						[]idtypes.Namespace{ids[0].Namespace(), ids[1].Namespace(), ids[2].Namespace(), ids[3].Namespace(), ids[4].Namespace()})
				}
			}},
		{"mean of 10 ECIDs", bench.Config{People: 20_000, ECIDsPerPerson: 10}, 20_000, func(t *testing.T, w *bench.World) {
			ecids := 0
			for _, id := range w.Identities() {
				if id.Namespace() == idtypes.ECID {
					ecids++
				}
			}
			assert.InDelta(t, 10, float64(ecids)/float64(w.People()), 0.3)
		}},
		{"negative people mean the default", bench.Config{People: -3}, bench.DefaultPeople, nil},
		{"everyone shares", bench.Config{People: 20_000, CRMShare: 1, SharedShare: 1}, 20_000, func(t *testing.T, w *bench.World) {
			// Every person but the first of each chunk is a guest, so the
			// first person of every chunk is an owner.
			shared := w.SharedDevices()
			assert.Greater(t, len(shared), 19_990)
			index := map[idtypes.ID]int{}
			for i, id := range w.Identities() {
				index[id] = i
			}
			for _, sd := range shared {
				i, ok := index[sd.ECID]
				require.True(t, ok)
				require.Equal(t, idtypes.ECID, sd.ECID.Namespace())
				require.Equal(t, sd.Owner, w.Owner(i), "the ECID of %+v", sd)
				require.Equal(t, sd.OwnerAt, w.FirstSeen(i))
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := bench.Generate(tt.cfg)
			assert.Equal(t, tt.people, w.People())
			if tt.check != nil {
				tt.check(t, w)
			}
		})
	}
}

// order is the rank of a namespace in a person's identities.
var order = map[idtypes.Namespace]int{idtypes.ECID: 0, idtypes.CRMID: 1, idtypes.Email: 2, idtypes.EmailSHA256: 3, idtypes.Phone: 4}

func TestIdentities(t *testing.T) {
	w := bench.Generate(bench.Config{Seed: 3, People: 10_000})
	start, end := w.Window()
	assert.Equal(t, "2026-03-03T00:00:00Z 2026-06-01T00:00:00Z", start.Format(time.RFC3339)+" "+end.Format(time.RFC3339))
	assert.Equal(t, bench.Window, end.Sub(start))

	// Plain checks in the loops: they run for every identity.
	seen := make(map[idtypes.ID]int, len(w.Identities()))
	i := 0
	prevArrival := start
	for p := range w.People() {
		ids := w.IDs(p)
		require.NotEmpty(t, ids)
		require.True(t, slices.Equal(w.Identities()[i:i+len(ids)], ids), "IDs(%d) is not its part of Identities", p)
		arrival := w.FirstSeen(i)
		if arrival.Before(prevArrival) {
			t.Fatalf("person %d arrives at %v, before person %d at %v", p, arrival, p-1, prevArrival)
		}
		prevArrival = arrival
		var email idtypes.ID
		for j, id := range ids {
			if !id.IsValid() {
				t.Fatalf("person %d identity %d is invalid", p, j)
			}
			if j > 0 {
				prev := ids[j-1].Namespace()
				if order[prev] > order[id.Namespace()] || id.Namespace() != idtypes.ECID && prev == id.Namespace() {
					t.Fatalf("person %d: %v after %v", p, id.Namespace(), prev)
				}
			}
			// Valid values survive a round trip through their text.
			if back, err := idtypes.ParseText(id.Text()); err != nil || back != id {
				t.Fatalf("ParseText(%q) = %v, %v; want %v", id.Text(), back, err, id)
			}
			switch id.Namespace() {
			case idtypes.Email:
				email = id
			case idtypes.EmailSHA256:
				if want, err := idtypes.HashEmail(email.String()); err != nil || want != id {
					t.Fatalf("person %d: hash of %v is %v, want %v (%v)", p, email, id, want, err)
				}
			}
			if q, dup := seen[id]; dup {
				t.Fatalf("%v belongs to persons %d and %d", id, q, p)
			}
			seen[id] = p
			if owner := w.Owner(i); owner != p {
				t.Fatalf("Owner(%d) = %d, want %d", i, owner, p)
			}
			if at := w.FirstSeen(i); at.Before(arrival) || !at.Before(end) {
				t.Fatalf("identity %d of person %d arriving at %v first seen at %v", i, p, arrival, at)
			}
			i++
		}
	}
	assert.Equal(t, len(w.Identities()), i)
	assert.Equal(t, -1, w.Owner(-1))
	assert.Equal(t, -1, w.Owner(i))
	assert.Nil(t, w.IDs(-1))
	assert.Nil(t, w.IDs(w.People()))
	assert.True(t, w.FirstSeen(i).IsZero())
}

func TestRecords(t *testing.T) {
	w := bench.Generate(bench.Config{Seed: 5, People: 10_000})
	start, end := w.Window()
	index := make(map[idtypes.ID]int, len(w.Identities()))
	for i, id := range w.Identities() {
		index[id] = i
	}
	shared := w.SharedDevices()
	require.NotEmpty(t, shared)
	guestOf := map[int]bench.SharedDevice{}
	for _, sd := range shared {
		guestOf[sd.Guest] = sd
	}

	// Plain checks in the loop: it runs for every record.
	inRecords := map[idtypes.ID]int{}
	ownRecords := map[idtypes.ID]int{} // records of an ECID by its owner
	n := 0
	for rec := range w.Records() {
		n++
		if len(rec.IDs) == 0 || rec.IDs[0].Namespace() != idtypes.ECID {
			t.Fatalf("record %d of person %d does not start with an ECID: %v", n, rec.Person, rec.IDs)
		}
		if rec.At.Before(start) || !rec.At.Before(end) {
			t.Fatalf("record %d at %v", n, rec.At)
		}
		ecid := rec.IDs[0]
		i, ok := index[ecid]
		if !ok {
			t.Fatalf("record %d holds unknown %v", n, ecid)
		}
		own := w.IDs(rec.Person)
		k := 0
		for k < len(own) && own[k].Namespace() == idtypes.ECID {
			k++
		}
		if !slices.Equal(own[k:], rec.IDs[1:]) {
			t.Fatalf("record %d holds %v, want the ECID and %v", n, rec.IDs, own[k:])
		}
		if owner := w.Owner(i); owner == rec.Person {
			ownRecords[ecid]++
			if !w.FirstSeen(i).Equal(rec.At) {
				t.Fatalf("record %d at %v, not at its ECID's first sight %v", n, rec.At, w.FirstSeen(i))
			}
		} else {
			sd, ok := guestOf[rec.Person]
			require.True(t, ok, "person %d logs in on %v of person %d", rec.Person, ecid, owner)
			assert.Equal(t, sd.ECID, ecid)
			assert.Equal(t, sd.Owner, owner)
			assert.Equal(t, sd.GuestAt, rec.At)
		}
		for _, id := range rec.IDs {
			inRecords[id]++
		}
	}
	assert.Equal(t, w.RecordCount(), n)
	for _, id := range w.Identities() {
		if inRecords[id] == 0 {
			t.Fatalf("%v is in no record", id)
		}
		if id.Namespace() == idtypes.ECID && ownRecords[id] != 1 {
			t.Fatalf("%v has %d records of its owner, want 1", id, ownRecords[id])
		}
	}

	owners := map[int]bool{}
	for i, sd := range shared {
		if i > 0 {
			assert.Less(t, shared[i-1].Guest, sd.Guest, "shared devices out of guest order")
		}
		assert.NotEqual(t, sd.Owner, sd.Guest)
		assert.Less(t, sd.Owner, sd.Guest)
		assert.False(t, owners[sd.Owner], "person %d owns two shared devices", sd.Owner)
		owners[sd.Owner] = true
		assert.True(t, sd.OwnerAt.Before(sd.GuestAt))
		assert.True(t, sd.GuestAt.Before(end))
		assert.Equal(t, sd.Owner, w.Owner(index[sd.ECID]))
		assert.Equal(t, w.FirstSeen(index[sd.ECID]), sd.OwnerAt)
		for _, p := range []int{sd.Owner, sd.Guest} {
			assert.True(t, slices.ContainsFunc(w.IDs(p), func(id idtypes.ID) bool {
				return id.Namespace() != idtypes.ECID
			}), "person %d of a shared device has no declared identity", p)
		}
	}
}

func TestRecordsStop(t *testing.T) {
	w := bench.Generate(bench.Config{People: 100})
	n := 0
	for range w.Records() {
		n++
		if n == 10 {
			break
		}
	}
	assert.Equal(t, 10, n)
}
