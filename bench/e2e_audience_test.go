package bench_test

import (
	"slices"
	"strconv"
	"testing"

	"github.com/idbits/idbits/bitmap"
	"github.com/idbits/idbits/reconcile"
)

// e2eAudienceCount is how many audiences the union and overlap benchmarks
// take.
const e2eAudienceCount = 50

// e2eAudiences are audiences of profiles of the world's view, each of a
// tenth as many profiles as the world has identities (1M profiles at 10M
// identities, about 40% of all profiles), drawn uniformly: the worst case
// for roaring bitmaps, which compress runs. Each is held as a bitmap
// (idbits) and as a sorted []uint32 of the same members (naive).
type e2eAudiences struct {
	bitmaps  []bitmap.Audience
	profiles []reconcile.Profiles // the bitmaps as profiles of the view
	named    []reconcile.NamedAudience
	sorted   [][]uint32
	members  int // members of each
}

func (fx *e2eFixture) e2eAudiences(b *testing.B) *e2eAudiences {
	return e2eExtra(fx, "audiences", func() *e2eAudiences { return fx.newE2EAudiences(b) })
}

func (fx *e2eFixture) newE2EAudiences(b *testing.B) *e2eAudiences {
	_, v := fx.e2eGraph(b)
	profiles := v.Profiles().Audience().AppendTo(nil)
	m := min(fx.n/10, len(profiles))
	a := &e2eAudiences{members: m}
	r := e2eRand(fx.n, 3)
	for i := range e2eAudienceCount {
		// A partial Fisher-Yates shuffle draws m profiles.
		for j := range m {
			k := j + r.IntN(len(profiles)-j)
			profiles[j], profiles[k] = profiles[k], profiles[j]
		}
		s := slices.Clone(profiles[:m])
		slices.Sort(s)
		var bl bitmap.Builder
		bl.AddMany(s)
		aud := bl.Audience()
		a.sorted = append(a.sorted, s)
		a.bitmaps = append(a.bitmaps, aud)
		p, err := v.AsProfiles(aud)
		if err != nil {
			b.Fatal(err)
		}
		a.profiles = append(a.profiles, p)
		a.named = append(a.named, reconcile.NamedAudience{Name: "segment-" + strconv.Itoa(i), Audience: aud})
	}
	return a
}

// e2eBits reports the size of the audiences: bits per member in the
// portable roaring format (idbits) or in a []uint32 (naive).
func e2eBits(b *testing.B, impl string, as []bitmap.Audience) {
	if impl == "naive" {
		b.ReportMetric(32, "bits/member")
		return
	}
	b.ReportMetric(portableBits(as), "bits/member")
}

// portableBits returns the size of audiences in the portable roaring format,
// in bits per member.
func portableBits(as []bitmap.Audience) float64 {
	var bytes, members float64
	for _, a := range as {
		bytes += float64(a.SerializedSize())
		members += float64(a.Len())
	}
	return 8 * bytes / members
}

// BenchmarkJoin intersects two audiences and builds the result.
// impl=idbits: reconcile.Join with JoinAnd under the world's view. The
// audiences are profiles of that view drawn by the benchmark, made into
// reconcile.Profiles of it once (View.AsProfiles), so the joins check and
// project nothing.
// impl=naive: a merge of two sorted []uint32 into a new one. members/s
// counts the members of both inputs.
func BenchmarkJoin(b *testing.B) {
	e2eEach(b, func(b *testing.B, fx *e2eFixture, impl string) {
		_, v := fx.e2eGraph(b)
		as := fx.e2eAudiences(b)
		want := len(naiveAnd(as.sorted[0], as.sorted[1]))
		got := 0
		b.ReportAllocs()
		for b.Loop() {
			switch impl {
			case "idbits":
				out, _, err := reconcile.Join(v, reconcile.JoinAnd, as.profiles[0], as.profiles[1])
				if err != nil {
					b.Fatal(err)
				}
				got = int(out.Len())
			case "naive":
				got = len(naiveAnd(as.sorted[0], as.sorted[1]))
			}
		}
		if got != want {
			b.Fatalf("join of %d members, want %d", got, want)
		}
		e2eRate(b, 2*as.members, "member")
		e2eBits(b, impl, as.bitmaps[:2])
	})
}

