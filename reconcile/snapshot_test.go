package reconcile_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/idbits/idbits/bitmap"
	"github.com/idbits/idbits/idtypes"
	"github.com/idbits/idbits/reconcile"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSnapshotRoundTrip(t *testing.T) {
	only := func(r reconcile.Rules) *reconcile.Graph { return mustGraph(r) }
	for _, tc := range []struct {
		name  string
		g     func(t *testing.T) *reconcile.Graph
		split bool // the dictionary and records take several sections
	}{
		{"empty", func(*testing.T) *reconcile.Graph { return only(reconcile.Rules{}) }, false},
		{"rules only", func(*testing.T) *reconcile.Graph {
			return only(reconcile.Rules{Unique: []idtypes.Namespace{snapLoyalty}, MaxIdentities: 1 << 40, MaxPerRecord: reconcile.MaxRecordLimit})
		}, false},
		{"one person", func(t *testing.T) *reconcile.Graph { return snapWorld(t, 1, 1) }, false},
		{"small world", func(t *testing.T) *reconcile.Graph { return snapWorld(t, 2, 40) }, false},
		{"everything erased", func(t *testing.T) *reconcile.Graph {
			g := snapWorld(t, 3, 3)
			for p := range 3 {
				_, err := g.Erase(snapPerson(p)...)
				require.NoError(t, err)
			}
			require.Zero(t, g.View().Len())
			return g
		}, false},
		{"many sections", func(t *testing.T) *reconcile.Graph {
			t.Cleanup(reconcile.SnapshotChunkForTest(100))
			return snapWorld(t, 12, 5)
		}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := tc.g(t)
			b := snapBytes(t, g)
			if tc.split {
				_, secs := parseSnap(t, b)
				count := map[string]int{}
				for _, s := range secs {
					count[s.Tag]++
				}
				require.Greater(t, count["DICT"], 1)
				require.Greater(t, count["RECS"], 1)
			}
			got, err := reconcile.ReadGraph(bytes.NewReader(b))
			require.NoError(t, err)
			requireSameGraph(t, g, got)
			// Writing the loaded graph gives the same bytes.
			require.Equal(t, b, snapBytes(t, got))
		})
	}
}

func TestSnapshotErasedStayErased(t *testing.T) {
	g := mustGraph(reconcile.Rules{})
	ann, bob := snapPerson(0), snapPerson(1)
	require.NoError(t, g.Link(snapT0, ann[0], ann[2], ann[3]))
	require.NoError(t, g.Link(snapT0, bob[0], bob[3]))
	annMail, ok := g.Dictionary().Lookup(ann[3])
	require.True(t, ok)
	_, err := g.Erase(ann[3])
	require.NoError(t, err)

	b := snapBytes(t, g)
	key, err := ann[3].MarshalBinary()
	require.NoError(t, err)
	require.False(t, bytes.Contains(b, key), "the erased identifier's key is in the snapshot")
	require.False(t, bytes.Contains(b, []byte(ann[3].String())), "the erased identifier's text is in the snapshot")

	got, err := reconcile.ReadGraph(bytes.NewReader(b))
	require.NoError(t, err)
	d := got.Dictionary()
	require.True(t, d.Erased(annMail))
	_, ok = d.ID(annMail)
	require.False(t, ok)
	require.Equal(t, idtypes.Email, d.NamespaceOf(annMail))
	_, ok = got.View().ProfileOf(annMail)
	require.False(t, ok)
	for _, rec := range snapRecords(got) {
		require.NotContains(t, rec.Ords, annMail)
	}
	require.False(t, d.Ordinals(idtypes.Email).Contains(annMail))

	// Linking an old record again: the erased ordinal stays erased and is
	// never handed out again; the other identifiers link as before, and the
	// erased identifier is refused by its digest.
	n := d.Len()
	require.NoError(t, got.Link(snapT0, ann[0], ann[2]))
	require.Equal(t, n, d.Len())
	require.NoError(t, got.Link(snapT0.Add(time.Hour), idtypes.MustParse(idtypes.Email, "new@example.com")))
	require.Equal(t, n+1, d.Len())
	n = d.Len()
	require.ErrorIs(t, got.Link(snapT0, ann[0], ann[2], ann[3]), reconcile.ErrErased)
	_, err = d.Add(ann[3])
	require.ErrorIs(t, err, reconcile.ErrErased)
	require.ErrorIs(t, d.AddMany([]idtypes.ID{ann[0], ann[3]}, make([]uint32, 2)), reconcile.ErrErased)
	var b2 reconcile.Batch
	b2.Add(snapT0, ann[0], ann[3])
	rep, err := got.LinkMany(&b2)
	require.NoError(t, err)
	require.Len(t, rep.Errors, 1)
	require.ErrorIs(t, rep.Errors[0], reconcile.ErrErased)
	require.Equal(t, n, d.Len(), "an erased identifier came back under a new ordinal")
	_, ok = d.Lookup(ann[3])
	require.False(t, ok)

	// And so after a second round trip, which writes the loaded digest.
	again, err := reconcile.ReadGraph(bytes.NewReader(snapBytes(t, got)))
	require.NoError(t, err)
	_, err = again.Dictionary().Add(ann[3])
	require.ErrorIs(t, err, reconcile.ErrErased)
	require.True(t, d.Erased(annMail))
	_, ok = d.ID(annMail)
	require.False(t, ok)
	for p := range got.View().Profiles().All() {
		for m := range got.View().MemberOrds(reconcile.Profile(p)) {
			require.NotEqual(t, annMail, m)
		}
	}
}

