package resolve

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// Test namespaces: small numbers. With testRules, 5 (a CRM ID) outranks the
// rest, which follow numeric order; 5 and 6 are unique.
const (
	nsECID  = 1
	nsIDFA  = 3
	nsCRM   = 5
	nsEmail = 6
)

func testRules(max int) Rules {
	return Rules{
		CompareNS: func(a, b uint16) int {
			pa, pb := a != nsCRM, b != nsCRM // CRM first
			if pa != pb {
				if !pa {
					return -1
				}
				return 1
			}
			return cmp.Compare(a, b)
		},
		// Reverse ordinal order, so canonical order differs from arrival order.
		CompareID:     func(a, b uint32) int { return cmp.Compare(b, a) },
		Unique:        []uint16{nsCRM, nsEmail},
		MaxIdentities: max,
	}
}

// rec is a record for tests; the namespace of ordinal o is nsFor(o).
type rec struct {
	at   int64
	ords []uint32
}

// nsFor gives each test ordinal a fixed namespace.
func nsFor(o uint32) uint16 {
	switch o % 10 {
	case 0:
		return nsCRM
	case 1:
		return nsEmail
	case 2, 3:
		return nsIDFA
	}
	return nsECID
}

func nssFor(ords []uint32) []uint16 {
	nss := make([]uint16, len(ords))
	for i, o := range ords {
		nss[i] = nsFor(o)
	}
	return nss
}

// link orders and appends one record.
func link(g *Graph, at int64, ords ...uint32) {
	ords = slices.Clone(ords)
	nss := nssFor(ords)
	n := g.Order(ords, nss)
	if _, err := g.Append(at, ords[:n], nss[:n]); err != nil {
		panic(err) // the tests' logs are far below the limits
	}
}

// profiles returns the canonical profile set of a view: each profile as
// "key:sorted members", sorted.
func profiles(v *View, universe []uint32) []string {
	keys := map[uint32][]uint32{}
	for _, o := range universe {
		if k := v.KeyOf(o); k != None {
			keys[k] = append(keys[k], o)
		}
	}
	var out []string
	for k, ms := range keys {
		slices.Sort(ms)
		out = append(out, fmt.Sprint(k, ":", ms))
	}
	slices.Sort(out)
	return out
}

// viewProfiles lists the profiles of a view by walking its circular lists
// from every identity in universe, checking the lists agree with Profile
// and Key, and that the numbers are those of the view: each profile has one
// live number below Numbers(), its members carry it, and no other number
// is live.
func viewProfiles(t testing.TB, v *View, universe []uint32) []string {
	t.Helper()
	var out []string
	seen := map[uint32]bool{} // numbers
	n := 0
	for _, o := range universe {
		p := v.Profile(o)
		if p == None || seen[p] {
			continue
		}
		seen[p] = true
		require.True(t, v.Live(p), "number %d of identity %d is live", p, o)
		require.Less(t, p, v.Numbers(), "number %d of identity %d", p, o)
		k := v.Key(p)
		var ms []uint32
		v.Members(p, func(m uint32) bool {
			require.Equal(t, p, v.Profile(m), "member %d of profile %d", m, p)
			ms = append(ms, m)
			return true
		})
		require.Equal(t, k, ms[0], "key first")
		n += len(ms)
		slices.Sort(ms)
		out = append(out, fmt.Sprint(k, ":", ms))
	}
	slices.Sort(out)
	require.Equal(t, len(out), v.Len(), "Len")
	require.Equal(t, n, v.Identities(), "Identities")
	require.Equal(t, profiles(v, universe), out, "Key and Members agree")
	live := 0
	for p := range v.Numbers() {
		if v.Live(p) {
			live++
			require.True(t, seen[p], "live number %d has members in the universe", p)
		}
	}
	require.Equal(t, v.Len(), live, "live numbers")
	return out
}

// numbers returns the live numbers of v by key: key -> number.
func numbers(v *View) map[uint32]uint32 {
	out := map[uint32]uint32{}
	for p := range v.Numbers() {
		if v.Live(p) {
			out[v.Key(p)] = p
		}
	}
	return out
}

// checkNumbering checks the numbers of view v, resolved from prev with
// delta d, against the numbering invariants: a number live in both views
// keeps its key; a number dead in prev stays dead; numbers are handed out
// from prev.Numbers() up (Born) and live = prev's live - Died + Born; a
// profile keeps its number exactly when its key was a key in prev; Deaths
// counts the numbers that died. dead collects the numbers seen dead so far.
func checkNumbering(t testing.TB, prev, v *View, d Delta, dead map[uint32]bool) {
	t.Helper()
	require.GreaterOrEqual(t, v.Numbers(), prev.Numbers(), "numbers are never taken back")
	var born []uint32
	for p := prev.Numbers(); p < v.Numbers(); p++ {
		born = append(born, p)
		require.True(t, v.Live(p), "born number %d is live", p)
	}
	require.Equal(t, born, nilIfEmpty(d.Born), "Born")
	var died []uint32
	for p := range prev.Numbers() {
		if dead[p] {
			require.False(t, v.Live(p), "dead number %d lives again", p)
			require.False(t, prev.Live(p))
			continue
		}
		switch {
		case prev.Live(p) && v.Live(p):
			require.Equal(t, prev.Key(p), v.Key(p), "number %d keeps its key", p)
		case prev.Live(p):
			died = append(died, p)
			dead[p] = true
			require.Equal(t, prev.Key(p), v.Key(p), "dead number %d keeps its last key", p)
		}
	}
	require.Equal(t, died, nilIfEmpty(d.Died), "Died")
	require.Equal(t, prev.Deaths()+uint64(len(died)), v.Deaths(), "Deaths")
	require.Subset(t, d.Changed, d.Died, "Died is a subset of Changed")
	was := numbers(prev)
	for k, p := range numbers(v) {
		if q, ok := was[k]; ok {
			require.Equal(t, q, p, "the profile keyed by %d keeps its number", k)
		} else {
			require.GreaterOrEqual(t, p, prev.Numbers(), "the profile keyed by %d is new", k)
		}
	}
}

