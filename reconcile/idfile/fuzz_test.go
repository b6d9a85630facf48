package idfile_test

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"iter"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/idbits/idbits/idtypes"
	"github.com/idbits/idbits/reconcile/idfile"
)

// fuzzNamespaces are the namespaces fuzz tests pick from. Custom ones are
// left out: fuzzing must not fill the process-wide namespace registry.
var fuzzNamespaces = []idtypes.Namespace{0, idtypes.ECID, idtypes.AAMUUID, idtypes.CRMID, idtypes.Email, idtypes.IDFA, idtypes.EmailSHA256}

func fuzzMaxLine(m uint16) int {
	if m%4 == 0 {
		return 0 // the default
	}
	return int(m % 600)
}

// addFiles adds the fixtures under testdata whose names end in suffix as seeds.
func addFiles(f *testing.F, suffix string, add func([]byte)) {
	f.Helper()
	entries, err := os.ReadDir("testdata")
	if err != nil {
		f.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), suffix) {
			continue
		}
		b, err := os.ReadFile(filepath.Join("testdata", e.Name()))
		if err != nil {
			f.Fatal(err)
		}
		add(b)
	}
}

// inputLines splits input as the readers number its lines.
func inputLines(input []byte) []string {
	lines := strings.SplitAfter(string(input), "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	return lines
}

// lineText returns line n (1-based) of lines without its ending or BOM.
func lineText(lines []string, n int) string {
	s := strings.TrimSuffix(lines[n-1], "\n")
	s = strings.TrimSuffix(s, "\r")
	if n == 1 {
		s = strings.TrimPrefix(s, "\xef\xbb\xbf")
	}
	return s
}

// checkStream ranges over seq and checks what every reader promises: values
// and *LineErrors, in line order, with numbers, offsets and text that agree
// with the input; at most one other error, last, and only if final allows
// it. It returns the values and the line numbers they came with.
func checkStream[T any](t *testing.T, input []byte, seq iter.Seq2[T, error], lineOf func(T) int, final func(error) bool) []T {
	t.Helper()
	lines := inputLines(input)
	var (
		out  []T
		last int
		end  error
	)
	for v, err := range seq {
		if end != nil {
			t.Fatalf("yield after the final error %v", end)
		}
		n := 0
		var le *idfile.LineError
		switch {
		case err == nil:
			n = lineOf(v)
			out = append(out, v)
		case errors.As(err, &le):
			n = le.Line
			if le.Offset < 0 || le.Offset > int64(len(input)) {
				t.Fatalf("line %d: offset %d outside the input", n, le.Offset)
			}
			if n >= 1 && n <= len(lines) {
				text := lineText(lines, n)
				if !strings.HasPrefix(text, le.Text) {
					t.Fatalf("line %d: error text %q is not the start of the line %q", n, le.Text, text)
				}
			}
			if len(le.Text) > 256 {
				t.Fatalf("line %d: error text of %d bytes", n, len(le.Text))
			}
			if le.Err == nil || le.Error() == "" {
				t.Fatalf("line %d: empty error", n)
			}
		default:
			if !final(err) {
				t.Fatalf("unexpected final error %v", err)
			}
			end = err
			continue
		}
		if n < 1 || n > len(lines) || n < last {
			t.Fatalf("line number %d after %d, with %d lines", n, last, len(lines))
		}
		last = n
	}
	return out
}

func noFinal(error) bool { return false }

func FuzzReadList(f *testing.F) {
	addFiles(f, ".txt", func(b []byte) { f.Add(b, uint8(0), uint16(0)) })
	f.Add([]byte("ECID:"+ecid1+"\n"+ecid2+"\r\n#c\n\n"), uint8(1), uint16(39))
	f.Add([]byte("\xef\xbb\xbfCRMID:a:b\r"), uint8(3), uint16(1))
	f.Fuzz(func(t *testing.T, input []byte, nsPick uint8, maxPick uint16) {
		opts := idfile.ListOptions{
			Namespace: fuzzNamespaces[int(nsPick)%len(fuzzNamespaces)],
			MaxLine:   fuzzMaxLine(maxPick),
		}
		lines := inputLines(input)
		got := checkStream(t, input, idfile.ReadList(bytes.NewReader(input), opts),
			func(l idfile.Line) int { return l.N }, noFinal)

		var ids []idtypes.ID
		for _, l := range got {
			// Every good line is what idtypes makes of it.
			text := lineText(lines, l.N)
			var want idtypes.ID
			var err error
			if opts.Namespace == 0 {
				want, err = idtypes.ParseText(text)
			} else {
				want, err = idtypes.Parse(opts.Namespace, text)
			}
			if err != nil || want != l.ID {
				t.Fatalf("line %d %q = %v, idtypes gives %v, %v", l.N, text, l.ID, want, err)
			}
			if !l.ID.IsValid() || l.Status != 0 {
				t.Fatalf("line %d: %+v", l.N, l)
			}
			ids = append(ids, l.ID)
		}
		roundTripList(t, ids, opts)
	})
}

// roundTripList writes ids as a list and checks that they read back.
func roundTripList(t *testing.T, ids []idtypes.ID, opts idfile.ListOptions) {
	t.Helper()
	var buf bytes.Buffer
	err := idfile.WriteList(&buf, slices.Values(ids), opts)
	if errors.Is(err, idfile.ErrUnwritable) {
		// Bare values that would read as comments; drop them and go on.
		ids = slices.DeleteFunc(ids, func(id idtypes.ID) bool {
			v := id.String()
			return strings.HasPrefix(v, "#") || strings.HasPrefix(v, "\ufeff")
		})
		buf.Reset()
		err = idfile.WriteList(&buf, slices.Values(ids), opts)
	}
	if err != nil {
		t.Fatalf("write list: %v", err)
	}
	opts.MaxLine = 0
	var back []idtypes.ID
	for l, err := range idfile.ReadList(&buf, opts) {
		if err != nil {
			t.Fatalf("reading back: %v", err)
		}
		back = append(back, l.ID)
	}
	if !slices.Equal(ids, back) {
		t.Fatalf("round trip: wrote %v, read %v", ids, back)
	}
}

var fuzzCommas = []byte{',', ';', '\t', '|'}

func FuzzReadCSV(f *testing.F) {
	addFiles(f, ".csv", func(b []byte) { f.Add(b, uint8(0), uint16(0), false) })
	f.Add([]byte("ECID;x\n"+ecid1+";\"a;\nb\"\n"), uint8(1), uint16(0), false)
	f.Add([]byte("CRMID,segmentMembershipStatus\n\"u\"\"1\",exited\n"), uint8(0), uint16(3), true)
	f.Fuzz(func(t *testing.T, input []byte, commaPick uint8, maxPick uint16, delta bool) {
		opts := idfile.CSVOptions{Comma: fuzzCommas[int(commaPick)%len(fuzzCommas)], MaxLine: fuzzMaxLine(maxPick), Delta: delta}
		got := checkStream(t, input, idfile.ReadCSV(bytes.NewReader(input), opts),
			func(l idfile.Line) int { return l.N },
			func(err error) bool { return errors.Is(err, idfile.ErrHeader) })
		roundTripCSV(t, got, opts)
		matchEncodingCSV(t, input, opts.Comma)
	})
}

// roundTripCSV writes lines as CSV and checks that they read back.
func roundTripCSV(t *testing.T, lines []idfile.Line, ropts idfile.CSVOptions) {
	t.Helper()
	if len(lines) == 0 {
		return
	}
	opts := idfile.CSVOptions{Comma: ropts.Comma, Column: "id", Namespace: lines[0].ID.Namespace(), Delta: lines[0].Status != 0}
	var buf bytes.Buffer
	if err := idfile.WriteCSV(&buf, func(yield func(idfile.Line) bool) {
		for _, l := range lines {
			l.N = 0
			if !yield(l) {
				return
			}
		}
	}, opts); err != nil {
		t.Fatalf("write CSV: %v", err)
	}
	i := 0
	for l, err := range idfile.ReadCSV(&buf, opts) {
		if err != nil {
			t.Fatalf("reading back: %v", err)
		}
		if w := lines[i]; l.ID != w.ID || l.Status != w.Status || l.N != i+2 {
			t.Fatalf("round trip of row %d: %+v, want %+v", i, l, w)
		}
		i++
	}
	if i != len(lines) {
		t.Fatalf("round trip: %d rows, want %d", i, len(lines))
	}
}

// matchEncodingCSV checks ReadCSV against encoding/csv on input that
// encoding/csv reads without error and where the two are meant to agree:
// no byte order mark, no line of blanks, and the first column named as no
// other column is.
func matchEncodingCSV(t *testing.T, input []byte, comma byte) {
	t.Helper()
	if bytes.HasPrefix(input, []byte("\xef\xbb\xbf")) {
		return
	}
	for _, l := range inputLines(input) {
		s := strings.TrimRight(l, "\r\n")
		if s != "" && strings.Trim(s, " \t") == "" {
			return
		}
	}
	r := csv.NewReader(bytes.NewReader(input))
	r.Comma = rune(comma)
	r.FieldsPerRecord = -1
	header, err := r.Read()
	if err != nil {
		return
	}
	name := strings.TrimSpace(header[0])
	if name == "" || strings.EqualFold(name, idfile.StatusColumn) {
		return
	}
	for _, h := range header[1:] {
		if h = strings.TrimSpace(h); strings.EqualFold(h, name) || strings.EqualFold(h, idfile.StatusColumn) {
			return
		}
	}
	type row struct {
		n  int
		id idtypes.ID
	}
	var want []row
	for {
		rec, err := r.Read()
		if err != nil {
			if err == io.EOF {
				break
			}
			return // encoding/csv rejects the input
		}
		n, _ := r.FieldPos(0)
		id, err := idtypes.Parse(idtypes.CRMID, rec[0])
		if err == nil {
			want = append(want, row{n, id})
		}
	}
	var got []row
	opts := idfile.CSVOptions{Comma: comma, Column: name, Namespace: idtypes.CRMID}
	for l, err := range idfile.ReadCSV(bytes.NewReader(input), opts) {
		var le *idfile.LineError
		if err != nil && !errors.As(err, &le) {
			t.Fatalf("encoding/csv reads the input, ReadCSV ends with %v", err)
		}
		if err == nil {
			got = append(got, row{l.N, l.ID})
		}
	}
	if !slices.Equal(want, got) {
		t.Fatalf("ReadCSV gives rows %v, encoding/csv %v", got, want)
	}
}

func FuzzReadXDM(f *testing.F) {
	addFiles(f, ".jsonl", func(b []byte) { f.Add(b, uint16(0)) })
	f.Add([]byte(`{"timestamp":"2026-05-01T10:00:00Z","identityMap":{"Email":[{"id":"A@B.co","primary":true}]}}`), uint16(0))
	f.Fuzz(func(t *testing.T, input []byte, maxPick uint16) {
		opts := idfile.XDMOptions{MaxLine: fuzzMaxLine(maxPick)}
		got := checkStream(t, input, idfile.ReadXDM(bytes.NewReader(input), opts),
			func(r idfile.Record) int { return r.N }, noFinal)
		var ids []idtypes.ID
		for _, r := range got {
			if len(r.IDs) == 0 {
				t.Fatalf("line %d: a record without identities", r.N)
			}
			for _, id := range r.IDs {
				if !id.ID.IsValid() || id.State > idfile.LoggedOut {
					t.Fatalf("line %d: %+v", r.N, id)
				}
				ids = append(ids, id.ID)
			}
		}
		roundTripList(t, ids, idfile.ListOptions{})
	})
}

// checkUpdates checks what every Update promises.
func checkUpdates(t *testing.T, got []idfile.Update, overwrite bool) {
	t.Helper()
	for _, u := range got {
		if !u.User.IsValid() {
			t.Fatalf("line %d: no user", u.N)
		}
		if overwrite && len(u.Removed) > 0 {
			t.Fatalf("line %d: removals in an overwrite file", u.N)
		}
		for _, tr := range slices.Concat(u.Added, u.Removed) {
			if (tr.ID == 0) == (tr.Code == "") {
				t.Fatalf("line %d: trait %+v", u.N, tr)
			}
		}
	}
}

// sameUpdates reports whether two updates have the same content.
func sameUpdates(a, b idfile.Update) bool {
	return a.User == b.User && slices.Equal(a.Added, b.Added) && slices.Equal(a.Removed, b.Removed)
}

func FuzzReadAAMInbound(f *testing.F) {
	addFiles(f, ".sync", func(b []byte) { f.Add(b, uint8(0), false, uint16(0)) })
	f.Add([]byte("u-1\t\"ic\"=\" a=b \", 24:-1\n"), uint8(3), true, uint16(0))
	f.Fuzz(func(t *testing.T, input []byte, nsPick uint8, overwrite bool, maxPick uint16) {
		ns := fuzzNamespaces[1+int(nsPick)%(len(fuzzNamespaces)-1)]
		opts := idfile.AAMOptions{Namespace: ns, Overwrite: overwrite, MaxLine: fuzzMaxLine(maxPick)}
		got := checkStream(t, input, idfile.ReadAAMInbound(bytes.NewReader(input), opts),
			func(u idfile.Update) int { return u.N }, noFinal)
		checkUpdates(t, got, overwrite)
		// Each update, written back as a line, reads the same.
		opts.MaxLine = 0
		for _, u := range got {
			var items []string
			for _, tr := range u.Added {
				if tr.Code != "" {
					items = append(items, `ic="`+tr.Code+`"`)
				} else {
					items = append(items, "d_sid="+strconv.FormatUint(tr.ID, 10))
				}
			}
			for _, tr := range u.Removed {
				items = append(items, strconv.FormatUint(tr.ID, 10)+":-1")
			}
			line := u.User.String() + "\t" + strings.Join(items, ", ")
			back, bads := collect(t, idfile.ReadAAMInbound(strings.NewReader(line), opts))
			if len(bads) > 0 || len(back) != 1 || !sameUpdates(back[0], u) {
				t.Fatalf("line %d written back as %q reads %+v, %v; want %+v", u.N, line, back, bads, u)
			}
		}
	})
}

func FuzzReadAAMOutbound(f *testing.F) {
	addFiles(f, ".sync", func(b []byte) { f.Add(b, uint8(0), uint16(0)) })
	f.Fuzz(func(t *testing.T, input []byte, nsPick uint8, maxPick uint16) {
		ns := []idtypes.Namespace{idtypes.AAMUUID, idtypes.CRMID}[int(nsPick)%2]
		opts := idfile.AAMOptions{Namespace: ns, MaxLine: fuzzMaxLine(maxPick)}
		got := checkStream(t, input, idfile.ReadAAMOutbound(bytes.NewReader(input), opts),
			func(u idfile.Update) int { return u.N }, noFinal)
		checkUpdates(t, got, false)
		opts.MaxLine = 0
		join := func(ts []idfile.Trait) string {
			var s []string
			for _, tr := range ts {
				s = append(s, tr.String())
			}
			return strings.Join(s, ",")
		}
		for _, u := range got {
			line := u.User.String() + " " + join(u.Added) + " " + join(u.Removed)
			back, bads := collect(t, idfile.ReadAAMOutbound(strings.NewReader(line), opts))
			if len(bads) > 0 || len(back) != 1 || !sameUpdates(back[0], u) {
				t.Fatalf("line %d written back as %q reads %+v, %v; want %+v", u.N, line, back, bads, u)
			}
		}
	})
}
