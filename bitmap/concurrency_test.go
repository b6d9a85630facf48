package bitmap

import (
	"bytes"
	"slices"
	"sync"
	"testing"
)

// TestConcurrentReaders has many goroutines run every read operation on the
// same audiences, built and viewed, at once. Run it with -race: it proves
// that no operation writes to an audience it reads (roaring's copy-on-write
// marks, lazy cardinalities, iterators).
func TestConcurrentReaders(t *testing.T) {
	forceParallel(t) // AndAll, OrAll and Overlap fan out as well
	// One audience of each shape, each also as a view of its encoding.
	ps := genPairs(t, 9, 1)[:len(shapes)]
	var as []Audience
	var ms []model
	encs := make([][]byte, 0, len(ps))
	for _, p := range ps {
		enc := marshal(t, p.a)
		encs = append(encs, enc)
		v, err := View(enc)
		if err != nil {
			t.Fatal(err)
		}
		as = append(as, p.a, v)
		ms = append(ms, p.m, p.m)
	}
	// Expected results, computed before any concurrency by the sequential
	// operations that the model tests check.
	type result struct {
		and, or, andNot, xor Audience
		andLen               uint64
	}
	want := make([][]result, len(as))
	for i, a := range as {
		want[i] = make([]result, len(as))
		for j, b := range as {
			want[i][j] = result{And(a, b), Or(a, b), AndNot(a, b), Xor(a, b), AndLen(a, b)}
		}
	}
	wantAll := AndAll(as...)
	wantAny := OrAll(as...)
	wantOverlap := Overlap(as...)
	checkOverlap(t, wantOverlap, ms)

	const goroutines = 4
	var wg sync.WaitGroup
	errs := make(chan string, goroutines*len(as)*len(as))
	for g := range goroutines {
		wg.Go(func() {
			for k := range as {
				i := (k + g) % len(as)
				a := as[i]
				got := slices.Collect(a.All())
				if !slices.Equal(got, ms[i].sorted()) {
					errs <- "All"
				}
				var batched []uint32
				for chunk := range a.Batches(make([]uint32, 512)) {
					batched = append(batched, chunk...)
				}
				if !slices.Equal(batched, got) || !slices.Equal(a.AppendTo(nil), got) {
					errs <- "Batches or AppendTo"
				}
				if len(got) > 0 {
					lo, _ := a.Min()
					hi, _ := a.Max()
					if lo != got[0] || hi != got[len(got)-1] || !a.Contains(got[len(got)/2]) {
						errs <- "Min, Max or Contains"
					}
				}
				var buf bytes.Buffer
				if _, err := a.WriteTo(&buf); err != nil || int64(buf.Len()) != a.SerializedSize() {
					errs <- "WriteTo"
				}
				if v, err := View(encs[i/2]); err != nil || !v.Equal(a) {
					errs <- "View"
				}
				for j, b := range as {
					w := want[i][j]
					if !And(a, b).Equal(w.and) || !Or(a, b).Equal(w.or) ||
						!AndNot(a, b).Equal(w.andNot) || !Xor(a, b).Equal(w.xor) {
						errs <- "binary operation"
					}
					if AndLen(a, b) != w.andLen || XorLen(a, b) != w.xor.Len() ||
						OrLen(a, b) != w.or.Len() || AndNotLen(a, b) != w.andNot.Len() ||
						Intersects(a, b) != (w.andLen > 0) || a.Equal(b) != (w.xor.Len() == 0) {
						errs <- "count"
					}
					if entered, exited := Diff(a, b); !entered.Equal(want[j][i].andNot) || !exited.Equal(w.andNot) {
						errs <- "Diff"
					}
				}
			}
			if !AndAll(as...).Equal(wantAll) || !OrAll(as...).Equal(wantAny) {
				errs <- "AndAll or OrAll"
			}
			m := Overlap(as...)
			for i := range m {
				if !slices.Equal(m[i], wantOverlap[i]) {
					errs <- "Overlap"
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Errorf("concurrent %s gave a wrong result", e)
	}
}

// TestViewResultsOwnTheirMemory checks that audiences computed from a view
// stay correct after the viewed bytes are overwritten.
func TestViewResultsOwnTheirMemory(t *testing.T) {
	ps := genPairs(t, 10, 1)
	for _, p := range ps {
		for _, q := range []pair{ps[1], ps[3]} { // one member; a bitmap container
			enc := marshal(t, p.a)
			v, err := View(enc)
			if err != nil {
				t.Fatal(err)
			}
			results := []struct {
				name string
				a    Audience
				m    model
			}{
				{"And", And(v, q.a), modelAnd(p.m, q.m)},
				{"Or", Or(v, q.a), modelOr(p.m, q.m)},
				{"Or with empty", Or(v, Audience{}), p.m},
				{"AndNot", AndNot(v, q.a), modelAndNot(p.m, q.m)},
				{"AndNot empty", AndNot(v, Audience{}), p.m},
				{"Xor", Xor(q.a, v), modelXor(p.m, q.m)},
				{"AndAll one", AndAll(v), p.m},
				{"AndAll", AndAll(v, q.a, v), modelAnd(p.m, q.m)},
				{"OrAll one", OrAll(v, Audience{}), p.m},
				{"OrAll", OrAll(q.a, v, q.a), modelOr(p.m, q.m)},
			}
			for i := range enc {
				enc[i] = 0xA5
			}
			for _, r := range results {
				if r.a.view {
					t.Errorf("%s(%s, %s) is still a view", r.name, p.name, q.name)
				}
				checkMembers(t, r.a, r.m)
			}
		}
	}
}
