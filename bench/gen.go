package bench

import (
	"math"
	"math/bits"
	"math/rand/v2"
	"runtime"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/idbits/idbits/idtypes"
)

// chunkSize is how many people one PRNG stream generates. It is part of the
// generator's definition: changing it changes every world.
const chunkSize = 1 << 13

// Seconds in the window, and the span in which people arrive and ECIDs
// appear: the window less one day, so that a guest's login on a shared
// device always fits after the owner's.
const (
	windowSecs = uint32(Window / time.Second)
	birthSpan  = windowSecs - 24*3600
)

// Streams of a chunk's PRNG.
const (
	streamShape uint64 = iota // ECID counts, declared identities, shared devices
	streamValue               // times, ECID values
	streamSegment
)

// mix is SplitMix64's finalizer: a bijection that scatters its input.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

// newRand returns the PRNG of one stream of chunk c of the world with
// the given seed.
func newRand(seed uint64, stream, c uint64) *rand.Rand {
	return rand.New(rand.NewPCG(mix(seed), mix(stream<<48^c)))
}

// An affine numbering maps n in [0, m) to (a*n + b) mod m, a bijection
// because a is prime to m. It gives CRM IDs, email addresses and phone
// numbers that look random yet never repeat, and unknown ones (from
// n >= People) that no person has.
type affine struct{ a, b, m uint64 }

func newAffine(seed, m uint64) affine {
	a := mix(seed)%m | 1
	if a%5 == 0 {
		a += 2
	}
	return affine{a: a, b: mix(seed+1) % m, m: m}
}

func (f affine) at(n uint64) uint64 {
	hi, lo := bits.Mul64(f.a, n%f.m)
	lo, carry := bits.Add64(lo, f.b, 0)
	return bits.Rem64(hi+carry, lo, f.m)
}

// Number spaces and digits of the synthetic declared identities.
const (
	crmDigits   = 11 // CRM IDs: "C" and 11 digits
	crmSpace    = 1e11
	emailSpace  = 1e9 // emails: first.last.N@domain with N below 1e9
	phoneDigits = 9   // phones: "+447" and 9 digits (a UK mobile number)
	phoneSpace  = 1e9
)

type affines struct{ crm, email, phone affine }

func newAffines(seed uint64) affines {
	return affines{
		crm:   newAffine(mix(seed^0xc4a), crmSpace),
		email: newAffine(mix(seed^0xe4a1), emailSpace),
		phone: newAffine(mix(seed^0x940e), phoneSpace),
	}
}

var (
	firstNames = [...]string{
		"ada", "alan", "alice", "amir", "ana", "anna", "aziz", "ben", "carla", "chen",
		"chloe", "david", "elena", "emma", "farah", "grace", "hana", "ivan", "james", "jana",
		"jonas", "kemal", "laura", "leo", "lina", "luca", "maria", "mateo", "mei", "nadia",
		"noah", "olga", "omar", "priya", "rafael", "rosa", "sam", "sara", "sofia", "tom",
	}
	lastNames = [...]string{
		"adams", "bauer", "costa", "dubois", "evans", "fischer", "garcia", "hansen", "ito", "jones",
		"kim", "kowalski", "lopez", "martin", "meyer", "nguyen", "novak", "okafor", "patel", "rossi",
		"santos", "schmidt", "silva", "smith", "tanaka", "wang", "weber", "wilson", "young", "zhang",
	}
	domains = [...]string{"example.com", "example.net", "example.org", "mail.example.com"}
	cities  = [...]string{
		"Austin, TX", "Berlin, Germany", "Lyon, France", "Manchester, UK", "Osaka, Japan",
		"Porto, Portugal", "Seattle, WA", "Toronto, Canada",
	}
)

// firstNameTitle holds firstNames with a capital initial.
var firstNameTitle = func() (t [len(firstNames)]string) {
	for i, n := range firstNames {
		t[i] = strings.ToUpper(n[:1]) + n[1:]
	}
	return t
}()

// firstName returns the first name, with a capital initial, of person (or
// unknown entry) n: the name in their email address.
func (a affines) firstName(n uint64) string {
	return firstNameTitle[mix(a.email.b^n)%uint64(len(firstNames))]
}

// appendPadded appends x as exactly width decimal digits (x < 10^width).
func appendPadded(b []byte, x uint64, width int) []byte {
	n := len(b)
	for range width {
		b = append(b, '0')
	}
	for i := n + width - 1; i >= n && x != 0; i-- {
		b[i] = byte('0' + x%10)
		x /= 10
	}
	return b
}

