package reconcile_test

import (
	"bytes"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/idbits/idbits/bitmap"
	"github.com/idbits/idbits/idtypes"
	"github.com/idbits/idbits/reconcile"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// catID returns a distinct identifier per name: an email.
func catID(name string) idtypes.ID {
	return idtypes.MustParse(idtypes.Email, name+"@example.com")
}

// catKeys returns the profiles of v holding the named identifiers.
func catKeys(t *testing.T, v *reconcile.View, names ...string) reconcile.Profiles {
	t.Helper()
	var b bitmap.Builder
	for _, n := range names {
		p, ok := v.Profile(catID(n))
		require.True(t, ok, n)
		b.Add(uint32(p))
	}
	a, err := v.AsProfiles(b.Audience())
	require.NoError(t, err)
	return a
}

// catLink links the named identifiers in one record.
func catLink(t *testing.T, g *reconcile.Graph, at int, names ...string) {
	t.Helper()
	var ids []idtypes.ID
	for _, n := range names {
		ids = append(ids, catID(n))
	}
	require.NoError(t, g.Link(snapT0.Add(time.Duration(at)*time.Minute), ids...))
}

// requireAudience checks that audience name is, under the current view,
// the profiles holding the named identifiers.
func requireAudience(t *testing.T, g *reconcile.Graph, name string, holding ...string) {
	t.Helper()
	a, ok := g.Catalog().Get(name)
	require.True(t, ok, name)
	v := a.View()
	require.Same(t, g.View(), v)
	want := catKeys(t, v, holding...)
	require.True(t, want.Equal(a), "audience %q = %v, want %v", name, a.Audience().AppendTo(nil), want.Audience().AppendTo(nil))
}

func TestCatalogPutGetDelete(t *testing.T) {
	g := mustGraph(reconcile.Rules{})
	catLink(t, g, 0, "a", "b")
	catLink(t, g, 0, "c")
	catLink(t, g, 0, "d")
	c := g.Catalog()
	require.Zero(t, c.Len())
	v := g.View()
	require.NoError(t, c.Put("x", catKeys(t, v, "a", "c")))
	require.NoError(t, c.Put("all", v.Profiles()))
	require.NoError(t, c.Put("none", reconcile.Profiles{}))
	requireAudience(t, g, "x", "a", "c")
	requireAudience(t, g, "all", "a", "c", "d")
	requireAudience(t, g, "none")
	require.Equal(t, []string{"all", "none", "x"}, g.Catalog().Names())
	require.Equal(t, 3, g.Catalog().Len())

	ids, ok := c.Identities("x")
	require.True(t, ok)
	require.Equal(t, uint64(3), ids.Len()) // a, b and c

	// Put replaces.
	require.NoError(t, c.Put("x", catKeys(t, v, "d")))
	requireAudience(t, g, "x", "d")

	require.True(t, c.Delete("x"))
	require.False(t, c.Delete("x"))
	_, ok = c.Get("x")
	require.False(t, ok)
	_, ok = c.Identities("x")
	require.False(t, ok)
	require.Equal(t, []string{"all", "none"}, c.Names())
}

func TestCatalogPutErrors(t *testing.T) {
	g := mustGraph(reconcile.Rules{})
	catLink(t, g, 0, "a", "b")
	other := mustGraph(reconcile.Rules{})
	catLink(t, other, 0, "a")
	v := g.View()
	// Numbers that are no profile cannot reach Put: View.AsProfiles refuses
	// them (TestAsProfiles).
	for _, tc := range []struct {
		name string
		a    reconcile.Profiles
		want error
	}{
		{"", v.Profiles(), reconcile.ErrAudienceName},
		{strings.Repeat("n", reconcile.MaxAudienceName+1), v.Profiles(), reconcile.ErrAudienceName},
		{"bad \xff utf-8", v.Profiles(), reconcile.ErrAudienceName},
		{"other graph", other.View().Profiles(), reconcile.ErrForeignView},
	} {
		require.ErrorIs(t, g.Catalog().Put(tc.name, tc.a), tc.want, "%q", tc.name)
	}
	require.Zero(t, g.Catalog().Len())
	require.NoError(t, g.Catalog().Put(strings.Repeat("n", reconcile.MaxAudienceName), v.Profiles()))
	require.NoError(t, g.Catalog().Put("ünïcödé", v.Profiles()))
}

// TestCatalogMerge: an audience follows its profiles as they merge; a
// merged profile is in it if any part of it was.
func TestCatalogMerge(t *testing.T) {
	g := mustGraph(reconcile.Rules{})
	catLink(t, g, 0, "a", "b")
	catLink(t, g, 0, "c")
	catLink(t, g, 0, "d")
	v := g.View()
	require.NoError(t, g.Catalog().Put("x", catKeys(t, v, "a")))
	catLink(t, g, 1, "b", "c")
	requireAudience(t, g, "x", "c")
	a, _ := g.Catalog().Get("x")
	require.Equal(t, uint64(1), a.Len())
	catLink(t, g, 2, "d", "e")
	requireAudience(t, g, "x", "a")

	// An audience put under an old view is taken as it was then.
	require.NoError(t, g.Catalog().Put("old", catKeys(t, v, "d")))
	requireAudience(t, g, "old", "e")
}

// TestCatalogSplit: when a profile splits, every part that keeps a
// qualifying identity stays in the audience.
func TestCatalogSplit(t *testing.T) {
	t.Run("erasure", func(t *testing.T) {
		g := mustGraph(reconcile.Rules{})
		catLink(t, g, 0, "a", "b")
		catLink(t, g, 1, "b", "c")
		catLink(t, g, 0, "d")
		v := g.View()
		require.NoError(t, g.Catalog().Put("x", catKeys(t, v, "a")))
		rep, err := g.Erase(catID("b"))
		require.NoError(t, err)
		require.Empty(t, rep.Exited)
		requireAudience(t, g, "x", "a", "c")
		a, _ := g.Catalog().Get("x")
		require.Equal(t, uint64(2), a.Len())
	})
	t.Run("shared device", func(t *testing.T) {
		// With CRM IDs unique, a device that logs in as a second person
		// moves to that person's profile, and takes its qualification along.
		g := mustGraph(reconcile.Rules{Unique: []idtypes.Namespace{idtypes.CRMID}})
		dev, _ := idtypes.FromHalves(idtypes.ECID, 5, 6)
		ann, bob := idtypes.MustParse(idtypes.CRMID, "ann"), idtypes.MustParse(idtypes.CRMID, "bob")
		require.NoError(t, g.Link(snapT0, ann, dev))
		require.NoError(t, g.Link(snapT0, bob))
		v := g.View()
		pann, _ := v.Profile(ann)
		pbob, _ := v.Profile(bob)
		x, err := v.AsProfiles(bitmap.Of(uint32(pann)))
		require.NoError(t, err)
		require.NoError(t, g.Catalog().Put("x", x))
		require.NoError(t, g.Link(snapT0.Add(time.Hour), bob, dev))
		a, _ := g.Catalog().Get("x")
		v2 := a.View()
		pdev, _ := v2.Profile(dev)
		require.Equal(t, pbob, pdev, "the device moved")
		require.True(t, bitmap.Of(uint32(pann), uint32(pbob)).Equal(a.Audience()), "%v", a.Audience().AppendTo(nil))
	})
}

func TestErase(t *testing.T) {
	g := mustGraph(reconcile.Rules{})
	catLink(t, g, 0, "a", "b")
	catLink(t, g, 0, "c")
	catLink(t, g, 0, "d")
	v := g.View()
	c := g.Catalog()
	require.NoError(t, c.Put("x", catKeys(t, v, "a", "c")))
	require.NoError(t, c.Put("y", catKeys(t, v, "d")))
	require.NoError(t, c.Put("z", catKeys(t, v, "b")))

	// a goes, b is left: no profile exits.
	rep, err := g.Erase(catID("a"))
	require.NoError(t, err)
	require.Same(t, v, rep.Before)
	require.Empty(t, rep.Exited)
	require.NotEmpty(t, rep.Changed)
	requireAudience(t, g, "x", "b", "c")
	requireAudience(t, g, "z", "b")

	// c goes: its profile leaves x.
	before := g.View()
	pc, _ := before.Profile(catID("c"))
	rep, err = g.Erase(catID("c"))
	require.NoError(t, err)
	require.Same(t, before, rep.Before)
	require.Len(t, rep.Exited, 1)
	require.True(t, bitmap.Of(uint32(pc)).Equal(rep.Exited["x"].Audience()))
	require.Same(t, before, rep.Exited["x"].View())
	requireAudience(t, g, "x", "b")
	ids, _ := c.Identities("x")
	require.Equal(t, uint64(1), ids.Len()) // b alone; a and c are forgotten

	// b goes, and with it the last qualifying identity of x and z; an
	// unknown identifier and one erased already change nothing.
	before = g.View()
	pb, _ := before.Profile(catID("b"))
	rep, err = g.Erase(catID("b"), catID("nobody"), catID("a"))
	require.NoError(t, err)
	require.Len(t, rep.Exited, 2)
	require.True(t, bitmap.Of(uint32(pb)).Equal(rep.Exited["x"].Audience()))
	require.True(t, bitmap.Of(uint32(pb)).Equal(rep.Exited["z"].Audience()))
	requireAudience(t, g, "x")
	requireAudience(t, g, "y", "d")
	// Before no longer yields the erased identifiers.
	require.Empty(t, slices.Collect(rep.Before.Members(pb)))

	// An invalid identifier fails before anything is erased.
	_, err = g.Erase(catID("d"), idtypes.ID{})
	require.ErrorIs(t, err, reconcile.ErrInvalid)
	requireAudience(t, g, "y", "d")

	// Erasing with Graph.Erase keeps Get right, without a report.
	_, err = g.Erase(catID("d"))
	require.NoError(t, err)
	requireAudience(t, g, "y")
}

// TestEraseKeepsLaterMembers: identities linked to a profile after
// the audience was put keep it only through the qualifying ones.
func TestEraseKeepsLaterMembers(t *testing.T) {
	g := mustGraph(reconcile.Rules{})
	catLink(t, g, 0, "a")
	v := g.View()
	require.NoError(t, g.Catalog().Put("x", catKeys(t, v, "a")))
	catLink(t, g, 1, "a", "late")
	requireAudience(t, g, "x", "late")
	before := g.View()
	p, _ := before.Profile(catID("a"))
	rep, err := g.Erase(catID("a"))
	require.NoError(t, err)
	require.True(t, bitmap.Of(uint32(p)).Equal(rep.Exited["x"].Audience()))
	// Before still names the identifier left, to send the suppression to.
	require.Equal(t, []idtypes.ID{catID("late")}, slices.Collect(rep.Before.Members(p)))
	requireAudience(t, g, "x")
}

func TestCatalogSnapshot(t *testing.T) {
	g := mustGraph(reconcile.Rules{})
	catLink(t, g, 0, "a", "b")
	catLink(t, g, 0, "c")
	v := g.View()
	require.NoError(t, g.Catalog().Put("x", catKeys(t, v, "a", "c")))
	require.NoError(t, g.Catalog().Put("y", catKeys(t, v, "c")))
	_, err := g.Erase(catID("c")) // not cascaded: the snapshot leaves c out all the same
	require.NoError(t, err)

	var buf bytes.Buffer
	_, err = g.WriteTo(&buf)
	require.NoError(t, err)
	got, err := reconcile.ReadGraph(&buf)
	require.NoError(t, err)
	require.Equal(t, []string{"x", "y"}, got.Catalog().Names())
	requireAudience(t, got, "x", "a")
	requireAudience(t, got, "y")
	ids, _ := got.Catalog().Identities("y")
	require.True(t, ids.IsEmpty())

	// The loaded catalog goes on following its profiles.
	catLink(t, got, 1, "b", "d")
	requireAudience(t, got, "x", "d")
	rep, err := got.Erase(catID("a"), catID("b"))
	require.NoError(t, err)
	require.Equal(t, []string{"x"}, keysOf(rep.Exited))
}

func keysOf(m map[string]reconcile.Profiles) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestCatalogConcurrent(t *testing.T) {
	g := snapWorld(t, 11, 30)
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			c := g.Catalog()
			for i := range 40 {
				name := []string{"a", "b", "c"}[(i+w)%3]
				switch i % 5 {
				case 0:
					assert.NoError(t, c.Put(name, g.View().Profiles()))
				case 1:
					if a, ok := c.Get(name); ok {
						assert.Zero(t, bitmap.AndNotLen(a.Audience(), a.View().Profiles().Audience()), "Get gives profiles of its view")
					}
				case 2:
					c.Delete(name)
					c.Names()
				case 3:
					p := 200 + 40*w + i
					ids := snapPerson(p)
					assert.NoError(t, g.Link(snapT0, ids[0], ids[2]))
				case 4:
					_, err := g.Erase(snapPerson(200 + 40*w + i - 1)[0])
					assert.NoError(t, err)
				}
			}
		})
	}
	wg.Wait()
}

// TestCatalogNameMessage: a long name is shortened in messages at a
// character boundary, and the message says so with its length.
func TestCatalogNameMessage(t *testing.T) {
	g := mustGraph(reconcile.Rules{})
	name := "a" + strings.Repeat("é", reconcile.MaxAudienceName/2) // 1025 bytes; "é" at 63 and 64
	err := g.Catalog().Put(name, reconcile.Profiles{})
	require.ErrorIs(t, err, reconcile.ErrAudienceName)
	require.Equal(t, `reconcile: invalid audience name: "a`+strings.Repeat("é", 31)+`…" (1025 bytes, shortened)`, err.Error())
	err = g.Catalog().Put("bad \xff", reconcile.Profiles{})
	require.Equal(t, `reconcile: invalid audience name: "bad \xff"`, err.Error())
}
