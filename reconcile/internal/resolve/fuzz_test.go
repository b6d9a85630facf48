package resolve

import (
	"testing"
)

// FuzzResolve reads a program of links, erasures and resolutions from the
// input and checks every view against the naive reference and a full rebuild
// (by key), and its profile numbers against the previous view's (see
// checkNumbering) and the full rebuild's (0..P-1 in key order).
func FuzzResolve(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 0, 4, 5, 0xff, 2, 1, 0xfe, 0, 0, 1})
	f.Add([]byte{3, 10, 14, 0, 3, 20, 14, 1, 0xff, 3, 10, 14, 2, 0xff})
	f.Add([]byte{2, 0, 1, 0, 2, 1, 2, 0, 0xfe, 1, 0xff, 2, 0, 2, 0})
	f.Fuzz(func(t *testing.T, prog []byte) {
		if len(prog) > 400 {
			return
		}
		max := 0
		if len(prog) > 0 {
			max = int(prog[0] % 5)
			prog = prog[1:]
		}
		r := testRules(max)
		g := New(r)
		g.scratch = int8(len(prog) % 3) // auto, dense or sparse pass scratch
		var recs []rec
		erased := map[uint32]bool{}
		const ids = 40
		prev := g.View()
		dead := map[uint32]bool{}
		check := func() {
			v, d := g.Resolve()
			checkNumbering(t, prev, v, d, dead)
			prev = v
			var all []uint32
			for o := range uint32(ids) {
				all = append(all, o)
			}
			got := viewProfiles(t, v, all)
			if want := reference(r, recs, erased); short(got) != short(want) {
				t.Fatalf("view %v\nwant %v", got, want)
			}
			full := fromRecords(g.Records(), r)
			fv, _ := full.Resolve()
			if short(viewProfiles(t, fv, all)) != short(got) {
				t.Fatalf("incremental %v\nfull %v", got, viewProfiles(t, fv, all))
			}
			checkFullNumbering(t, fv)
			checkCounts(t, v, all)
		}
		for len(prog) > 0 {
			op := prog[0]
			prog = prog[1:]
			switch {
			case op == 0xff:
				check()
			case op == 0xfe:
				if len(prog) == 0 {
					return
				}
				e := uint32(prog[0]) % ids
				prog = prog[1:]
				g.Erase([]uint32{e})
				erased[e] = true
			default:
				n := 1 + int(op%4)
				if len(prog) < n+1 {
					return
				}
				x := rec{at: int64(prog[0] % 4)}
				for _, b := range prog[1 : n+1] {
					x.ords = append(x.ords, uint32(b)%ids)
				}
				prog = prog[n+1:]
				recs = append(recs, x)
				link(g, x.at, x.ords...)
			}
		}
		check()
	})
}
