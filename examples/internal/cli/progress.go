package cli

import (
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// When progress shows: a stage shows on a terminal once it has run for
// showAfter, refreshed in place every refresh; off a terminal it prints a
// plain line every lineEvery.
const (
	showAfter = time.Second
	refresh   = 250 * time.Millisecond
	lineEvery = 5 * time.Second
)

// Progress times the stages of a program and shows on a writer (stderr)
// how far the running one has got: what it has counted, and, when the size
// of its input is known, the share done and an estimate of the time left.
// On a terminal the line is drawn in place and erased when the stage ends;
// elsewhere (a log, a pipe) a plain line comes every few seconds.
//
// Stages run one at a time; the Meter of the running stage may be fed from
// any goroutine.
type Progress struct {
	prog string // the program's name, first on each line
	w    io.Writer
	term bool                                           // w is a terminal
	now  func() time.Time                               // the clock
	tick func(time.Duration) (<-chan time.Time, func()) // a ticker and its stop

	mu     sync.Mutex // guards what follows and writes to w
	name   string     // the running stage; empty between stages
	unit   string
	start  time.Time
	last   time.Time // when the last plain line was printed
	meter  *Meter
	shown  string // the line drawn on the terminal, if any
	stages []Stage
}

// Stage is how long one stage took.
type Stage struct {
	Name    string  `json:"name"`
	Seconds float64 `json:"seconds"`
}

// NewProgress returns a Progress for the program prog that writes to w,
// drawing in place if w is a terminal.
func NewProgress(prog string, w io.Writer) *Progress {
	return &Progress{
		prog: prog,
		w:    w,
		term: isTerminal(w),
		now:  time.Now,
		tick: func(d time.Duration) (<-chan time.Time, func()) {
			t := time.NewTicker(d)
			return t.C, t.Stop
		},
	}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// Time runs f as the stage name and records how long it took. unit names
// what the stage counts ("lines"), or is empty if it counts nothing; f
// reports through the Meter it is given.
func (p *Progress) Time(name, unit string, f func(m *Meter) error) error {
	m := &Meter{}
	p.mu.Lock()
	p.name, p.unit, p.meter = name, unit, m
	p.start = p.now()
	p.last = p.start
	p.mu.Unlock()

	tick, stop := p.tick(refresh)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case <-done:
				return
			case <-tick:
				p.draw(p.now())
			}
		}
	})
	err := f(m)
	close(done)
	wg.Wait()
	stop()

	p.mu.Lock()
	defer p.mu.Unlock()
	if p.shown != "" {
		io.WriteString(p.w, "\r\033[K")
		p.shown = ""
	}
	p.stages = append(p.stages, Stage{Name: name, Seconds: p.now().Sub(p.start).Seconds()})
	p.name = ""
	return err
}

// Stages returns the stages run so far, in order.
func (p *Progress) Stages() []Stage {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Stage(nil), p.stages...)
}

// draw shows the running stage as it is at now, if it is time to and, on a
// terminal, if the line changed.
func (p *Progress) draw(now time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.name == "" {
		return
	}
	elapsed := now.Sub(p.start)
	if p.term {
		if l := p.line(elapsed); elapsed >= showAfter && l != p.shown {
			io.WriteString(p.w, "\r\033[K"+l)
			p.shown = l
		}
		return
	}
	if now.Sub(p.last) < lineEvery {
		return
	}
	io.WriteString(p.w, p.line(elapsed)+"\n")
	p.last = now
}

// line describes the running stage after elapsed:
//
//	audiencejoin: link: 1,245,184 lines, 45%, 3s, about 4s left
func (p *Progress) line(elapsed time.Duration) string {
	var parts []string
	if p.unit != "" {
		parts = append(parts, thousands(p.meter.done.Load())+" "+p.unit)
	}
	f, known := p.meter.fraction()
	if known {
		parts = append(parts, strconv.Itoa(int(100*f))+"%")
	}
	parts = append(parts, round(elapsed))
	if known && f >= 0.01 && f < 1 {
		if left := time.Duration(float64(elapsed) * (1 - f) / f); left >= time.Second {
			parts = append(parts, "about "+round(left)+" left")
		}
	}
	return p.prog + ": " + p.name + ": " + strings.Join(parts, ", ")
}

// round formats d in whole seconds: 4s, 1m20s, 2h0m5s.
func round(d time.Duration) string { return d.Round(time.Second).String() }

// thousands formats n with thousands separators: 1,234,567.
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// Meter is what a running stage reports: items done, and the size of its
// input in bytes (Reader) or in items (Total) when it is known. Its
// methods are safe for concurrent use.
type Meter struct {
	done  atomic.Int64
	total atomic.Int64 // items in all; 0 if not known
	read  atomic.Int64 // bytes read through Reader
	size  atomic.Int64 // bytes Reader has in all; 0 if not known
}

// Done records that n items are done so far. It is the Progress callback
// of the library's options (reconcile.LinkOptions, ImportOptions), which
// call it at a bounded rate.
func (m *Meter) Done(n int64) { m.done.Store(n) }

// Total records that the stage has n items in all, for an input whose
// size in bytes is not known (generated records).
func (m *Meter) Total(n int64) { m.total.Store(n) }

// Reader returns r, counting the bytes read through it as the stage's
// progress through an input of size bytes (0 or less: not known).
func (m *Meter) Reader(r io.Reader, size int64) io.Reader {
	m.size.Store(max(size, 0))
	return &countingReader{r: r, n: &m.read}
}

// fraction returns the share of the stage's input done, and whether it is
// known: by bytes read if the input's size is known, else by items.
func (m *Meter) fraction() (float64, bool) {
	if size := m.size.Load(); size > 0 {
		return min(float64(m.read.Load())/float64(size), 1), true
	}
	if total := m.total.Load(); total > 0 {
		return min(float64(m.done.Load())/float64(total), 1), true
	}
	return 0, false
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n *atomic.Int64
}

func (c *countingReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.n.Add(int64(n))
	return n, err
}
