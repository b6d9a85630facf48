package bench_test

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"iter"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idbits/idbits/bench"
	"github.com/idbits/idbits/idtypes"
	"github.com/idbits/idbits/reconcile/idfile"
)

// testSegments are segments of every namespace with every kind of line.
func testSegments(w *bench.World) []bench.Segment {
	var out []bench.Segment
	for _, ns := range []idtypes.Namespace{idtypes.ECID, idtypes.CRMID, idtypes.Email, idtypes.EmailSHA256, idtypes.Phone} {
		out = append(out, w.Segment(bench.SegmentSpec{Seed: uint64(ns), Namespace: ns, Density: 0.2, Unknown: 0.1, Malformed: 0.1}))
	}
	return out
}

// lines splits text into lines, checking that it ends with a line end.
func lines(t *testing.T, text string) []string {
	t.Helper()
	require.True(t, strings.HasSuffix(text, "\n"), "text does not end with a line end")
	return strings.Split(strings.TrimSuffix(text, "\n"), "\n")
}

func TestWriteList(t *testing.T) {
	w := bench.Generate(bench.Config{Seed: 21, People: 3000})
	for _, s := range testSegments(w) {
		t.Run(s.Namespace().String(), func(t *testing.T) {
			var buf bytes.Buffer
			require.NoError(t, s.WriteList(&buf, "segment 7\nspring visitors"))
			got := lines(t, buf.String())
			require.Equal(t, []string{"# segment 7", "# spring visitors"}, got[:2])
			got = got[2:]
			want := slices.Collect(s.Lines())
			require.Len(t, got, len(want))
			for i, l := range want {
				id, err := idtypes.ParseText(got[i])
				if l.Kind == bench.Malformed {
					require.Error(t, err, "line %q (%v) parses", got[i], l.Flaw)
					continue
				}
				require.NoError(t, err)
				assert.Equal(t, l.ID, id)
				assert.Equal(t, l.ID.Text(), got[i])
			}

			// The project's list reader sees the same lines.
			good, bad := 0, 0
			for ln, err := range idfile.ReadList(bytes.NewReader(buf.Bytes()), idfile.ListOptions{}) {
				var le *idfile.LineError
				if errors.As(err, &le) {
					bad++
					continue
				}
				require.NoError(t, err)
				require.True(t, ln.ID.IsValid())
				good++
			}
			assert.Equal(t, s.Count(bench.Known)+s.Count(bench.Unknown), good)
			assert.Equal(t, s.Count(bench.Malformed), bad)
		})
	}

	var buf bytes.Buffer
	require.NoError(t, w.Segment(bench.SegmentSpec{Density: 0.001}).WriteList(&buf, ""))
	assert.NotContains(t, buf.String(), "#")
}

func TestWriteCSV(t *testing.T) {
	w := bench.Generate(bench.Config{Seed: 22, People: 3000})
	for _, s := range testSegments(w) {
		t.Run(s.Namespace().String(), func(t *testing.T) {
			var buf bytes.Buffer
			require.NoError(t, s.WriteCSV(&buf))
			r := csv.NewReader(bytes.NewReader(buf.Bytes()))
			rows, err := r.ReadAll()
			require.NoError(t, err)
			require.Equal(t, []string{"first_name", s.Namespace().String(), "city"}, rows[0])
			rows = rows[1:]
			want := slices.Collect(s.Lines())
			require.Len(t, rows, len(want))
			for i, l := range want {
				row := rows[i]
				assert.NotEmpty(t, row[0])
				assert.Contains(t, row[2], ", ")
				id, err := idtypes.Parse(s.Namespace(), row[1])
				if l.Kind == bench.Malformed {
					require.Error(t, err, "value %q (%v) parses", row[1], l.Flaw)
					assert.Equal(t, l.Value, row[1])
					continue
				}
				require.NoError(t, err)
				assert.Equal(t, l.ID, id)
			}

			good, bad := 0, 0
			for _, err := range idfile.ReadCSV(bytes.NewReader(buf.Bytes()), idfile.CSVOptions{}) {
				var le *idfile.LineError
				if errors.As(err, &le) {
					bad++
					continue
				}
				require.NoError(t, err)
				good++
			}
			assert.Equal(t, s.Count(bench.Known)+s.Count(bench.Unknown), good)
			assert.Equal(t, s.Count(bench.Malformed), bad)
		})
	}
}

func TestWriteCSVFirstName(t *testing.T) {
	// A member's first name is the one in their email address.
	w := bench.Generate(bench.Config{Seed: 23, People: 500, EmailShare: 1})
	s := w.Segment(bench.SegmentSpec{Namespace: idtypes.Email, Density: 1})
	var buf bytes.Buffer
	require.NoError(t, s.WriteCSV(&buf))
	rows, err := csv.NewReader(&buf).ReadAll()
	require.NoError(t, err)
	require.Len(t, rows, 501)
	for _, row := range rows[1:] {
		assert.True(t, strings.HasPrefix(row[1], strings.ToLower(row[0])+"."), "%q in row %q", row[0], row)
	}
}

