package userdb

import (
	"fmt"
	"os"
	"sync"
	"syscall"
	"time"
)

// checkInterval is how often a cached file is stat'ed for changes.
const checkInterval = time.Second

// fileCache holds the parsed contents of a file and parses it again when
// its mtime, size, inode or ctime changes. The file is stat'ed at most once per
// checkInterval, at lookup time; it is safe for concurrent use.
type fileCache[T any] struct {
	path  string
	parse func(data []byte) (T, error)
	now   func() time.Time

	mu      sync.Mutex
	checked time.Time
	sig     fileSig
	val     T
	ok      bool // val is the parse of the file described by sig
}

type fileSig struct {
	mtime time.Time
	size  int64
	ino   uint64
	ctime int64 // ns; cannot be set by users, so it catches touch -d
}

func newFileCache[T any](path string, parse func([]byte) (T, error)) *fileCache[T] {
	return &fileCache[T]{path: path, parse: parse, now: time.Now}
}

// get returns the current contents. Errors (the file is missing,
// unreadable or does not parse) are returned to the caller, which treats
// them as temporary; the next call after checkInterval tries again.
func (c *fileCache[T]) get() (T, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	if c.ok && !now.Before(c.checked) && now.Sub(c.checked) < checkInterval {
		return c.val, nil
	}
	c.checked = now
	fi, err := os.Stat(c.path)
	if err != nil {
		c.ok = false
		var zero T
		return zero, err
	}
	sig := fileSig{mtime: fi.ModTime(), size: fi.Size()}
	if st, isUnix := fi.Sys().(*syscall.Stat_t); isUnix {
		sig.ino, sig.ctime = uint64(st.Ino), st.Ctim.Nano()
	}
	if c.ok && sig == c.sig {
		return c.val, nil
	}
	data, err := os.ReadFile(c.path)
	if err != nil {
		c.ok = false
		var zero T
		return zero, err
	}
	val, err := c.parse(data)
	if err != nil {
		c.ok = false
		var zero T
		return zero, fmt.Errorf("%s: %w", c.path, err)
	}
	c.val, c.sig, c.ok = val, sig, true
	return val, nil
}
