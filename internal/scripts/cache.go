package scripts

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"
)

// CacheOptions configure a Cache. The zero value is usable.
type CacheOptions struct {
	// MaxEntries bounds the number of compiled scripts kept; the least
	// recently used are evicted beyond it. Default 1000.
	MaxEntries int
	// MaxScriptSize bounds the size of a script or include file read.
	// Default 1 MiB, Pigeonhole's default script size limit.
	MaxScriptSize int64
	// NoWatch turns file watching off; the stat checks alone then detect
	// changes.
	NoWatch bool
	// Debounce delays the re-adding of watches after a burst of events.
	// Default 50ms. Programs are marked suspect without delay.
	Debounce time.Duration
	// Logger receives the few things worth telling an administrator.
	// Default: discard.
	Logger *slog.Logger
	// Now is the clock, for tests. Default time.Now.
	Now func() time.Time
}

// Stats are counters for metrics.
type Stats struct {
	Hits     uint64 // Gets answered from the cache
	Misses   uint64 // Gets that had to compile or wait for a compile
	Compiles uint64 // calls of the CompileFunc
	Errors   uint64 // compiles that failed
	Entries  int    // scripts currently cached
	Watches  int    // directories currently watched
}

// Cache keeps compiled scripts in memory, shared by all deliveries and safe
// for concurrent use.
//
// A cached program depends on the script file and on every file the compiler
// looked up through its Loader, including includes that were not found, so
// that creating a missing optional include invalidates it too. It is
// recompiled when any of them changes:
//
//   - fsnotify watches the directories of all dependencies (for a symlink,
//     both the link's directory and its target's); an event marks the
//     dependents suspect at once, and the next Get compares their content
//     as well as their stat data. This catches what stat cannot see, and a
//     late event for a write the last compile already read costs a hash,
//     not a compile.
//   - At every Get, each dependency is compared by Lstat/Stat: device,
//     inode, size, mode, mtime and ctime (ns), and the symlink target
//     string. This alone guarantees that the next Get after an edit sees
//     it, with or without watches.
//   - Timestamps have a granularity: two writes of equal size within one
//     tick leave every stat field equal (mtime can also be set back by the
//     writer, but ctime cannot). While a dependency's newest timestamp is
//     recent, Get therefore also re-reads it and compares a SHA-256 of its
//     content; once it is older, any later write must move ctime, and stat
//     suffices. "Recent" is 100 ms when the timestamps show a sub-second
//     part (a file system with fine timestamps, where one tick is the
//     kernel's coarse clock, at most 10 ms), and 2 s when they are whole
//     seconds (a file system that may keep 1 s or 2 s timestamps).
//
// A compile error is cached like a program and returned by Get until a
// dependency changes. Failures that may be temporary (a file that cannot be
// read, a cancelled context) are returned but not cached. Nothing is ever
// written to disk.
type Cache[T any] struct {
	compile CompileFunc[T]
	opts    CacheOptions
	log     *slog.Logger
	watch   *watchSet

	mu      sync.Mutex
	entries map[cacheKey]*entry[T]
	lru     *list.List                        // of *entry[T], most recent first
	byPath  map[string]map[*entry[T]]struct{} // dependency or its directory -> dependents
	nextID  uint64

	hits, misses, compiles, errs atomic.Uint64
}

type cacheKey struct {
	path string
	inc  IncludeRoots
}

type entry[T any] struct {
	id  uint64
	key cacheKey
	res *result[T] // last compiled version, nil before the first
	fl  *flight[T] // non-nil while a compile runs
	// suspect is set when a watch event touched a dependency: the next
	// Get compares content hashes too, and recompiles only if they differ.
	// An event for a write the compile already saw thus costs no compile.
	suspect bool
	gen     uint64 // counts events, so a verify cannot clear a newer one
	elem    *list.Element
	paths   []string // keys of byPath this entry is registered under
}

// result is one compiled version; immutable once published.
type result[T any] struct {
	val    T
	err    error
	deps   []*dep
	cached bool // false: returned once, never kept
}

type flight[T any] struct {
	done chan struct{}
	res  *result[T]
}

