//go:build !unix

package idfile

import (
	"errors"
	"os"
)

// dupFile is never reached where there is no /proc.
func dupFile(fd int, name string) (*os.File, error) {
	return nil, &os.PathError{Op: "dup", Path: name, Err: errors.ErrUnsupported}
}
