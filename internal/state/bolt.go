package state

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// Bolt is a Store kept in one bbolt file: a bucket per Kind, keys are the
// SHA-256 digests of (user, id), values the expiry as 8-byte big-endian Unix
// seconds. A bucket named "\x00sweep" remembers where the bounded sweep of
// expired records stopped, so that short-lived processes share the work.
//
// bbolt takes an exclusive flock on the file for as long as it is open.
// By default Bolt opens the file for each operation and closes it right
// after, so that concurrent LDA processes and a running LMTP server can all
// use one file; a process that cannot get the lock within
// Options.LockTimeout gets an error wrapping ErrLocked and ErrUnavailable
// instead of waiting forever. With Options.HoldOpen the file stays open
// (and locked) until Close.
type Bolt struct {
	path string
	opts Options

	mu        sync.Mutex // serialises operations; guards the fields below
	db        *bolt.DB   // non-nil only with HoldOpen
	closed    bool
	nextSweep time.Time
}

var _ Store = (*Bolt)(nil)

// sweepBucket holds, per kind, the key the next sweep starts from. Its name
// cannot be a valid Kind.
var sweepBucket = []byte("\x00sweep")

// OpenBolt opens (creating it with mode 0600 if needed) the state file at
// path and checks that it is a valid database. Waiting for the file lock is
// bounded by Options.LockTimeout.
func OpenBolt(path string, opts Options) (*Bolt, error) {
	b := &Bolt{path: path, opts: opts.withDefaults()}
	db, err := b.open(context.Background())
	if err != nil {
		return nil, err
	}
	if b.opts.HoldOpen {
		b.db = db
		return b, nil
	}
	if err := db.Close(); err != nil {
		return nil, unavailable("close "+path, err)
	}
	return b, nil
}

// open opens the file, translating bbolt's errors.
func (b *Bolt) open(ctx context.Context) (db *bolt.DB, err error) {
	if err := ctx.Err(); err != nil {
		return nil, unavailable("open "+b.path, err)
	}
	timeout := b.opts.LockTimeout
	if dl, ok := ctx.Deadline(); ok {
		if left := time.Until(dl); left < timeout {
			timeout = left
		}
	}
	if timeout <= 0 {
		return nil, unavailable("open "+b.path, context.DeadlineExceeded)
	}
	defer func() {
		// bbolt may panic on some malformed files rather than fail.
		if r := recover(); r != nil {
			db, err = nil, fmt.Errorf("state: open %s: %w: %w: %v", b.path, ErrUnavailable, ErrCorrupt, r)
		}
	}()
	// A zero bolt.Options.Timeout would wait for the lock forever.
	db, err = bolt.Open(b.path, 0o600, &bolt.Options{Timeout: timeout})
	switch {
	case err == nil:
		return db, nil
	case errors.Is(err, bolterrors.ErrTimeout):
		return nil, fmt.Errorf("state: open %s: %w: %w (waited %s)", b.path, ErrUnavailable, ErrLocked, timeout)
	case errors.Is(err, bolterrors.ErrInvalid), errors.Is(err, bolterrors.ErrChecksum),
		errors.Is(err, bolterrors.ErrVersionMismatch), errors.Is(err, bolterrors.ErrInvalidMapping):
		return nil, fmt.Errorf("state: open %s: %w: %w: %w", b.path, ErrUnavailable, ErrCorrupt, err)
	default:
		return nil, unavailable("open "+b.path, err)
	}
}

// do runs fn in a transaction, opening the file first unless it is held
// open.
func (b *Bolt) do(ctx context.Context, writable bool, fn func(tx *bolt.Tx, now time.Time) error) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return unavailable(b.path, ErrClosed)
	}
	db := b.db
	if db == nil {
		var err error
		if db, err = b.open(ctx); err != nil {
			return err
		}
		defer db.Close()
	} else if err := ctx.Err(); err != nil {
		return unavailable(b.path, err)
	}
	return b.run(db, writable, fn)
}

func (b *Bolt) run(db *bolt.DB, writable bool, fn func(tx *bolt.Tx, now time.Time) error) (err error) {
	defer func() {
		// A damaged page can make bbolt panic inside a transaction; bbolt
		// rolls the transaction back, and the delivery gets a temporary error.
		if r := recover(); r != nil {
			err = fmt.Errorf("state: %s: %w: %w: %v", b.path, ErrUnavailable, ErrCorrupt, r)
		}
	}()
	now := b.opts.Now()
	txfn := func(tx *bolt.Tx) error { return fn(tx, now) }
	if writable {
		err = db.Update(txfn)
	} else {
		err = db.View(txfn)
	}
	if err != nil {
		return unavailable(b.path, err)
	}
	return nil
}

