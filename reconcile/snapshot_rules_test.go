package reconcile_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	"github.com/idbits/idbits/idtypes"
	"github.com/idbits/idbits/reconcile"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// snapBlocklist is the blocklist of the snapshot tests: values of a standard,
// a visitor and a custom namespace.
func snapBlocklist() []idtypes.ID {
	return []idtypes.ID{
		idtypes.MustParse(idtypes.Email, "junk@example.com"),
		idtypes.MustParse(snapLoyalty, "L-none"),
		snapPerson(3)[0],
	}
}

// snapBlocked returns a small world linked under a blocklist whose first
// entry every person shares.
func snapBlocked(tb testing.TB) *reconcile.Graph {
	tb.Helper()
	rules := snapRules()
	rules.Blocklist = snapBlocklist()
	g := mustGraph(rules)
	var b reconcile.Batch
	for p := range 4 {
		ids := snapPerson(p)
		b.Add(snapT0, ids[0], rules.Blocklist[0])
		b.Add(snapT0, ids[0], ids[2], ids[5])
	}
	rep, err := g.LinkMany(&b)
	require.NoError(tb, err)
	require.Equal(tb, 6, rep.Dropped) // person 3's ECID is blocklisted too
	return g
}

func TestSnapshotBlocklist(t *testing.T) {
	g := snapBlocked(t)
	require.Equal(t, 4, g.View().Len())
	b := snapBytes(t, g)
	require.Equal(t, uint32(2), binary.LittleEndian.Uint32(b[8:]), "version")
	back, err := reconcile.ReadGraph(bytes.NewReader(b))
	require.NoError(t, err)
	requireSameGraph(t, g, back)
	require.Equal(t, snapBlocklist(), back.Rules().Blocklist)
	require.Equal(t, b, snapBytes(t, back))

	// The loaded graph keeps refusing the blocklisted values.
	err = back.Link(snapT0, snapPerson(9)[0], snapBlocklist()[1])
	require.ErrorIs(t, err, reconcile.ErrBlocklisted)
}

// TestSnapshotBlocklistInvalid feeds RULE sections whose checksums are right
// but whose blocklist is not.
func TestSnapshotBlocklistInvalid(t *testing.T) {
	header, secs := parseSnap(t, snapBytes(t, snapBlocked(t)))
	require.Equal(t, "NSPC", secs[0].Tag)
	require.Equal(t, "RULE", secs[1].Tag)
	// The namespace indexes, from NSPC.
	index := map[string]uint16{}
	p := secs[0].Payload
	for i, at := 0, 4; at < len(p); i++ {
		n := int(p[at])
		index[string(p[at+1:at+1+n])] = uint16(i)
		at += 1 + n
	}
	rules := secs[1].Payload
	r := snapRules()
	start := 8 + 4 + 2 + 2*len(r.Unique) + 2 + 2*len(r.Priority) // where the blocklist begins
	require.Equal(t, uint32(3), binary.LittleEndian.Uint32(rules[start:]))
	type entry struct {
		ns    string
		value string
	}
	good := []entry{{"Email", "junk@example.com"}, {"Loyalty_Snap", "L-none"}}
	blocklist := func(count int, es ...entry) []byte {
		out := slices.Clone(rules[:start])
		out = binary.LittleEndian.AppendUint32(out, uint32(count))
		for _, e := range es {
			i, ok := index[e.ns]
			if !ok {
				i = 0xEEEE
			}
			out = binary.LittleEndian.AppendUint16(out, i)
			out = binary.LittleEndian.AppendUint16(out, uint16(len(e.value)))
			out = append(out, e.value...)
		}
		return out
	}
	v1 := slices.Clone(header)
	binary.LittleEndian.PutUint32(v1[8:], 1)
	for _, tc := range []struct {
		name   string
		header []byte
		rule   []byte
	}{
		{"count zero", header, blocklist(0)},
		{"count too large", header, blocklist(1000, good...)},
		{"count too small", header, blocklist(1, good...)},
		{"cut short", header, blocklist(2, good...)[:len(blocklist(2, good...))-1]},
		{"duplicate", header, blocklist(3, append(good, good[0])...)},
		{"namespace index", header, blocklist(1, entry{"nope", "x"})},
		{"not canonical", header, blocklist(1, entry{"Email", "Junk@example.com"})},
		{"surrounding space", header, blocklist(1, entry{"Email", " junk@example.com"})},
		{"blocked", header, blocklist(1, entry{"CRMID", "null"})},
		{"empty value", header, blocklist(2, entry{"CRMID", ""}, good[0])},
		{"placeholder", header, blocklist(1, entry{"Email", "test@test.com"})},
		{"invalid ECID", header, blocklist(1, entry{"ECID", "123"})},
		{"trailing byte", header, append(blocklist(2, good...), 0)},
		{"version 2 without a blocklist", header, slices.Clone(rules[:start])},
		{"version 1 with a blocklist", v1, blocklist(2, good...)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := slices.Clone(secs)
			s[1].Payload = tc.rule
			b := buildSnap(tc.header, s)
			_, err := reconcile.ReadGraph(bytes.NewReader(b))
			require.ErrorIs(t, err, reconcile.ErrCorrupt)
			var se *reconcile.SnapshotError
			require.ErrorAs(t, err, &se)
			assert.Equal(t, "RULE", se.Section, "%v", err)
			assert.Less(t, se.Offset, int64(len(b)))
		})
	}
	// A good blocklist written by hand loads, so each case above fails for
	// its fault.
	s := slices.Clone(secs)
	s[1].Payload = blocklist(2, good...)
	g, err := reconcile.ReadGraph(bytes.NewReader(buildSnap(header, s)))
	require.NoError(t, err)
	require.Equal(t, snapBlocklist()[:2], g.Rules().Blocklist)
}