func TestSnapshotEveryByteFlipped(t *testing.T) {
	t.Cleanup(reconcile.SnapshotChunkForTest(200)) // several DICT and RECS sections
	b := snapBytes(t, snapWorld(t, 4, 3))
	t.Logf("snapshot of %d bytes", len(b))
	for i := range b {
		for _, mask := range []byte{0x01, 0x80, 0xFF} {
			c := slices.Clone(b)
			c[i] ^= mask
			_, err := reconcile.ReadGraph(bytes.NewReader(c))
			requireSnapshotError(t, err, int64(len(c)), "byte %d ^ %#x", i, mask)
		}
	}
}

func TestSnapshotTruncated(t *testing.T) {
	b := snapBytes(t, snapWorld(t, 5, 3))
	for n := range len(b) {
		_, err := reconcile.ReadGraph(bytes.NewReader(b[:n]))
		requireSnapshotError(t, err, int64(n), "prefix of %d bytes", n)
		require.ErrorIs(t, err, reconcile.ErrCorrupt, "prefix of %d bytes", n)
	}
}

// requireSnapshotError checks that err is a *SnapshotError wrapping one of
// the three sentinels, at an offset within the input.
func requireSnapshotError(t *testing.T, err error, size int64, args ...any) {
	t.Helper()
	var se *reconcile.SnapshotError
	require.ErrorAs(t, err, &se, args...)
	require.True(t, errors.Is(err, reconcile.ErrCorrupt) || errors.Is(err, reconcile.ErrVersion) || errors.Is(err, reconcile.ErrFormat), args...)
	require.GreaterOrEqual(t, se.Offset, int64(0), args...)
	require.LessOrEqual(t, se.Offset, size, args...)
	require.NotEmpty(t, se.Section, args...)
	require.NotEmpty(t, err.Error(), args...)
}

func TestSnapshotForeign(t *testing.T) {
	good := snapBytes(t, mustGraph(reconcile.Rules{}))
	version := slices.Clone(good)
	binary.LittleEndian.PutUint32(version[8:], 3)
	flags := slices.Clone(good)
	flags[12] = 1
	for _, tc := range []struct {
		name string
		in   []byte
		want error
	}{
		{"empty", nil, reconcile.ErrCorrupt},
		{"magic cut short", good[:5], reconcile.ErrCorrupt},
		{"PNG", []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), reconcile.ErrFormat},
		{"text", []byte("ECID:20265673158980419722735089753036633573\n"), reconcile.ErrFormat},
		{"gob", []byte{0x0e, 0xff, 0x81, 0x04, 0x01, 0x02, 0xff, 0x82}, reconcile.ErrFormat},
		{"version 3", version, reconcile.ErrVersion},
		{"flags", flags, reconcile.ErrVersion},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := reconcile.ReadGraph(bytes.NewReader(tc.in))
			require.ErrorIs(t, err, tc.want)
			var se *reconcile.SnapshotError
			require.ErrorAs(t, err, &se)
			require.Equal(t, "header", se.Section)
		})
	}
}

