package bench

import (
	"iter"
	"sort"
	"time"

	"github.com/idbits/idbits/idtypes"
)

// Defaults for the zero fields of [Config].
const (
	DefaultPeople         = 1000
	DefaultECIDsPerPerson = 2.5
	DefaultCRMShare       = 0.70
	DefaultEmailShare     = 0.60
	DefaultPhoneShare     = 0.30
	DefaultSharedShare    = 0.02
)

// Limits of the generator.
const (
	// MaxPeople is the largest world Generate makes; larger Config.People
	// values are lowered to it. It keeps every identity and record
	// addressable with 32-bit indexes.
	MaxPeople = 1 << 26
	// MaxECIDs is the most ECIDs one person has.
	MaxECIDs = 50
)

// Window is the length of the time window every record falls in: the 90 days
// ending on 31 May 2026, UTC. See [World.Window].
const Window = 90 * 24 * time.Hour

var (
	windowStart = time.Date(2026, time.March, 3, 0, 0, 0, 0, time.UTC)
	windowEnd   = windowStart.Add(Window) // 2026-06-01T00:00:00Z
)

// Config describes a world to generate. The zero value of each field means
// its default; a negative share means none. Shares are fractions of people
// in [0, 1]; larger values are lowered to 1.
type Config struct {
	// Seed selects the world: the same Config always gives the same world,
	// whatever the number of CPUs. Zero is an ordinary seed.
	Seed uint64
	// People is the number of people; default DefaultPeople, at most MaxPeople.
	People int
	// ECIDsPerPerson is the mean number of ECIDs per person, default 2.5.
	// Values below 1 mean 1; values above MaxECIDs-5 are lowered to it.
	ECIDsPerPerson float64
	// CRMShare is the share of people with a CRM ID, default 0.70.
	CRMShare float64
	// EmailShare is the share of people with an email address (and its
	// SHA-256), default 0.60.
	EmailShare float64
	// PhoneShare is the share of people with a phone number, default 0.30.
	PhoneShare float64
	// SharedShare is the number of shared devices as a share of people,
	// default 0.02. A shared device is an ECID of one person on which a
	// second person later logs in.
	SharedShare float64
}

// withDefaults returns c with defaults filled in and values clamped.
func (c Config) withDefaults() Config {
	switch {
	case c.People <= 0:
		c.People = DefaultPeople
	case c.People > MaxPeople:
		c.People = MaxPeople
	}
	switch {
	case c.ECIDsPerPerson == 0 || c.ECIDsPerPerson != c.ECIDsPerPerson: // zero or NaN
		c.ECIDsPerPerson = DefaultECIDsPerPerson
	case c.ECIDsPerPerson < 1:
		c.ECIDsPerPerson = 1
	case c.ECIDsPerPerson > MaxECIDs-5:
		c.ECIDsPerPerson = MaxECIDs - 5
	}
	c.CRMShare = share(c.CRMShare, DefaultCRMShare)
	c.EmailShare = share(c.EmailShare, DefaultEmailShare)
	c.PhoneShare = share(c.PhoneShare, DefaultPhoneShare)
	c.SharedShare = share(c.SharedShare, DefaultSharedShare)
	return c
}

// share applies the zero-means-default, negative-means-none rule.
func share(v, def float64) float64 {
	switch {
	case v == 0 || v != v: // zero or NaN
		return def
	case v < 0:
		return 0
	case v > 1:
		return 1
	}
	return v
}

// World is a generated population: people, their identities and the
// login records that link them. It is immutable, and safe for concurrent use.
type World struct {
	cfg Config

	ids   []idtypes.ID // every identity, grouped by person
	at    []uint32     // seconds from the window start at which ids[i] was first seen
	idOff []uint32     // person p owns ids[idOff[p]:idOff[p+1]]
	nECID []uint8      // person p's first nECID[p] identities are ECIDs
	flags []uint8      // which declared identities person p has

	shared  []shared // ordered by guest
	records int
	aff     affines // CRM, email and phone numbering
}

// flags of a person.
const (
	hasCRM uint8 = 1 << iota
	hasEmail
	hasPhone
)

// declared returns how many declared identities flags f give: an email
// address counts twice, for its SHA-256.
func declared(f uint8) int {
	n := 0
	if f&hasCRM != 0 {
		n++
	}
	if f&hasEmail != 0 {
		n += 2
	}
	if f&hasPhone != 0 {
		n++
	}
	return n
}

// shared is a shared device: the host's ECID ids[ecid], on which the guest
// logged in at guestAt.
type shared struct {
	host, guest uint32
	ecid        uint32
	guestAt     uint32
}

// Config returns the configuration the world was generated with, defaults
// filled in.
func (w *World) Config() Config { return w.cfg }

