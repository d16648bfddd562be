package scripts

import (
	"crypto/sha256"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/sluice-mail/sluice/internal/fileid"
)

// fileState is what a dependency looked like when a program was compiled.
// Comparing two states is the stat safety net behind Cache.Get.
type fileState struct {
	present bool   // the path resolved to a file
	dev     uint64 // of the file (after following symlinks)
	ino     uint64
	size    int64
	mode    fs.FileMode
	mtime   int64  // ns
	ctime   int64  // ns; cannot be set by users, so it catches touch -d
	link    string // symlink target string of the path itself, "" if none
	linkIno uint64 // inode of the symlink itself
	// errno is the error class seen when the path could not be examined
	// (0 when it was examined or simply missing).
	errno syscall.Errno
}

// same reports whether two observations are indistinguishable by stat.
func (a fileState) same(b fileState) bool { return a == b }

// newest is the later of mtime and ctime.
func (a fileState) newest() int64 { return max(a.mtime, a.ctime) }

// observe examines path without reading it: Lstat for a symlink's own
// identity and target string, then Stat for the file it leads to.
func observe(path string) fileState {
	var s fileState
	lst, err := os.Lstat(path)
	if err != nil {
		s.errno = errnoOf(err)
		return s
	}
	st := lst
	if lst.Mode()&fs.ModeSymlink != 0 {
		s.link, _ = os.Readlink(path)
		s.linkIno = fileid.Of(lst).Ino
		if st, err = os.Stat(path); err != nil {
			s.errno = errnoOf(err)
			return s
		}
	}
	s.fill(st)
	return s
}

func (s *fileState) fill(st fs.FileInfo) {
	s.present = true
	s.size = st.Size()
	s.mode = st.Mode()
	s.mtime = st.ModTime().UnixNano()
	id := fileid.Of(st)
	s.dev, s.ino, s.ctime = id.Dev, id.Ino, id.Ctime
}

// errnoOf keeps the errno of a failed stat so that a change from, say,
// EACCES to ENOENT counts as a change. Not-exist is 0: plain "missing".
func errnoOf(err error) syscall.Errno {
	if missing(err) {
		return 0
	}
	var e syscall.Errno
	if errors.As(err, &e) {
		return e
	}
	return syscall.EIO
}

// dep is one file a compiled program depends on: the script itself, an
// include that was read, or an include that was looked up and not found.
type dep struct {
	path   string // as looked up (may be a symlink)
	target string // resolved path when path is a symlink, for watching
	state  fileState
	hash   [sha256.Size]byte // of the content the compiler was given
	// settled is set once the file's timestamps are old enough that any
	// later write must change them; until then Get also compares content.
	settled atomic.Bool
}

// How old a file's newest timestamp must be before stat alone is trusted.
// Two same-size writes within one timestamp tick leave size, mtime and
// ctime equal, so while a file is younger than its window, its content
// hash is compared as well. Linux stamps files from the coarse clock (one
// tick: at most 10 ms) truncated to the file system's granularity: 1 ns on
// ext4, xfs, btrfs and tmpfs, but 1 s on some network file systems and 2 s
// on FAT. Timestamps with a sub-second part show a fine granularity, for
// which settleFine is ample; whole seconds may mean a coarse one and get
// settleAfter.
//
// The age is measured against the local clock before the content is read:
// a file whose timestamps are settled when its content is read will get a
// different ctime from any later write.
const (
	settleFine  = 100 * time.Millisecond
	settleAfter = 2 * time.Second
)

// settleWindow is the settle window for a file observed as a.
func (a fileState) settleWindow() time.Duration {
	if a.mtime%int64(time.Second) != 0 || a.ctime%int64(time.Second) != 0 {
		return settleFine
	}
	return settleAfter
}

// settledAt reports whether stat alone can be trusted for a file observed
// as a, at time now (taken before its content was read).
func (a fileState) settledAt(now time.Time) bool {
	return !a.present || now.UnixNano()-a.newest() >= int64(a.settleWindow())
}

func newDep(path string, st fileState, content []byte, now time.Time) *dep {
	d := &dep{path: path, state: st}
	if st.link != "" {
		if t, err := filepath.EvalSymlinks(path); err == nil {
			d.target = t
		}
	}
	if st.present {
		d.hash = sha256.Sum256(content)
	}
	d.settled.Store(st.settledAt(now))
	return d
}

// fresh reports whether the dependency still looks as it did when compiled.
// While the recorded timestamps are recent (see settleWindow), or when full
// is set, it re-reads and hashes the content, and marks the dependency
// settled once the timestamps are old enough.
func (d *dep) fresh(now time.Time, maxSize int64, full bool) bool {
	return d.freshAs(observe(d.path), now, maxSize, full)
}

// freshAs is fresh with the file observed as cur.
func (d *dep) freshAs(cur fileState, now time.Time, maxSize int64, full bool) bool {
	if !cur.same(d.state) {
		return false
	}
	if !cur.present || (d.settled.Load() && !full) {
		return true
	}
	b, err := readLimited(d.path, maxSize, cur.size)
	if err != nil || sha256.Sum256(b) != d.hash {
		return false
	}
	if cur.settledAt(now) {
		d.settled.Store(true)
	}
	return true
}

// readAllLimited reads at most max bytes of r, failing with ErrTooLarge
// when there is more.
func readAllLimited(r io.Reader, max int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, ErrTooLarge
	}
	return b, nil
}