// Seen implements Store.
func (b *Bolt) Seen(ctx context.Context, key Key) (bool, error) {
	if err := check(key, 0, false); err != nil {
		return false, err
	}
	var seen bool
	err := b.do(ctx, false, func(tx *bolt.Tx, now time.Time) error {
		bk := tx.Bucket([]byte(key.Kind))
		if bk == nil {
			return nil
		}
		exp, ok := decodeExpiry(bk.Get(digest(key)))
		seen = ok && live(exp, now)
		return nil
	})
	return seen, err
}

// Mark implements Store.
func (b *Bolt) Mark(ctx context.Context, key Key, ttl time.Duration) error {
	if err := check(key, ttl, true); err != nil {
		return err
	}
	return b.do(ctx, true, func(tx *bolt.Tx, now time.Time) error {
		bk, err := tx.CreateBucketIfNotExists([]byte(key.Kind))
		if err != nil {
			return err
		}
		if err := bk.Put(digest(key), encodeExpiry(expiry(now, ttl))); err != nil {
			return err
		}
		return b.maybeSweep(tx, now)
	})
}

// MarkIfAbsent implements Store. The test and the set happen in one bbolt
// write transaction, which excludes every other writer in this process and,
// through the file lock, in every other process.
func (b *Bolt) MarkIfAbsent(ctx context.Context, key Key, ttl time.Duration) (bool, error) {
	if err := check(key, ttl, true); err != nil {
		return false, err
	}
	var absent bool
	err := b.do(ctx, true, func(tx *bolt.Tx, now time.Time) error {
		absent = false
		bk, err := tx.CreateBucketIfNotExists([]byte(key.Kind))
		if err != nil {
			return err
		}
		d := digest(key)
		if exp, ok := decodeExpiry(bk.Get(d)); ok && live(exp, now) {
			return nil
		}
		if err := bk.Put(d, encodeExpiry(expiry(now, ttl))); err != nil {
			return err
		}
		absent = true
		return b.maybeSweep(tx, now)
	})
	if err != nil {
		return false, err
	}
	return absent, nil
}

// Sweep removes expired records, examining at most Options.SweepBatch of
// them, and reports how many it removed. Writes call it on their own once
// per Options.SweepInterval; a caller may also run it from a timer.
func (b *Bolt) Sweep(ctx context.Context) (int, error) {
	var removed int
	err := b.do(ctx, true, func(tx *bolt.Tx, now time.Time) error {
		var err error
		removed, err = sweep(tx, now, b.opts.SweepBatch)
		return err
	})
	return removed, err
}

// Close implements Store.
func (b *Bolt) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil
	}
	b.closed = true
	if b.db != nil {
		if err := b.db.Close(); err != nil {
			return unavailable("close "+b.path, err)
		}
	}
	return nil
}

// maybeSweep runs a bounded sweep once per SweepInterval. The caller holds
// b.mu.
func (b *Bolt) maybeSweep(tx *bolt.Tx, now time.Time) error {
	if now.Before(b.nextSweep) {
		return nil
	}
	b.nextSweep = now.Add(b.opts.SweepInterval)
	_, err := sweep(tx, now, b.opts.SweepBatch)
	return err
}

// sweep examines up to budget records, continuing in each kind from where
// the last sweep (of any process) stopped, and deletes the expired ones.
func sweep(tx *bolt.Tx, now time.Time, budget int) (int, error) {
	var kinds [][]byte
	err := tx.ForEach(func(name []byte, _ *bolt.Bucket) error {
		if !bytes.Equal(name, sweepBucket) {
			kinds = append(kinds, bytes.Clone(name))
		}
		return nil
	})
	if err != nil || len(kinds) == 0 {
		return 0, err
	}
	cursors, err := tx.CreateBucketIfNotExists(sweepBucket)
	if err != nil {
		return 0, err
	}
	removed := 0
	for _, kind := range kinds {
		if budget <= 0 {
			break
		}
		bk := tx.Bucket(kind)
		var expired [][]byte
		c := bk.Cursor()
		k, v := c.First()
		if start := cursors.Get(kind); start != nil {
			k, v = c.Seek(start)
		}
		for ; k != nil && budget > 0; k, v = c.Next() {
			budget--
			if exp, ok := decodeExpiry(v); !ok || !live(exp, now) {
				expired = append(expired, bytes.Clone(k))
			}
		}
		// Remember where to go on; at the end of the bucket start over.
		if k != nil {
			err = cursors.Put(kind, bytes.Clone(k))
		} else {
			err = cursors.Delete(kind)
		}
		if err != nil {
			return removed, err
		}
		for _, k := range expired {
			if err := bk.Delete(k); err != nil {
				return removed, err
			}
			removed++
		}
	}
	return removed, nil
}

func encodeExpiry(exp int64) []byte {
	return binary.BigEndian.AppendUint64(nil, uint64(exp))
}

// decodeExpiry reads a stored expiry; a value of the wrong size counts as
// absent (and expired, so that a sweep removes it).
func decodeExpiry(v []byte) (int64, bool) {
	if len(v) != 8 {
		return 0, false
	}
	return int64(binary.BigEndian.Uint64(v)), true
}
