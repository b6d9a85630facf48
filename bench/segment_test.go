package bench_test

import (
	"fmt"
	"io"
	"math"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idbits/idbits/bench"
	"github.com/idbits/idbits/idtypes"
)

// eligible returns the people with an identity in ns.
func eligible(w *bench.World, ns idtypes.Namespace) []int {
	var out []int
	for p := range w.People() {
		if slices.ContainsFunc(w.IDs(p), func(id idtypes.ID) bool { return id.Namespace() == ns }) {
			out = append(out, p)
		}
	}
	return out
}

// flawErr is the reason idtypes gives for each flaw, parsing a bare value.
// FlawTooLong depends on the namespace.
var flawErr = map[bench.Flaw]error{
	bench.FlawLength:    idtypes.ErrSyntax,
	bench.FlawCharacter: idtypes.ErrSyntax,
	bench.FlawRange:     idtypes.ErrRange,
	bench.FlawBlocked:   idtypes.ErrBlocked,
	bench.FlawEmpty:     idtypes.ErrBlocked,
	bench.FlawEmail:     idtypes.ErrSyntax,
	bench.FlawNamespace: idtypes.ErrSyntax,
}

func TestSegment(t *testing.T) {
	w := bench.Generate(bench.Config{Seed: 11, People: 10_000})
	all := map[idtypes.ID]bool{}
	for _, id := range w.Identities() {
		all[id] = true
	}
	namespaces := []idtypes.Namespace{idtypes.ECID, idtypes.CRMID, idtypes.Email, idtypes.EmailSHA256, idtypes.Phone}
	wantFlaws := map[idtypes.Namespace][]bench.Flaw{
		idtypes.ECID:        {bench.FlawLength, bench.FlawCharacter, bench.FlawRange, bench.FlawBlocked, bench.FlawEmpty, bench.FlawNamespace, bench.FlawTooLong},
		idtypes.CRMID:       {bench.FlawBlocked, bench.FlawEmpty, bench.FlawTooLong},
		idtypes.Email:       {bench.FlawEmail, bench.FlawBlocked, bench.FlawEmpty, bench.FlawNamespace, bench.FlawTooLong},
		idtypes.EmailSHA256: {bench.FlawLength, bench.FlawCharacter, bench.FlawBlocked, bench.FlawEmpty, bench.FlawNamespace, bench.FlawTooLong},
		idtypes.Phone:       {bench.FlawLength, bench.FlawCharacter, bench.FlawBlocked, bench.FlawEmpty, bench.FlawNamespace},
	}
	for _, ns := range namespaces {
		elig := eligible(w, ns)
		for _, spec := range []bench.SegmentSpec{
			{Density: 0.001},
			{Density: 0.05, Unknown: 0.1, Malformed: 0.2},
			{Density: 0.5, Clustered: true, Unknown: 0.02, Malformed: 0.03},
			{Density: 0.3, Clustered: true},
		} {
			spec.Namespace = ns
			t.Run(fmt.Sprintf("%v/density=%v/clustered=%v", ns, spec.Density, spec.Clustered), func(t *testing.T) {
				s := w.Segment(spec)
				assert.Equal(t, ns, s.Namespace())
				members := slices.Collect(s.People())
				want := int(math.Round(spec.Density * float64(len(elig))))
				assert.Equal(t, want, s.Len())
				assert.Len(t, members, want)
				isElig := map[int]bool{}
				for _, p := range elig {
					isElig[p] = true
				}
				for _, p := range members {
					require.True(t, isElig[p], "member %d has no %v", p, ns)
					require.True(t, s.Contains(p))
				}
				if spec.Clustered {
					assert.Equal(t, elig[len(elig)-want:], members, "a clustered segment is the last eligible people")
				}

				var counts [4]int
				known := map[idtypes.ID]bool{}
				flawsSeen := map[bench.Flaw]bool{}
				for l := range s.Lines() {
					counts[l.Kind]++
					switch l.Kind {
					case bench.Known:
						require.True(t, s.Contains(l.Person))
						assert.Contains(t, w.IDs(l.Person), l.ID)
						assert.Equal(t, ns, l.ID.Namespace())
						assert.False(t, known[l.ID], "%v twice", l.ID)
						known[l.ID] = true
					case bench.Unknown:
						assert.Equal(t, -1, l.Person)
						require.True(t, l.ID.IsValid())
						assert.Equal(t, ns, l.ID.Namespace())
						assert.False(t, all[l.ID], "unknown %v is in the world", l.ID)
					case bench.Malformed:
						assert.Equal(t, -1, l.Person)
						assert.False(t, l.ID.IsValid())
						flawsSeen[l.Flaw] = true
						_, err := idtypes.Parse(ns, l.Value)
						require.Error(t, err, "%v value %q (%v) parses", ns, l.Value, l.Flaw)
						if want, ok := flawErr[l.Flaw]; ok {
							assert.ErrorIs(t, err, want, "%v value %q (%v)", ns, l.Value, l.Flaw)
						}
						code := ns.String()
						if l.Flaw == bench.FlawNamespace {
							code = bench.UnknownNamespaceCode
						}
						_, err = idtypes.ParseText(code + ":" + l.Value)
						require.Error(t, err)
						if l.Flaw == bench.FlawNamespace {
							assert.ErrorIs(t, err, idtypes.ErrNamespace)
						}
					default:
						t.Fatalf("line of kind %v", l.Kind)
					}
				}
				for _, p := range members {
					for _, id := range w.IDs(p) {
						if id.Namespace() == ns {
							assert.True(t, known[id], "member %d's %v is not in the segment", p, id)
						}
					}
				}
				assert.Equal(t, s.Count(bench.Known), counts[bench.Known])
				assert.Equal(t, s.Count(bench.Unknown), counts[bench.Unknown])
				assert.Equal(t, s.Count(bench.Malformed), counts[bench.Malformed])
				total := float64(counts[bench.Known] + counts[bench.Unknown] + counts[bench.Malformed])
				// Counts are rounded: within a line of the share asked for.
				assert.InDelta(t, spec.Unknown, float64(counts[bench.Unknown])/total, 1/total)
				assert.InDelta(t, spec.Malformed, float64(counts[bench.Malformed])/total, 1/total)
				if counts[bench.Malformed] >= len(wantFlaws[ns]) {
					assert.ElementsMatch(t, wantFlaws[ns], slices.Collect(func(yield func(bench.Flaw) bool) {
						for f := range flawsSeen {
							yield(f)
						}
					}))
				}
			})
		}
	}
}

