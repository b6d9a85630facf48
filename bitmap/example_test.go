package bitmap_test

import (
	"bytes"
	"fmt"

	"github.com/idbits/idbits/bitmap"
)

func ExampleOf() {
	a := bitmap.Of(7, 3, 3, 1000000)
	fmt.Println(a.Len(), a.Contains(3), a.Contains(4))
	for x := range a.All() {
		fmt.Println(x)
	}
	// Output:
	// 3 true false
	// 3
	// 7
	// 1000000
}

func ExampleBuilder() {
	var b bitmap.Builder
	b.AddRange(10, 15) // half-open: 10, 11, 12, 13, 14
	b.Add(20)
	b.AddMany([]uint32{1, 2})
	a := b.Audience() // resets b for reuse
	fmt.Println(a.Len(), b.Len())
	lo, _ := a.Min()
	hi, _ := a.Max()
	fmt.Println(lo, hi)
	// Output:
	// 8 0
	// 1 20
}

func ExampleAnd() {
	newsletter := bitmap.Of(1, 2, 3, 4)
	buyers := bitmap.Of(3, 4, 5)
	fmt.Println(slicesOf(bitmap.And(newsletter, buyers)))
	fmt.Println(slicesOf(bitmap.Or(newsletter, buyers)))
	fmt.Println(slicesOf(bitmap.AndNot(newsletter, buyers)))
	fmt.Println(slicesOf(bitmap.Xor(newsletter, buyers)))
	// Output:
	// [3 4]
	// [1 2 3 4 5]
	// [1 2]
	// [1 2 5]
}

func ExampleAndLen() {
	a := bitmap.Of(1, 2, 3, 4)
	b := bitmap.Of(3, 4, 5)
	fmt.Println(bitmap.AndLen(a, b), bitmap.OrLen(a, b), bitmap.AndNotLen(a, b), bitmap.XorLen(a, b), bitmap.Intersects(a, b))
	// Output:
	// 2 5 2 3 true
}

func ExampleAndAll() {
	a := bitmap.Of(1, 2, 3, 4)
	b := bitmap.Of(2, 3, 4, 5)
	c := bitmap.Of(3, 4, 9)
	fmt.Println(slicesOf(bitmap.AndAll(a, b, c)))
	fmt.Println(slicesOf(bitmap.OrAll(a, b, c)))
	// Output:
	// [3 4]
	// [1 2 3 4 5 9]
}

func ExampleOverlap() {
	a := bitmap.Of(1, 2, 3, 4)
	b := bitmap.Of(3, 4, 5)
	m := bitmap.Overlap(a, b)
	fmt.Println(m)
	j, _ := m.Jaccard(0, 1)
	ab, _ := m.Share(0, 1)
	ba, _ := m.Share(1, 0)
	fmt.Printf("jaccard %.2f, share of a in b %.2f, share of b in a %.2f\n", j, ab, ba)
	// Output:
	// [[4 2] [2 3]]
	// jaccard 0.40, share of a in b 0.50, share of b in a 0.67
}

func ExampleMatrix_Floor() {
	m := bitmap.Overlap(bitmap.Of(1, 2, 3, 4, 5), bitmap.Of(5, 6, 7, 8, 9), bitmap.Of(100))
	shared := m.Floor(3) // withhold counts of 1 or 2
	for _, row := range shared {
		for _, v := range row {
			if v == bitmap.Blank {
				fmt.Print(" -")
			} else {
				fmt.Print(" ", v)
			}
		}
		fmt.Println()
	}
	_, ok := shared.Jaccard(0, 1)
	fmt.Println(ok)
	// Output:
	//  5 - 0
	//  - 5 0
	//  0 0 -
	// false
}

func ExampleDiff() {
	yesterday := bitmap.Of(1, 2, 3)
	today := bitmap.Of(2, 3, 4, 5)
	entered, exited := bitmap.Diff(yesterday, today)
	fmt.Println(slicesOf(entered), slicesOf(exited))
	// Output:
	// [4 5] [1]
}

func ExampleAudience_Batches() {
	a := bitmap.Of(1, 2, 3, 4, 5, 6, 7)
	for chunk := range a.Batches(make([]uint32, 3)) {
		fmt.Println(chunk)
	}
	// Output:
	// [1 2 3]
	// [4 5 6]
	// [7]
}

func ExampleRead() {
	var buf bytes.Buffer
	for _, a := range []bitmap.Audience{bitmap.Of(1, 2), bitmap.Of(), bitmap.Of(1 << 31)} {
		if _, err := a.WriteTo(&buf); err != nil {
			panic(err)
		}
	}
	for {
		a, err := bitmap.Read(&buf)
		if err != nil {
			fmt.Println(err)
			break
		}
		fmt.Println(slicesOf(a))
	}
	// Output:
	// [1 2]
	// []
	// [2147483648]
	// EOF
}

func ExampleView() {
	enc, err := bitmap.Of(10, 20, 30).MarshalBinary()
	if err != nil {
		panic(err)
	}
	v, err := bitmap.View(enc) // valid while enc lives unchanged
	if err != nil {
		panic(err)
	}
	fmt.Println(v.Len(), v.Contains(20))
	fmt.Println(enc[0:4], v.SerializedSize())

	_, err = bitmap.View(enc[:len(enc)-1])
	fmt.Println(err)
	// Output:
	// 3 true
	// [58 48 0 0] 22
	// bitmap: decode audience at byte 21: reading array container: unexpected EOF
}

func slicesOf(a bitmap.Audience) []uint32 {
	return a.AppendTo(make([]uint32, 0, a.Len()))
}

func ExampleTopPairs() {
	as := []bitmap.Audience{
		bitmap.Of(1, 2, 3, 4, 5, 6),
		bitmap.Of(4, 5, 6, 7),
		bitmap.Of(1, 2),
		bitmap.Of(9),
	}
	for _, p := range bitmap.TopPairs(as, 2, bitmap.TopOptions{}) {
		fmt.Printf("%d and %d share %d\n", p.I, p.J, p.Len)
	}
	for _, p := range bitmap.TopPairs(as, 1, bitmap.TopOptions{By: bitmap.ByJaccard}) {
		fmt.Printf("%d and %d: jaccard %.2f\n", p.I, p.J, p.Jaccard())
	}
	// Output:
	// 0 and 1 share 3
	// 0 and 2 share 2
	// 0 and 1: jaccard 0.43
}

func ExamplePairs() {
	as := []bitmap.Audience{bitmap.Of(1, 2, 3), bitmap.Of(3, 4), bitmap.Of(8), bitmap.Of(2, 3, 8)}
	for p := range bitmap.Pairs(as...) {
		fmt.Printf("%d and %d share %d\n", p.I, p.J, p.Len)
	}
	// Output:
	// 0 and 1 share 1
	// 0 and 3 share 2
	// 1 and 3 share 1
	// 2 and 3 share 1
}
