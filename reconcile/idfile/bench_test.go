package idfile_test

import (
	"bufio"
	"bytes"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/idbits/idbits/idtypes"
	"github.com/idbits/idbits/reconcile/idfile"
)

// ecidList returns n lines of distinct ECIDs, as "ECID:value" or bare values.
func ecidList(n int, prefixed bool) []byte {
	var b bytes.Buffer
	for i := range n {
		if prefixed {
			b.WriteString("ECID:")
		}
		b.WriteString(ecidOf(uint64(i)))
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// naiveReadECIDs is what a Go programmer might write first: scan lines,
// split "NS:value", check the value's shape, keep distinct values.
func naiveReadECIDs(data []byte) (map[string]struct{}, int) {
	set := make(map[string]struct{})
	bad := 0
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		parts := strings.Split(line, ":")
		if len(parts) != 2 || !strings.EqualFold(parts[0], "ECID") || len(parts[1]) != 38 ||
			strings.Trim(parts[1], "0123456789") != "" {
			bad++
			continue
		}
		set[parts[1]] = struct{}{}
	}
	return set, bad
}

func BenchmarkReadList(b *testing.B) {
	for _, n := range []int{1e4, 1e6} {
		data := ecidList(n, true)
		report := func(b *testing.B) {
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "ids/s")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n)/float64(b.N), "ns/id")
		}
		b.Run("n="+strconv.Itoa(n)+"/impl=idbits", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				set := make(map[idtypes.ID]struct{})
				for ln, err := range idfile.ReadList(bytes.NewReader(data), idfile.ListOptions{}) {
					if err != nil {
						b.Fatal(err)
					}
					set[ln.ID] = struct{}{}
				}
				if len(set) != n {
					b.Fatalf("%d distinct, want %d", len(set), n)
				}
			}
			report(b)
		})
		b.Run("n="+strconv.Itoa(n)+"/impl=naive", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				set, bad := naiveReadECIDs(data)
				if len(set) != n || bad != 0 {
					b.Fatalf("%d distinct, %d bad, want %d", len(set), bad, n)
				}
			}
			report(b)
		})
	}
}

// BenchmarkReadListStream measures reading alone, without keeping the IDs.
func BenchmarkReadListStream(b *testing.B) {
	const n = 100_000
	for _, prefixed := range []bool{true, false} {
		data := ecidList(n, prefixed)
		opts := idfile.ListOptions{}
		name := "form=NS:value"
		if !prefixed {
			opts.Namespace, name = idtypes.ECID, "form=bare"
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				for _, err := range idfile.ReadList(bytes.NewReader(data), opts) {
					if err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "ids/s")
		})
	}
}

func BenchmarkReadCSV(b *testing.B) {
	const n = 100_000
	var buf bytes.Buffer
	buf.WriteString("name,ECID,segmentMembershipStatus\n")
	for i := range n {
		buf.WriteString("\"Doe, Ann\"," + ecidOf(uint64(i)) + ",realized\n")
	}
	data := buf.Bytes()
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		for _, err := range idfile.ReadCSV(bytes.NewReader(data), idfile.CSVOptions{}) {
			if err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "ids/s")
}

func BenchmarkReadXDM(b *testing.B) {
	const n = 10_000
	var buf bytes.Buffer
	for i := range n {
		buf.WriteString(`{"timestamp":"2026-05-01T10:00:00Z","identityMap":{"ECID":[{"id":"` + ecidOf(uint64(i)) +
			`"}],"CRMID":[{"id":"u-` + strconv.Itoa(i) + `","authenticatedState":"authenticated","primary":true}]}}` + "\n")
	}
	data := buf.Bytes()
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		for _, err := range idfile.ReadXDM(bytes.NewReader(data), idfile.XDMOptions{}) {
			if err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(2*float64(n)*float64(b.N)/b.Elapsed().Seconds(), "ids/s")
}

func BenchmarkReadAAMInbound(b *testing.B) {
	const n = 100_000
	var buf bytes.Buffer
	for i := range n {
		buf.WriteString(ecidOf(uint64(i)) + "\td_sid=24,d_sid=26,d_unsid=28\n")
	}
	data := buf.Bytes()
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		for _, err := range idfile.ReadAAMInbound(bytes.NewReader(data), idfile.AAMOptions{}) {
			if err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "lines/s")
}

func BenchmarkWriteList(b *testing.B) {
	const n = 100_000
	ids := make([]idtypes.ID, n)
	for i := range ids {
		ids[i] = idtypes.MustParse(idtypes.ECID, ecidOf(uint64(i)))
	}
	var buf bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		if err := idfile.WriteList(&buf, slices.Values(ids), idfile.ListOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "ids/s")
}
