package reconcile_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/idbits/idbits/bitmap"
	"github.com/idbits/idbits/idtypes"
	"github.com/idbits/idbits/reconcile"
	"github.com/stretchr/testify/require"
)

var snapT0 = time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC)

// snapLoyalty is a custom namespace the snapshot worlds use.
var snapLoyalty = func() idtypes.Namespace {
	ns, err := idtypes.DeclareNamespace("Loyalty_Snap")
	if err != nil {
		panic(err)
	}
	return ns
}()

func snapRules() reconcile.Rules {
	return reconcile.Rules{
		Unique:        []idtypes.Namespace{idtypes.CRMID, snapLoyalty},
		Priority:      []idtypes.Namespace{idtypes.CRMID, snapLoyalty, idtypes.Email},
		MaxIdentities: 12,
	}
}

// snapPerson returns the identifiers of person p: two ECIDs, a CRM ID, an
// email, a hashed email and a loyalty number.
func snapPerson(p int) []idtypes.ID {
	e1, _ := idtypes.FromHalves(idtypes.ECID, uint64(p)*7+1, uint64(p)*13)
	e2, _ := idtypes.FromHalves(idtypes.ECID, uint64(p)*7+2, uint64(p)*13+5)
	h, err := idtypes.HashEmail(fmt.Sprintf("hashed.%d@example.org", p))
	if err != nil {
		panic(err)
	}
	return []idtypes.ID{
		e1, e2,
		idtypes.MustParse(idtypes.CRMID, fmt.Sprintf("C-%06d", p)),
		idtypes.MustParse(idtypes.Email, fmt.Sprintf("p%d@example.com", p)),
		h,
		idtypes.MustParse(snapLoyalty, fmt.Sprintf("L%d", p)),
	}
}

// snapWorld links people into a graph: each person's identifiers in a few
// records, some shared devices (an ECID of one person logging in as the
// next, which the Unique rule cuts or moves), then erases a few identifiers
// and puts three audiences in the catalog.
func snapWorld(tb testing.TB, seed uint64, people int) *reconcile.Graph {
	tb.Helper()
	rnd := rand.New(rand.NewPCG(seed, 0x5a9))
	g := mustGraph(snapRules())
	var b reconcile.Batch
	for p := range people {
		ids := snapPerson(p)
		at := snapT0.Add(time.Duration(rnd.IntN(1e6)) * time.Second)
		b.Add(at, ids[0], ids[2])
		b.Add(at.Add(time.Minute), ids[2], ids[3], ids[5])
		if rnd.IntN(2) == 0 {
			b.Add(at.Add(time.Hour), ids[1], ids[3], ids[4])
		} else {
			b.Add(at.Add(time.Hour), ids[1])
		}
		if p > 0 && rnd.IntN(4) == 0 {
			b.Add(at.Add(2*time.Hour), snapPerson(p - 1)[0], ids[2])
		}
	}
	rep, err := g.LinkMany(&b)
	require.NoError(tb, err)
	require.Equal(tb, b.Len(), rep.Linked)

	v := g.View()
	cat := g.Catalog()
	var even, odd bitmap.Builder
	i := 0
	for k := range v.Profiles().All() {
		if i%2 == 0 {
			even.Add(uint32(k))
		} else {
			odd.Add(uint32(k))
		}
		i++
	}
	ev, err := v.AsProfiles(even.Audience())
	require.NoError(tb, err)
	od, err := v.AsProfiles(odd.Audience())
	require.NoError(tb, err)
	require.NoError(tb, cat.Put("even", ev))
	require.NoError(tb, cat.Put("odd ünïcode", od))
	require.NoError(tb, cat.Put("empty", reconcile.Profiles{}))

	for p := 0; p < people; p += 3 {
		_, err := g.Erase(snapPerson(p)[3])
		require.NoError(tb, err)
	}
	if people > 1 {
		_, err := g.Erase(snapPerson(1)[0], snapPerson(1)[2])
		require.NoError(tb, err)
	}
	return g
}

// snapBytes writes a snapshot of g.
func snapBytes(tb testing.TB, g *reconcile.Graph) []byte {
	tb.Helper()
	var buf bytes.Buffer
	n, err := g.WriteTo(&buf)
	require.NoError(tb, err)
	require.Equal(tb, int64(buf.Len()), n)
	return buf.Bytes()
}

type snapRecord struct {
	At   time.Time
	Ords []uint32
}

func snapRecords(g *reconcile.Graph) []snapRecord {
	var out []snapRecord
	for at, ords := range g.Records() {
		out = append(out, snapRecord{at, slices.Clone(ords)})
	}
	return out
}

