package reconcile_test

import (
	"strings"
	"testing"

	"github.com/idbits/idbits/bitmap"
	"github.com/idbits/idbits/idtypes"
	"github.com/idbits/idbits/reconcile"
	"github.com/idbits/idbits/reconcile/idfile"
)

// FuzzImport imports arbitrary text as a list and as a CSV file: whatever
// the input, the funnel adds up, every kept rejected line is a line error,
// and the audience holds profiles of the view, as many as MatchedProfiles.
func FuzzImport(f *testing.F) {
	w := flowGen(f, 70, 200, reconcile.Rules{})
	v := w.g.View()
	var known strings.Builder
	for _, ids := range w.people[:20] {
		for _, id := range ids {
			known.WriteString(id.Text() + "\n")
		}
	}
	f.Add(known.String())
	f.Add("ECID:12345\nCRMID:null\n\n# comment\nTNTID:x\n" + w.people[3][0].Text() + "\r\n" + w.people[3][0].Text())
	f.Add("ECID\n" + w.people[5][0].String() + "\n\"unclosed\n")
	f.Add("Email,name\n\"a@b.com\",x\nnull,y\n")
	f.Add("\xef\xbb\xbfCRMID:C000000001\x00\n:\n::\nECID:" + strings.Repeat("9", 40))
	f.Fuzz(func(t *testing.T, in string) {
		check := func(res reconcile.Imported) {
			r := res.Report
			if got := r.Invalid + r.Duplicates + r.Unknown + r.MatchedIdentities; got != r.Lines {
				t.Fatalf("funnel adds up to %d, Lines %d: %+v", got, r.Lines, r)
			}
			n := 0
			for _, c := range r.InvalidByReason {
				n += c
			}
			if n != r.Invalid {
				t.Fatalf("reasons add up to %d, Invalid %d", n, r.Invalid)
			}
			if len(r.Rejected) > reconcile.DefaultMaxRejected || len(r.Rejected) > r.Invalid {
				t.Fatalf("%d rejected lines kept of %d", len(r.Rejected), r.Invalid)
			}
			if res.Profiles.Len() != uint64(r.MatchedProfiles) || !bitmap.AndNot(res.Profiles.Audience(), v.Profiles().Audience()).IsEmpty() {
				t.Fatalf("audience of %d members, %d profiles matched", res.Profiles.Len(), r.MatchedProfiles)
			}
			if r.MatchRate < 0 || r.MatchRate > 1 {
				t.Fatalf("match rate %v", r.MatchRate)
			}
		}
		res, err := reconcile.ImportList(v, strings.NewReader(in), idfile.ListOptions{}, reconcile.ImportOptions{})
		if err != nil {
			t.Fatal(err) // a list reader fails only on read errors
		}
		check(res)
		res, _ = reconcile.ImportList(v, strings.NewReader(in), idfile.ListOptions{Namespace: idtypes.CRMID, MaxLine: 64}, reconcile.ImportOptions{})
		check(res)
		res, _ = reconcile.ImportCSV(v, strings.NewReader(in), idfile.CSVOptions{}, reconcile.ImportOptions{})
		check(res)
	})
}