// xdmLine is the shape of an XDM line.
type xdmLine struct {
	Timestamp   string `json:"timestamp"`
	IdentityMap map[string][]struct {
		ID                 string `json:"id"`
		AuthenticatedState string `json:"authenticatedState"`
	} `json:"identityMap"`
}

func TestWriteXDM(t *testing.T) {
	w := bench.Generate(bench.Config{Seed: 24, People: 1500})
	var buf bytes.Buffer
	require.NoError(t, w.WriteXDM(&buf))
	got := lines(t, buf.String())
	require.Len(t, got, w.RecordCount())

	// Plain checks in the loops: they run for every record.
	var recs []bench.Record
	for rec := range w.Records() {
		text := got[len(recs)]
		rec.IDs = slices.Clone(rec.IDs) // Records reuses the slice
		recs = append(recs, rec)
		var x xdmLine
		dec := json.NewDecoder(strings.NewReader(text))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&x); err != nil {
			t.Fatalf("line %q: %v", text, err)
		}
		if want := rec.At.Format(time.RFC3339); x.Timestamp != want {
			t.Fatalf("line %q: timestamp %q, want %q", text, x.Timestamp, want)
		}
		if !strings.HasPrefix(text, `{"timestamp":"`+x.Timestamp+`","identityMap":{"ECID":[{"id":"`) {
			t.Fatalf("line %q does not start with its timestamp and ECID", text)
		}
		if len(x.IdentityMap) != len(rec.IDs) {
			t.Fatalf("line %q has %d namespaces, want one for each of %v", text, len(x.IdentityMap), rec.IDs)
		}
		for _, id := range rec.IDs {
			entries := x.IdentityMap[id.Namespace().String()]
			state := "authenticated"
			if id.Namespace() == idtypes.ECID {
				state = ""
			}
			if len(entries) != 1 || entries[0].ID != id.String() || entries[0].AuthenticatedState != state {
				t.Fatalf("line %q: %v is %+v", text, id, entries)
			}
		}
	}

	// The project's XDM reader reads the same records.
	n := 0
	for r, err := range idfile.ReadXDM(bytes.NewReader(buf.Bytes()), idfile.XDMOptions{}) {
		require.NoError(t, err)
		require.Less(t, n, len(recs))
		want := recs[n]
		n++
		if !want.At.Equal(r.At) || len(r.IDs) != len(want.IDs) {
			t.Fatalf("record %d read as %v, want %v", n, r, want)
		}
		for j, ident := range r.IDs {
			state := idfile.Authenticated
			if ident.ID.Namespace() == idtypes.ECID {
				state = 0
			}
			if ident.ID != want.IDs[j] || ident.State != state {
				t.Fatalf("record %d read as %v, want %v", n, r, want)
			}
		}
	}
	assert.Equal(t, len(recs), n)
}

// aamWant is what an Audience Manager line says of one user.
type aamWant struct{ add, remove []uint64 }

func TestWriteAAM(t *testing.T) {
	w := bench.Generate(bench.Config{Seed: 25, People: 3000})
	a := w.Segment(bench.SegmentSpec{Seed: 1, Density: 0.2})
	b := w.Segment(bench.SegmentSpec{Seed: 2, Density: 0.3, Clustered: true})
	c := w.Segment(bench.SegmentSpec{Seed: 3, Density: 0.1, Namespace: idtypes.CRMID})
	segs := []bench.AAMSegment{{SID: 24, Members: a}, {SID: 26, Members: b, Removed: a}, {SID: 28, Members: c, Removed: b}}

	for _, ns := range []idtypes.Namespace{idtypes.ECID, idtypes.CRMID} {
		// The expected lines, from the segments' people.
		want := map[idtypes.ID]aamWant{}
		for p := range w.People() {
			var x aamWant
			for _, sg := range segs {
				switch {
				case sg.Members.Contains(p):
					x.add = append(x.add, uint64(sg.SID))
				case sg.Removed.Contains(p):
					x.remove = append(x.remove, uint64(sg.SID))
				}
			}
			if len(x.add)+len(x.remove) == 0 {
				continue
			}
			for _, id := range w.IDs(p) {
				if id.Namespace() == ns {
					want[id] = x
				}
			}
		}
		require.NotEmpty(t, want)

		for _, tt := range []struct {
			name  string
			write func(io.Writer, idtypes.Namespace, []bench.AAMSegment) error
			read  func(io.Reader, idfile.AAMOptions) iter.Seq2[idfile.Update, error]
			parse func(t *testing.T, line string) (string, aamWant)
		}{
			{"inbound", w.WriteAAMInbound, idfile.ReadAAMInbound, parseInbound},
			{"outbound", w.WriteAAMOutbound, idfile.ReadAAMOutbound, parseOutbound},
		} {
			t.Run(tt.name+"/"+ns.String(), func(t *testing.T) {
				var buf bytes.Buffer
				require.NoError(t, tt.write(&buf, ns, segs))
				got := lines(t, buf.String())
				require.Len(t, got, len(want))
				seen := map[idtypes.ID]bool{}
				for _, text := range got {
					user, x := tt.parse(t, text)
					id, err := idtypes.Parse(ns, user)
					require.NoError(t, err)
					assert.False(t, seen[id])
					seen[id] = true
					assert.Equal(t, want[id], x, "line %q", text)
				}

				n := 0
				for u, err := range tt.read(bytes.NewReader(buf.Bytes()), idfile.AAMOptions{Namespace: ns}) {
					require.NoError(t, err)
					x := want[u.User]
					assert.Equal(t, x.add, traitIDs(u.Added))
					assert.Equal(t, x.remove, traitIDs(u.Removed))
					n++
				}
				assert.Equal(t, len(want), n)
			})
		}
	}

	var buf bytes.Buffer
	require.NoError(t, w.WriteAAMOutbound(&buf, idtypes.ECID, nil))
	assert.Empty(t, buf.String())
}

