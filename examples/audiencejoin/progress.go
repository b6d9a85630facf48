package main

import (
	"fmt"
	"io"
	"iter"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/idbits/idbits/reconcile/idfile"
)

// progressAfter is how long a stage runs before progress shows.
const progressAfter = time.Second

// progress times the stages of a run and, when stderr is a terminal, shows
// on it the stage that is running and how many items it has done, once the
// stage has run for progressAfter.
type progress struct {
	tty    io.Writer // nil unless stderr is a terminal
	stages []stage
	n      atomic.Int64
	mu     sync.Mutex // guards the terminal line
	shown  bool
}

func newProgress(stderr io.Writer) *progress {
	p := &progress{}
	if f, ok := stderr.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			p.tty = f
		}
	}
	return p
}

// add counts n more items of the running stage.
func (p *progress) add(n int) { p.n.Add(int64(n)) }

// time runs f as the stage name and records how long it took. The items
// the stage counts are units ("lines"); empty if it counts none.
func (p *progress) time(name, unit string, f func() error) error {
	p.n.Store(0)
	start := time.Now()
	done := make(chan struct{})
	var wg sync.WaitGroup
	if p.tty != nil {
		wg.Go(func() {
			t := time.NewTimer(progressAfter)
			defer t.Stop()
			for {
				select {
				case <-done:
					return
				case <-t.C:
					p.show(name, unit, time.Since(start))
					t.Reset(250 * time.Millisecond)
				}
			}
		})
	}
	err := f()
	close(done)
	wg.Wait()
	p.clear()
	p.stages = append(p.stages, stage{Name: name, Seconds: time.Since(start).Seconds()})
	return err
}

func (p *progress) show(name, unit string, d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	msg := fmt.Sprintf("%s: %s, %.0f s", progName, name, d.Seconds())
	if n := p.n.Load(); unit != "" {
		msg = fmt.Sprintf("%s: %s: %s %s, %.0f s", progName, name, count(int(n)), unit, d.Seconds())
	}
	fmt.Fprintf(p.tty, "\r\033[K%s", msg)
	p.shown = true
}

// clear erases the progress line, if one is shown.
func (p *progress) clear() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.shown {
		fmt.Fprint(p.tty, "\r\033[K")
		p.shown = false
	}
}

// stop erases the progress line; it may be called more than once.
func (p *progress) stop() { p.clear() }

// lines passes lines on, counting them as items of the running stage.
func (p *progress) lines(lines iter.Seq2[idfile.Line, error]) iter.Seq2[idfile.Line, error] {
	return func(yield func(idfile.Line, error) bool) {
		for ln, err := range lines {
			p.n.Add(1)
			if !yield(ln, err) {
				return
			}
		}
	}
}
