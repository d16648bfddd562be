package maildir

import "sync"

// groupSync shares directory fsyncs between concurrent deliveries into
// the same directory (group commit). A delivery is acknowledged only after
// an fsync of its directory that started after its rename: a caller either
// starts an fsync itself, or joins the one batch that is waiting for the
// fsync in progress to end and has not started yet. Every caller of a
// batch gets that batch's fsync error, so a failed fsync fails every
// delivery it was meant to cover.
//
// The zero value is ready to use.
type groupSync struct {
	mu   sync.Mutex
	dirs map[string]*dirSync
}

// dirSync is the state of one directory: the fsync running, and the batch
// that will run after it.
type dirSync struct {
	running *syncBatch // nil when no fsync of the directory runs
	next    *syncBatch // collects callers while running is in progress
}

// syncBatch is one fsync and the callers it covers.
type syncBatch struct {
	done chan struct{} // closed when err is set
	err  error
}

// sync returns once an fsync of dir (by fsync) that started after this
// call was made has ended, with that fsync's error.
func (g *groupSync) sync(dir string, fsync func(string) error) error {
	g.mu.Lock()
	if g.dirs == nil {
		g.dirs = make(map[string]*dirSync)
	}
	d := g.dirs[dir]
	if d == nil {
		d = &dirSync{}
		g.dirs[dir] = d
	}
	if b := d.next; b != nil {
		// b has not started: its fsync will cover what this caller did
		// before calling.
		g.mu.Unlock()
		<-b.done
		return b.err
	}
	b := &syncBatch{done: make(chan struct{})}
	prev := d.running
	if prev == nil {
		d.running = b
	} else {
		// An fsync is in progress, and it may have started before this
		// caller's rename: lead the next one, open to callers until the
		// current one ends.
		d.next = b
	}
	g.mu.Unlock()

	if prev != nil {
		<-prev.done
		g.mu.Lock()
		d.next = nil // from here on, callers need an fsync after this one
		d.running = b
		g.mu.Unlock()
	}
	b.err = fsync(dir)

	g.mu.Lock()
	d.running = nil
	if d.next == nil && g.dirs[dir] == d {
		delete(g.dirs, dir)
	}
	g.mu.Unlock()
	close(b.done)
	return b.err
}