// TestSnapshotInvalidContents feeds snapshots whose checksums are right but
// whose contents are not, one fault each, and checks the section named.
func TestSnapshotInvalidContents(t *testing.T) {
	g := mustGraph(snapRules())
	ann := snapPerson(0)
	require.NoError(t, g.Link(snapT0, ann[0], ann[2], ann[5]))
	require.NoError(t, g.Link(snapT0, ann[1], ann[3]))
	d := g.Dictionary()
	crmOrd, _ := d.Lookup(ann[2])
	gone, _ := d.Lookup(ann[1])
	_, err := g.Erase(ann[1])
	require.NoError(t, err)
	require.NoError(t, g.Catalog().Put("a", g.View().Profiles()))
	require.NoError(t, g.Catalog().Put("b", reconcile.Profiles{}))
	header, secs := parseSnap(t, snapBytes(t, g))
	idx := func(tag string) int {
		i := slices.IndexFunc(secs, func(s snapSection) bool { return s.Tag == tag })
		require.GreaterOrEqual(t, i, 0, tag)
		return i
	}
	dict := secs[idx("DICT")].Payload
	require.Equal(t, uint32(5), binary.LittleEndian.Uint32(dict[4:]))
	entry := func(p []byte, i int) int { // offset of entry i
		at := 8 + 16 // first, count, salt
		for range i {
			n := int(binary.LittleEndian.Uint16(p[at:]))
			if n == 0 {
				n = 2 + 16 // namespace index, digest
			}
			at += 2 + n
		}
		return at
	}
	with := func(tag string, f func(p []byte) []byte) []snapSection {
		out := slices.Clone(secs)
		i := idx(tag)
		out[i].Payload = f(slices.Clone(out[i].Payload))
		return out
	}
	swap := func(i, j int) []snapSection {
		out := slices.Clone(secs)
		out[i], out[j] = out[j], out[i]
		return out
	}
	erasedAt := entry(dict, int(gone))
	require.Equal(t, uint16(0), binary.LittleEndian.Uint16(dict[erasedAt:]))

	for _, tc := range []struct {
		name    string
		secs    []snapSection
		section string
	}{
		{"unknown tag", append(slices.Clone(secs[:2]), append([]snapSection{{"XTRA", nil}}, secs[2:]...)...), "XTRA"},
		{"no NSPC", secs[1:], "RULE"},
		{"RULE twice", append(slices.Clone(secs[:2]), secs[1:]...), "RULE"},
		// The framing is checked before any section is parsed, so the
		// DICT out of place fails, not the RECS's unknown ordinals.
		{"records before dictionary", swap(idx("DICT"), idx("RECS")), "DICT"},
		{"records after catalog", swap(idx("RECS"), idx("CATL")), "RECS"},
		{"NSPC repeats a namespace", with("NSPC", func(p []byte) []byte {
			p = append(p, p[4:4+1+int(p[4])]...)
			binary.LittleEndian.PutUint32(p, binary.LittleEndian.Uint32(p)+1)
			return p
		}), "NSPC"},
		{"NSPC invalid code", with("NSPC", func(p []byte) []byte { p[5] = '$'; return p }), "NSPC"},
		{"NSPC count too large", with("NSPC", func(p []byte) []byte { p[3] = 0x7f; return p }), "NSPC"},
		{"NSPC trailing byte", with("NSPC", func(p []byte) []byte { return append(p, 0) }), "NSPC"},
		{"RULE bad index", with("RULE", func(p []byte) []byte { p[14] = 0xEE; return p }), "RULE"},
		{"RULE repeats a unique namespace", with("RULE", func(p []byte) []byte { copy(p[16:18], p[14:16]); return p }), "RULE"},
		{"RULE MaxPerRecord over the limit", with("RULE", func(p []byte) []byte { p[10] = 0xff; return p }), "RULE"},
		{"DICT starts at 1", with("DICT", func(p []byte) []byte { p[0] = 1; return p }), "DICT"},
		{"DICT count too large", with("DICT", func(p []byte) []byte { p[7] = 0x10; return p }), "DICT"},
		{"DICT count zero", with("DICT", func(p []byte) []byte { return []byte{0, 0, 0, 0, 0, 0, 0, 0} }), "DICT"},
		{"DICT invalid key", with("DICT", func(p []byte) []byte { p[entry(p, 0)+2] = 0x42; return p }), "DICT"},
		{"DICT non-canonical key", with("DICT", func(p []byte) []byte {
			p[entry(p, int(crmOrd))+3] = ' ' // "C-000000" becomes " -000000"
			return p
		}), "DICT"},
		{"DICT duplicate key", with("DICT", func(p []byte) []byte {
			a, b := entry(p, 0), entry(p, 1)
			return slices.Concat(p[:b], p[a:b], p[entry(p, 2):])
		}), "DICT"},
		{"DICT tombstone namespace", with("DICT", func(p []byte) []byte { p[erasedAt+2] = 0x7f; return p }), "DICT"},
		{"DICT tombstone cut short", with("DICT", func(p []byte) []byte {
			return slices.Concat(p[:erasedAt+4+8], p[erasedAt+4+16:])
		}), "DICT"},
		{"DICT duplicate digest", with("DICT", func(p []byte) []byte {
			at, next := erasedAt, entry(p, int(gone)+1)
			out := slices.Concat(p[:next], p[at:next], p[next:])
			binary.LittleEndian.PutUint32(out[4:], binary.LittleEndian.Uint32(out[4:])+1)
			return out
		}), "DICT"},
		{"DICT custom namespace not listed", with("DICT", func(p []byte) []byte {
			at := entry(p, 2)
			key := []byte{0xFF, 5, 'o', 't', 'h', 'e', 'r', 'V'}
			return slices.Concat(p[:at], []byte{byte(len(key)), 0}, key, p[entry(p, 3):])
		}), "DICT"},
		{"RECS erased ordinal", with("RECS", func(p []byte) []byte {
			binary.LittleEndian.PutUint32(p[4+10:], gone)
			return p
		}), "RECS"},
		{"RECS ordinal out of range", with("RECS", func(p []byte) []byte {
			binary.LittleEndian.PutUint32(p[4+10:], 99)
			return p
		}), "RECS"},
		{"RECS repeated ordinal", with("RECS", func(p []byte) []byte {
			copy(p[4+14:4+18], p[4+10:4+14])
			return p
		}), "RECS"},
		{"RECS empty record", with("RECS", func(p []byte) []byte {
			binary.LittleEndian.PutUint16(p[4+8:], 0)
			return p
		}), "RECS"},
		{"RECS too many identities", with("RECS", func(p []byte) []byte {
			binary.LittleEndian.PutUint16(p[4+8:], 21)
			return p
		}), "RECS"},
		{"CATL erased identity", with("CATL", func(p []byte) []byte {
			name := p[:3]
			return slices.Concat(name, mustMarshal(t, bitmap.Of(0, gone)))
		}), "CATL"},
		{"CATL bad roaring", with("CATL", func(p []byte) []byte { return append(p, 1) }), "CATL"},
		{"CATL names out of order", func() []snapSection {
			out := slices.Clone(secs)
			i := idx("CATL")
			out[i], out[i+1] = out[i+1], out[i]
			return out
		}(), "CATL"},
		{"CATL empty name", with("CATL", func(p []byte) []byte { return slices.Concat([]byte{0, 0}, p[3:]) }), "CATL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := buildSnap(header, tc.secs)
			_, err := reconcile.ReadGraph(bytes.NewReader(b))
			require.ErrorIs(t, err, reconcile.ErrCorrupt)
			var se *reconcile.SnapshotError
			require.ErrorAs(t, err, &se)
			assert.Equal(t, tc.section, se.Section, "%v", err)
			assert.Less(t, se.Offset, int64(len(b)))
		})
	}
	// The unchanged sections load, so each case above fails for its fault.
	_, err = reconcile.ReadGraph(bytes.NewReader(buildSnap(header, secs)))
	require.NoError(t, err)
}

