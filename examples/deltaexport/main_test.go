package main

import (
	"bytes"
	"context"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idbits/idbits/examples/internal/cli"
	"github.com/idbits/idbits/examples/internal/cli/clitest"
	"github.com/idbits/idbits/idtypes"
	"github.com/idbits/idbits/reconcile/idfile"
)

func TestMain(m *testing.M) { clitest.Main(m, progName, main) }

// runMain runs the program as main does, without signals and exit: its
// files are written only if the whole run succeeds.
func runMain(args []string, stdout io.Writer) error {
	return cli.Run(context.Background(), run, args, stdout, io.Discard)
}

// rows reads a delta CSV file into value -> status.
func rows(t *testing.T, r io.Reader, ns idtypes.Namespace) map[string]string {
	t.Helper()
	got := map[string]string{}
	for ln, err := range idfile.ReadCSV(r, idfile.CSVOptions{Namespace: ns, Delta: true}) {
		require.NoError(t, err)
		require.Equal(t, ns, ln.ID.Namespace())
		_, dup := got[ln.ID.String()]
		require.False(t, dup, "%s twice", ln.ID)
		got[ln.ID.String()] = ln.Status.String()
	}
	return got
}

// The expectations follow from the story by hand: on day 2 the tablet is
// Dan's (the last to log in on it, CRM IDs being unique), Cat's laptop and
// phone are one profile, Eve is a profile of her own, and the audience holds
// the profiles of the devices that viewed the sale.
func TestRunFiles(t *testing.T) {
	tests := []struct {
		ns          string
		full        map[string]string
		incremental map[string]string
		unmapped    string // what the report says is left out, if anything
	}{
		{
			ns: "ECID",
			full: map[string]string{
				annLaptop: "realized", annPhone: "realized", // Ann
				catLaptop: "realized", catPhone: "realized", // Cat, merged
				bobTablet:  "realized", // Dan, on Bob's tablet
				eveBrowser: "realized", // Eve
			},
			incremental: map[string]string{
				bobTablet:  "realized", // Dan entered
				eveBrowser: "realized", // Eve entered
				bobPhone:   "exited",   // Bob exited: his tablet is Dan's now
				fayLaptop:  "exited",   // Fay exited
			},
		},
		{
			ns:          "CRMID",
			full:        map[string]string{"C-1001": "realized", "C-3003": "realized", "C-4004": "realized"},
			incremental: map[string]string{"C-4004": "realized", "C-2002": "exited", "C-6006": "exited"},
			unmapped:    "1 profile with no CRMID left out: Eve",
		},
	}
	for _, tt := range tests {
		t.Run(tt.ns, func(t *testing.T) {
			ns, err := idtypes.ParseNamespace(tt.ns)
			require.NoError(t, err)
			dir := t.TempDir()
			full, incr := filepath.Join(dir, "full.csv"), filepath.Join(dir, "incremental.csv")
			var out bytes.Buffer
			require.NoError(t, runMain([]string{"-ns", tt.ns, "-full", full, "-incremental", incr}, &out))

			f, err := os.Open(full)
			require.NoError(t, err)
			defer f.Close()
			assert.Equal(t, tt.full, rows(t, f, ns), "full file")
			g, err := os.Open(incr)
			require.NoError(t, err)
			defer g.Close()
			assert.Equal(t, tt.incremental, rows(t, g, ns), "incremental file")

			text := out.String()
			assert.Contains(t, text, "entered: 2: Dan, Eve")
			assert.Contains(t, text, "exited:  2: Bob, Fay")
			assert.Contains(t, text, "Audience \"viewed the spring sale\": 4 profiles: Ann, Bob, Cat, Fay")
			assert.Contains(t, text, "Audience \"viewed the spring sale\": 4 profiles: Ann, Cat, Dan, Eve")
			assert.Contains(t, text, "Simulated before linking: 1 merged, 1 split")
			assert.Contains(t, text, "written to "+full)
			if tt.unmapped != "" {
				assert.Contains(t, text, tt.unmapped)
			} else {
				assert.NotContains(t, text, "left out")
			}
		})
	}
}

// With no flags the files go to stdout, the same as they go to files.
func TestRunStdout(t *testing.T) {
	dir := t.TempDir()
	full, incr := filepath.Join(dir, "full.csv"), filepath.Join(dir, "incremental.csv")
	require.NoError(t, runMain([]string{"-full", full, "-incremental", incr}, io.Discard))
	var out bytes.Buffer
	require.NoError(t, runMain(nil, &out))
	text := out.String()
	for _, path := range []string{full, incr} {
		b, err := os.ReadFile(path)
		require.NoError(t, err)
		assert.Contains(t, text, string(b))
	}
	for _, want := range []string{"Day 1: 7 logins, 5 profiles", "Day 2: 6 profiles", "Delta in day 2's profiles",
		"Full file (ECID): 6 realized rows, 0 exited rows", "Incremental file (ECID): 2 realized rows, 2 exited rows"} {
		assert.Contains(t, text, want)
	}
	assert.Equal(t, 2, strings.Count(text, idfile.StatusColumn), "two CSV headers")
}