func TestSegmentTooLong(t *testing.T) {
	w := bench.Generate(bench.Config{Seed: 1, People: 2000})
	for _, ns := range []idtypes.Namespace{idtypes.CRMID, idtypes.Email} {
		s := w.Segment(bench.SegmentSpec{Namespace: ns, Density: 0.5, Malformed: 0.2})
		n := 0
		for l := range s.Lines() {
			if l.Flaw == bench.FlawTooLong {
				n++
				_, err := idtypes.Parse(ns, l.Value)
				assert.ErrorIs(t, err, idtypes.ErrTooLong)
			}
		}
		assert.Positive(t, n, "%v: no line too long", ns)
	}
}

func TestSegmentDeterministic(t *testing.T) {
	w := bench.Generate(bench.Config{Seed: 2, People: 5000})
	spec := bench.SegmentSpec{Seed: 9, Density: 0.1, Unknown: 0.05, Malformed: 0.05}
	a, b := w.Segment(spec), w.Segment(spec)
	assert.Equal(t, slices.Collect(a.Lines()), slices.Collect(b.Lines()))
	// Another world built from the same config gives the same segment.
	c := bench.Generate(bench.Config{Seed: 2, People: 5000}).Segment(spec)
	assert.Equal(t, slices.Collect(a.Lines()), slices.Collect(c.Lines()))

	spec.Seed = 10
	d := w.Segment(spec)
	assert.NotEqual(t, slices.Collect(a.People()), slices.Collect(d.People()))
}