func mustMarshal(t *testing.T, a bitmap.Audience) []byte {
	b, err := a.MarshalBinary()
	require.NoError(t, err)
	return b
}

// TestSnapshotHostileLengths checks that declared lengths and counts do not
// make the reader allocate: a section claiming a gigabyte, followed by a few
// bytes, costs what those bytes cost.
func TestSnapshotHostileLengths(t *testing.T) {
	header, secs := parseSnap(t, snapBytes(t, mustGraph(reconcile.Rules{})))
	big := buildSnap(header, secs)
	// Replace the end marker by a DICT section header claiming 2^30 bytes.
	big = big[:len(big)-16]
	big = append(big, "DICT"...)
	big = binary.LittleEndian.AppendUint64(big, 1<<30)
	big = append(big, make([]byte, 100)...)
	counts := buildSnap(header, append(slices.Clone(secs), snapSection{"DICT", []byte{0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 1, 0}}))
	for name, in := range map[string][]byte{"length": big, "count": counts} {
		t.Run(name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err := reconcile.ReadGraph(bytes.NewReader(in))
			runtime.ReadMemStats(&after)
			require.ErrorIs(t, err, reconcile.ErrCorrupt)
			assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(1<<20), "bytes allocated")
		})
	}
}

func TestSnapshotReadsNoFurther(t *testing.T) {
	b := snapBytes(t, snapWorld(t, 6, 4))
	r := bytes.NewReader(append(slices.Clone(b), "next"...))
	_, err := reconcile.ReadGraph(r)
	require.NoError(t, err)
	rest, err := io.ReadAll(r)
	require.NoError(t, err)
	require.Equal(t, "next", string(rest))
}

func TestSnapshotWriteError(t *testing.T) {
	g := snapWorld(t, 7, 4)
	size := int64(len(snapBytes(t, g)))
	for _, limit := range []int64{0, 10, 16, 100, size - 1} {
		w := &snapLimitWriter{n: limit}
		n, err := g.WriteTo(w)
		require.ErrorIs(t, err, errSnapDiskFull, "limit %d", limit)
		require.LessOrEqual(t, n, limit)
	}
}

var errSnapDiskFull = errors.New("disk full")

// snapLimitWriter takes n bytes, then fails.
type snapLimitWriter struct{ n int64 }