// BenchmarkJoinLen counts the intersection of two audiences without
// building it. impl=idbits: reconcile.JoinLen with JoinAnd under the
// world's view, of profiles made under it (see BenchmarkJoin), so it costs
// about what bitmap.AndLen costs (BenchmarkAndLen). impl=naive: a merge of
// two sorted []uint32 that counts.
func BenchmarkJoinLen(b *testing.B) { e2eJoinLen(b, false) }

// BenchmarkJoinLenNew is BenchmarkJoinLen on audiences from outside: each
// op takes two new copies of the audiences (decoded from their portable
// form before the timer starts), so impl=idbits pays the check that their
// members are profiles of the view (View.AsProfiles) on every op, as an
// audience read back from storage does. impl=naive is the same counting
// merge as in BenchmarkJoinLen.
func BenchmarkJoinLenNew(b *testing.B) { e2eJoinLen(b, true) }

// e2eJoinLen is BenchmarkJoinLen, or with fresh BenchmarkJoinLenNew.
func e2eJoinLen(b *testing.B, fresh bool) {
	e2eEach(b, func(b *testing.B, fx *e2eFixture, impl string) {
		_, v := fx.e2eGraph(b)
		as := fx.e2eAudiences(b)
		want := naiveAndLen(as.sorted[0], as.sorted[1])
		var data [2][]byte
		if fresh {
			for i := range data {
				d, err := as.bitmaps[i].MarshalBinary()
				if err != nil {
					b.Fatal(err)
				}
				data[i] = d
			}
		}
		got := 0
		b.ReportAllocs()
		for b.Loop() {
			switch impl {
			case "idbits":
				x, y := as.profiles[0], as.profiles[1]
				if fresh {
					var bx, by bitmap.Audience
					b.StopTimer()
					if err := bx.UnmarshalBinary(data[0]); err != nil {
						b.Fatal(err)
					}
					if err := by.UnmarshalBinary(data[1]); err != nil {
						b.Fatal(err)
					}
					b.StartTimer()
					var err error
					if x, err = v.AsProfiles(bx); err != nil {
						b.Fatal(err)
					}
					if y, err = v.AsProfiles(by); err != nil {
						b.Fatal(err)
					}
				}
				n, err := reconcile.JoinLen(v, reconcile.JoinAnd, x, y)
				if err != nil {
					b.Fatal(err)
				}
				got = int(n)
			case "naive":
				got = naiveAndLen(as.sorted[0], as.sorted[1])
			}
		}
		if got != want {
			b.Fatalf("join of %d members, want %d", got, want)
		}
		e2eRate(b, 2*as.members, "member")
		e2eBits(b, impl, as.bitmaps[:2])
	})
}

// BenchmarkAndLen counts the intersection of the two audiences of
// BenchmarkJoinLen at the set-algebra layer alone: impl=idbits is
// bitmap.AndLen, with no view at all; impl=naive is the same counting merge.
func BenchmarkAndLen(b *testing.B) {
	e2eEach(b, func(b *testing.B, fx *e2eFixture, impl string) {
		as := fx.e2eAudiences(b)
		want := naiveAndLen(as.sorted[0], as.sorted[1])
		got := 0
		b.ReportAllocs()
		for b.Loop() {
			switch impl {
			case "idbits":
				got = int(bitmap.AndLen(as.bitmaps[0], as.bitmaps[1]))
			case "naive":
				got = naiveAndLen(as.sorted[0], as.sorted[1])
			}
		}
		if got != want {
			b.Fatalf("intersection of %d members, want %d", got, want)
		}
		e2eRate(b, 2*as.members, "member")
		e2eBits(b, impl, as.bitmaps[:2])
	})
}

