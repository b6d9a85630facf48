// Package clitest runs an example command's main in a subprocess, so that
// its tests can interrupt a real run with a signal.
//
// A command's main_test.go hands its TestMain to [Main], and a test starts
// the program with [Command]:
//
//	func TestMain(m *testing.M) { clitest.Main(m, progName, main) }
//
//	cmd := clitest.Command("-out", path)
package clitest

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// envArgs carries the arguments of the program to the subprocess, as JSON.
const envArgs = "IDBITS_CLITEST_ARGS"

// Main is a TestMain. In a subprocess started by [Command] it runs main as
// the program name with the arguments given; otherwise it runs the tests.
func Main(m *testing.M, name string, main func()) {
	if v, ok := os.LookupEnv(envArgs); ok {
		var args []string
		if err := json.Unmarshal([]byte(v), &args); err != nil {
			os.Stderr.WriteString("clitest: bad " + envArgs + ": " + err.Error() + "\n")
			os.Exit(2)
		}
		os.Args = append([]string{name}, args...)
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// Command returns a command that runs the program under test with args:
// the test binary, whose TestMain hands over to [Main].
func Command(args ...string) *exec.Cmd {
	b, _ := json.Marshal(args)
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), envArgs+"="+string(b))
	return cmd
}

// Interrupt starts cmd, waits until ready reports that the run has reached
// the point to interrupt (checked every few milliseconds; the test fails if
// the program ends first or never gets there), sends it sig and waits for it
// to end. It returns the exit status.
func Interrupt(t testing.TB, cmd *exec.Cmd, sig os.Signal, ready func() bool) int {
	t.Helper()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	giveUp := time.After(5 * time.Minute) // a guard against a hang, not a measure
	for !ready() {
		select {
		case err := <-exited:
			t.Fatalf("the program ended before it was interrupted: %v", err)
		case <-giveUp:
			cmd.Process.Kill()
			t.Fatal("the program never got ready to be interrupted")
		case <-time.After(5 * time.Millisecond):
		}
	}
	if err := cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	err := <-exited
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatal(err)
	}
	return cmd.ProcessState.ExitCode()
}

// TempFiles lists the temporary files the writer (idfile.Outputs) left in
// dir: a run that failed or was interrupted must leave none.
func TempFiles(t testing.TB, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, ".*.tmp"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// Stops are the signals that stop a run, with the exit status each gives.
var Stops = []struct {
	Sig    os.Signal
	Status int
}{
	{os.Interrupt, 130},
	{syscall.SIGTERM, 143},
}

// Stopped runs the program stopped by sig, and checks what every example
// promises of an interrupted run. The run gets args(fifo), where fifo is a
// named pipe in dir that nobody reads, given as one of its outputs: the run
// cannot end by itself. It is stopped once ready(dir, tmp) reports true,
// where tmp is the run's temporary folder (TMPDIR). Stopped checks the exit
// status of sig, one line on stderr naming the program and the signal, no
// temporary file left in dir or tmp, and the pipe still a pipe. It skips the
// test where named pipes cannot be made. The caller checks its outputs.
func Stopped(t *testing.T, prog string, sig os.Signal, status int, dir string, args func(fifo string) []string, ready func(dir, tmp string) bool) {
	t.Helper()
	fifo, tmp := filepath.Join(dir, "out.fifo"), t.TempDir()
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("no named pipes here: %v", err)
	}
	cmd := Command(args(fifo)...)
	cmd.Env = append(cmd.Env, "TMPDIR="+tmp)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if got := Interrupt(t, cmd, sig, func() bool { return ready(dir, tmp) }); got != status {
		t.Errorf("exit status %d, want %d", got, status)
	}
	if msg := stderr.String(); !strings.HasPrefix(msg, prog+": "+sig.String()) || strings.Count(msg, "\n") != 1 {
		t.Errorf("stderr = %q, want one line naming %s and %v", msg, prog, sig)
	}
	if left := append(TempFiles(t, dir), TempFiles(t, tmp)...); len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
	if fi, err := os.Lstat(fifo); err != nil || fi.Mode().Type() != os.ModeNamedPipe {
		t.Errorf("the pipe is no longer a pipe: %v, %v", fi, err)
	}
}
