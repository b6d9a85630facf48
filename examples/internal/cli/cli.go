// Package cli holds the plumbing the example commands share: it runs a
// command's body with a context that an interrupt cancels, stages every
// file the body writes in an [idfile.Outputs], and commits them only when
// the whole run succeeded. A failed or interrupted run leaves every output
// file as it was and no temporary file behind.
//
// A command's main is one line:
//
//	func main() { cli.Main("audiencejoin", run) }
//
//	func run(ctx context.Context, args []string, out *idfile.Outputs, stdout, stderr io.Writer) error {
//		// parse args, work, then for each file:
//		_, err := out.Write(path, 0o644, func(w io.Writer) error { ... })
//		...
//	}
//
// and its tests call [Run], which does the same without signals or exit.
package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"

	"github.com/idbits/idbits/reconcile/idfile"
)

// Command is the body of a program. It reads args, does the work, stages
// every file it writes with out.Write (never committing them itself), and
// prints to stdout and stderr. ctx is cancelled when the program is
// interrupted; a long body may check it to stop early. It returns nil on
// success, or the one error that ended the run.
type Command func(ctx context.Context, args []string, out *idfile.Outputs, stdout, stderr io.Writer) error

// Run runs cmd once on outputs of its own. If cmd returns nil and ctx is
// not done, Run commits the outputs and returns Commit's error; otherwise
// (cmd failed or panicked, or ctx was cancelled) it aborts them, so that
// every file cmd staged stays as it was, and returns the error (ctx's, if
// cmd returned nil).
func Run(ctx context.Context, cmd Command, args []string, stdout, stderr io.Writer) error {
	var out idfile.Outputs
	return run(ctx, cmd, &out, nil, args, stdout, stderr)
}

// run is Run on out; it sets committing just before the commit.
func run(ctx context.Context, cmd Command, out *idfile.Outputs, committing *atomic.Bool, args []string, stdout, stderr io.Writer) error {
	defer out.Abort() // a no-op once committed
	if err := cmd(ctx, args, out, stdout, stderr); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if committing != nil {
		committing.Store(true)
	}
	return out.Commit()
}

// Main runs cmd as the program name on the process's arguments and exits.
// It exits 0 on success and 1 on an error, which it prints to standard
// error as one line, "name: error". On SIGINT or SIGTERM it cancels cmd's
// context, aborts the outputs (removing every temporary file; the targets
// stay as they were, unless the commit had begun), prints one line, and
// exits at once with 128 plus the signal's number, as shells expect: 130
// for SIGINT, 143 for SIGTERM.
func Main(name string, cmd Command) {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	os.Exit(serve(name, cmd, os.Args[1:], os.Stdout, os.Stderr, sigs))
}

// serve is Main with its signals on a channel, returning the exit status.
func serve(name string, cmd Command, args []string, stdout, stderr io.Writer, sigs <-chan os.Signal) int {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out idfile.Outputs
	var committing atomic.Bool
	done := make(chan error, 1)
	go func() { done <- run(ctx, cmd, &out, &committing, args, stdout, stderr) }()
	select {
	case err := <-done:
		if err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", name, err)
			return 1
		}
		return 0
	case sig := <-sigs:
		cancel()
		out.Abort()
		if committing.Load() {
			fmt.Fprintf(stderr, "%s: %v while writing the outputs: stopped; some may be written\n", name, sig)
		} else {
			fmt.Fprintf(stderr, "%s: %v: stopped; no output written\n", name, sig)
		}
		return exitStatus(sig)
	}
}

// exitStatus is the status a shell gives a program that sig ended: 128 plus
// the signal's number.
func exitStatus(sig os.Signal) int {
	if s, ok := sig.(syscall.Signal); ok {
		return 128 + int(s)
	}
	return 1
}
