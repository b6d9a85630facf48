package reconcile

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/idbits/idbits/idtypes"
	"github.com/idbits/idbits/reconcile/idfile"
	"github.com/stretchr/testify/require"
)

func TestRulesValidate(t *testing.T) {
	for _, tc := range []struct {
		name  string
		rules Rules
		ok    bool
	}{
		{"zero", Rules{}, true},
		{"typical", Rules{Unique: []idtypes.Namespace{idtypes.CRMID}, Priority: []idtypes.Namespace{idtypes.CRMID, idtypes.Email}, MaxIdentities: 50}, true},
		{"max per record limit", Rules{MaxPerRecord: MaxRecordLimit}, true},
		{"unique twice", Rules{Unique: []idtypes.Namespace{idtypes.CRMID, idtypes.CRMID}}, false},
		{"priority twice", Rules{Priority: []idtypes.Namespace{idtypes.ECID, idtypes.Email, idtypes.ECID}}, false},
		{"zero namespace", Rules{Unique: []idtypes.Namespace{0}}, false},
		{"undeclared namespace", Rules{Priority: []idtypes.Namespace{9999}}, false},
		{"negative cap", Rules{MaxIdentities: -1}, false},
		{"negative per record", Rules{MaxPerRecord: -1}, false},
		{"per record too large", Rules{MaxPerRecord: MaxRecordLimit + 1}, false},
		{"blocklist", Rules{Blocklist: []idtypes.ID{email("junk@example.com"), ecid(1), crm("guest")}}, true},
		{"blocklist zero ID", Rules{Blocklist: []idtypes.ID{email("junk@example.com"), {}}}, false},
		{"blocklist twice", Rules{Blocklist: []idtypes.ID{crm("guest"), email("junk@example.com"), crm("guest")}}, false},
		{"blocklist refused by idtypes", Rules{Blocklist: []idtypes.ID{hashedEmptyFromKey(t)}}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.rules.Validate()
			if tc.ok {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, ErrRules)
			g, err := NewGraph(tc.rules)
			require.ErrorIs(t, err, ErrRules, "invalid rules build no graph")
			require.Nil(t, g)
			_, err = ReplayGraph(NewDictionary(), tc.rules, func(func(time.Time, []uint32) bool) {})
			require.ErrorIs(t, err, ErrRules)
		})
	}
}

func TestRulesPriorityOrder(t *testing.T) {
	custom, err := idtypes.DeclareNamespace("LoyaltyTest")
	require.NoError(t, err)
	rs := newRuleSet(Rules{Priority: []idtypes.Namespace{idtypes.Email, idtypes.CRMID}})
	order := []idtypes.Namespace{idtypes.Email, idtypes.CRMID, idtypes.EmailSHA256, idtypes.Phone, custom, idtypes.ECID, idtypes.AAMUUID, idtypes.GAID}
	for i := range order {
		for j := range order {
			want := 0
			switch {
			case i < j:
				want = -1
			case i > j:
				want = 1
			}
			if got := rs.compareNS(order[i], order[j]); got != want {
				t.Errorf("compareNS(%v, %v) = %d, want %d", order[i], order[j], got, want)
			}
		}
	}
	require.Equal(t, "unique", RuleUnique.String())
	require.Equal(t, "max-identities", RuleMaxIdentities.String())
}

func TestRulesCopied(t *testing.T) {
	r := Rules{Unique: []idtypes.Namespace{idtypes.CRMID}, Blocklist: []idtypes.ID{crm("guest")}}
	g := mustGraph(r)
	r.Unique[0] = idtypes.Email
	r.Blocklist[0] = crm("other")
	require.Equal(t, []idtypes.Namespace{idtypes.CRMID}, g.Rules().Unique)
	require.Equal(t, []idtypes.ID{crm("guest")}, g.Rules().Blocklist)
	g.Rules().Unique[0] = idtypes.Email
	g.Rules().Blocklist[0] = crm("other")
	require.Equal(t, []idtypes.Namespace{idtypes.CRMID}, g.Rules().Unique)
	require.Equal(t, []idtypes.ID{crm("guest")}, g.Rules().Blocklist)
	require.NoError(t, g.Link(t0, crm("other"), ecid(1)))
	require.Equal(t, 1, g.View().Len())
}

