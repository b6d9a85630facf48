//go:build unix

package idfile

import (
	"os"
	"syscall"
)

// dupFile returns a duplicate of descriptor fd of this process: it shares
// the open file and its offset, and closing it leaves fd open. A write to a
// pipe whose reader is gone fails with EPIPE rather than killing the
// process, as a write to descriptor 1 or 2 itself would.
func dupFile(fd int, name string) (*os.File, error) {
	syscall.ForkLock.RLock()
	nfd, err := syscall.Dup(fd)
	if err == nil {
		syscall.CloseOnExec(nfd)
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		return nil, &os.PathError{Op: "dup", Path: name, Err: err}
	}
	return os.NewFile(uintptr(nfd), name), nil
}