func (w *snapLimitWriter) Write(p []byte) (int, error) {
	if int64(len(p)) <= w.n {
		w.n -= int64(len(p))
		return len(p), nil
	}
	k := int(w.n)
	w.n = 0
	return k, errSnapDiskFull
}

func TestSaveLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "graph.idbits")
	g := snapWorld(t, 8, 30)
	require.NoError(t, g.WriteFile(path))
	fi, err := os.Stat(path)
	require.NoError(t, err)
	if runtime.GOOS != "windows" {
		require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	}
	got, err := reconcile.ReadGraphFile(path)
	require.NoError(t, err)
	requireSameGraph(t, g, got)

	// Saving again replaces the file; no temporary file is left.
	require.NoError(t, g.Link(snapT0, idtypes.MustParse(idtypes.Email, "late@example.com")))
	require.NoError(t, g.WriteFile(path))
	got, err = reconcile.ReadGraphFile(path)
	require.NoError(t, err)
	requireSameGraph(t, g, got)
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 1)

	// Bytes after the end marker.
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, append(b, 0), 0o600))
	_, err = reconcile.ReadGraphFile(path)
	require.ErrorIs(t, err, reconcile.ErrCorrupt)

	_, err = reconcile.ReadGraphFile(filepath.Join(dir, "missing"))
	require.ErrorIs(t, err, os.ErrNotExist)
}

// TestSaveKeepsLinks: saving through a symbolic link replaces the file it
// leads to and leaves the link a link; a folder is never replaced.
func TestSaveKeepsLinks(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("symbolic links need privileges on Windows")
	}
	dir := t.TempDir()
	target := filepath.Join(dir, "graph.idbits")
	link := filepath.Join(dir, "current")
	require.NoError(t, os.WriteFile(target, []byte("old"), 0o600))
	require.NoError(t, os.Symlink("graph.idbits", link))

	g := snapWorld(t, 8, 10)
	require.NoError(t, g.WriteFile(link))
	fi, err := os.Lstat(link)
	require.NoError(t, err)
	require.Equal(t, os.ModeSymlink, fi.Mode().Type(), "the link is still a link")
	got, err := reconcile.ReadGraphFile(target)
	require.NoError(t, err)
	requireSameGraph(t, g, got)

	require.Error(t, g.WriteFile(dir))
	fi, err = os.Stat(dir)
	require.NoError(t, err)
	require.True(t, fi.IsDir())
}

func TestSaveFailsLeavingOldFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "graph.idbits")
	require.NoError(t, snapWorld(t, 9, 5).WriteFile(path))
	old, err := os.ReadFile(path)
	require.NoError(t, err)

	// A folder that does not exist.
	require.Error(t, snapWorld(t, 9, 5).WriteFile(filepath.Join(dir, "no", "graph.idbits")))

	now, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, old, now)
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 1)
}