// TestSnapshotBlocklistFreshNamespace loads, in a child process that has
// never declared it, a snapshot whose blocklist names a custom namespace:
// the entry is checked before anything is declared, and the loaded graph
// refuses the value.
func TestSnapshotBlocklistFreshNamespace(t *testing.T) {
	const code = "Blocklist_Fresh"
	if path := os.Getenv("RECONCILE_FRESH_BLOCKLIST"); path != "" {
		_, err := idtypes.ParseNamespace(code)
		require.ErrorIs(t, err, idtypes.ErrNamespace, "the child process must not know the namespace yet")
		g, err := reconcile.ReadGraphFile(path)
		require.NoError(t, err)
		ns, err := idtypes.ParseNamespace(code)
		require.NoError(t, err)
		junk := idtypes.MustParse(ns, "none")
		require.Equal(t, []idtypes.ID{junk}, g.Rules().Blocklist)
		require.ErrorIs(t, g.Link(snapT0, snapPerson(1)[0], junk), reconcile.ErrBlocklisted)
		return
	}
	if testing.Short() {
		t.Skip("loads the snapshot in a child process")
	}
	ns, err := idtypes.DeclareNamespace(code)
	require.NoError(t, err)
	rules := snapRules()
	rules.Blocklist = []idtypes.ID{idtypes.MustParse(ns, "none")}
	g := mustGraph(rules)
	require.NoError(t, g.Link(snapT0, snapPerson(0)[0], snapPerson(0)[2]))
	path := filepath.Join(t.TempDir(), "graph.snap")
	require.NoError(t, g.WriteFile(path))

	cmd := exec.Command(os.Args[0], "-test.run=^TestSnapshotBlocklistFreshNamespace$", "-test.count=1")
	cmd.Env = append(os.Environ(), "RECONCILE_FRESH_BLOCKLIST="+path)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "child process:\n%s", out)
}

// TestSnapshotJunkKeysLoadErased loads a snapshot written before blank
// hashes and placeholders were refused: its dictionary holds the SHA-256 of
// the empty string and test@test.com, each shared by two people. The load
// keeps their ordinals as tombstones, so the people they merged come apart,
// and saving the graph again writes the tombstones.
func TestSnapshotJunkKeysLoadErased(t *testing.T) {
	// Values of the same key length as the junk that replaces them.
	mail := idtypes.MustParse(idtypes.Email, "x@example.com") // as long as test@test.com
	hashed, err := idtypes.HashEmail("shared@example.com")
	require.NoError(t, err)
	g := mustGraph(reconcile.Rules{})
	for p := range 4 {
		shared := mail
		if p >= 2 {
			shared = hashed
		}
		require.NoError(t, g.Link(snapT0, snapPerson(p)[0], shared))
	}
	require.Equal(t, 2, g.View().Len())

	b := snapBytes(t, g)
	blank := sha256.Sum256(nil)
	raw, err := hashed.MarshalBinary()
	require.NoError(t, err)
	mailKey, err := mail.MarshalBinary()
	require.NoError(t, err)
	junkMail := append([]byte{mailKey[0]}, "test@test.com"...)
	require.Len(t, junkMail, len(mailKey))
	for from, to := range map[string][]byte{string(mailKey): junkMail, string(raw): append([]byte{raw[0]}, blank[:]...)} {
		require.Equal(t, 1, bytes.Count(b, []byte(from)))
		b = bytes.Replace(b, []byte(from), to, 1)
	}
	b = fixSnap(b)

	back, err := reconcile.ReadGraph(bytes.NewReader(b))
	require.NoError(t, err)
	v := back.View()
	require.Equal(t, 4, v.Len(), "the junk merged no one")
	d := back.Dictionary()
	erased := 0
	for o := range uint32(d.Len()) {
		if d.Erased(o) {
			erased++
		}
	}
	require.Equal(t, 2, erased)

	// Written again, the junk is gone from the bytes and stays erased.
	again := snapBytes(t, back)
	require.False(t, bytes.Contains(again, junkMail[1:]))
	require.False(t, bytes.Contains(again, blank[:]))
	reread, err := reconcile.ReadGraph(bytes.NewReader(again))
	require.NoError(t, err)
	require.Equal(t, 4, reread.View().Len())
}
