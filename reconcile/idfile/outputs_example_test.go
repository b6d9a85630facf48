package idfile_test

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/idbits/idbits/reconcile/idfile"
)

// A run stages its files and commits them once every one is written; an
// output that fails leaves the others as they were.
func ExampleOutputs() {
	dir, err := os.MkdirTemp("", "idfile-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	audience, report := filepath.Join(dir, "audience.txt"), filepath.Join(dir, "report.json")
	os.WriteFile(audience, []byte("yesterday's audience\n"), 0o644)

	run := func(report string) error {
		var out idfile.Outputs
		defer out.Abort() // drops what is staged unless Commit came first
		if _, err := out.Write(audience, 0o644, func(w io.Writer) error {
			_, err := io.WriteString(w, "today's audience\n")
			return err
		}); err != nil {
			return err
		}
		if _, err := out.Write(report, 0o644, func(w io.Writer) error {
			_, err := io.WriteString(w, "{}\n")
			return err
		}); err != nil {
			return err
		}
		return out.Commit()
	}

	// The report's folder does not exist: the run fails, the audience stays.
	fmt.Println(run(filepath.Join(dir, "missing", "report.json")) != nil)
	b, _ := os.ReadFile(audience)
	fmt.Print(string(b))

	fmt.Println(run(report))
	b, _ = os.ReadFile(audience)
	fmt.Print(string(b))
	// Output:
	// true
	// yesterday's audience
	// <nil>
	// today's audience
}
