package main

import (
	"bytes"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idbits/idbits/idtypes"
	"github.com/idbits/idbits/reconcile/idfile"
)

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
			require.NoError(t, run([]string{"-ns", tt.ns, "-full", full, "-incremental", incr}, &out))

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
	require.NoError(t, run([]string{"-full", full, "-incremental", incr}, io.Discard))
	var out bytes.Buffer
	require.NoError(t, run(nil, &out))
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
			err := run(tt.args, io.Discard)
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
	require.NoError(t, run([]string{"-h"}, &out))
	for _, f := range []string{"-ns", "-full", "-incremental"} {
		assert.Contains(t, out.String(), f)
	}
}