// checkFullNumbering checks that a view resolved from an empty one numbers
// its profiles 0..Len()-1 in increasing key ordinal.
func checkFullNumbering(t testing.TB, v *View) {
	t.Helper()
	require.Equal(t, uint32(v.Len()), v.Numbers(), "no hole")
	for p := range v.Numbers() {
		require.True(t, v.Live(p), "number %d", p)
		if p > 0 {
			require.Less(t, v.Key(p-1), v.Key(p), "numbers in key order")
		}
	}
}

// keysOf maps numbers of v to their keys, sorted.
func keysOf(v *View, ps []uint32) []uint32 {
	var out []uint32
	for _, p := range ps {
		out = append(out, v.Key(p))
	}
	slices.Sort(out)
	return out
}

func nilIfEmpty(s []uint32) []uint32 {
	if len(s) == 0 {
		return nil
	}
	return s
}

// reference resolves records from scratch, naively: one global replay with
// map-based sets. It is the specification Graph must match.
func reference(r Rules, recs []rec, erased map[uint32]bool) []string {
	t := newNSTable(r)
	cmpID := func(a, b uint32) int {
		if r.CompareID == nil {
			return cmp.Compare(a, b)
		}
		return r.CompareID(a, b)
	}
	less := func(a, b uint32) int {
		if a == b {
			return 0
		}
		ra, rb := t.see(nsFor(a)), t.see(nsFor(b))
		if ra != rb {
			return cmp.Compare(ra, rb)
		}
		return cmpID(a, b)
	}
	type rr struct {
		at   int64
		ords []uint32
	}
	var all []rr
	for _, x := range recs {
		for _, o := range x.ords {
			t.see(nsFor(o)) // register first: ranks shift when a namespace appears
		}
	}
	for _, x := range recs {
		var o []uint32
		for _, id := range x.ords {
			if !erased[id] && !slices.Contains(o, id) {
				o = append(o, id)
			}
		}
		if len(o) == 0 {
			continue
		}
		slices.SortFunc(o, less)
		all = append(all, rr{x.at, o})
	}
	slices.SortStableFunc(all, func(a, b rr) int {
		if a.at != b.at {
			return cmp.Compare(b.at, a.at)
		}
		for i := range min(len(a.ords), len(b.ords)) {
			if c := less(a.ords[i], b.ords[i]); c != 0 {
				return c
			}
		}
		return cmp.Compare(len(a.ords), len(b.ords))
	})
	type rset struct {
		m  []uint32
		ns map[uint16]int
	}
	set := map[uint32]*rset{}
	get := func(o uint32) *rset {
		if s, ok := set[o]; ok {
			return s
		}
		s := &rset{m: []uint32{o}, ns: map[uint16]int{nsFor(o): 1}}
		set[o] = s
		return s
	}
	for _, x := range all {
		s0 := get(x.ords[0])
		for _, o := range x.ords[1:] {
			s := get(o)
			if s == s0 {
				continue
			}
			ok := r.MaxIdentities <= 0 || len(s0.m)+len(s.m) <= r.MaxIdentities
			for _, u := range r.Unique {
				if s0.ns[u] > 0 && s.ns[u] > 0 {
					ok = false
				}
			}
			if !ok {
				continue
			}
			for _, m := range s.m {
				s0.m = append(s0.m, m)
				s0.ns[nsFor(m)]++
				set[m] = s0
			}
		}
	}
	done := map[string]bool{}
	var out []string
	for _, s := range set {
		ms := slices.Clone(s.m)
		key := slices.MinFunc(ms, less)
		slices.Sort(ms)
		p := fmt.Sprint(key, ":", ms)
		if !done[p] {
			done[p] = true
			out = append(out, p)
		}
	}
	slices.Sort(out)
	return out
}

// randomRecords makes n records over ordinals [0, ids), times in [0, times).
func randomRecords(rnd *rand.Rand, n, ids, times, maxLen int) []rec {
	out := make([]rec, n)
	for i := range out {
		k := 1 + rnd.IntN(maxLen)
		r := rec{at: int64(rnd.IntN(times))}
		for range k {
			r.ords = append(r.ords, uint32(rnd.IntN(ids)))
		}
		out[i] = r
	}
	return out
}

func universeOf(recs []rec) []uint32 {
	var u []uint32
	for _, r := range recs {
		u = append(u, r.ords...)
	}
	slices.Sort(u)
	return slices.Compact(u)
}

func build(r Rules, recs []rec) *Graph {
	g := New(r)
	for _, x := range recs {
		link(g, x.at, x.ords...)
	}
	return g
}

func short(ps []string) string { return strings.Join(ps, " ") }
