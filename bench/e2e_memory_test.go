package bench_test

import (
	"runtime"
	"testing"
)

// BenchmarkGraphMemory builds the whole graph of the world, as
// BenchmarkGraphResolve does, and reports the heap it holds per identity
// (bytes/id): the live heap after runtime.GC once it is built and resolved,
// less the live heap before, with the world and its records alive in both.
// impl=idbits holds the Graph (Dictionary, record log, rules) and its View.
// impl=naive holds the naive graph (text to ordinal and back, union-find
// parents and sizes, no rules) and its map from every identity to its
// profile; its text is made from the parsed identifiers while it builds
// (id.Text), so that the heap counts the strings the naive graph keeps.
// Measuring is not timed.
func BenchmarkGraphMemory(b *testing.B) {
	e2eEach(b, func(b *testing.B, fx *e2eFixture, impl string) {
		var perID float64
		var rec []string
		b.ReportAllocs()
		for b.Loop() {
			b.StopTimer()
			before := e2eHeap()
			b.StartTimer()
			var held any
			switch impl {
			case "idbits":
				g := mustGraph(e2eRules)
				e2eLink(b, g, fx)
				v := g.View()
				if v.Identities() != len(fx.ids) {
					b.Fatalf("view holds %d identities, want %d", v.Identities(), len(fx.ids))
				}
				held = []any{g, v}
			case "naive":
				g := newNaiveGraph()
				for r := range fx.recs.len() {
					rec = rec[:0]
					for _, i := range fx.recs.record(r) {
						rec = append(rec, fx.ids[i].Text())
					}
					g.link(rec)
				}
				v := g.view()
				if len(v) != len(fx.ids) {
					b.Fatalf("view holds %d identities, want %d", len(v), len(fx.ids))
				}
				held = []any{g, v}
			}
			b.StopTimer()
			rec = rec[:0]
			after := e2eHeap()
			runtime.KeepAlive(held)
			perID = (float64(after) - float64(before)) / float64(len(fx.ids))
			b.StartTimer()
		}
		b.ReportMetric(perID, "bytes/id")
		e2eRate(b, len(fx.ids), "id")
	})
}
