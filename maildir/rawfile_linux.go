package maildir

import (
	"io"
	"io/fs"
	"os"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// The hot path of a delivery opens two things: the unnamed file and the
// directory it is linked into. Through [os.Root] each open costs five
// system calls (the open, then os.File's attempt to register a regular
// file with the network poller and undo it) and a file object with a
// finalizer; openat2(2) with RESOLVE_BENEATH is one system call with the
// same confinement, checked by the kernel. The files it opens are plain
// descriptors wrapped in rawFile and rawDir.

// openat2 is unix.Openat2; tests replace it to play a sandbox.
var openat2 = unix.Openat2

// openat2Missing is set once openat2 turns out unusable (a kernel before
// 5.6, or a sandbox that filters it); os.Root then does every open.
var openat2Missing atomic.Bool

// openBeneath opens name, relative to the root directory, with openat2:
// no path component, symlink target or ".." may resolve outside the
// root (RESOLVE_BENEATH), and no /proc magic link is followed. ok is
// false when openat2 cannot be used and the caller must open name another
// way.
func (f rootFS) openBeneath(name string, flags int, perm os.FileMode) (fd int, ok bool, err error) {
	if f.dirc == nil || openat2Missing.Load() {
		return -1, false, nil
	}
	// Control keeps the root's descriptor open until the function
	// returns; after the FS is closed it fails and os.Root answers.
	if cerr := f.dirc.Control(func(dfd uintptr) { fd, ok, err = openBeneathAt(int(dfd), name, flags, perm) }); cerr != nil {
		return -1, false, nil
	}
	return fd, ok, err
}

func openBeneathAt(dirfd int, name string, flags int, perm os.FileMode) (fd int, ok bool, err error) {
	how := unix.OpenHow{
		Flags:   uint64(flags | unix.O_CLOEXEC),
		Mode:    uint64(perm.Perm()),
		Resolve: unix.RESOLVE_BENEATH | unix.RESOLVE_NO_MAGICLINKS,
	}
	for range 8 {
		fd, err = openat2(dirfd, name, &how)
		// EAGAIN: a concurrent rename made the kernel unsure that ".."
		// stayed beneath the root; EINTR: a signal. Both are worth
		// another try.
		if err != unix.EAGAIN && err != unix.EINTR {
			break
		}
	}
	switch err {
	case nil:
		return fd, true, nil
	case unix.ENOSYS, unix.E2BIG:
		openat2Missing.Store(true)
		return -1, false, nil
	case unix.EPERM:
		// A sandbox's system call filter may answer EPERM (systemd's
		// SystemCallErrorNumber=EPERM): a path-only open of the root
		// itself tells it from a refusal about name.
		probe, perr := openat2(dirfd, ".", &unix.OpenHow{Flags: unix.O_PATH | unix.O_CLOEXEC})
		if perr == nil {
			unix.Close(probe)
		} else if perr == unix.EPERM {
			openat2Missing.Store(true)
		}
		return -1, false, nil
	case unix.EAGAIN, unix.EXDEV:
		// Still unsure after retries, or a path that escapes the root:
		// os.Root resolves it step by step and gives its own answer.
		return -1, false, nil
	}
	return -1, true, &fs.PathError{Op: "openat", Path: name, Err: err}
}

// rawFile is an open regular file held as a bare descriptor.
type rawFile struct {
	fd   int
	name string
}

var _ File = (*rawFile)(nil)

func (f *rawFile) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	for {
		n, err := unix.Read(f.fd, p)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return 0, f.err("read", err)
		}
		if n == 0 {
			return 0, io.EOF
		}
		return n, nil
	}
}

func (f *rawFile) Write(p []byte) (int, error) {
	written := 0
	for written < len(p) {
		n, err := unix.Write(f.fd, p[written:])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return written, f.err("write", err)
		}
		if n == 0 {
			return written, f.err("write", io.ErrShortWrite)
		}
		written += n
	}
	return written, nil
}

func (f *rawFile) Seek(offset int64, whence int) (int64, error) {
	off, err := unix.Seek(f.fd, offset, whence)
	if err != nil {
		return 0, f.err("seek", err)
	}
	return off, nil
}

func (f *rawFile) Sync() error {
	if err := fsyncFD(f.fd); err != nil {
		return f.err("sync", err)
	}
	return nil
}

// StartSync starts an fsync and returns the function that waits for its
// result, or nil when the caller must call Sync instead.
func (f *rawFile) StartSync() func() error {
	wait := startFsync(f.fd)
	if wait == nil {
		return nil
	}
	return func() error {
		if err := wait(); err != nil {
			return f.err("sync", err)
		}
		return nil
	}
}

// Close closes the descriptor; like close(2), it is not retried on EINTR
// (Linux has released the descriptor by then).
func (f *rawFile) Close() error {
	if f.fd < 0 {
		return f.err("close", os.ErrClosed)
	}
	fd := f.fd
	f.fd = -1
	if err := unix.Close(fd); err != nil && err != unix.EINTR {
		return f.err("close", err)
	}
	return nil
}

func (f *rawFile) err(op string, err error) error {
	return &fs.PathError{Op: op, Path: f.name, Err: err}
}

// rawDir is an open directory held as a bare descriptor.
type rawDir struct{ rawFile }

var _ Dir = (*rawDir)(nil)
