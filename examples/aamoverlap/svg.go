package main

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"strconv"
	"unicode/utf8"

	"github.com/idbits/idbits/bitmap"
	"github.com/idbits/idbits/reconcile"
)

// heatmapMax is the most segments a heatmap draws when none are chosen: the
// largest ones.
const heatmapMax = 30

// heatmap is an overlap matrix drawn as an SVG image: one cell per pair of
// segments, shaded by Jaccard index, the share of A in B printed in it,
// withheld cells hatched.
type heatmap struct {
	title  string
	names  []string
	sizes  []string // sizes as printed: a count or "<floor"
	m      bitmap.Matrix
	floor  uint64
	cell   float64 // side of a cell, in pixels
	labelW float64 // width of the row labels
}

func newHeatmap(title string, rep reconcile.OverlapReport) *heatmap {
	h := &heatmap{title: title, m: rep.Matrix, floor: rep.Floor}
	longest := 0
	for _, a := range rep.Audiences {
		h.names = append(h.names, a.Name)
		size := strconv.FormatUint(a.Size, 10)
		if a.Withheld {
			size = "<" + strconv.FormatUint(rep.Floor, 10)
		}
		h.sizes = append(h.sizes, size)
		longest = max(longest, utf8.RuneCountInString(a.Name)+utf8.RuneCountInString(size)+3)
	}
	n := len(h.names)
	h.cell = math.Max(22, math.Min(48, 720/float64(max(n, 1))))
	h.labelW = 12 + 7*float64(longest)
	return h
}

// shade returns the fill of a cell of Jaccard index j: white to dark blue.
func shade(j float64) string {
	j = math.Max(0, math.Min(1, j))
	// sqrt spreads the small indexes that most pairs have.
	t := math.Sqrt(j)
	lerp := func(a, b float64) int { return int(math.Round(a + (b-a)*t)) }
	return fmt.Sprintf("#%02x%02x%02x", lerp(247, 8), lerp(251, 48), lerp(255, 107))
}

// ink returns a text colour readable on shade(j).
func ink(j float64) string {
	if math.Sqrt(j) > 0.55 {
		return "#ffffff"
	}
	return "#1a1a1a"
}

func esc(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s)) // writes to a buffer: no error
	return b.String()
}

// WriteTo writes the SVG document.
func (h *heatmap) WriteTo(w io.Writer) (int64, error) {
	var b bytes.Buffer
	n := len(h.names)
	c := h.cell
	top := 80.0 + h.labelW*0.75 // title, then column labels at 45°
	left := h.labelW
	gridW := c * float64(n)
	legendW := 160.0
	width := max(left+gridW+40+legendW, 12+7*float64(utf8.RuneCountInString(h.title)))
	height := math.Max(top+gridW+48, top+260)
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f" font-family="Helvetica, Arial, sans-serif">`+"\n", width, height, width, height)
	b.WriteString(`<defs><pattern id="withheld" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#eeeeee"/><line x1="0" y1="0" x2="0" y2="6" stroke="#b0b0b0" stroke-width="2"/></pattern></defs>` + "\n")
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="#ffffff"/>`+"\n")
	fmt.Fprintf(&b, `<text x="12" y="26" font-size="16" font-weight="bold">%s</text>`+"\n", esc(h.title))
	fmt.Fprintf(&b, `<text x="12" y="46" font-size="12" fill="#555555">shade: Jaccard index of the row and column segments</text>`+"\n")
	fmt.Fprintf(&b, `<text x="12" y="62" font-size="12" fill="#555555">number: share of the row's users also in the column</text>`+"\n")

	fs := math.Min(12, c*0.36)
	for i, name := range h.names {
		y := top + c*float64(i) + c/2
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="12" text-anchor="end" dominant-baseline="middle">%s <tspan fill="#777777">(%s)</tspan></text>`+"\n",
			left-6, y, esc(name), esc(h.sizes[i]))
		x := left + c*float64(i) + c/2
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="12" transform="rotate(-45 %.1f %.1f)">%s</text>`+"\n",
			x, top-6, x, top-6, esc(name))
	}
	for i := range n {
		for j := range n {
			x, y := left+c*float64(j), top+c*float64(i)
			switch jac, ok := h.m.Jaccard(i, j); {
			case i == j:
				fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="#d9d9d9" stroke="#ffffff"/>`+"\n", x, y, c, c)
			case !ok:
				fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="url(#withheld)" stroke="#ffffff"><title>%s / %s: withheld (under %d)</title></rect>`+"\n",
					x, y, c, c, esc(h.names[i]), esc(h.names[j]), h.floor)
			default:
				share, _ := h.m.Share(i, j)
				fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s" stroke="#ffffff"><title>%s / %s: %d in both, Jaccard %.3f, %.1f%% of %s in %s</title></rect>`+"\n",
					x, y, c, c, shade(jac), esc(h.names[i]), esc(h.names[j]), h.m[i][j], jac, 100*share, esc(h.names[i]), esc(h.names[j]))
				fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="%.1f" text-anchor="middle" dominant-baseline="middle" fill="%s">%s</text>`+"\n",
					x+c/2, y+c/2, fs, ink(jac), esc(percent(share)))
			}
		}
	}

	// The legend: a scale of Jaccard indexes, and the withheld swatch.
	lx, ly := left+gridW+40, top
	fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="12" font-weight="bold">Jaccard index</text>`+"\n", lx, ly)
	const steps, stepH = 10, 16.0
	for k := range steps + 1 {
		j := 1 - float64(k)/steps
		y := ly + 10 + stepH*float64(k)
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="24" height="%.1f" fill="%s" stroke="#cccccc" stroke-width="0.5"/>`+"\n", lx, y, stepH, shade(j))
		if k%2 == 0 {
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="11" dominant-baseline="middle">%.1f</text>`+"\n", lx+30, y+stepH/2, j)
		}
	}
	wy := ly + 10 + stepH*(steps+1) + 16
	if h.floor > 1 {
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="24" height="16" fill="url(#withheld)" stroke="#cccccc" stroke-width="0.5"/>`+"\n", lx, wy)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="11" dominant-baseline="middle">withheld: under %d</text>`+"\n", lx+30, wy+8, h.floor)
		wy += 24
	}
	fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="24" height="16" fill="#d9d9d9"/>`+"\n", lx, wy)
	fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="11" dominant-baseline="middle">the segment itself</text>`+"\n", lx+30, wy+8)
	b.WriteString("</svg>\n")
	return b.WriteTo(w)
}

// percent prints a share in a few characters: "37%", "0.4%", "<0.1%".
func percent(s float64) string {
	switch p := 100 * s; {
	case p == 0:
		return "0"
	case p < 0.1:
		return "<.1%"
	case p < 10:
		return strconv.FormatFloat(p, 'f', 1, 64) + "%"
	default:
		return strconv.FormatFloat(p, 'f', 0, 64) + "%"
	}
}