func TestSegmentEdges(t *testing.T) {
	w := bench.Generate(bench.Config{Seed: 4, People: 3000})
	tests := []struct {
		name      string
		spec      bench.SegmentSpec
		people    int
		unknown   int
		malformed int
	}{
		{"zero spec is 1% of ECID people", bench.SegmentSpec{}, 30, 0, 0},
		{"tiny density selects one", bench.SegmentSpec{Density: 1e-9}, 1, 0, 0},
		{"density over 1 means everyone", bench.SegmentSpec{Density: 7}, 3000, 0, 0},
		{"negative density selects nobody", bench.SegmentSpec{Density: -1, Unknown: 0.5}, 0, 0, 0},
		{"no GAIDs in the world", bench.SegmentSpec{Namespace: idtypes.GAID, Density: 0.5, Malformed: 0.5}, 0, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := w.Segment(tt.spec)
			assert.Equal(t, tt.people, s.Len())
			assert.Equal(t, tt.unknown, s.Count(bench.Unknown))
			assert.Equal(t, tt.malformed, s.Count(bench.Malformed))
		})
	}

	// Fractions over 0.9 in all are scaled down to it.
	s := w.Segment(bench.SegmentSpec{Namespace: idtypes.CRMID, Density: 0.01, Unknown: 0.9, Malformed: 0.9})
	k, u, m := s.Count(bench.Known), s.Count(bench.Unknown), s.Count(bench.Malformed)
	assert.Equal(t, u, m)
	assert.InDelta(t, 9*k, u+m, 1)

	var zero bench.Segment
	assert.Equal(t, 0, zero.Len())
	assert.False(t, zero.Contains(0))
	assert.False(t, w.Segment(bench.SegmentSpec{}).Contains(-1))
	assert.Empty(t, slices.Collect(zero.Lines()))
	assert.Empty(t, slices.Collect(zero.People()))
	assert.Equal(t, 0, zero.Count(bench.Known))
	assert.Equal(t, 0, zero.Count(bench.LineKind(200)))
}

func TestLineKindFlawString(t *testing.T) {
	assert.Equal(t, "known unknown malformed LineKind(9)", bench.Known.String()+" "+bench.Unknown.String()+" "+bench.Malformed.String()+" "+bench.LineKind(9).String())
	var names []string
	for f := bench.FlawLength; f <= bench.FlawTooLong+1; f++ {
		names = append(names, f.String())
	}
	assert.Equal(t, []string{"length", "character", "range", "blocked", "empty", "email", "namespace", "too long", "Flaw(9)"}, names)
	assert.Equal(t, "Flaw(0)", bench.Flaw(0).String())
	assert.ErrorIs(t, flawErr[bench.FlawLength], idtypes.ErrSyntax)
}

// FuzzWorld generates small worlds and segments from any configuration,
// NaNs and infinities included: nothing panics, every identity is valid and
// the segment's counts match its lines.
func FuzzWorld(f *testing.F) {
	f.Add(uint64(1), 100, 2.5, 0.7, 0.6, 0.3, 0.02, 0.01, 0.1, 0.1, uint16(idtypes.ECID), false)
	f.Add(uint64(2), 0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, uint16(0), true)
	f.Add(uint64(3), -5, math.Inf(1), math.NaN(), -1.0, 2.0, math.Inf(-1), math.NaN(), math.Inf(1), -0.5, uint16(idtypes.CRMID), true)
	f.Add(uint64(4), 2000, 1e9, 1.0, 1.0, 1.0, 1.0, 1.0, 0.9, 0.9, uint16(idtypes.EmailSHA256), false)
	f.Fuzz(func(t *testing.T, seed uint64, people int, ecids, crm, email, phone, shared, density, unknown, malformed float64, ns uint16, clustered bool) {
		people %= 300 // small worlds, fast enough to fuzz; a negative count means the default
		w := bench.Generate(bench.Config{Seed: seed, People: people, ECIDsPerPerson: ecids,
			CRMShare: crm, EmailShare: email, PhoneShare: phone, SharedShare: shared})
		for i, id := range w.Identities() {
			if !id.IsValid() {
				t.Fatalf("identity %d is invalid", i)
			}
		}
		s := w.Segment(bench.SegmentSpec{Seed: seed, Density: density, Clustered: clustered,
			Namespace: idtypes.Namespace(ns), Unknown: unknown, Malformed: malformed})
		var counts [4]int
		for l := range s.Lines() {
			counts[l.Kind]++
			if l.Kind == bench.Malformed {
				if _, err := idtypes.Parse(s.Namespace(), l.Value); err == nil {
					t.Fatalf("malformed %v value %q parses", s.Namespace(), l.Value)
				}
			} else if !l.ID.IsValid() {
				t.Fatalf("%v line with an invalid ID", l.Kind)
			}
		}
		for k := bench.Known; k <= bench.Malformed; k++ {
			if counts[k] != s.Count(k) {
				t.Fatalf("%d %v lines, Count says %d", counts[k], k, s.Count(k))
			}
		}
		if err := s.WriteCSV(io.Discard); err != nil {
			t.Fatal(err)
		}
		if err := w.WriteAAMOutbound(io.Discard, s.Namespace(), []bench.AAMSegment{{SID: 1, Members: s}}); err != nil {
			t.Fatal(err)
		}
	})
}
