package idfile

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// Outputs stages the files of one run so that they change together: each
// [Outputs.Write] puts its bytes in a temporary file and leaves its target
// alone, [Outputs.Commit] puts every staged file in place, and
// [Outputs.Abort] drops them all. A failed run aborts and leaves every
// target as it was.
//
// What a target becomes depends on what it is when Write is called:
//
//   - A regular file, or a name that does not exist yet in an existing
//     folder, is replaced atomically: its temporary file is made in the same
//     folder, named ".NAME.*.tmp", synced to disk and given the mode perm,
//     and Commit renames it over NAME and syncs the folder.
//   - A symbolic link stays a link: the file it leads to, through any number
//     of links, is replaced as above (or created, if the link dangles).
//   - A device, a named pipe or a Unix socket is never replaced: it is
//     written through as a stream at Commit, from a temporary file staged
//     in [os.TempDir], so that a failed run sends it nothing. -out
//     /dev/null discards, a pipe receives the bytes.
//   - A name for a descriptor of this process (/dev/stdout, /dev/stderr,
//     /dev/fd/N, /proc/self/fd/N) is written through that descriptor, at
//     its current offset, whatever file is behind it: -out /dev/stdout
//     prints to standard output even when the shell redirected it to a file.
//   - A directory, or a name in a folder that does not exist, is an error.
//
// The zero Outputs is empty and ready to use. Its methods are safe for
// concurrent use: Abort may come from a signal handler while a Write or the
// Commit runs.
type Outputs struct {
	mu      sync.Mutex
	state   outputsState
	writing int       // Writes in progress
	files   []*staged // in the order of Write
}

type outputsState uint8

const (
	outputsOpen outputsState = iota
	outputsCommitting
	outputsCommitted
	outputsAborted
)

// staged is one output waiting for Commit.
type staged struct {
	name string // as the caller gave it
	to   target
	tmp  string // the temporary file; empty once it is gone
}

// errDone reports a Write or Commit after the outputs were committed or
// aborted.
var errDone = errors.New("outputs already committed or aborted")

// Write stages one output: write gets a buffered writer, and what it writes
// goes to a temporary file, synced to disk, while name stays as it is until
// [Outputs.Commit]. Write returns the SHA-256 of the bytes written. It checks
// name first (see [Outputs] for what each kind of target becomes), so a
// directory or a missing folder fails before write is called.
//
// If write fails (or panics), the temporary file is removed, the error is
// returned, and the outputs staged before stay staged: the caller decides
// whether to Abort. Writing the same name twice stages it twice; Commit puts
// both in place in turn, so a file ends with the second and a stream gets
// both.
func (o *Outputs) Write(name string, perm fs.FileMode, write func(w io.Writer) error) (sum [sha256.Size]byte, err error) {
	to, err := resolve(name)
	if err != nil {
		return sum, fmt.Errorf("idfile: write %s: %w", name, err)
	}
	var f *os.File
	if to.kind == targetFile {
		f, err = os.CreateTemp(filepath.Dir(to.path), tempPattern(to.path))
	} else {
		f, err = os.CreateTemp("", tempPattern(name))
	}
	if err != nil {
		return sum, fmt.Errorf("idfile: write %s: %w", name, err)
	}
	s := &staged{name: name, to: to, tmp: f.Name()}
	if err := o.begin(s); err != nil {
		f.Close()
		os.Remove(s.tmp)
		return sum, fmt.Errorf("idfile: write %s: %w", name, err)
	}
	ok := false
	defer func() {
		if !ok {
			f.Close()
		}
		if ferr := o.end(s, ok); ferr != nil && err == nil {
			sum, err = [sha256.Size]byte{}, fmt.Errorf("idfile: write %s: %w", name, ferr)
		}
	}()
	h := sha256.New()
	if err := writeTemp(f, h, write, to.kind == targetFile, perm); err != nil {
		return sum, fmt.Errorf("idfile: write %s: %w", name, err)
	}
	ok = true
	h.Sum(sum[:0])
	return sum, nil
}

// tempPattern is the os.CreateTemp pattern of the temporary file for name.
func tempPattern(name string) string {
	return "." + filepath.Base(name) + ".*.tmp"
}

// begin adds s to the staged outputs, as a Write in progress.
func (o *Outputs) begin(s *staged) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.state != outputsOpen {
		return errDone
	}
	o.writing++
	o.files = append(o.files, s)
	return nil
}