// People returns the number of people. People are numbered from 0 in order
// of arrival: person p was first seen no later than person p+1.
func (w *World) People() int { return len(w.nECID) }

// Window returns the time window of the world's records: the 90 days from
// start (included) to end (excluded), 3 March to 31 May 2026, UTC.
func (w *World) Window() (start, end time.Time) { return windowStart, windowEnd }

// Identities returns every identity of the world, grouped by person in
// person order: the identities of person p are the slice [World.IDs]
// returns for p. The slice is shared: do not modify it. Every identity is
// valid and appears once.
func (w *World) Identities() []idtypes.ID { return w.ids }

// IDs returns the identities of person p: their ECIDs in the order they
// were first seen, then their CRM ID, email address, the address's SHA-256
// and phone number, those they have. The slice is shared: do not modify
// it. IDs returns nil if p is not a person.
func (w *World) IDs(p int) []idtypes.ID {
	if p < 0 || p >= len(w.nECID) {
		return nil
	}
	return w.ids[w.idOff[p]:w.idOff[p+1]]
}

// Owner returns the person the identity Identities()[i] belongs to, or -1
// if i is out of range. This is the ground truth: the person whose device
// an ECID is, even for a shared device.
func (w *World) Owner(i int) int {
	if i < 0 || i >= len(w.ids) {
		return -1
	}
	// The last person whose first identity is at or before i.
	return sort.Search(len(w.nECID), func(p int) bool { return int(w.idOff[p+1]) > i })
}

// FirstSeen returns when the identity Identities()[i] first appeared in a
// record, or the zero time if i is out of range.
func (w *World) FirstSeen(i int) time.Time {
	if i < 0 || i >= len(w.ids) {
		return time.Time{}
	}
	return windowStart.Add(time.Duration(w.at[i]) * time.Second)
}

// A SharedDevice is an ECID that two people log in on: the owner when the
// ECID first appears, the guest later. Identity graphs with a
// last-authenticated rule give the device to the guest.
type SharedDevice struct {
	ECID    idtypes.ID
	Owner   int       // the person who logged in first
	Guest   int       // the person who logged in later
	OwnerAt time.Time // the owner's login
	GuestAt time.Time // the guest's login, after OwnerAt
}

// SharedDevices returns the shared devices in increasing order of guest.
// Every guest has one shared device, every owner at most one (as owner),
// and owner and guest both have a declared identity.
func (w *World) SharedDevices() []SharedDevice {
	out := make([]SharedDevice, len(w.shared))
	for i, s := range w.shared {
		out[i] = SharedDevice{
			ECID:    w.ids[s.ecid],
			Owner:   int(s.host),
			Guest:   int(s.guest),
			OwnerAt: windowStart.Add(time.Duration(w.at[s.ecid]) * time.Second),
			GuestAt: windowStart.Add(time.Duration(s.guestAt) * time.Second),
		}
	}
	return out
}

// A Record is one login or visit: identifiers seen together at one time.
type Record struct {
	At     time.Time
	Person int          // who logged in or visited
	IDs    []idtypes.ID // an ECID, then the person's declared identities
}

// RecordCount returns the number of records [World.Records] yields: one
// per ECID, plus one per shared device.
func (w *World) RecordCount() int { return w.records }

// Records returns the records person by person. Each person has one
// record per ECID, at the time the ECID was first seen, holding the ECID
// and all the person's declared identities (CRM ID, email, its SHA-256,
// phone); a person with no declared identity has records of a lone ECID.
// A guest of a shared device has one more record, last: the owner's ECID
// and the guest's declared identities. Records are not in time order
// across people.
//
// The IDs slice of each record is reused: it is valid only until the
// loop body returns; copy it to keep it.
func (w *World) Records() iter.Seq[Record] {
	return func(yield func(Record) bool) {
		buf := make([]idtypes.ID, 1, 8)
		next := 0 // index in w.shared of the next guest
		for p := range w.nECID {
			ids := w.IDs(p)
			k := int(w.nECID[p])
			buf = append(buf[:1], ids[k:]...)
			for j := range k {
				buf[0] = ids[j]
				rec := Record{At: windowStart.Add(time.Duration(w.at[int(w.idOff[p])+j]) * time.Second), Person: p, IDs: buf}
				if !yield(rec) {
					return
				}
			}
			if next < len(w.shared) && int(w.shared[next].guest) == p {
				s := w.shared[next]
				next++
				buf[0] = w.ids[s.ecid]
				rec := Record{At: windowStart.Add(time.Duration(s.guestAt) * time.Second), Person: p, IDs: buf}
				if !yield(rec) {
					return
				}
			}
		}
	}
}
