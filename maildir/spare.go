package maildir

import (
	"sync"
	"time"
)

// spareIdle is how long a prepared file waits for a delivery before it is
// closed. An open file keeps its filesystem busy (no read-only remount,
// no unmount), so it must not outlive a burst of deliveries by much.
const spareIdle = time.Second

// spareFile is the unnamed file opened ahead of a Maildir's next delivery
// (see Maildir.Prepare).
type spareFile struct {
	mu        sync.Mutex
	f         File
	preparing bool
	closed    bool
}

// Prepare opens, in the background, the unnamed file the next delivery
// will write its message to (see [TempFS]), so that creating it, an inode
// allocation that can cost a good part of a small delivery, overlaps with
// whatever the caller does meanwhile: receiving the next message, say. It
// does nothing when the filesystem has no unnamed files or a file is
// already waiting. A file no delivery takes within a second is closed, as
// is one still waiting at [Maildir.Close]; being unnamed, it leaves
// nothing on disk even if the process dies.
//
// A caller that keeps a Maildir open between deliveries calls it after
// each one.
func (m *Maildir) Prepare() {
	tfs, ok := m.fs.(TempFS)
	if !ok || m.noTemp.Load() {
		return
	}
	s := &m.spare
	s.mu.Lock()
	if s.f != nil || s.preparing || s.closed {
		s.mu.Unlock()
		return
	}
	s.preparing = true
	s.mu.Unlock()
	go func() {
		f, err := tfs.OpenTemp("tmp", m.opts.FileMode)
		s.mu.Lock()
		s.preparing = false
		if err == nil && s.f == nil && !s.closed {
			s.f = f
			s.mu.Unlock()
			time.AfterFunc(spareIdle, func() { m.dropSpare(f) })
			return
		}
		s.mu.Unlock()
		if f != nil {
			f.Close()
		}
	}()
}

// takeSpare returns the prepared unnamed file, or nil.
func (m *Maildir) takeSpare() File {
	s := &m.spare
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.f
	s.f = nil
	return f
}

// dropSpare closes f if it is still the prepared file.
func (m *Maildir) dropSpare(f File) {
	s := &m.spare
	s.mu.Lock()
	if s.f != f {
		s.mu.Unlock()
		return
	}
	s.f = nil
	s.mu.Unlock()
	f.Close()
}

// closeSpare frees the prepared file and stops preparing more.
func (m *Maildir) closeSpare() {
	s := &m.spare
	s.mu.Lock()
	f := s.f
	s.f, s.closed = nil, true
	s.mu.Unlock()
	if f != nil {
		f.Close()
	}
}
