// Package filecache keeps the parsed contents of a small file (a user
// database, a list of addresses) and parses it again when the file
// changes: when its size, modification time, inode or status change time
// differs from the parsed version's (see package fileid: an edit with the
// mtime put back is still seen).
package filecache

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/sluice-mail/sluice/internal/fileid"
)

// ErrNotRegular is returned for a path that is not a regular file (a FIFO
// there would block the read, a device would never end).
var ErrNotRegular = errors.New("not a regular file")

// Cache holds the parse of one file. It is safe for concurrent use.
type Cache[T any] struct {
	path  string
	every time.Duration
	parse func(data []byte) (T, error)
	now   func() time.Time

	mu      sync.Mutex
	checked time.Time
	ver     version
	val     T
	ok      bool // val is the parse of the file version ver
}

// version is what tells two versions of the file apart.
type version struct {
	size  int64
	mtime time.Time
	id    fileid.ID
}

func versionOf(fi fs.FileInfo) version {
	return version{size: fi.Size(), mtime: fi.ModTime(), id: fileid.Of(fi)}
}

// New returns a cache of the file at path, parsed by parse. Get looks at
// the file at most once per every (0: at every call).
func New[T any](path string, every time.Duration, parse func([]byte) (T, error)) *Cache[T] {
	return &Cache[T]{path: path, every: every, parse: parse, now: time.Now}
}

// SetClock replaces the clock that spaces the looks at the file (tests).
func (c *Cache[T]) SetClock(now func() time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = now
}

// Get returns the parse of the file as it is now (or as it was at most
// every ago). An error (the file is missing, unreadable, not a regular
// file, or does not parse) is returned as it is, for the caller to judge;
// the next call tries again.
func (c *Cache[T]) Get() (T, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	if c.ok && c.every > 0 && !now.Before(c.checked) && now.Sub(c.checked) < c.every {
		return c.val, nil
	}
	c.checked = now
	val, err := c.load()
	if err != nil {
		c.ok = false
		var zero T
		return zero, err
	}
	return val, nil
}

// load reads and parses the file unless it is the version already parsed.
func (c *Cache[T]) load() (T, error) {
	var zero T
	// The common case, an unchanged file, costs one stat.
	if fi, err := os.Stat(c.path); err == nil && c.ok && fi.Mode().IsRegular() && versionOf(fi) == c.ver {
		return c.val, nil
	}
	// O_NONBLOCK: a FIFO in the file's place must not block the open.
	f, err := os.OpenFile(c.path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return zero, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return zero, err
	}
	if !fi.Mode().IsRegular() {
		return zero, &fs.PathError{Op: "read", Path: c.path, Err: ErrNotRegular}
	}
	ver := versionOf(fi)
	if c.ok && ver == c.ver {
		return c.val, nil
	}
	data, err := io.ReadAll(f)
	if err != nil {
		return zero, err
	}
	val, err := c.parse(data)
	if err != nil {
		return zero, fmt.Errorf("%s: %w", c.path, err)
	}
	c.val, c.ver, c.ok = val, ver, true
	return val, nil
}
