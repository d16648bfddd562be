package state

import (
	"context"
	"sync"
	"time"
)

// Memory is a Store kept in process memory. Records are lost when the
// process exits; use it for tests and dry runs.
type Memory struct {
	opts Options

	mu        sync.Mutex
	records   map[memKey]int64 // expiry, Unix seconds
	closed    bool
	nextSweep time.Time
}

var _ Store = (*Memory)(nil)

type memKey struct {
	kind   string
	digest [32]byte
}

// NewMemory returns an empty in-memory Store. At most one Options value may
// be given; Options.Now makes expiry testable without sleeping.
func NewMemory(opts ...Options) *Memory {
	var o Options
	if len(opts) > 0 {
		o = opts[0]
	}
	return &Memory{opts: o.withDefaults(), records: make(map[memKey]int64)}
}

func memKeyOf(key Key) memKey {
	mk := memKey{kind: key.Kind}
	copy(mk.digest[:], digest(key))
	return mk
}

// Seen implements Store.
func (m *Memory) Seen(ctx context.Context, key Key) (bool, error) {
	if err := m.begin(ctx, key, 0, false); err != nil {
		return false, err
	}
	defer m.mu.Unlock()
	exp, ok := m.records[memKeyOf(key)]
	return ok && live(exp, m.opts.Now()), nil
}

// Mark implements Store.
func (m *Memory) Mark(ctx context.Context, key Key, ttl time.Duration) error {
	if err := m.begin(ctx, key, ttl, true); err != nil {
		return err
	}
	defer m.mu.Unlock()
	now := m.opts.Now()
	m.records[memKeyOf(key)] = expiry(now, ttl)
	m.maybeSweep(now)
	return nil
}

// MarkIfAbsent implements Store.
func (m *Memory) MarkIfAbsent(ctx context.Context, key Key, ttl time.Duration) (bool, error) {
	if err := m.begin(ctx, key, ttl, true); err != nil {
		return false, err
	}
	defer m.mu.Unlock()
	now := m.opts.Now()
	mk := memKeyOf(key)
	if exp, ok := m.records[mk]; ok && live(exp, now) {
		return false, nil
	}
	m.records[mk] = expiry(now, ttl)
	m.maybeSweep(now)
	return true, nil
}

// Close implements Store.
func (m *Memory) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.closed = true
	m.records = nil
	return nil
}

// Len returns the number of records held, expired or not.
func (m *Memory) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.records)
}

// begin validates the call and, on success, returns with m.mu held.
func (m *Memory) begin(ctx context.Context, key Key, ttl time.Duration, checkTTL bool) error {
	if err := check(key, ttl, checkTTL); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return unavailable("memory", err)
	}
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return unavailable("memory", ErrClosed)
	}
	return nil
}

// maybeSweep drops up to SweepBatch expired records once per
// SweepInterval. The caller holds m.mu.
func (m *Memory) maybeSweep(now time.Time) {
	if now.Before(m.nextSweep) {
		return
	}
	m.nextSweep = now.Add(m.opts.SweepInterval)
	n := 0
	for k, exp := range m.records {
		if n >= m.opts.SweepBatch {
			break
		}
		n++
		if !live(exp, now) {
			delete(m.records, k)
		}
	}
}
