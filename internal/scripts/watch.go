package scripts

import (
	"errors"
	"log/slog"
	"path/filepath"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"
)

// watchSet keeps fsnotify watches on the directories that cached programs
// depend on. Directories, not files, are watched: editors save by writing a
// new file and renaming it over the old one, and an active-script symlink is
// switched by replacing the link, neither of which a watch on the old file
// would report. It is only an accelerator: Cache.Get checks every
// dependency by stat anyway, so a missed or failed watch costs nothing but
// the case the stat check cannot see (a same-size rewrite within one
// timestamp tick), which the content hash then covers.
type watchSet struct {
	log      *slog.Logger
	debounce time.Duration
	onPath   func(path string) // marks dependents of path suspect
	onAll    func()            // marks everything suspect (event overflow)

	mu      sync.Mutex
	w       *fsnotify.Watcher // nil when watching is off or failed to start
	refs    map[string]int    // directory -> number of entries using it
	added   map[string]bool   // directories with a live watch
	owners  map[uint64][]string
	warned  bool
	timer   *time.Timer
	closed  bool
	stopped chan struct{}
}

func newWatchSet(log *slog.Logger, disable bool, debounce time.Duration, onPath func(string), onAll func()) *watchSet {
	ws := &watchSet{
		log: log, debounce: debounce, onPath: onPath, onAll: onAll,
		refs: make(map[string]int), added: make(map[string]bool),
		owners: make(map[uint64][]string), stopped: make(chan struct{}),
	}
	if disable {
		close(ws.stopped)
		return ws
	}
	w, err := fsnotify.NewWatcher()
	if err != nil {
		ws.warnLocked(err)
		close(ws.stopped)
		return ws
	}
	ws.w = w
	go ws.run(w)
	return ws
}

// warnLocked logs the first watch failure only: after that the cache simply
// relies on its stat checks.
func (ws *watchSet) warnLocked(err error) {
	if ws.warned {
		return
	}
	ws.warned = true
	ws.log.Warn("sieve script watching degraded; relying on stat checks", slog.Any("err", err))
}

func (ws *watchSet) run(w *fsnotify.Watcher) {
	defer close(ws.stopped)
	for {
		select {
		case ev, ok := <-w.Events:
			if !ok {
				return
			}
			// Marking is immediate so the very next delivery recompiles;
			// only the re-adding of watches is debounced.
			ws.onPath(filepath.Clean(ev.Name))
			ws.kick()
		case err, ok := <-w.Errors:
			if !ok {
				return
			}
			if errors.Is(err, fsnotify.ErrEventOverflow) {
				ws.onAll()
			}
			ws.mu.Lock()
			ws.warnLocked(err)
			ws.mu.Unlock()
			ws.kick()
		}
	}
}

// kick schedules a resync after the burst of events has settled.
func (ws *watchSet) kick() {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	if ws.closed {
		return
	}
	if ws.timer == nil {
		ws.timer = time.AfterFunc(ws.debounce, ws.resync)
		return
	}
	ws.timer.Reset(ws.debounce)
}

// resync re-adds watches the kernel dropped, e.g. when a watched directory
// was removed and created again.
func (ws *watchSet) resync() {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	if ws.w == nil || ws.closed {
		return
	}
	live := make(map[string]bool)
	for _, d := range ws.w.WatchList() {
		live[d] = true
	}
	for d := range ws.refs {
		if !live[d] {
			delete(ws.added, d)
			ws.addLocked(d)
		}
	}
}

func (ws *watchSet) addLocked(dir string) {
	if ws.w == nil || ws.added[dir] {
		return
	}
	err := ws.w.Add(dir)
	switch {
	case err == nil:
		ws.added[dir] = true
	case missing(err):
		// A directory that does not exist yet (no ~/sieve): the stat
		// check covers files appearing there.
	default:
		// Typically ENOSPC or EMFILE: the inotify limits are reached.
		ws.warnLocked(err)
	}
}

func (ws *watchSet) dropLocked(dir string) {
	ws.refs[dir]--
	if ws.refs[dir] > 0 {
		return
	}
	delete(ws.refs, dir)
	if ws.added[dir] {
		delete(ws.added, dir)
		if ws.w != nil {
			_ = ws.w.Remove(dir)
		}
	}
}

// set makes owner's watched directories exactly dirs.
func (ws *watchSet) set(owner uint64, dirs []string) {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	if ws.closed {
		return
	}
	for _, d := range dirs {
		ws.refs[d]++
		ws.addLocked(d)
	}
	for _, d := range ws.owners[owner] {
		ws.dropLocked(d)
	}
	if len(dirs) == 0 {
		delete(ws.owners, owner)
	} else {
		ws.owners[owner] = dirs
	}
}

// release drops all of owner's watches.
func (ws *watchSet) release(owner uint64) { ws.set(owner, nil) }

// count is the number of live directory watches.
func (ws *watchSet) count() int {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	return len(ws.added)
}

func (ws *watchSet) close() error {
	ws.mu.Lock()
	if ws.closed {
		ws.mu.Unlock()
		return nil
	}
	ws.closed = true
	if ws.timer != nil {
		ws.timer.Stop()
	}
	w := ws.w
	ws.mu.Unlock()
	var err error
	if w != nil {
		err = w.Close()
	}
	<-ws.stopped
	return err
}