func TestRunErrors(t *testing.T) {
	dir := t.TempDir()
	for _, tt := range []struct {
		name  string
		args  []string
		names string
		is    error
	}{
		{"unknown flag", []string{"-x"}, "-x", nil},
		{"argument", []string{"out.csv"}, "out.csv", nil},
		{"bad namespace", []string{"-ns", "NOPE"}, "-ns", nil},
		{"empty full", []string{"-full", ""}, "-full", nil},
		{"full in a missing folder", []string{"-full", filepath.Join(dir, "no", "f.csv")}, "-full", fs.ErrNotExist},
		{"incremental in a missing folder", []string{"-incremental", filepath.Join(dir, "no", "i.csv")}, "-incremental", fs.ErrNotExist},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := runMain(tt.args, io.Discard)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.names)
			if tt.is != nil {
				assert.ErrorIs(t, err, tt.is)
			}
		})
	}
}

func TestRunHelp(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, runMain([]string{"-h"}, &out))
	for _, f := range []string{"-ns", "-full", "-incremental"} {
		assert.Contains(t, out.String(), f)
	}
}

const oldFull = "ECID,segmentMembershipStatus\n" // what -full held before

// A run whose -incremental cannot be written leaves -full as it was.
func TestRunAllOrNothing(t *testing.T) {
	for _, tc := range []struct {
		name string
		incr func(dir string) string
	}{
		{"folder missing", func(dir string) string { return filepath.Join(dir, "missing", "i.csv") }},
		{"folder is a file", func(dir string) string { return filepath.Join(dir, "full.csv", "i.csv") }},
		{"target is a folder", func(dir string) string {
			os.Mkdir(filepath.Join(dir, "i.csv"), 0o755)
			return filepath.Join(dir, "i.csv")
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			full := filepath.Join(dir, "full.csv")
			require.NoError(t, os.WriteFile(full, []byte(oldFull), 0o644))
			err := runMain([]string{"-full", full, "-incremental", tc.incr(dir)}, io.Discard)
			require.Error(t, err)
			assert.Contains(t, err.Error(), "-incremental")
			got, rerr := os.ReadFile(full)
			require.NoError(t, rerr)
			assert.Equal(t, oldFull, string(got), "-full is as it was")
			assert.Empty(t, clitest.TempFiles(t, dir))
		})
	}
}

// A named pipe receives the file and stays a pipe.
func TestRunFIFO(t *testing.T) {
	dir := t.TempDir()
	fifo, incr := filepath.Join(dir, "full.fifo"), filepath.Join(dir, "i.csv")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("no named pipes here: %v", err)
	}
	got := make(chan map[string]string, 1)
	go func() {
		f, err := os.Open(fifo)
		if err != nil {
			t.Error(err)
			got <- nil
			return
		}
		defer f.Close()
		got <- rows(t, f, idtypes.ECID)
	}()
	require.NoError(t, runMain([]string{"-full", fifo, "-incremental", incr}, io.Discard))
	fi, err := os.Lstat(fifo)
	require.NoError(t, err)
	require.Equal(t, os.ModeNamedPipe, fi.Mode().Type(), "the pipe is still a pipe")
	assert.Len(t, <-got, 6, "the full file's rows")
	assert.FileExists(t, incr)
	assert.Empty(t, clitest.TempFiles(t, dir))
}

// An interrupted run leaves its outputs as they were and no temporary file.
// -incremental is a named pipe nobody reads, so the run cannot end by itself.
func TestRunInterrupted(t *testing.T) {
	for _, tc := range clitest.Stops {
		t.Run(tc.Sig.String(), func(t *testing.T) {
			dir := t.TempDir()
			full := filepath.Join(dir, "full.csv")
			require.NoError(t, os.WriteFile(full, []byte(oldFull), 0o644))
			clitest.Stopped(t, progName, tc.Sig, tc.Status, dir,
				func(fifo string) []string { return []string{"-full", full, "-incremental", fifo} },
				// Both are staged once the pipe's copy is in the temporary folder.
				func(_, tmp string) bool { return len(clitest.TempFiles(t, tmp)) > 0 })
			got, err := os.ReadFile(full)
			require.NoError(t, err)
			assert.Equal(t, oldFull, string(got), "-full is as it was")
		})
	}
}

// -full and -incremental to a link made like /dev/stdout (in a temporary
// folder, so that the test cannot harm the real /dev) print both files
// after the story, and leave the link alone.
func TestRunToStdout(t *testing.T) {
	if _, err := os.Stat("/proc/self/fd/1"); err != nil {
		t.Skip("no /proc/self/fd here")
	}
	dir := t.TempDir()
	link := filepath.Join(dir, "stdout")
	require.NoError(t, os.Symlink("/proc/self/fd/1", link))
	cmd := clitest.Command("-full", link, "-incremental", link)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	require.NoError(t, cmd.Run(), stderr.String())
	fi, err := os.Lstat(link)
	require.NoError(t, err)
	assert.Equal(t, os.ModeSymlink, fi.Mode().Type(), "the link is still a link")
	text := stdout.String()
	assert.Equal(t, 2, strings.Count(text, idfile.StatusColumn), "two CSV headers")
	story, csv, ok := strings.Cut(text, "ECID,"+idfile.StatusColumn)
	require.True(t, ok)
	assert.Contains(t, story, "Delta in day 2's profiles", "the story comes first")
	assert.NotContains(t, csv, "Delta", "then the files")
}