func traitIDs(ts []idfile.Trait) []uint64 {
	var out []uint64
	for _, t := range ts {
		out = append(out, t.ID)
	}
	return out
}

func parseInbound(t *testing.T, line string) (string, aamWant) {
	user, traits, ok := strings.Cut(line, "\t")
	require.True(t, ok, "no TAB in %q", line)
	var x aamWant
	for item := range strings.SplitSeq(traits, ",") {
		key, v, ok := strings.Cut(item, "=")
		require.True(t, ok, "item %q", item)
		n, err := strconv.ParseUint(v, 10, 64)
		require.NoError(t, err)
		switch key {
		case "d_sid":
			require.Empty(t, x.remove, "d_sid after d_unsid in %q", line)
			x.add = append(x.add, n)
		case "d_unsid":
			x.remove = append(x.remove, n)
		default:
			t.Fatalf("item %q", item)
		}
	}
	return user, x
}

func parseOutbound(t *testing.T, line string) (string, aamWant) {
	fields := strings.Split(line, " ")
	require.True(t, len(fields) == 2 || len(fields) == 3, "line %q", line)
	var x aamWant
	list := func(s string) []uint64 {
		var out []uint64
		if s == "" {
			return nil
		}
		for item := range strings.SplitSeq(s, ",") {
			n, err := strconv.ParseUint(item, 10, 64)
			require.NoError(t, err)
			out = append(out, n)
		}
		return out
	}
	x.add = list(fields[1])
	if len(fields) == 3 {
		x.remove = list(fields[2])
		require.NotEmpty(t, x.remove, "empty removed list in %q", line)
	}
	return fields[0], x
}

// failWriter accepts n bytes, then fails.
type failWriter struct{ n int }

var errDisk = errors.New("disk full")

func (f *failWriter) Write(p []byte) (int, error) {
	if len(p) > f.n {
		n := f.n
		f.n = 0
		return n, errDisk
	}
	f.n -= len(p)
	return len(p), nil
}

func TestWriteErrors(t *testing.T) {
	w := bench.Generate(bench.Config{Seed: 26, People: 5000})
	s := w.Segment(bench.SegmentSpec{Density: 0.5, Malformed: 0.1})
	segs := []bench.AAMSegment{{SID: 1, Members: s}}
	writers := map[string]func(io.Writer) error{
		"list":     func(d io.Writer) error { return s.WriteList(d, "x") },
		"csv":      s.WriteCSV,
		"xdm":      w.WriteXDM,
		"inbound":  func(d io.Writer) error { return w.WriteAAMInbound(d, idtypes.ECID, segs) },
		"outbound": func(d io.Writer) error { return w.WriteAAMOutbound(d, idtypes.ECID, segs) },
	}
	for name, write := range writers {
		t.Run(name, func(t *testing.T) {
			var full bytes.Buffer
			require.NoError(t, write(&full))
			require.Greater(t, full.Len(), 100<<10, "too small to fail in the middle")
			for _, n := range []int{0, 10, 70 << 10} {
				fw := &failWriter{n: n}
				assert.ErrorIs(t, write(fw), errDisk, "failing after %d bytes", n)
			}
			// Writing through a small buffer gives the same bytes.
			var again bytes.Buffer
			bw := bufio.NewWriterSize(&again, 16)
			require.NoError(t, write(bw))
			require.NoError(t, bw.Flush())
			assert.Equal(t, full.Bytes(), again.Bytes())
		})
	}
}