// appendCRM appends the CRM ID of person (or unknown entry) n.
func (a affines) appendCRM(b []byte, n uint64) []byte {
	b = append(b, 'C')
	return appendPadded(b, a.crm.at(n), crmDigits)
}

// appendEmail appends the email address of person (or unknown entry) n.
func (a affines) appendEmail(b []byte, n uint64) []byte {
	h := mix(a.email.b ^ n)
	b = append(b, firstNames[h%uint64(len(firstNames))]...)
	b = append(b, '.')
	b = append(b, lastNames[h/64%uint64(len(lastNames))]...)
	b = append(b, '.')
	b = strconv.AppendUint(b, a.email.at(n), 10)
	b = append(b, '@')
	return append(b, domains[h/4096%uint64(len(domains))]...)
}

// appendPhone appends the phone number of person (or unknown entry) n.
func (a affines) appendPhone(b []byte, n uint64) []byte {
	b = append(b, "+447"...)
	return appendPadded(b, a.phone.at(n), phoneDigits)
}

// ecidCDF returns the cumulative distribution of ECIDs per person:
// P(k) proportional to k^-s for k in 1..MaxECIDs, s chosen so that the
// mean is mean. Most people have one ECID; a few have dozens.
func ecidCDF(mean float64) [MaxECIDs]float64 {
	dist := func(s float64) (cdf [MaxECIDs]float64, m float64) {
		var z float64
		for k := 1; k <= MaxECIDs; k++ {
			p := math.Pow(float64(k), -s)
			z += p
			m += float64(k) * p
			cdf[k-1] = z
		}
		for k := range cdf {
			cdf[k] /= z
		}
		cdf[MaxECIDs-1] = 1
		return cdf, m / z
	}
	lo, hi := -20.0, 60.0 // the mean falls as s grows
	for range 100 {
		mid := (lo + hi) / 2
		if _, m := dist(mid); m > mean {
			lo = mid
		} else {
			hi = mid
		}
	}
	cdf, _ := dist(hi)
	return cdf
}

// gen holds what every chunk of one world shares.
type gen struct {
	w        *World
	cdf      [MaxECIDs]float64
	guestP   float64 // chance that a person with a declared identity is a guest
	chunks   []chunk
	oneECIDs bool // every person has exactly one ECID
}

// chunk is the generation state of people [lo, hi).
type chunk struct {
	lo, hi int
	n      int      // identities
	base   int      // index of the chunk's first identity
	shared []shared // ecid holds the owner's ECID number until values resolves it
}

// Generate returns the world cfg describes. It fans out over GOMAXPROCS
// goroutines; the result does not depend on their number.
func Generate(cfg Config) *World {
	cfg = cfg.withDefaults()
	n := cfg.People
	w := &World{
		cfg:   cfg,
		idOff: make([]uint32, n+1),
		nECID: make([]uint8, n),
		flags: make([]uint8, n),
		aff:   newAffines(cfg.Seed),
	}
	g := &gen{w: w, cdf: ecidCDF(cfg.ECIDsPerPerson), oneECIDs: cfg.ECIDsPerPerson <= 1}
	// A guest needs a declared identity and so does the owner; count
	// guests among people with one so that the share of people is right.
	pDeclared := 1 - (1-cfg.CRMShare)*(1-cfg.EmailShare)*(1-cfg.PhoneShare)
	if pDeclared > 0 {
		g.guestP = min(1, cfg.SharedShare/pDeclared)
	}
	g.chunks = make([]chunk, (n+chunkSize-1)/chunkSize)
	for c := range g.chunks {
		g.chunks[c] = chunk{lo: c * chunkSize, hi: min(n, (c+1)*chunkSize)}
	}

	parallel(len(g.chunks), g.shape)
	total, nShared := 0, 0
	for c := range g.chunks {
		g.chunks[c].base = total
		total += g.chunks[c].n
		nShared += len(g.chunks[c].shared)
	}
	w.ids = make([]idtypes.ID, total)
	w.at = make([]uint32, total)
	parallel(len(g.chunks), g.values)

	w.shared = make([]shared, 0, nShared)
	ecids := 0
	for c := range g.chunks {
		w.shared = append(w.shared, g.chunks[c].shared...)
		g.chunks[c].shared = nil
	}
	for _, k := range w.nECID {
		ecids += int(k)
	}
	w.records = ecids + len(w.shared)
	return w
}

// parallel calls f(0), …, f(n-1) on up to GOMAXPROCS goroutines.
func parallel(n int, f func(int)) {
	var g errgroup.Group
	g.SetLimit(runtime.GOMAXPROCS(0))
	for i := range n {
		g.Go(func() error {
			f(i)
			return nil
		})
	}
	_ = g.Wait() // f returns no errors
}