// TestSnapshotWhileLinking writes snapshots while other goroutines link,
// erase and put audiences; every snapshot must load.
func TestSnapshotWhileLinking(t *testing.T) {
	g := snapWorld(t, 10, 50)
	var wg sync.WaitGroup
	const people = 2000
	wg.Add(3)
	go func() {
		defer wg.Done()
		for p := 100; p < 100+people; p++ {
			ids := snapPerson(p)
			if err := g.Link(snapT0, ids[0], ids[2], ids[3]); err != nil && !errors.Is(err, reconcile.ErrErased) {
				t.Error(err)
				return
			}
		}
	}()
	go func() {
		defer wg.Done()
		for p := 100; p < 100+people; p += 20 {
			if _, err := g.Erase(snapPerson(p)[3]); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	go func() {
		defer wg.Done()
		for range 50 {
			assert.NoError(t, g.Catalog().Put("all", g.View().Profiles()))
		}
	}()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	for i := 0; ; i++ {
		var buf bytes.Buffer
		_, err := g.WriteTo(&buf)
		require.NoError(t, err)
		_, err = reconcile.ReadGraph(&buf)
		require.NoError(t, err, "snapshot %d", i)
		select {
		case <-done:
			got, err := reconcile.ReadGraph(bytes.NewReader(snapBytes(t, g)))
			require.NoError(t, err)
			requireSameGraph(t, g, got)
			return
		default:
		}
	}
}

// snapFreshCodes numbers the namespace codes freshSnapCode hands out, so that
// no two cases (nor two runs under -count) share one.
var snapFreshCodes atomic.Uint32

// freshSnapCode returns a custom namespace code no test has declared, as long
// as snapLoyalty's code, so that it can take its place in a snapshot.
func freshSnapCode(t *testing.T) string {
	t.Helper()
	code := fmt.Sprintf("RegTest_%04d", snapFreshCodes.Add(1))
	require.Len(t, code, len(snapLoyalty.String()))
	_, err := idtypes.ParseNamespace(code)
	require.ErrorIs(t, err, idtypes.ErrNamespace, "%s is declared already", code)
	return code
}

// snapWithCode returns the sections of a snapshot of a small world whose
// custom namespace is code, not yet declared in the process.
func snapWithCode(t *testing.T, code string) (header []byte, secs []snapSection) {
	t.Helper()
	b := snapBytes(t, snapWorld(t, 9, 4))
	old := snapLoyalty.String()
	require.Equal(t, 1, bytes.Count(b, []byte(old)), "NSPC lists the code once")
	require.Positive(t, bytes.Count(b, []byte(strings.ToLower(old))), "keys hold the lower-case code")
	header, secs = parseSnap(t, b)
	for i := range secs {
		p := bytes.ReplaceAll(secs[i].Payload, []byte(old), []byte(code))
		secs[i].Payload = bytes.ReplaceAll(p, []byte(strings.ToLower(old)), []byte(strings.ToLower(code)))
	}
	return header, secs
}

func TestSnapshotCorruptDeclaresNothing(t *testing.T) {
	// The snapshot with a fresh code loads and declares it, so the cases
	// below fail for their fault, not for the rewrite.
	code := freshSnapCode(t)
	g, err := reconcile.ReadGraph(bytes.NewReader(buildSnap(snapWithCode(t, code))))
	require.NoError(t, err)
	ns, err := idtypes.ParseNamespace(code)
	require.NoError(t, err, "a good snapshot declares its namespaces")
	require.Positive(t, g.Dictionary().Ordinals(ns).Len())
	require.Contains(t, g.Rules().Unique, ns)
	id := idtypes.MustParse(ns, "L1")
	o, ok := g.Dictionary().Lookup(id)
	require.True(t, ok)
	require.Equal(t, ns, g.Dictionary().NamespaceOf(o))
	got, ok := g.Dictionary().ID(o)
	require.True(t, ok)
	require.Equal(t, id, got)

	// lastPayload is the offset of the last byte of the last section's
	// payload; its checksum and the end marker follow.
	lastPayload := func(b []byte) int { return len(b) - 16 - 4 - 1 }
	for _, tc := range []struct {
		name    string
		corrupt func(b []byte) []byte // of a well-formed snapshot
		section string                // the section that fails
	}{
		{"flipped byte in the first DICT", func(b []byte) []byte {
			i := bytes.Index(b, []byte("DICT"))
			require.Positive(t, i)
			b[i+12+10] ^= 0x01
			return b
		}, "DICT"},
		{"flipped byte in the last section", func(b []byte) []byte { b[lastPayload(b)] ^= 0x80; return b }, "CATL"},
		{"bad checksum of the last section", func(b []byte) []byte { b[lastPayload(b)+4] ^= 0x01; return b }, "CATL"},
		{"bad checksum of the snapshot", func(b []byte) []byte { b[len(b)-1] ^= 0x01; return b }, "end"},
		{"end marker at the wrong offset", func(b []byte) []byte { b[len(b)-12] ^= 0x01; return b }, "end"},
		{"no end marker", func(b []byte) []byte { return b[:len(b)-16] }, "end"},
		{"truncated in the last section", func(b []byte) []byte { return b[:lastPayload(b)] }, "CATL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code := freshSnapCode(t)
			b := tc.corrupt(buildSnap(snapWithCode(t, code)))
			_, err := reconcile.ReadGraph(bytes.NewReader(b))
			require.ErrorIs(t, err, reconcile.ErrCorrupt)
			var se *reconcile.SnapshotError
			require.ErrorAs(t, err, &se)
			require.Equal(t, tc.section, se.Section, "%v", err)
			_, err = idtypes.ParseNamespace(code)
			require.ErrorIs(t, err, idtypes.ErrNamespace, "the corrupt snapshot declared %s", code)
		})
	}

	// Checksums right, contents wrong in one section: nothing is declared
	// either, whichever section is at fault.
	for _, tc := range []struct {
		tag     string
		corrupt func(p []byte) []byte
	}{
		{"RULE", func(p []byte) []byte { p[14] = 0xEE; return p }}, // the first Unique index
		{"DICT", func(p []byte) []byte { return append(p, 0) }},
		{"RECS", func(p []byte) []byte { return append(p, 0) }},
		{"CATL", func(p []byte) []byte { return append(p, 1) }},
	} {
		t.Run("bad "+tc.tag, func(t *testing.T) {
			code := freshSnapCode(t)
			header, secs := snapWithCode(t, code)
			i := slices.IndexFunc(secs, func(s snapSection) bool { return s.Tag == tc.tag })
			require.GreaterOrEqual(t, i, 0)
			secs[i].Payload = tc.corrupt(secs[i].Payload)
			_, err := reconcile.ReadGraph(bytes.NewReader(buildSnap(header, secs)))
			require.ErrorIs(t, err, reconcile.ErrCorrupt)
			var se *reconcile.SnapshotError
			require.ErrorAs(t, err, &se)
			require.Equal(t, tc.tag, se.Section, "%v", err)
			_, err = idtypes.ParseNamespace(code)
			require.ErrorIs(t, err, idtypes.ErrNamespace, "the corrupt snapshot declared %s", code)
		})
	}
	t.Run("ReadGraphFile with bytes after the end marker", func(t *testing.T) {
		code := freshSnapCode(t)
		path := filepath.Join(t.TempDir(), "trailing.idbits")
		require.NoError(t, os.WriteFile(path, append(buildSnap(snapWithCode(t, code)), 0), 0o600))
		_, err := reconcile.ReadGraphFile(path)
		require.ErrorIs(t, err, reconcile.ErrCorrupt)
		_, err = idtypes.ParseNamespace(code)
		require.ErrorIs(t, err, idtypes.ErrNamespace, "the corrupt snapshot declared %s", code)
	})

	// A namespace table that is itself invalid declares none of its codes,
	// not even those before the fault.
	for _, tc := range []struct {
		name  string
		extra func(code string) string // a code listed after the fresh one
	}{
		{"invalid code", func(string) string { return "bad$code" }},
		{"repeated code", strings.ToUpper},
	} {
		t.Run("NSPC "+tc.name, func(t *testing.T) {
			code := freshSnapCode(t)
			header, secs := snapWithCode(t, code)
			require.Equal(t, "NSPC", secs[0].Tag)
			p := slices.Clone(secs[0].Payload)
			extra := tc.extra(code)
			p = append(append(p, byte(len(extra))), extra...)
			binary.LittleEndian.PutUint32(p, binary.LittleEndian.Uint32(p)+1)
			secs[0].Payload = p
			_, err := reconcile.ReadGraph(bytes.NewReader(buildSnap(header, secs)))
			require.ErrorIs(t, err, reconcile.ErrCorrupt)
			var se *reconcile.SnapshotError
			require.ErrorAs(t, err, &se)
			require.Equal(t, "NSPC", se.Section, "%v", err)
			_, err = idtypes.ParseNamespace(code)
			require.ErrorIs(t, err, idtypes.ErrNamespace, "the corrupt snapshot declared %s", code)
		})
	}
}

// floodSnap returns a snapshot with correct checksums whose NSPC lists
// codes and whose RULE names each of them (as Unique) but the last unused,
// followed by secs.
func floodSnap(t *testing.T, codes []string, unused int, secs ...snapSection) []byte {
	t.Helper()
	header, _ := parseSnap(t, snapBytes(t, mustGraph(reconcile.Rules{})))
	nspc := binary.LittleEndian.AppendUint32(nil, uint32(len(codes)))
	for _, code := range codes {
		nspc = append(append(nspc, byte(len(code))), code...)
	}
	rule := make([]byte, 8+4)
	named := len(codes) - unused
	rule = binary.LittleEndian.AppendUint16(rule, uint16(named))
	for i := range named {
		rule = binary.LittleEndian.AppendUint16(rule, uint16(i))
	}
	rule = binary.LittleEndian.AppendUint16(rule, 0)
	return buildSnap(header, append([]snapSection{{"NSPC", nspc}, {"RULE", rule}}, secs...))
}

// floodCodes returns n custom namespace codes no test has declared.
func floodCodes(n int) []string {
	run := snapFreshCodes.Add(1)
	codes := make([]string, n)
	for i := range codes {
		codes[i] = fmt.Sprintf("Flood_%d_%d", run, i)
	}
	return codes
}

// registryRoom returns how many more custom namespaces the process can
// declare.
func registryRoom() int {
	return idtypes.MaxCustomNamespaces - len(slices.Collect(idtypes.CustomNamespaces()))
}

// TestSnapshotFloodDeclaresNothing feeds snapshots that use as many custom
// namespaces as a process holds, or one more than it has room left for,
// with right checksums. None loads, and each leaves the registry as it was:
// DeclareNamespace still works.
func TestSnapshotFloodDeclaresNothing(t *testing.T) {
	// An audience of ordinal 0 in a graph without identities: the last
	// section is at fault.
	badCatalog := snapSection{"CATL", slices.Concat([]byte{1, 0, 'a'}, mustMarshal(t, bitmap.Of(0)))}
	for _, tc := range []struct {
		name    string
		n       func() int // custom namespaces used
		secs    []snapSection
		section string
	}{
		{"MaxCustomNamespaces, bad catalog", func() int { return idtypes.MaxCustomNamespaces }, []snapSection{badCatalog}, "CATL"},
		{"one more than there is room for, bad catalog", func() int { return registryRoom() + 1 }, []snapSection{badCatalog}, "CATL"},
		{"one more than there is room for", func() int { return registryRoom() + 1 }, nil, "NSPC"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			codes := floodCodes(tc.n())
			b := floodSnap(t, codes, 0, tc.secs...)
			path := filepath.Join(t.TempDir(), "flood.idbits")
			require.NoError(t, os.WriteFile(path, b, 0o600))
			before := slices.Collect(idtypes.CustomNamespaces())
			for _, read := range []func() (*reconcile.Graph, error){
				func() (*reconcile.Graph, error) { return reconcile.ReadGraph(bytes.NewReader(b)) },
				func() (*reconcile.Graph, error) { return reconcile.ReadGraphFile(path) },
			} {
				_, err := read()
				require.ErrorIs(t, err, reconcile.ErrCorrupt)
				var se *reconcile.SnapshotError
				require.ErrorAs(t, err, &se)
				assert.Equal(t, tc.section, se.Section, "%v", err)
				require.Equal(t, before, slices.Collect(idtypes.CustomNamespaces()), "the failed load declared namespaces")
				_, err = idtypes.ParseNamespace(codes[0])
				require.ErrorIs(t, err, idtypes.ErrNamespace)
			}
			code := freshSnapCode(t)
			_, err := idtypes.DeclareNamespace(code)
			require.NoError(t, err, "DeclareNamespace after the failed load")
		})
	}
}

