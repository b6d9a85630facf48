package idtypes_test

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"

	"github.com/idbits/idbits/idtypes"
)

// Benchmarks put our implementation (impl=idbits) beside what a Go
// programmer would write without the package (impl=naive): keep the value
// as a string, check it with a regexp or strings functions, lower-case with
// strings.ToLower, hash with sha256 and hex.

const benchN = 1024 // distinct inputs cycled through, so branch prediction sees real data

func benchECIDs() []string {
	r := rand.New(rand.NewPCG(1, 2))
	out := make([]string, benchN)
	for i := range out {
		out[i] = fmt.Sprintf("%019d%019d", r.Int64(), r.Int64())
	}
	return out
}

func benchEmails() []string {
	r := rand.New(rand.NewPCG(3, 4))
	first := []string{"John", "anna", "Zoë", "li", "Maximilian", "o'brien"}
	domains := []string{"Example.com", "mail.example.co.uk", "gmail.com", "EXAMPLE.ORG"}
	out := make([]string, benchN)
	for i := range out {
		out[i] = fmt.Sprintf("%s.%d@%s", first[r.IntN(len(first))], r.IntN(100000), domains[r.IntN(len(domains))])
	}
	return out
}

func reportIDs(b *testing.B) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ids/s")
}

var naiveECID = regexp.MustCompile(`^[0-9]{38}$`)

var errNaive = errors.New("invalid")

// naiveParseECID keeps the ECID as a string after a regexp check.
func naiveParseECID(s string) (string, error) {
	s = strings.TrimSpace(s)
	if !naiveECID.MatchString(s) {
		return "", errNaive
	}
	return s, nil
}

// naiveParseEmail lower-cases and checks with strings functions.
func naiveParseEmail(s string) (string, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	local, domain, ok := strings.Cut(s, "@")
	if !ok || local == "" || strings.Contains(domain, "@") || !strings.Contains(domain, ".") ||
		strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") || strings.Contains(domain, "..") ||
		strings.ContainsAny(s, " \t") || len(s) > 254 {
		return "", errNaive
	}
	return s, nil
}

func BenchmarkParseECID(b *testing.B) {
	in := benchECIDs()
	b.Run("impl=idbits", func(b *testing.B) {
		b.ReportAllocs()
		var sink idtypes.ID
		i := 0
		for b.Loop() {
			id, err := idtypes.ParseECID(in[i%benchN])
			if err != nil {
				b.Fatal(err)
			}
			sink = id
			i++
		}
		_ = sink
		reportIDs(b)
	})
	b.Run("impl=naive", func(b *testing.B) {
		b.ReportAllocs()
		var sink string
		i := 0
		for b.Loop() {
			s, err := naiveParseECID(in[i%benchN])
			if err != nil {
				b.Fatal(err)
			}
			sink = s
			i++
		}
		_ = sink
		reportIDs(b)
	})
}

func BenchmarkFormatECID(b *testing.B) {
	in := benchECIDs()
	ids := make([]idtypes.ID, benchN)
	for i, s := range in {
		ids[i] = idtypes.MustParse(idtypes.ECID, s)
	}
	buf := make([]byte, 0, 64)
	b.Run("impl=idbits/op=AppendText", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			buf, _ = ids[i%benchN].AppendText(buf[:0])
			i++
		}
		reportIDs(b)
	})
	b.Run("impl=idbits/op=String", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			_ = ids[i%benchN].String()
			i++
		}
		reportIDs(b)
	})
	b.Run("impl=naive/op=AppendText", func(b *testing.B) {
		// The naive ECID is already a string: printing it is a copy.
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			buf = append(buf[:0], "ECID:"...)
			buf = append(buf, in[i%benchN]...)
			i++
		}
		reportIDs(b)
	})
}

func BenchmarkParseEmail(b *testing.B) {
	in := benchEmails()
	b.Run("impl=idbits", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if _, err := idtypes.Parse(idtypes.Email, in[i%benchN]); err != nil {
				b.Fatal(err)
			}
			i++
		}
		reportIDs(b)
	})
	b.Run("impl=naive", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if _, err := naiveParseEmail(in[i%benchN]); err != nil {
				b.Fatal(err)
			}
			i++
		}
		reportIDs(b)
	})
}

func BenchmarkFormatEmail(b *testing.B) {
	in := benchEmails()
	ids := make([]idtypes.ID, benchN)
	lower := make([]string, benchN)
	for i, s := range in {
		ids[i] = idtypes.MustParse(idtypes.Email, s)
		lower[i] = ids[i].String()
	}
	buf := make([]byte, 0, 300)
	b.Run("impl=idbits", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			buf, _ = ids[i%benchN].AppendText(buf[:0])
			i++
		}
		reportIDs(b)
	})
	b.Run("impl=naive", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			buf = append(buf[:0], "Email:"...)
			buf = append(buf, lower[i%benchN]...)
			i++
		}
		reportIDs(b)
	})
}

func BenchmarkHashEmail(b *testing.B) {
	in := benchEmails()
	b.Run("impl=idbits", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if _, err := idtypes.HashEmail(in[i%benchN]); err != nil {
				b.Fatal(err)
			}
			i++
		}
		reportIDs(b)
	})
	b.Run("impl=naive", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			s, err := naiveParseEmail(in[i%benchN])
			if err != nil {
				b.Fatal(err)
			}
			sum := sha256.Sum256([]byte(s))
			_ = hex.EncodeToString(sum[:])
			i++
		}
		reportIDs(b)
	})
}