// end ends the Write of s. If it failed, or the outputs were aborted while
// it ran, its temporary file goes.
func (o *Outputs) end(s *staged, ok bool) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.writing--
	if ok && o.state == outputsOpen {
		return nil
	}
	os.Remove(s.tmp)
	s.tmp = ""
	if i := slices.Index(o.files, s); i >= 0 {
		o.files = slices.Delete(o.files, i, i+1)
	}
	if ok {
		return errDone // aborted while writing
	}
	return nil
}

// Commit puts every staged output in place: it first checks that no target
// changed kind since its Write, then writes each stream target through, in
// the order of Write, then renames each staged file over its target and
// syncs their folders. So when a stream cannot be written (its reader went
// away), no file has changed yet. Renaming a synced file within its own
// folder is the step that rarely fails; if one does, the files renamed
// before it stay in place, the rest are dropped, and the error names it.
//
// Commit fails, aborting the outputs, while a Write is in progress. After
// a Commit, successful or not, the Outputs is done: Write and Commit fail
// and Abort does nothing. If only syncing a folder fails, every file is in
// place but the error is returned, since the renames may not survive a
// crash.
func (o *Outputs) Commit() error {
	o.mu.Lock()
	if o.state != outputsOpen {
		o.mu.Unlock()
		return fmt.Errorf("idfile: commit: %w", errDone)
	}
	if o.writing > 0 {
		o.mu.Unlock()
		o.Abort()
		return errors.New("idfile: commit: a write is in progress")
	}
	o.state = outputsCommitting
	files := o.files
	o.mu.Unlock()

	err := commit(o, files)

	o.mu.Lock()
	defer o.mu.Unlock()
	for _, s := range files {
		if s.tmp != "" {
			os.Remove(s.tmp)
			s.tmp = ""
		}
	}
	if err == nil || errors.Is(err, errSyncFolder) {
		o.state = outputsCommitted
	} else {
		o.state = outputsAborted
	}
	return err
}

// errSyncFolder marks a Commit whose files are all in place but whose
// folders could not be synced.
var errSyncFolder = errors.New("sync folder")

// commit does the work of Commit on files.
func commit(o *Outputs, files []*staged) error {
	for _, s := range files {
		to, err := resolve(s.name)
		if err == nil && to != s.to {
			err = errors.New("changed since it was staged")
		}
		if err != nil {
			return fmt.Errorf("idfile: write %s: %w", s.name, err)
		}
	}
	// take returns the temporary file of s, or "" if Abort came first.
	take := func(s *staged) string {
		o.mu.Lock()
		defer o.mu.Unlock()
		if o.state == outputsAborted {
			return ""
		}
		return s.tmp
	}
	done := func(s *staged) {
		o.mu.Lock()
		s.tmp = ""
		o.mu.Unlock()
	}
	for _, s := range files {
		if s.to.kind == targetFile {
			continue
		}
		tmp := take(s)
		if tmp == "" {
			return fmt.Errorf("idfile: write %s: aborted", s.name)
		}
		if err := stream(s.to, tmp); err != nil {
			return fmt.Errorf("idfile: write %s: %w", s.name, err)
		}
		os.Remove(tmp)
		done(s)
	}
	var dirs []string
	for _, s := range files {
		if s.to.kind != targetFile {
			continue
		}
		tmp := take(s)
		if tmp == "" {
			return fmt.Errorf("idfile: write %s: aborted", s.name)
		}
		if err := os.Rename(tmp, s.to.path); err != nil {
			return fmt.Errorf("idfile: write %s: %w", s.name, err)
		}
		done(s)
		if dir := filepath.Dir(s.to.path); !slices.Contains(dirs, dir) {
			dirs = append(dirs, dir)
		}
	}
	for _, dir := range dirs {
		if err := syncDir(dir); err != nil {
			return fmt.Errorf("idfile: write: %w %s: %w", errSyncFolder, dir, err)
		}
	}
	return nil
}

// stream copies the temporary file tmp to the stream target to.
func stream(to target, tmp string) error {
	src, err := os.Open(tmp)
	if err != nil {
		return err
	}
	defer src.Close()
	var dst io.WriteCloser
	switch to.kind {
	case targetDescriptor:
		dst, err = dupFile(to.fd, to.path)
	case targetSocket:
		dst, err = net.Dial("unix", to.path)
	default:
		dst, err = os.OpenFile(to.path, os.O_WRONLY|os.O_APPEND, 0)
	}
	if err != nil {
		return err
	}
	_, err = io.Copy(dst, src)
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	return err
}