// requireSameGraph checks that got holds what want holds: every ordinal's
// identifier or tombstone, the records, the rules, the profiles and cuts,
// and the catalog. Profiles are compared by key: a loaded graph numbers its
// profiles afresh, 0..P-1.
func requireSameGraph(tb testing.TB, want, got *reconcile.Graph) {
	tb.Helper()
	wd, gd := want.Dictionary(), got.Dictionary()
	require.Equal(tb, wd.Len(), gd.Len(), "dictionary length")
	wv, gv := want.View(), got.View()
	for o := range uint32(wd.Len()) {
		wid, wok := wd.ID(o)
		gid, gok := gd.ID(o)
		lo, lok := gd.Lookup(wid)
		if wok != gok || wid != gid || wd.Erased(o) != gd.Erased(o) || wd.NamespaceOf(o) != gd.NamespaceOf(o) || lok != wok || wok && lo != o {
			tb.Fatalf("ordinal %d: got %v (live %v, erased %v, %v; looked up: %d, %v), want %v (live %v, erased %v, %v)",
				o, gid, gok, gd.Erased(o), gd.NamespaceOf(o), lo, lok, wid, wok, wd.Erased(o), wd.NamespaceOf(o))
		}
		wp, wok := wv.ProfileOf(o)
		gp, gok := gv.ProfileOf(o)
		if wok != gok || wv.Key(wp) != gv.Key(gp) {
			tb.Fatalf("profile of ordinal %d: got key %v, %v; want %v, %v", o, gv.Key(gp).Text(), gok, wv.Key(wp).Text(), wok)
		}
	}
	require.Equal(tb, profileKeyTexts(wv, wv.Profiles()), profileKeyTexts(gv, gv.Profiles()), "profiles")
	require.Equal(tb, gv.Len(), gv.Numbers(), "a loaded graph has no hole")
	require.Equal(tb, wv.Len(), gv.Len())
	require.Equal(tb, wv.Identities(), gv.Identities())
	require.Equal(tb, want.Rules(), got.Rules())
	wr, gr := snapRecords(want), snapRecords(got)
	require.Equal(tb, len(wr), len(gr), "records")
	for i := range wr {
		if !wr[i].At.Equal(gr[i].At) || !slices.Equal(wr[i].Ords, gr[i].Ords) {
			tb.Fatalf("record %d: got %v, want %v", i, gr[i], wr[i])
		}
	}
	require.Equal(tb, slices.Collect(wv.Cuts()), slices.Collect(gv.Cuts()))
	wc, gc := want.Catalog(), got.Catalog()
	require.Equal(tb, wc.Names(), gc.Names())
	for _, name := range wc.Names() {
		wa, ok := wc.Get(name)
		require.True(tb, ok)
		ga, ok := gc.Get(name)
		require.True(tb, ok)
		require.Equal(tb, profileKeyTexts(wv, wa), profileKeyTexts(gv, ga), "audience %q", name)
		wi, _ := wc.Identities(name)
		gi, _ := gc.Identities(name)
		var live []uint32
		for o := range wi.All() {
			if !wd.Erased(o) {
				live = append(live, o)
			}
		}
		require.Equal(tb, live, gi.AppendTo(nil), "identities of %q", name)
	}
}

// snapSection is one section of a snapshot as the tests see it.
type snapSection struct {
	Tag     string
	Payload []byte
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// parseSnap splits a well-formed snapshot into its header and sections
// (without the end marker), following the format spec independently of the
// reader.
func parseSnap(tb testing.TB, b []byte) (header []byte, secs []snapSection) {
	tb.Helper()
	require.GreaterOrEqual(tb, len(b), 32)
	header, b = b[:16], b[16:]
	for {
		tag := string(b[:4])
		if tag == "END\x00" {
			require.Len(tb, b, 16)
			return header, secs
		}
		n := binary.LittleEndian.Uint64(b[4:])
		secs = append(secs, snapSection{tag, slices.Clone(b[12 : 12+n])})
		require.Equal(tb, crc32.Checksum(b[12:12+n], castagnoli), binary.LittleEndian.Uint32(b[12+n:]))
		b = b[16+n:]
	}
}

// buildSnap assembles a snapshot with correct lengths and checksums.
func buildSnap(header []byte, secs []snapSection) []byte {
	out := slices.Clone(header)
	for _, s := range secs {
		out = append(out, s.Tag...)
		out = binary.LittleEndian.AppendUint64(out, uint64(len(s.Payload)))
		out = append(out, s.Payload...)
		out = binary.LittleEndian.AppendUint32(out, crc32.Checksum(s.Payload, castagnoli))
	}
	end := len(out)
	sum := crc32.Checksum(out, castagnoli)
	out = append(out, "END\x00"...)
	out = binary.LittleEndian.AppendUint64(out, uint64(end))
	return binary.LittleEndian.AppendUint32(out, sum)
}

// fixSnap rewrites every section length it can follow, every checksum and
// the end marker of b, so that fuzzed payloads get past the checksums. It
// returns b unchanged if b is not framed as a snapshot.
func fixSnap(b []byte) []byte {
	if len(b) < 16 {
		return b
	}
	out := slices.Clone(b[:16])
	rest := b[16:]
	for len(rest) >= 12 {
		tag := string(rest[:4])
		if tag == "END\x00" {
			break
		}
		n := min(binary.LittleEndian.Uint64(rest[4:]), uint64(len(rest)-12))
		p := rest[12 : 12+n]
		out = append(out, tag...)
		out = binary.LittleEndian.AppendUint64(out, n)
		out = append(out, p...)
		out = binary.LittleEndian.AppendUint32(out, crc32.Checksum(p, castagnoli))
		rest = rest[12+n:]
		if len(rest) >= 4 {
			rest = rest[4:]
		} else {
			rest = nil
		}
	}
	end := len(out)
	sum := crc32.Checksum(out, castagnoli)
	out = append(out, "END\x00"...)
	out = binary.LittleEndian.AppendUint64(out, uint64(end))
	return binary.LittleEndian.AppendUint32(out, sum)
}

// profileKeyTexts returns the key identifiers, as text and sorted, of the profiles
// of v in a ("-" for a member that is not a profile of v).
func profileKeyTexts(v *reconcile.View, a reconcile.Profiles) []string {
	out := []string{}
	for p := range a.All() {
		if k := v.Key(p); k.IsValid() {
			out = append(out, k.Text())
		} else {
			out = append(out, "-")
		}
	}
	slices.Sort(out)
	return out
}