// NewCache returns a Cache that compiles with compile.
func NewCache[T any](compile CompileFunc[T], opts CacheOptions) *Cache[T] {
	if opts.MaxEntries <= 0 {
		opts.MaxEntries = 1000
	}
	if opts.MaxScriptSize <= 0 {
		opts.MaxScriptSize = 1 << 20
	}
	if opts.Debounce <= 0 {
		opts.Debounce = 50 * time.Millisecond
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c := &Cache[T]{
		compile: compile, opts: opts, log: log,
		entries: make(map[cacheKey]*entry[T]),
		lru:     list.New(),
		byPath:  make(map[string]map[*entry[T]]struct{}),
	}
	c.watch = newWatchSet(log, opts.NoWatch, opts.Debounce, c.markPath, c.markAll)
	return c
}

// Close stops watching. The cache must not be used afterwards.
func (c *Cache[T]) Close() error { return c.watch.close() }

// Stats returns the current counters.
func (c *Cache[T]) Stats() Stats {
	c.mu.Lock()
	n := len(c.entries)
	c.mu.Unlock()
	return Stats{
		Hits: c.hits.Load(), Misses: c.misses.Load(),
		Compiles: c.compiles.Load(), Errors: c.errs.Load(),
		Entries: n, Watches: c.watch.count(),
	}
}

// Get returns the program compiled from the script at path, with includes
// resolved in inc, compiling it if no current version is cached. Concurrent
// first requests for the same script wait for a single compile. The error is
// the compile error (cached), a *TempError, or the context's error.
//
// A path that is a symlink is followed; pass the configured path
// (Script.Path), not its target, so that switching the link is noticed.
func (c *Cache[T]) Get(ctx context.Context, path string, inc IncludeRoots) (T, error) {
	k := cacheKey{path: filepath.Clean(path), inc: inc}
	for {
		c.mu.Lock()
		e := c.entries[k]
		if e == nil {
			e = c.newEntryLocked(k)
		}
		c.lru.MoveToFront(e.elem)
		if fl := e.fl; fl != nil {
			c.mu.Unlock()
			select {
			case <-fl.done:
			case <-ctx.Done():
				var zero T
				return zero, ctx.Err()
			}
			if fl.res.cached {
				c.misses.Add(1)
				return fl.res.val, fl.res.err
			}
			continue // the compiler's own failure, e.g. its ctx; try ourselves
		}
		if res := e.res; res != nil {
			suspect, gen := e.suspect, e.gen
			c.mu.Unlock()
			if c.fresh(res, suspect) {
				if suspect {
					c.mu.Lock()
					if e.res == res && e.gen == gen {
						e.suspect = false
					}
					c.mu.Unlock()
				}
				c.hits.Add(1)
				return res.val, res.err
			}
			c.mu.Lock()
			if e.res != res || e.fl != nil || c.entries[k] != e {
				c.mu.Unlock()
				continue // recompiled or evicted meanwhile: look again
			}
		}
		fl := &flight[T]{done: make(chan struct{})}
		e.fl = fl
		e.suspect = false // an event during the compile sets it again
		c.mu.Unlock()
		c.misses.Add(1)
		res := c.run(ctx, e, fl)
		return res.val, res.err
	}
}

func (c *Cache[T]) newEntryLocked(k cacheKey) *entry[T] {
	c.nextID++
	e := &entry[T]{id: c.nextID, key: k}
	e.elem = c.lru.PushFront(e)
	c.entries[k] = e
	c.evictLocked(e)
	return e
}

// evictLocked drops least recently used entries beyond MaxEntries; keep
// (the entry just created) and entries being compiled are skipped.
func (c *Cache[T]) evictLocked(keep *entry[T]) {
	for el := c.lru.Back(); el != nil && c.lru.Len() > c.opts.MaxEntries; {
		e := el.Value.(*entry[T])
		prev := el.Prev()
		if e.fl == nil && e != keep {
			c.lru.Remove(el)
			delete(c.entries, e.key)
			c.unindexLocked(e)
			// Lock order is c.mu, then the watch lock; the watcher
			// never takes c.mu while holding its own.
			c.watch.release(e.id)
		}
		el = prev
	}
}

// fresh runs the stat safety net over every dependency; with full set it
// compares the content of every present dependency as well.
func (c *Cache[T]) fresh(res *result[T], full bool) bool {
	now := c.opts.Now()
	for _, d := range res.deps {
		if !d.fresh(now, c.opts.MaxScriptSize, full) {
			return false
		}
	}
	return true
}

// run compiles e under flight fl and publishes the result.
func (c *Cache[T]) run(ctx context.Context, e *entry[T], fl *flight[T]) (res *result[T]) {
	defer func() {
		if res == nil { // build panicked: waiters must still be released
			res = &result[T]{err: fmt.Errorf("compile %s: internal error", e.key.path)}
		}
		c.mu.Lock()
		if res.cached {
			c.unindexLocked(e)
			e.res = res
			c.indexLocked(e)
		}
		e.fl = nil
		fl.res = res
		close(fl.done)
		c.evictLocked(e) // entries skipped while they compiled
		c.mu.Unlock()
	}()
	res = c.build(ctx, e.key)
	if res.cached {
		c.watch.set(e.id, watchDirs(res.deps))
	}
	return res
}

// build reads and compiles one script. It never panics: a panicking
// compiler is reported as a compile error, since the same input would make
// it panic again.
func (c *Cache[T]) build(ctx context.Context, k cacheKey) *result[T] {
	now := c.opts.Now()
	st := observe(k.path)
	if !st.present {
		d := newDep(k.path, st, nil, now)
		if st.errno != 0 {
			return &result[T]{err: &TempError{Op: "examine script", Path: k.path, Err: st.errno}}
		}
		return &result[T]{err: fmt.Errorf("script %s: %w", k.path, fs.ErrNotExist), deps: []*dep{d}, cached: true}
	}
	if !st.mode.IsRegular() {
		return &result[T]{err: fmt.Errorf("script %s: %w", k.path, ErrNotRegular), deps: []*dep{newDep(k.path, st, nil, now)}, cached: true}
	}
	src, err := readLimited(k.path, c.opts.MaxScriptSize, st.size)
	switch {
	case errors.Is(err, ErrTooLarge):
		return &result[T]{err: fmt.Errorf("script %s: %w", k.path, err), deps: []*dep{newDep(k.path, st, nil, now)}, cached: true}
	case err != nil:
		return &result[T]{err: &TempError{Op: "read script", Path: k.path, Err: err}}
	}
	ld := &depLoader{roots: k.inc, maxSize: c.opts.MaxScriptSize, now: now}
	ld.record(k.path, st, src)
	c.compiles.Add(1)
	val, err := c.safeCompile(ctx, k.path, src, ld)
	ld.mu.Lock()
	deps, temp := ld.deps, ld.temp
	ld.mu.Unlock()
	if temp != nil {
		return &result[T]{err: temp}
	}
	if err != nil && ctx.Err() != nil {
		return &result[T]{err: err}
	}
	if err != nil {
		c.errs.Add(1)
	}
	return &result[T]{val: val, err: err, deps: deps, cached: true}
}

func (c *Cache[T]) safeCompile(ctx context.Context, name string, src []byte, ld Loader) (val T, err error) {
	defer func() {
		if p := recover(); p != nil {
			c.log.Error("sieve compiler panicked", slog.String("script", name), slog.Any("panic", p))
			var zero T
			val, err = zero, fmt.Errorf("compile %s: internal error: %v", name, p)
		}
	}()
	return c.compile(ctx, name, src, ld)
}

// watchDirs lists the directories to watch for deps: each dependency's
// directory and, for a symlink, its target's directory too.
func watchDirs(deps []*dep) []string {
	seen := make(map[string]bool)
	var out []string
	add := func(p string) {
		if d := filepath.Dir(p); !seen[d] {
			seen[d] = true
			out = append(out, d)
		}
	}
	for _, d := range deps {
		add(d.path)
		if d.target != "" {
			add(d.target)
		}
	}
	return out
}

// indexLocked registers e under the paths whose events concern it: each
// dependency, a symlink's target, and their directories (for a directory
// that is itself removed or renamed).
func (c *Cache[T]) indexLocked(e *entry[T]) {
	seen := make(map[string]bool)
	add := func(p string) {
		if p == "" || seen[p] {
			return
		}
		seen[p] = true
		m := c.byPath[p]
		if m == nil {
			m = make(map[*entry[T]]struct{})
			c.byPath[p] = m
		}
		m[e] = struct{}{}
		e.paths = append(e.paths, p)
	}
	for _, d := range e.res.deps {
		add(d.path)
		add(filepath.Dir(d.path))
		if d.target != "" {
			add(d.target)
			add(filepath.Dir(d.target))
		}
	}
}

func (c *Cache[T]) unindexLocked(e *entry[T]) {
	for _, p := range e.paths {
		if m := c.byPath[p]; m != nil {
			delete(m, e)
			if len(m) == 0 {
				delete(c.byPath, p)
			}
		}
	}
	e.paths = nil
}

// markPath marks every entry depending on path suspect.
func (c *Cache[T]) markPath(path string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for e := range c.byPath[path] {
		e.suspect = true
		e.gen++
	}
}

// markAll marks every entry suspect, after the watcher lost events.
func (c *Cache[T]) markAll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, e := range c.entries {
		e.suspect = true
		e.gen++
	}
}