// BenchmarkUnion50 unites 50 audiences. impl=idbits: reconcile.Join with
// JoinOr under the world's view. impl=naive: every member put in a
// map[uint32]struct{}, then gathered into a sorted []uint32.
func BenchmarkUnion50(b *testing.B) {
	e2eEach(b, func(b *testing.B, fx *e2eFixture, impl string) {
		_, v := fx.e2eGraph(b)
		as := fx.e2eAudiences(b)
		got := 0
		b.ReportAllocs()
		for b.Loop() {
			switch impl {
			case "idbits":
				out, _, err := reconcile.Join(v, reconcile.JoinOr, as.profiles...)
				if err != nil {
					b.Fatal(err)
				}
				got = int(out.Len())
			case "naive":
				got = len(naiveUnion(as.sorted))
			}
		}
		if want := int(bitmap.OrAll(as.bitmaps...).Len()); got != want {
			b.Fatalf("union of %d members, want %d", got, want)
		}
		e2eRate(b, len(as.sorted)*as.members, "member")
		e2eBits(b, impl, as.bitmaps)
	})
}

// BenchmarkOverlap50 computes the 50x50 overlap matrix of 50 audiences.
// impl=idbits: reconcile.Overlap (sizes, pairwise intersections, Jaccard
// indexes and shares, counted with bitmap.Overlap). impl=naive: the
// intersection size of each of the 1,225 pairs of sorted []uint32 by a
// counting merge, in a [][]uint64. members/s counts the members the 1,225
// intersections take in.
func BenchmarkOverlap50(b *testing.B) {
	e2eEach(b, func(b *testing.B, fx *e2eFixture, impl string) {
		as := fx.e2eAudiences(b)
		var m [][]uint64
		b.ReportAllocs()
		for b.Loop() {
			switch impl {
			case "idbits":
				m = reconcile.Overlap(as.named, reconcile.OverlapOptions{}).Matrix
			case "naive":
				m = naiveOverlap(as.sorted)
			}
		}
		if got, want := m[0][1], uint64(naiveAndLen(as.sorted[0], as.sorted[1])); got != want {
			b.Fatalf("overlap of audiences 0 and 1 is %d, want %d", got, want)
		}
		if got, want := m[7][7], uint64(as.members); got != want {
			b.Fatalf("size of audience 7 is %d, want %d", got, want)
		}
		pairs := len(as.sorted) * (len(as.sorted) - 1) / 2
		e2eRate(b, pairs*2*as.members, "member")
		e2eBits(b, impl, as.bitmaps)
	})
}

// naiveAnd merges two sorted slices into their intersection.
func naiveAnd(x, y []uint32) []uint32 {
	out := make([]uint32, 0, min(len(x), len(y)))
	i, j := 0, 0
	for i < len(x) && j < len(y) {
		switch {
		case x[i] < y[j]:
			i++
		case x[i] > y[j]:
			j++
		default:
			out = append(out, x[i])
			i++
			j++
		}
	}
	return out
}

// naiveAndLen counts the intersection of two sorted slices.
func naiveAndLen(x, y []uint32) int {
	n, i, j := 0, 0, 0
	for i < len(x) && j < len(y) {
		switch {
		case x[i] < y[j]:
			i++
		case x[i] > y[j]:
			j++
		default:
			n++
			i++
			j++
		}
	}
	return n
}

// naiveUnion unites sorted slices through a set.
func naiveUnion(xs [][]uint32) []uint32 {
	set := map[uint32]struct{}{}
	for _, x := range xs {
		for _, m := range x {
			set[m] = struct{}{}
		}
	}
	out := make([]uint32, 0, len(set))
	for m := range set {
		out = append(out, m)
	}
	slices.Sort(out)
	return out
}

// naiveOverlap counts every pairwise intersection.
func naiveOverlap(xs [][]uint32) [][]uint64 {
	m := make([][]uint64, len(xs))
	for i := range m {
		m[i] = make([]uint64, len(xs))
		m[i][i] = uint64(len(xs[i]))
	}
	for i := range xs {
		for j := i + 1; j < len(xs); j++ {
			n := uint64(naiveAndLen(xs[i], xs[j]))
			m[i][j], m[j][i] = n, n
		}
	}
	return m
}