// TestSnapshotFillsRegistryExactly loads a snapshot that uses exactly as many
// fresh custom namespaces as the registry has room for, and lists a few it
// does not use: it declares the used ones, in order, and no other. It runs
// in a child process, as it fills the registry.
func TestSnapshotFillsRegistryExactly(t *testing.T) {
	if os.Getenv("RECONCILE_FILL_REGISTRY") != "1" {
		if testing.Short() {
			t.Skip("fills the registry in a child process")
		}
		cmd := exec.Command(os.Args[0], "-test.run=^TestSnapshotFillsRegistryExactly$", "-test.count=1")
		cmd.Env = append(os.Environ(), "RECONCILE_FILL_REGISTRY=1")
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "child process:\n%s", out)
		return
	}
	before := slices.Collect(idtypes.CustomNamespaces())
	room := registryRoom()
	// A snapshot lists at most MaxCustomNamespaces new codes: the last
	// of them are listed, not used.
	unused := min(3, idtypes.MaxCustomNamespaces-room)
	require.Positive(t, unused, "the test package declares a namespace")
	codes := floodCodes(room + unused)

	// Using one more than there is room for changes nothing.
	_, err := reconcile.ReadGraph(bytes.NewReader(floodSnap(t, append(slices.Clone(codes[:room]), "One_More"), 0)))
	require.ErrorIs(t, err, reconcile.ErrCorrupt)
	require.ErrorIs(t, err, idtypes.ErrNamespace)
	require.Equal(t, before, slices.Collect(idtypes.CustomNamespaces()))

	g, err := reconcile.ReadGraph(bytes.NewReader(floodSnap(t, codes, unused)))
	require.NoError(t, err)
	after := slices.Collect(idtypes.CustomNamespaces())
	require.Len(t, after, idtypes.MaxCustomNamespaces)
	require.Equal(t, before, after[:len(before)])
	for i, ns := range after[len(before):] {
		require.Equal(t, codes[i], ns.String())
	}
	require.Equal(t, after[len(before):], g.Rules().Unique)
	for _, code := range codes[room:] {
		_, err := idtypes.ParseNamespace(code)
		require.ErrorIs(t, err, idtypes.ErrNamespace, "%s is listed but not used", code)
	}
	_, err = idtypes.DeclareNamespace("Past_The_Cap")
	require.ErrorIs(t, err, idtypes.ErrNamespace)
}

// TestSnapshotDeclaresOnlyUsed checks that a namespace a snapshot lists but
// neither its rules nor its identifiers use is not declared.
func TestSnapshotDeclaresOnlyUsed(t *testing.T) {
	code, unused := freshSnapCode(t), freshSnapCode(t)
	header, secs := snapWithCode(t, code)
	p := slices.Clone(secs[0].Payload)
	p = append(append(p, byte(len(unused))), unused...)
	binary.LittleEndian.PutUint32(p, binary.LittleEndian.Uint32(p)+1)
	secs[0].Payload = p
	g, err := reconcile.ReadGraph(bytes.NewReader(buildSnap(header, secs)))
	require.NoError(t, err)
	ns, err := idtypes.ParseNamespace(code)
	require.NoError(t, err)
	require.Positive(t, g.Dictionary().Ordinals(ns).Len())
	_, err = idtypes.ParseNamespace(unused)
	require.ErrorIs(t, err, idtypes.ErrNamespace, "the unused %s was declared", unused)
}