// hashedEmptyFromKey returns the hashed email of the empty string, which
// idtypes.Parse refuses, decoded from its binary key; the zero ID if the
// key decoder refuses it too.
func hashedEmptyFromKey(t testing.TB) idtypes.ID {
	sum := sha256.Sum256(nil)
	var id idtypes.ID
	if err := id.UnmarshalBinary(append([]byte{byte(idtypes.EmailSHA256)}, sum[:]...)); err != nil {
		return idtypes.ID{}
	}
	_, err := idtypes.Parse(idtypes.EmailSHA256, id.String())
	require.ErrorIs(t, err, idtypes.ErrBlocked)
	return id
}

// junk is an email that unrelated visitors share in the tests below.
var junk = email("junk@example.com")

// collapse returns five records, each of a visitor of its own and junk.
func collapse() []Record {
	var recs []Record
	for i := range 5 {
		recs = append(recs, Record{At: at(i), IDs: []idtypes.ID{ecid(i), junk}})
	}
	return recs
}

// visitors is what canon gives for five visitors alone.
func visitors() []string {
	var out []string
	for i := range 5 {
		out = append(out, prof(ecid(i)))
	}
	slices.Sort(out)
	return out
}

func requireBlocklisted(t *testing.T, err error, rec, pos int, id idtypes.ID) {
	t.Helper()
	require.ErrorIs(t, err, ErrBlocklisted)
	var re *RecordError
	require.ErrorAs(t, err, &re)
	require.Equal(t, rec, re.Record)
	require.Equal(t, pos, re.Pos)
	require.Equal(t, id, re.ID)
	require.Contains(t, err.Error(), "blocklist")
}

func TestBlocklistLink(t *testing.T) {
	// Without the blocklist the shared email merges everyone.
	g := mustGraph(Rules{})
	linkAll(t, g, collapse())
	require.Equal(t, 1, g.View().Len())

	g = mustGraph(Rules{Blocklist: []idtypes.ID{junk}})
	for _, r := range collapse() {
		requireBlocklisted(t, g.Link(r.At, r.IDs...), 0, 1, junk)
	}
	require.Equal(t, visitors(), canon(t, g.View()))
	_, ok := g.Dictionary().Lookup(junk)
	require.False(t, ok, "a blocklisted identifier is not added to the dictionary")

	// Alone, or twice, it links nothing; with an erased identifier, both
	// are reported.
	err := g.Link(at(9), junk, junk)
	requireBlocklisted(t, err, 0, 0, junk)
	_, err = g.Erase(ecid(4))
	require.NoError(t, err)
	err = g.Link(at(9), ecid(4), junk, ecid(5))
	require.ErrorIs(t, err, ErrErased)
	require.ErrorIs(t, err, ErrBlocklisted)
	want := append(visitors()[:4:4], prof(ecid(5)))
	slices.Sort(want)
	require.Equal(t, want, canon(t, g.View()))

	// The record is checked as given: blocklisted identifiers count toward
	// MaxPerRecord.
	g = mustGraph(Rules{Blocklist: []idtypes.ID{junk}, MaxPerRecord: 2})
	require.ErrorIs(t, g.Link(t0, ecid(1), ecid(2), junk), ErrTooMany)
}

func TestBlocklistLinkMany(t *testing.T) {
	g := mustGraph(Rules{Blocklist: []idtypes.ID{junk}})
	var b Batch
	for _, r := range collapse() {
		b.Add(r.At, r.IDs...)
	}
	rep, err := g.LinkMany(&b)
	require.NoError(t, err)
	require.Equal(t, LinkReport{Records: 5, Linked: 5, Dropped: 5, Errors: rep.Errors}, rep)
	for i, e := range rep.Errors {
		requireBlocklisted(t, e, i, 1, junk)
	}
	require.Equal(t, visitors(), canon(t, g.View()))
	_, ok := g.Dictionary().Lookup(junk)
	require.False(t, ok)

	// With a rejected record, a record of junk alone (twice) and an erased
	// identifier in the same batch.
	_, err = g.Erase(ecid(4))
	require.NoError(t, err)
	b.Reset()
	b.Add(at(10), ecid(10), idtypes.ID{})  // rejected: invalid
	b.Add(at(11), junk, junk)              // nothing left to link
	b.Add(at(12), ecid(4), junk, ecid(12)) // erased and blocklisted dropped
	b.Add(at(13), ecid(13), crm("c13"))
	rep, err = g.LinkMany(&b)
	require.NoError(t, err)
	require.Equal(t, 4, rep.Records)
	require.Equal(t, 2, rep.Linked)
	require.Equal(t, 2, rep.Rejected)
	require.Equal(t, 3, rep.Dropped)
	require.Len(t, rep.Errors, 4)
	require.ErrorIs(t, rep.Errors[0], ErrInvalid)
	requireBlocklisted(t, rep.Errors[1], 1, 0, junk)
	var reasons []error
	for _, e := range rep.Errors[2:] {
		require.Equal(t, 2, e.Record)
		reasons = append(reasons, e.Err)
	}
	require.ElementsMatch(t, []error{ErrErased, ErrBlocklisted}, reasons)
	_, ok = g.Dictionary().Lookup(junk)
	require.False(t, ok)
	_, ok = g.Dictionary().Lookup(ecid(10))
	require.False(t, ok, "a rejected record adds nothing")
	want := append(visitors()[:4:4], prof(ecid(12)), prof(crm("c13"), ecid(13)))
	slices.Sort(want)
	require.Equal(t, want, canon(t, g.View()))
}

