package maildir

import (
	"errors"
	"fmt"
	"os"
	"path"
	"strconv"
	"sync/atomic"
	"syscall"

	"golang.org/x/sys/unix"
)

var _ TempFS = rootFS{}

// rootDir opens r's directory for openBeneath.
func rootDir(r *os.Root) *os.File {
	if openat2Missing.Load() {
		return nil
	}
	d, err := r.Open(".")
	if err != nil {
		return nil
	}
	return d
}

// OpenTemp opens dir with O_TMPFILE, through the root, so dir (or a symlink
// on the way) cannot lead outside it.
func (f rootFS) OpenTemp(dir string, perm os.FileMode) (File, error) {
	if linkMethod.Load() == linkNone {
		return nil, fmt.Errorf("open %s: %w: cannot link unnamed files", dir, ErrTempUnsupported)
	}
	var fh File
	fd, ok, err := f.openBeneath(dir, unix.O_RDWR|unix.O_TMPFILE, perm)
	if ok && err == nil {
		fh = &rawFile{fd: fd, name: dir + "/(unnamed)"}
	} else if !ok {
		var of *os.File
		of, err = f.r.OpenFile(dir, os.O_RDWR|unix.O_TMPFILE, perm)
		if err == nil {
			fh = of
		}
	}
	if err != nil {
		// open(2): EISDIR from kernels without O_TMPFILE, EOPNOTSUPP from
		// filesystems without it.
		if errors.Is(err, syscall.EOPNOTSUPP) || errors.Is(err, syscall.EISDIR) || errors.Is(err, syscall.EINVAL) {
			return nil, fmt.Errorf("%w: %w", ErrTempUnsupported, err)
		}
		return nil, err
	}
	return fh, nil
}

// linkMethod remembers how this process can name an unnamed file:
// linkat with AT_EMPTY_PATH (needs CAP_DAC_READ_SEARCH on many kernels),
// else through /proc/self/fd (needs /proc), which is kept once used.
var linkMethod atomic.Int32

const (
	linkUnknown int32 = iota
	linkEmptyPath
	linkProc
	linkNone
)

// Link names f in the directory of newname, opened through the root.
func (f rootFS) Link(file File, newname string) (Dir, error) {
	dir, base := path.Dir(newname), path.Base(newname)
	if fh, ok := file.(*rawFile); ok {
		if dfd, ok, err := f.openBeneath(dir, unix.O_RDONLY|unix.O_DIRECTORY, 0); ok {
			if err != nil {
				return nil, err
			}
			if err := linkFD(fh.fd, dfd, base); err != nil {
				unix.Close(dfd)
				return nil, &os.LinkError{Op: "link", Old: "(unnamed)", New: newname, Err: err}
			}
			return &rawDir{rawFile{fd: dfd, name: dir}}, nil
		}
	}
	withFD, ok := fileFD(file)
	if !ok {
		return nil, fmt.Errorf("link %s: %w: not a file of this filesystem", newname, ErrTempUnsupported)
	}
	d, err := f.r.Open(dir)
	if err != nil {
		return nil, err
	}
	dc, err := d.SyscallConn()
	if err == nil {
		var lerr error
		err = withFD(func(fd int) {
			if cerr := dc.Control(func(dfd uintptr) { lerr = linkFD(fd, int(dfd), base) }); cerr != nil {
				lerr = cerr
			}
		})
		if err == nil && lerr != nil {
			err = &os.LinkError{Op: "link", Old: "(unnamed)", New: newname, Err: lerr}
		}
	}
	if err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

// fileFD returns a function that runs fn with the descriptor of file, a
// file of this filesystem, kept open meanwhile.
func fileFD(file File) (func(fn func(fd int)) error, bool) {
	switch fh := file.(type) {
	case *rawFile:
		return func(fn func(int)) error { fn(fh.fd); return nil }, true
	case *os.File:
		return func(fn func(int)) error {
			c, err := fh.SyscallConn()
			if err != nil {
				return err
			}
			return c.Control(func(fd uintptr) { fn(int(fd)) })
		}, true
	}
	return nil, false
}

func linkFD(fd, dfd int, name string) error {
	m := linkMethod.Load()
	if m == linkUnknown || m == linkEmptyPath {
		err := ignoringEINTR(func() error { return unix.Linkat(fd, "", dfd, name, unix.AT_EMPTY_PATH) })
		if err == nil {
			linkMethod.CompareAndSwap(linkUnknown, linkEmptyPath)
			return nil
		}
		// ENOENT (EPERM on some kernels): no CAP_DAC_READ_SEARCH, or,
		// where Linux lets a process link files it opened itself, a file
		// opened on a thread with other credentials (after setuid every
		// thread has its own). Anything else is a real failure.
		if err != unix.ENOENT && err != unix.EPERM {
			return err
		}
	}
	if m != linkNone {
		err := ignoringEINTR(func() error {
			return unix.Linkat(unix.AT_FDCWD, "/proc/self/fd/"+strconv.Itoa(fd), dfd, name, unix.AT_SYMLINK_FOLLOW)
		})
		if err == nil {
			linkMethod.Store(linkProc)
			return nil
		}
		if err != unix.ENOENT {
			return err
		}
		if _, serr := os.Stat("/proc/self/fd/" + strconv.Itoa(fd)); serr == nil {
			return err // /proc works: the ENOENT is about the directory
		}
		linkMethod.Store(linkNone)
	}
	return ErrTempUnsupported
}

func ignoringEINTR(fn func() error) error {
	for {
		err := fn()
		if err != unix.EINTR {
			return err
		}
	}
}
