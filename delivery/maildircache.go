package delivery

import (
	"container/list"

	"github.com/sluice-mail/sluice/maildir"
)

// DefaultMaxOpenMaildirs is how many Maildirs a MaildirStore keeps open
// between deliveries when MaxOpen is zero.
const DefaultMaxOpenMaildirs = 128

// mdKey is what makes two opened Maildirs interchangeable: the mail root
// and the options that differ between recipients of one store.
type mdKey struct {
	root   string
	layout maildir.Layout
	quota  maildir.Quota
}

// mdHandle is one cached Maildir. refs counts the deliveries using it; an
// evicted handle is closed when the last of them releases it.
type mdHandle struct {
	key     mdKey
	md      *maildir.Maildir
	close   func()
	refs    int
	evicted bool
	elem    *list.Element
}

// mdCache keeps the most recently used Maildirs of a store open, so that a
// delivery does not create and examine the root, its tmp/, new/ and cur/,
// and open an os.Root, every time. Its fields are guarded by the store's
// mu.
type mdCache struct {
	handles map[mdKey]*mdHandle
	lru     list.List // of *mdHandle, most recent first
}

// acquire opens the Maildir for key through openFresh, or takes the cached
// one when the root still names the directory it has open. release must be
// called once the delivery is done with it.
func (s *MaildirStore) acquire(key mdKey, openFresh func() (*maildir.Maildir, func(), error)) (*maildir.Maildir, func(), error) {
	s.mu.Lock()
	h := s.mds.handles[key]
	if h != nil {
		h.refs++
		s.mds.lru.MoveToFront(h.elem)
	}
	s.mu.Unlock()
	if h != nil {
		// The root may have been removed or replaced since it was opened
		// (a user recreated): a delivery must land where readers look.
		if !h.md.Stale() {
			return h.md, func() { s.release(h) }, nil
		}
		s.mu.Lock()
		s.dropLocked(h)
		s.mu.Unlock()
		s.release(h)
	}
	md, closeMD, err := openFresh()
	if err != nil {
		return nil, nil, err
	}
	h = &mdHandle{key: key, md: md, close: closeMD, refs: 1}
	s.mu.Lock()
	if s.mds.handles == nil {
		s.mds.handles = make(map[mdKey]*mdHandle)
	}
	if old := s.mds.handles[key]; old != nil {
		s.dropLocked(old) // opened concurrently: the newer one stays
	}
	s.mds.handles[key] = h
	h.elem = s.mds.lru.PushFront(h)
	max := s.MaxOpen
	if max == 0 {
		max = DefaultMaxOpenMaildirs
	}
	for s.mds.lru.Len() > max {
		s.dropLocked(s.mds.lru.Back().Value.(*mdHandle))
	}
	s.mu.Unlock()
	return md, func() { s.release(h) }, nil
}

// dropLocked removes h from the cache; it is closed now if unused, else by
// its last release.
func (s *MaildirStore) dropLocked(h *mdHandle) {
	if h.evicted {
		return
	}
	h.evicted = true
	s.mds.lru.Remove(h.elem)
	if s.mds.handles[h.key] == h {
		delete(s.mds.handles, h.key)
	}
	if h.refs == 0 {
		h.close()
	}
}

// release ends a delivery's use of h. With PrepareFiles, a Maildir that
// stays open prepares the file of its next delivery meanwhile (see
// maildir.Maildir.Prepare).
func (s *MaildirStore) release(h *mdHandle) {
	s.mu.Lock()
	h.refs--
	evicted := h.evicted
	if h.refs == 0 && evicted {
		h.close()
	}
	s.mu.Unlock()
	if !evicted && s.PrepareFiles {
		h.md.Prepare()
	}
}

// Close closes the Maildirs the store keeps open. Deliveries still running
// close theirs when they end; the store may be used again afterwards.
func (s *MaildirStore) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for s.mds.lru.Len() > 0 {
		s.dropLocked(s.mds.lru.Back().Value.(*mdHandle))
	}
	return nil
}