// Abort drops every staged output: their temporary files are removed and
// their targets are left as they were. A Write in progress fails and
// removes its own temporary file. During a Commit, Abort stops it before
// the next target (those already written stay written) and removes the
// rest. Abort does nothing after a Commit or an Abort, so a run can defer
// it and call it again from a signal handler.
func (o *Outputs) Abort() {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.state == outputsCommitted || o.state == outputsAborted {
		return
	}
	o.state = outputsAborted
	for _, s := range o.files {
		if s.tmp != "" {
			os.Remove(s.tmp)
			s.tmp = ""
		}
	}
}

// target is what writing to a name means.
type target struct {
	kind targetKind
	path string // the file to replace or to open, after links
	fd   int    // targetDescriptor: the descriptor
}

type targetKind uint8

const (
	targetFile       targetKind = iota + 1 // a regular file, or none yet: replaced by a rename
	targetStream                           // a device or named pipe: opened and written
	targetSocket                           // a Unix socket: dialled and written
	targetDescriptor                       // a descriptor of this process: duplicated and written
)

// maxLinks is how many symbolic links resolve follows, as Linux does.
const maxLinks = 40

// resolve finds what writing to name means, following symbolic links one
// at a time so that a link to a descriptor (/dev/stdout) is seen as such.
func resolve(name string) (target, error) {
	if name == "" {
		return target{}, &fs.PathError{Op: "write", Path: name, Err: fs.ErrNotExist}
	}
	path := name
	for range maxLinks {
		fi, err := os.Lstat(path)
		if errors.Is(err, fs.ErrNotExist) {
			dir := filepath.Dir(path)
			st, err := os.Stat(dir)
			if err != nil {
				return target{}, err
			}
			if !st.IsDir() {
				return target{}, &fs.PathError{Op: "write", Path: dir, Err: syscall.ENOTDIR}
			}
			return target{kind: targetFile, path: path}, nil
		}
		if err != nil {
			return target{}, err
		}
		switch m := fi.Mode(); {
		case m.IsRegular():
			return target{kind: targetFile, path: path}, nil
		case m.IsDir():
			return target{}, &fs.PathError{Op: "write", Path: path, Err: syscall.EISDIR}
		case m&fs.ModeSymlink != 0:
			if fd, own, ok := procDescriptor(path); ok {
				if own {
					return target{kind: targetDescriptor, path: path, fd: fd}, nil
				}
				return target{kind: targetStream, path: path}, nil
			}
			link, err := os.Readlink(path)
			if err != nil {
				return target{}, err
			}
			if !filepath.IsAbs(link) {
				link = filepath.Join(filepath.Dir(path), link)
			}
			path = link
		case m&fs.ModeSocket != 0:
			return target{kind: targetSocket, path: path}, nil
		default: // a device, a named pipe
			return target{kind: targetStream, path: path}, nil
		}
	}
	return target{}, &fs.PathError{Op: "write", Path: name, Err: errors.New("too many levels of symbolic links")}
}

// procDescriptor reports whether the link at path is a descriptor link of
// Linux's /proc (/proc/PID/fd/N, /proc/PID/task/TID/fd/N, reached as
// /dev/stdout, /dev/fd/N or /proc/self/fd/N), with the descriptor and
// whether it belongs to this process. Such a link reads as the name of the
// open file ("pipe:[123]", a deleted file), which only the descriptor
// reaches.
func procDescriptor(path string) (fd int, own, ok bool) {
	dir, err := filepath.EvalSymlinks(filepath.Dir(path))
	if err != nil {
		return 0, false, false
	}
	fd, err = strconv.Atoi(filepath.Base(path))
	if err != nil || fd < 0 {
		return 0, false, false
	}
	parts := strings.Split(filepath.ToSlash(dir), "/")
	switch {
	case len(parts) == 4 && parts[0] == "" && parts[1] == "proc" && parts[3] == "fd":
	case len(parts) == 6 && parts[0] == "" && parts[1] == "proc" && parts[3] == "task" && parts[5] == "fd":
	default:
		return 0, false, false
	}
	pid, err := strconv.Atoi(parts[2])
	if err != nil {
		return 0, false, false
	}
	return fd, pid == os.Getpid(), true
}
