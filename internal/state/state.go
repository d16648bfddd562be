package state

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// Store records keys with an expiry. Implementations are safe for concurrent
// use. The interface maps onto a key-value server with expiring keys
// (Redis: Seen = EXISTS, Mark = SET PX, MarkIfAbsent = SET NX PX).
type Store interface {
	// Seen reports whether key is recorded and not expired.
	Seen(ctx context.Context, key Key) (bool, error)
	// Mark records key until now+ttl, replacing any earlier expiry.
	Mark(ctx context.Context, key Key, ttl time.Duration) error
	// MarkIfAbsent records key until now+ttl if it is not recorded (or has
	// expired) and reports whether it was absent. It is an atomic
	// test-and-set: of several concurrent calls for one key, exactly one
	// reports true.
	MarkIfAbsent(ctx context.Context, key Key, ttl time.Duration) (bool, error)
	// Close releases the store. Calls after Close fail with ErrUnavailable.
	Close() error
}

// Kinds of record used by sluice.
const (
	KindVacation  = "vacation"
	KindRedirect  = "redirect"
	KindDuplicate = "duplicate"
	KindNotify    = "notify"
)

// Key names one record. User and ID are hashed before they are stored.
type Key struct {
	// User is the mail user the record belongs to.
	User string
	// Kind is the record family: one of the Kind constants, or another
	// short name made of a-z, 0-9, '-' and '_'.
	Kind string
	// ID identifies the record within the user's kind, e.g. the sender
	// address of a vacation reply or "<message-id> <target>" of a redirect.
	ID string
}

var (
	// ErrUnavailable is wrapped by every error about the store itself (a
	// lock held too long, I/O trouble, a corrupt or closed store). Callers
	// treat it as a temporary failure.
	ErrUnavailable = errors.New("state store unavailable")
	// ErrLocked means another process held the store file's lock for longer
	// than Options.LockTimeout. It comes wrapped together with ErrUnavailable.
	ErrLocked = errors.New("state file locked by another process")
	// ErrCorrupt means the store file is not a valid database. It comes
	// wrapped together with ErrUnavailable.
	ErrCorrupt = errors.New("state file corrupt")
	// ErrClosed means the store was used after Close. It comes wrapped
	// together with ErrUnavailable.
	ErrClosed = errors.New("state store closed")
	// ErrInvalid means a caller passed a malformed Key or a ttl <= 0.
	ErrInvalid = errors.New("invalid state key")
)

// Options tune a Store. The zero value is ready to use.
type Options struct {
	// Now is the clock expiry is measured against; time.Now when nil.
	Now func() time.Time
	// LockTimeout bounds the wait for the Bolt file lock (default 2s). A
	// context deadline that comes sooner shortens it.
	LockTimeout time.Duration
	// HoldOpen keeps the Bolt file open and locked from OpenBolt until
	// Close. By default the file is opened for each operation, so that
	// other processes (one LDA process per message) can use it in between.
	HoldOpen bool
	// SweepInterval is how often a write also removes expired records
	// (default 1 minute). Sweeps are bounded by SweepBatch.
	SweepInterval time.Duration
	// SweepBatch is the most records one sweep examines (default 256).
	SweepBatch int
}

func (o Options) withDefaults() Options {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.LockTimeout <= 0 {
		o.LockTimeout = 2 * time.Second
	}
	if o.SweepInterval <= 0 {
		o.SweepInterval = time.Minute
	}
	if o.SweepBatch <= 0 {
		o.SweepBatch = 256
	}
	return o
}

// maxKindLen bounds a Kind, which is stored in clear as a bucket name.
const maxKindLen = 64

// check validates key and ttl (ttl is ignored when checkTTL is false).
func check(key Key, ttl time.Duration, checkTTL bool) error {
	if key.Kind == "" || len(key.Kind) > maxKindLen {
		return fmt.Errorf("%w: kind %q", ErrInvalid, key.Kind)
	}
	for i := 0; i < len(key.Kind); i++ {
		c := key.Kind[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return fmt.Errorf("%w: kind %q", ErrInvalid, key.Kind)
		}
	}
	if key.ID == "" {
		return fmt.Errorf("%w: empty id", ErrInvalid)
	}
	if checkTTL && ttl <= 0 {
		return fmt.Errorf("%w: ttl %s", ErrInvalid, ttl)
	}
	return nil
}

// digest is the on-disk name of key within its kind: SHA-256 over the
// length-prefixed user and id, so that ("ab","c") and ("a","bc") differ.
func digest(key Key) []byte {
	h := sha256.New()
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(key.User)))
	h.Write(n[:])
	h.Write([]byte(key.User))
	binary.BigEndian.PutUint32(n[:], uint32(len(key.ID)))
	h.Write(n[:])
	h.Write([]byte(key.ID))
	return h.Sum(nil)
}

// expiry is now+ttl in whole Unix seconds, rounded up so that a record
// never expires before its ttl has passed.
func expiry(now time.Time, ttl time.Duration) int64 {
	t := now.Add(ttl)
	s := t.Unix()
	if t.Nanosecond() > 0 {
		s++
	}
	return s
}

// live reports whether a record expiring at exp (Unix seconds) is still
// valid at now.
func live(exp int64, now time.Time) bool {
	return now.Before(time.Unix(exp, 0))
}

// unavailable wraps err as a temporary store error.
func unavailable(op string, err error) error {
	if errors.Is(err, ErrUnavailable) {
		return err
	}
	return fmt.Errorf("state: %s: %w: %w", op, ErrUnavailable, err)
}
