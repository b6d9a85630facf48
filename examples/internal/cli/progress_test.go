package cli

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeClock is a clock the test moves.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// testProgress returns a Progress on w with a fake clock and a ticker the
// test drives: tick() makes a draw happen and returns once it is done (the
// second tick it sends is taken only after the first one's draw; a second
// draw at the same time writes nothing new).
func testProgress(w io.Writer, term bool) (p *Progress, clock *fakeClock, tick func()) {
	clock = &fakeClock{t: time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)}
	ch := make(chan time.Time)
	p = &Progress{prog: "prog", w: w, term: term, now: clock.now,
		tick: func(time.Duration) (<-chan time.Time, func()) { return ch, func() {} }}
	tick = func() {
		ch <- clock.now()
		ch <- clock.now()
	}
	return p, clock, tick
}

func TestLine(t *testing.T) {
	for _, tt := range []struct {
		name    string
		unit    string
		feed    func(m *Meter)
		elapsed time.Duration
		want    string
	}{
		{"nothing counted", "", func(*Meter) {}, 3 * time.Second, "prog: stage: 3s"},
		{"count only", "lines", func(m *Meter) { m.Done(1_245_184) }, 3 * time.Second, "prog: stage: 1,245,184 lines, 3s"},
		{"bytes known", "lines", func(m *Meter) {
			m.Done(1000)
			io.Copy(io.Discard, io.LimitReader(m.Reader(strings.NewReader(strings.Repeat("x", 400)), 1000), 250))
		}, 10 * time.Second, "prog: stage: 1,000 lines, 25%, 10s, about 30s left"},
		{"items known", "records", func(m *Meter) { m.Total(400); m.Done(100) }, 80 * time.Second, "prog: stage: 100 records, 25%, 1m20s, about 4m0s left"},
		{"just started", "lines", func(m *Meter) { m.Total(1000); m.Done(1) }, time.Second, "prog: stage: 1 lines, 0%, 1s"},
		{"nearly done", "lines", func(m *Meter) { m.Total(1000); m.Done(999) }, 10 * time.Second, "prog: stage: 999 lines, 99%, 10s"},
		{"all done", "lines", func(m *Meter) { m.Total(10); m.Done(10) }, 2 * time.Second, "prog: stage: 10 lines, 100%, 2s"},
		{"size unknown", "lines", func(m *Meter) { m.Reader(strings.NewReader("abc"), 0); m.Done(3) }, time.Second, "prog: stage: 3 lines, 1s"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := &Progress{prog: "prog", name: "stage", unit: tt.unit, meter: &Meter{}}
			tt.feed(p.meter)
			assert.Equal(t, tt.want, p.line(tt.elapsed))
		})
	}
}

// On a terminal, a stage shows once it has run for a second, in place, and
// is erased when it ends.
func TestProgressTerminal(t *testing.T) {
	var w bytes.Buffer
	p, clock, tick := testProgress(&w, true)
	err := p.Time("link", "lines", func(m *Meter) error {
		m.Total(1000)
		m.Done(100)
		clock.advance(500 * time.Millisecond)
		tick()
		assert.Empty(t, w.String(), "nothing in the first second")
		clock.advance(500 * time.Millisecond)
		tick()
		m.Done(500)
		clock.advance(time.Second)
		tick()
		return nil
	})
	require.NoError(t, err)
	assert.Equal(t,
		"\r\033[Kprog: link: 100 lines, 10%, 1s, about 9s left"+
			"\r\033[Kprog: link: 500 lines, 50%, 2s, about 2s left"+
			"\r\033[K", w.String())
	assert.Equal(t, []Stage{{Name: "link", Seconds: 2}}, p.Stages())
}

// Off a terminal, a plain line every few seconds, and nothing to erase.
func TestProgressPlain(t *testing.T) {
	var w bytes.Buffer
	p, clock, tick := testProgress(&w, false)
	errStage := errors.New("stage failed")
	err := p.Time("import", "lines", func(m *Meter) error {
		for i := range 12 { // 12 s in all, ticking every second
			m.Done(int64(i+1) * 1000)
			clock.advance(time.Second)
			tick()
		}
		return errStage
	})
	require.ErrorIs(t, err, errStage)
	assert.Equal(t, "prog: import: 5,000 lines, 5s\nprog: import: 10,000 lines, 10s\n", w.String())

	// A short stage prints nothing.
	w.Reset()
	require.NoError(t, p.Time("join", "", func(*Meter) error {
		clock.advance(time.Second)
		tick()
		return nil
	}))
	assert.Empty(t, w.String())
	assert.Equal(t, []Stage{{Name: "import", Seconds: 12}, {Name: "join", Seconds: 1}}, p.Stages())
}

func TestNewProgressNotTerminal(t *testing.T) {
	assert.False(t, NewProgress("prog", &bytes.Buffer{}).term)
	f, err := os.Create(filepath.Join(t.TempDir(), "log"))
	require.NoError(t, err)
	defer f.Close()
	assert.False(t, NewProgress("prog", f).term, "a regular file")
}

func TestThousands(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567", -1234: "-1,234"} {
		assert.Equal(t, want, thousands(n), "thousands(%d)", n)
	}
}
