package scripts

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"
)

// depLoader is the Loader a Cache hands to the compiler. It resolves includes
// inside their IncludeRoots and records every file looked up, found or not,
// so that the compiled program is invalidated when any of them changes or
// appears.
type depLoader struct {
	roots   IncludeRoots
	maxSize int64
	now     time.Time

	mu   sync.Mutex
	deps []*dep
	seen map[string]bool
	// temp is the first failure that was neither "not found" nor the
	// script's fault; a program compiled under it is not cached.
	temp error
}

var _ Loader = (*depLoader)(nil)

func (l *depLoader) record(path string, st fileState, content []byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.seen == nil {
		l.seen = make(map[string]bool)
	}
	if l.seen[path] {
		return // keep the first (oldest) observation: the safe one
	}
	l.seen[path] = true
	l.deps = append(l.deps, newDep(path, st, content, l.now))
}

func (l *depLoader) tempFail(err error) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.temp == nil {
		l.temp = err
	}
	return err
}

// Load implements Loader. A missing include fails with an error wrapping
// fs.ErrNotExist (the compiler decides whether it was :optional, RFC 6609
// §3.2); an include symlinked out of its directory fails with ErrOutsideRoot.
func (l *depLoader) Load(ctx context.Context, global bool, name string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, l.tempFail(err)
	}
	dir, file, err := l.roots.Path(global, name)
	if err != nil {
		return nil, err
	}
	full := joinPath(dir, file)
	// Observe before reading: a change after this point is then always
	// seen as a difference later.
	st := observe(full)
	if !st.present {
		l.record(full, st, nil)
		if st.errno != 0 {
			return nil, l.tempFail(&TempError{Op: "examine include", Path: full, Err: st.errno})
		}
		return nil, fmt.Errorf("include %s: %w", full, fs.ErrNotExist)
	}
	if st.link != "" {
		t, err := filepath.EvalSymlinks(full)
		if err == nil && !within(nil, t, []string{dir}) {
			l.record(full, st, nil)
			return nil, fmt.Errorf("include %s resolves to %s: %w", full, t, ErrOutsideRoot)
		}
	}
	b, err := ReadInRoot(dir, file, l.maxSize)
	switch {
	case err == nil:
		l.record(full, st, b)
		return b, nil
	case missing(err):
		l.record(full, fileState{}, nil)
		return nil, fmt.Errorf("include %s: %w", full, fs.ErrNotExist)
	case errors.Is(err, ErrTooLarge) || errors.Is(err, ErrNotRegular):
		l.record(full, st, nil)
		return nil, fmt.Errorf("include %s: %w", full, err)
	default:
		l.record(full, st, nil)
		return nil, l.tempFail(&TempError{Op: "read include", Path: full, Err: err})
	}
}

// ReadInRoot reads an included script, file inside dir, through
// os.Root, so that no symlink can lead the read outside dir even if it
// changes after a check. It opens with O_NONBLOCK, so that a FIFO in the
// script's place cannot block the open, and refuses anything but a
// regular file (ErrNotRegular) and a file over maxSize (ErrTooLarge).
func ReadInRoot(dir, file string, maxSize int64) ([]byte, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	f, err := root.OpenFile(file, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, ErrNotRegular
	}
	return readAllLimited(f, maxSize)
}
