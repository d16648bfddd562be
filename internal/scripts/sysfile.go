package scripts

import (
	"io/fs"
	"syscall"
)

// The functions here open script files with plain system calls. os.Open
// offers every file to the runtime's poller, which costs four fcntl calls
// and a failing epoll_ctl per regular file; planning and checking a
// delivery open a script at least once each, so that doubles their system
// calls. Files are opened O_NONBLOCK, so that a FIFO planted where a script
// is expected is reported as ErrNotRegular instead of blocking the
// delivery; for regular files the flag changes nothing.

// openFlags are the flags every script is opened with.
const openFlags = syscall.O_RDONLY | syscall.O_CLOEXEC | syscall.O_NONBLOCK

// sysOpen opens path read-only. With nofollow, a symlink in the last
// component fails with ELOOP instead of being followed.
func sysOpen(path string, nofollow bool) (int, error) {
	flags := openFlags
	if nofollow {
		flags |= syscall.O_NOFOLLOW
	}
	for {
		fd, err := syscall.Open(path, flags, 0)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return -1, &fs.PathError{Op: "open", Path: path, Err: err}
		}
		return fd, nil
	}
}

// sysFstat returns the stat data of an open file.
func sysFstat(fd int, path string) (syscall.Stat_t, error) {
	var st syscall.Stat_t
	for {
		err := syscall.Fstat(fd, &st)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return st, &fs.PathError{Op: "stat", Path: path, Err: err}
		}
		return st, nil
	}
}

func isRegular(st *syscall.Stat_t) bool { return st.Mode&syscall.S_IFMT == syscall.S_IFREG }

func isDir(st *syscall.Stat_t) bool { return st.Mode&syscall.S_IFMT == syscall.S_IFDIR }

// sysClose closes fd. Linux releases the descriptor even when close
// fails, so it is never retried; for a file only read from, a failure
// means nothing.
func sysClose(fd int) { _ = syscall.Close(fd) }

// checkReadable opens and closes path, so that a permission problem shows
// up while planning rather than in the middle of a delivery: one open and
// one fstat, which is all "exists, is readable, is a file" needs. A file
// of another type fails with ErrNotRegular, a missing one with an error
// for which missing is true. A symlink is followed unless nofollow is
// set; then it fails with ELOOP.
func checkReadable(path string, nofollow bool) error {
	fd, err := sysOpen(path, nofollow)
	if err != nil {
		return err
	}
	defer sysClose(fd)
	st, err := sysFstat(fd, path)
	if err != nil {
		return err
	}
	if !isRegular(&st) {
		return ErrNotRegular
	}
	return nil
}

// readLimited reads at most max bytes of path, failing with ErrTooLarge
// when there is more. sizeHint (the size stat reported, or 0) sizes the
// buffer so that a file that did not grow is read in one call, plus the
// one that sees its end.
func readLimited(path string, max, sizeHint int64) ([]byte, error) {
	fd, err := sysOpen(path, false)
	if err != nil {
		return nil, err
	}
	defer sysClose(fd)
	n := min(max+1, sizeHint+1, 1<<20)
	if n < 512 {
		n = 512
	}
	b := make([]byte, 0, n)
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		room := b[len(b):cap(b)]
		if int64(len(b))+int64(len(room)) > max+1 {
			room = room[:max+1-int64(len(b))]
		}
		k, err := syscall.Read(fd, room)
		switch {
		case err == syscall.EINTR:
			continue
		case err == syscall.EISDIR:
			return nil, ErrNotRegular
		case err != nil:
			return nil, &fs.PathError{Op: "read", Path: path, Err: err}
		case k == 0:
			return b, nil
		}
		b = b[:len(b)+k]
		if int64(len(b)) > max {
			return nil, ErrTooLarge
		}
	}
}
