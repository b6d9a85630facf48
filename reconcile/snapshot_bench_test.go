package reconcile_test

import (
	"bytes"
	"encoding/gob"
	"fmt"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/idbits/idbits/bitmap"
	"github.com/idbits/idbits/idtypes"
	"github.com/idbits/idbits/reconcile"
)

// snapBench is a graph of about n identities and the same data as a naive
// program would keep it.
type snapBench struct {
	g     *reconcile.Graph
	ids   int    // ordinals, erased ones included
	snap  []byte // its snapshot
	naive naiveSnapshot
	gob   []byte // the naive snapshot
}

// naiveSnapshot is what a Go programmer would save without this package: a
// map from identifier text to ordinal and the records as texts, in gob.
type naiveSnapshot struct {
	Ords    map[string]uint32
	Records [][]string
}

var (
	snapBenchMu     sync.Mutex
	snapBenchWorlds = map[int]*snapBench{}
)

// snapBenchWorld builds (once per size) a graph of n identities: people with
// an ECID, a CRM ID and an email (a second ECID for one in three), linked by
// a login and a CRM row each, 1% of the emails erased, and one audience of a
// tenth of the profiles.
func snapBenchWorld(b *testing.B, n int) *snapBench {
	snapBenchMu.Lock()
	defer snapBenchMu.Unlock()
	if w := snapBenchWorlds[n]; w != nil {
		return w
	}
	g := mustGraph(reconcile.Rules{Unique: []idtypes.Namespace{idtypes.CRMID}, MaxIdentities: 50})
	var batch reconcile.Batch
	var erase []idtypes.ID
	for p := 0; batch.Len() < 2*n/3; p++ {
		e1, _ := idtypes.FromHalves(idtypes.ECID, uint64(p)*3+1, uint64(p)*7)
		crm := idtypes.MustParse(idtypes.CRMID, "CRM-"+strconv.Itoa(p))
		mail := idtypes.MustParse(idtypes.Email, fmt.Sprintf("person.%d@example.com", p))
		at := time.Unix(1_700_000_000+int64(p), 0)
		if p%3 == 0 {
			e2, _ := idtypes.FromHalves(idtypes.ECID, uint64(p)*3+2, uint64(p)*7)
			batch.Add(at, e1, e2, crm)
		} else {
			batch.Add(at, e1, crm)
		}
		batch.Add(at.Add(time.Hour), crm, mail)
		if p%100 == 0 {
			erase = append(erase, mail)
		}
	}
	if _, err := g.LinkMany(&batch); err != nil {
		b.Fatal(err)
	}
	if _, err := g.Erase(erase...); err != nil {
		b.Fatal(err)
	}
	v := g.View()
	var tenth bitmap.Builder
	i := 0
	for p := range v.Profiles().All() {
		if i%10 == 0 {
			tenth.Add(uint32(p))
		}
		i++
	}
	a, err := v.AsProfiles(tenth.Audience())
	if err != nil {
		b.Fatal(err)
	}
	if err := g.Catalog().Put("tenth", a); err != nil {
		b.Fatal(err)
	}
	w := &snapBench{g: g, ids: g.Dictionary().Len()}
	var buf bytes.Buffer
	if _, err := g.WriteTo(&buf); err != nil {
		b.Fatal(err)
	}
	w.snap = buf.Bytes()

	d := g.Dictionary()
	w.naive.Ords = make(map[string]uint32, w.ids)
	for o := range uint32(w.ids) {
		if id, ok := d.ID(o); ok {
			w.naive.Ords[id.Text()] = o
		}
	}
	for _, ords := range g.Records() {
		rec := make([]string, len(ords))
		for i, o := range ords {
			id, _ := d.ID(o)
			rec[i] = id.Text()
		}
		w.naive.Records = append(w.naive.Records, rec)
	}
	buf = bytes.Buffer{}
	if err := gob.NewEncoder(&buf).Encode(&w.naive); err != nil {
		b.Fatal(err)
	}
	w.gob = buf.Bytes()
	snapBenchWorlds[n] = w
	return w
}

func snapBenchSizes() []int {
	sizes := []int{1e5, 1e6}
	if os.Getenv("IDBITS_BENCH_LARGE") == "1" {
		sizes = append(sizes, 1e7)
	}
	return sizes
}

// BenchmarkSnapshotWrite writes a whole graph: identifiers, records, rules
// and catalog (idbits), or gob of the identifier map and the records as
// texts (naive).
func BenchmarkSnapshotWrite(b *testing.B) {
	for _, n := range snapBenchSizes() {
		b.Run("n="+strconv.Itoa(n), func(b *testing.B) {
			w := snapBenchWorld(b, n)
			b.Run("impl=idbits", func(b *testing.B) {
				buf := bytes.NewBuffer(make([]byte, 0, len(w.snap)))
				b.ReportAllocs()
				for b.Loop() {
					buf.Reset()
					if _, err := w.g.WriteTo(buf); err != nil {
						b.Fatal(err)
					}
				}
				snapReport(b, w.ids, buf.Len())
			})
			b.Run("impl=naive", func(b *testing.B) {
				buf := bytes.NewBuffer(make([]byte, 0, len(w.gob)))
				b.ReportAllocs()
				for b.Loop() {
					buf.Reset()
					if err := gob.NewEncoder(buf).Encode(&w.naive); err != nil {
						b.Fatal(err)
					}
				}
				snapReport(b, w.ids, buf.Len())
			})
		})
	}
}

// BenchmarkSnapshotLoad reads a whole graph back: ReadGraph rebuilds the
// dictionary, the record log and the catalog, checking everything (idbits);
// gob decodes the map and the records (naive). Neither resolves profiles.
func BenchmarkSnapshotLoad(b *testing.B) {
	for _, n := range snapBenchSizes() {
		b.Run("n="+strconv.Itoa(n), func(b *testing.B) {
			w := snapBenchWorld(b, n)
			b.Run("impl=idbits", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if _, err := reconcile.ReadGraph(bytes.NewReader(w.snap)); err != nil {
						b.Fatal(err)
					}
				}
				snapReport(b, w.ids, len(w.snap))
			})
			b.Run("impl=naive", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					var s naiveSnapshot
					if err := gob.NewDecoder(bytes.NewReader(w.gob)).Decode(&s); err != nil {
						b.Fatal(err)
					}
				}
				snapReport(b, w.ids, len(w.gob))
			})
		})
	}
}

func snapReport(b *testing.B, ids, size int) {
	b.ReportMetric(float64(size)/float64(ids), "bytes/id")
	b.ReportMetric(float64(ids)*float64(b.N)/b.Elapsed().Seconds(), "ids/s")
}