// TestBlocklistRandom checks Link and LinkMany against the naive model on
// random records with some identifiers blocklisted, in batches large enough
// for the dictionary's parallel path.
func TestBlocklistRandom(t *testing.T) {
	for seed := range uint64(4) {
		rnd := newRand(seed)
		recs := randomRecords(rnd, 3000, 400)
		var block []idtypes.ID
		for _, r := range recs[:40] {
			id := r.IDs[rnd.IntN(len(r.IDs))]
			if !slices.Contains(block, id) {
				block = append(block, id)
			}
		}
		var kept []Record
		blocked := 0
		for _, r := range recs {
			var ids []idtypes.ID
			for _, id := range r.IDs {
				if slices.Contains(block, id) {
					blocked++
				} else {
					ids = append(ids, id)
				}
			}
			if len(ids) > 0 {
				kept = append(kept, Record{At: r.At, IDs: ids})
			}
		}
		want := naiveProfiles(kept)

		g1 := mustGraph(Rules{Blocklist: block})
		dropped := 0
		for _, r := range recs {
			err := g1.Link(r.At, r.IDs...)
			for _, e := range unjoin(err) {
				require.ErrorIs(t, e, ErrBlocklisted)
				dropped++
			}
		}
		require.Equal(t, want, memberSets(canon(t, g1.View())), "seed %d", seed)

		g2 := mustGraph(Rules{Blocklist: block})
		var b Batch
		for _, r := range recs {
			b.Add(r.At, r.IDs...)
		}
		rep, err := g2.LinkMany(&b)
		require.NoError(t, err)
		require.Positive(t, dropped)
		require.Equal(t, dropped, rep.Dropped, "seed %d", seed)
		require.Len(t, rep.Errors, dropped)
		require.LessOrEqual(t, dropped, blocked)
		require.Equal(t, want, memberSets(canon(t, g2.View())), "seed %d", seed)
		for _, id := range block {
			_, ok := g2.Dictionary().Lookup(id)
			require.False(t, ok, "%v in the dictionary", id.Text())
		}
	}
}

