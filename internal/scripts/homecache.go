package scripts

import (
	"path/filepath"
	"sync"
	"time"
)

// homeCache remembers where users' home directories resolve to, across
// deliveries. The directories above a home, and the home's own entry in
// its parent, belong to the administrator and rarely change; resolving
// them anew for every recipient of every message costs one lstat per path
// component. A short lifetime bounds how long a moved home goes unnoticed.
// Nothing below a home is remembered: see resolver.
//
// Only successful resolutions are kept, so a home that does not exist yet
// is looked at again at the next delivery. Safe for concurrent use.
type homeCache struct {
	max int
	ttl time.Duration
	now func() time.Time

	mu sync.Mutex
	m  map[string]homeEntry
}

type homeEntry struct {
	real    string
	expires time.Time
}

// Limits of the process-wide cache.
const (
	homeCacheMax = 1024
	homeCacheTTL = 5 * time.Second
)

// homes is the process-wide home cache used by Layout.Chain.
var homes = newHomeCache(homeCacheMax, homeCacheTTL, time.Now)

func newHomeCache(max int, ttl time.Duration, now func() time.Time) *homeCache {
	return &homeCache{max: max, ttl: ttl, now: now, m: make(map[string]homeEntry)}
}

// resolve returns filepath.EvalSymlinks(home), from memory while a
// remembered answer is younger than the lifetime. home must be clean and
// absolute.
func (c *homeCache) resolve(home string) (string, error) {
	now := c.now()
	c.mu.Lock()
	e, ok := c.m[home]
	c.mu.Unlock()
	if ok && now.Before(e.expires) {
		return e.real, nil
	}
	real, err := filepath.EvalSymlinks(home)
	if err != nil {
		c.forget(home)
		return "", err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[home]; !ok && len(c.m) >= c.max {
		c.evictLocked(now)
	}
	c.m[home] = homeEntry{real: real, expires: now.Add(c.ttl)}
	return real, nil
}

func (c *homeCache) forget(home string) {
	c.mu.Lock()
	delete(c.m, home)
	c.mu.Unlock()
}

// evictLocked makes room for one entry: expired entries go first, then
// arbitrary ones (map order), which only costs their next lookup.
func (c *homeCache) evictLocked(now time.Time) {
	for k, e := range c.m {
		if !now.Before(e.expires) {
			delete(c.m, k)
		}
	}
	for k := range c.m {
		if len(c.m) < c.max {
			break
		}
		delete(c.m, k)
	}
}

func (c *homeCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m)
}