// shape draws, for the people of chunk c, how many ECIDs they have, which
// declared identities, and who is a guest on whose device. It stores each
// person's identity count in idOff[p+1].
func (g *gen) shape(c int) {
	ch := &g.chunks[c]
	w, cfg := g.w, g.w.cfg
	r := newRand(cfg.Seed, streamShape, uint64(c))
	prev := -1 // the last person of the chunk with a declared identity
	for p := ch.lo; p < ch.hi; p++ {
		k := 1
		if !g.oneECIDs {
			u := r.Float64()
			for k < MaxECIDs && u >= g.cdf[k-1] {
				k++
			}
		}
		var f uint8
		if r.Float64() < cfg.CRMShare {
			f |= hasCRM
		}
		if r.Float64() < cfg.EmailShare {
			f |= hasEmail
		}
		if r.Float64() < cfg.PhoneShare {
			f |= hasPhone
		}
		if f != 0 {
			if r.Float64() < g.guestP && prev >= 0 {
				j := r.IntN(int(w.nECID[prev]))
				ch.shared = append(ch.shared, shared{host: uint32(prev), guest: uint32(p), ecid: uint32(j)})
			}
			prev = p
		}
		w.nECID[p] = uint8(k)
		w.flags[p] = f
		cnt := k + declared(f)
		w.idOff[p+1] = uint32(cnt)
		ch.n += cnt
	}
}

// values fills in the identities of the people of chunk c and the times
// they were first seen, and completes the chunk's shared devices.
func (g *gen) values(c int) {
	ch := &g.chunks[c]
	w := g.w
	people := float64(len(w.nECID))
	r := newRand(w.cfg.Seed, streamValue, uint64(c))
	buf := make([]byte, 0, 64)
	off := uint32(ch.base)
	for p := ch.lo; p < ch.hi; p++ {
		start := off
		off += w.idOff[p+1]
		w.idOff[p+1] = off
		k := uint32(w.nECID[p])

		// Cookie churn: the first ECID appears on arrival, later ones
		// at uniform times after it, in order.
		arrival := uint32((float64(p) + r.Float64()) * float64(birthSpan) / people)
		arrival = min(arrival, birthSpan-1)
		at := w.at[start : start+k]
		at[0] = arrival
		for j := 1; j < len(at); j++ {
			t := arrival + r.Uint32N(birthSpan-arrival)
			i := j
			for ; i > 1 && at[i-1] > t; i-- {
				at[i] = at[i-1]
			}
			at[i] = t
		}
		for j := range k {
			// Both halves are below 2^63, so FromHalves cannot fail.
			w.ids[start+j], _ = idtypes.FromHalves(idtypes.ECID, r.Uint64()>>1, r.Uint64()>>1)
		}

		// Declared identities, first seen with the first ECID.
		i := start + k
		f := w.flags[p]
		n := uint64(p)
		if f&hasCRM != 0 {
			buf = w.aff.appendCRM(buf[:0], n)
			w.ids[i] = parseOwn(idtypes.CRMID, buf)
			w.at[i] = arrival
			i++
		}
		if f&hasEmail != 0 {
			buf = w.aff.appendEmail(buf[:0], n)
			addr := string(buf)
			w.ids[i], _ = idtypes.Parse(idtypes.Email, addr)
			w.ids[i+1], _ = idtypes.HashEmail(addr)
			w.at[i], w.at[i+1] = arrival, arrival
			i += 2
		}
		if f&hasPhone != 0 {
			buf = w.aff.appendPhone(buf[:0], n)
			w.ids[i] = parseOwn(idtypes.Phone, buf)
			w.at[i] = arrival
		}
	}

	// The owners of the chunk's shared devices are in the chunk, so their
	// identities are in place now. The guest logs in after the owner.
	for s := range ch.shared {
		sd := &ch.shared[s]
		// idOff[lo] belongs to the previous chunk, which may still be
		// writing it.
		hostStart := uint32(ch.base)
		if int(sd.host) > ch.lo {
			hostStart = w.idOff[sd.host]
		}
		sd.ecid += hostStart
		ownerAt := w.at[sd.ecid]
		sd.guestAt = ownerAt + 1 + r.Uint32N(windowSecs-ownerAt-1)
	}
}

// parseOwn parses a value the generator made. Those are valid by
// construction, which the tests check; an invalid one would give the zero
// ID.
func parseOwn(ns idtypes.Namespace, b []byte) idtypes.ID {
	id, _ := idtypes.Parse(ns, string(b))
	return id
}