// unjoin returns the errors of an errors.Join, or err alone.
func unjoin(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

func TestBlocklistSimulate(t *testing.T) {
	g := mustGraph(Rules{Blocklist: []idtypes.ID{junk}})
	require.NoError(t, g.Link(at(0), ecid(0), crm("c0")))
	require.NoError(t, g.Link(at(0), ecid(9)))
	_, err := g.Erase(ecid(9))
	require.NoError(t, err)
	before := canon(t, g.View())
	sim, err := g.Simulate(collapse()...)
	require.NoError(t, err)
	require.Zero(t, sim.Merged)
	require.Equal(t, 4, sim.Created)
	require.Len(t, sim.Dropped, 5)
	for i, e := range sim.Dropped {
		requireBlocklisted(t, e, i, 1, junk)
	}
	for _, p := range sim.Profiles {
		require.NotContains(t, p.Members, junk)
	}
	sim, err = g.Simulate(Record{At: at(1), IDs: []idtypes.ID{ecid(9), ecid(1)}})
	require.NoError(t, err)
	require.Len(t, sim.Dropped, 1)
	require.ErrorIs(t, sim.Dropped[0], ErrErased)
	require.Equal(t, 0, sim.Dropped[0].Pos)
	require.Equal(t, before, canon(t, g.View()), "Simulate changed the graph")
	_, ok := g.Dictionary().Lookup(junk)
	require.False(t, ok)

	// Without the blocklist the same records merge the visitors.
	sim, err = mustGraph(Rules{}).Simulate(collapse()...)
	require.NoError(t, err)
	require.Len(t, sim.Profiles, 1)
	require.Empty(t, sim.Dropped)
}

// TestBlocklistReplayGraph loads yesterday's collapsed records under a
// blocklist that names the shared value, then round-trips the result
// through a snapshot.
func TestBlocklistReplayGraph(t *testing.T) {
	old := mustGraph(Rules{})
	linkAll(t, old, collapse())
	require.Equal(t, 1, old.View().Len())

	rules := Rules{Blocklist: []idtypes.ID{junk, crm("never-seen")}}
	g, err := ReplayGraph(old.Dictionary(), rules, old.Records())
	require.NoError(t, err)
	require.Equal(t, visitors(), canon(t, g.View()))
	_, ok := g.View().Profile(junk)
	require.False(t, ok, "a blocklisted identity is in no profile")
	require.Equal(t, rules, g.Rules())

	var buf bytes.Buffer
	_, err = g.WriteTo(&buf)
	require.NoError(t, err)
	require.Equal(t, uint32(snapVersionBlocklist), binary.LittleEndian.Uint32(buf.Bytes()[8:]))
	back, err := ReadGraph(&buf)
	require.NoError(t, err)
	require.Equal(t, rules, back.Rules())
	require.Equal(t, visitors(), canon(t, back.View()))
	requireBlocklisted(t, back.Link(at(9), ecid(7), junk), 0, 1, junk)
	require.Equal(t, 6, back.View().Len())

	// Without a blocklist a snapshot stays at version 1.
	buf.Reset()
	_, err = old.WriteTo(&buf)
	require.NoError(t, err)
	require.Equal(t, uint32(snapVersion), binary.LittleEndian.Uint32(buf.Bytes()[8:]))
}

// TestJunkLinksFile reads a links file where five unrelated visitors carry
// the same junk identifier: the SHA-256 of the empty string, of a
// placeholder, or a placeholder itself. idtypes refuses each, so the
// visitors stay five profiles and every refusal is reported with its line.
func TestJunkLinksFile(t *testing.T) {
	for _, tc := range []struct {
		ns, value string
		reason    error
	}{
		{"Email_LC_SHA256", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", idtypes.ErrBlocked},
		{"Phone_SHA256", "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855", idtypes.ErrBlocked},
		{"Email_LC_SHA256", "F660AB912EC121D1B1E928A0BB4BC61B15F5AD44D5EFDC4E1C92A25E99B8E44A", idtypes.ErrPlaceholder},
		{"Email", "Test@Test.com", idtypes.ErrPlaceholder},
		{"Phone_E.164", "+1-111-111-1111", idtypes.ErrPlaceholder},
	} {
		t.Run(tc.ns+"/"+tc.value[:8], func(t *testing.T) {
			var file strings.Builder
			for i := range 5 {
				fmt.Fprintf(&file, `{"timestamp":"2026-03-01T12:0%d:00Z","identityMap":{"ECID":[{"id":"%s"}],"%s":[{"id":"%s"}]}}`+"\n",
					i, ecid(i).String(), tc.ns, tc.value)
			}
			g := mustGraph(Rules{})
			var b Batch
			var bad []int
			for rec, err := range idfile.ReadXDM(strings.NewReader(file.String()), idfile.XDMOptions{}) {
				if err != nil {
					require.ErrorIs(t, err, tc.reason)
					require.ErrorIs(t, err, idtypes.ErrBlocked)
					var le *idfile.LineError
					require.ErrorAs(t, err, &le)
					require.Equal(t, "identityMap."+tc.ns+"[0]", le.Field)
					bad = append(bad, le.Line)
					continue
				}
				var ids []idtypes.ID
				for _, x := range rec.IDs {
					ids = append(ids, x.ID)
				}
				b.Add(rec.At, ids...)
			}
			require.Equal(t, []int{1, 2, 3, 4, 5}, bad)
			rep, err := g.LinkMany(&b)
			require.NoError(t, err)
			require.Equal(t, 5, rep.Linked)
			require.Equal(t, visitors(), canon(t, g.View()))
		})
	}
}
