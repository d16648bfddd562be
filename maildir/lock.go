package maildir

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"strconv"
	"time"
)

// staleLockAge is the age after which a lock file is considered left behind
// by a crashed process and removed (Dovecot uses two minutes for
// dovecot-uidlist.lock).
const staleLockAge = 2 * time.Minute

// dotlock is a held lock file. The file itself may be used as the temporary
// copy of the file it guards (Dovecot's dotlock convention): commit renames
// it over the target, release removes it.
type dotlock struct {
	m    *Maildir
	name string
	f    File
}

// lock creates name with O_CREAT|O_EXCL, retrying with backoff while another
// holder has it, for at most m.lockWait. A lock older than staleLockAge is
// removed and taken over. Two waiters that both judge a lock stale can race;
// with a two-minute threshold that needs a holder stuck for two minutes.
func (m *Maildir) lock(ctx context.Context, name string) (*dotlock, error) {
	deadline := m.now().Add(m.lockWait)
	backoff := 2 * time.Millisecond
	for {
		f, err := m.fs.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, m.opts.FileMode)
		if err == nil {
			return &dotlock{m: m, name: name, f: f}, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("lock %s: %w", name, err)
		}
		if fi, err := m.fs.Lstat(name); err == nil && m.now().Sub(fi.ModTime()) > staleLockAge {
			m.log.Warn("removing stale lock file", slog.String("path", name))
			if err := m.fs.Remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Errorf("remove stale lock %s: %w", name, err)
			}
			continue
		}
		if !m.now().Before(deadline) {
			return nil, fmt.Errorf("%s: %w", name, ErrLockTimeout)
		}
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
		backoff = min(backoff*2, 100*time.Millisecond)
	}
}

// writePID records the holder for humans debugging a stuck lock.
func (l *dotlock) writePID() error {
	_, err := l.f.Write([]byte(strconv.Itoa(os.Getpid()) + "\n"))
	return err
}

// commit makes the lock file's content durable and renames it over target,
// which releases the lock.
func (l *dotlock) commit(target string) error {
	f := l.f
	l.f = nil
	if err := f.Sync(); err != nil {
		f.Close()
		l.m.fs.Remove(l.name)
		return fmt.Errorf("fsync %s: %w", l.name, err)
	}
	if err := f.Close(); err != nil {
		l.m.fs.Remove(l.name)
		return fmt.Errorf("close %s: %w", l.name, err)
	}
	if err := l.m.fs.Rename(l.name, target); err != nil {
		l.m.fs.Remove(l.name)
		return fmt.Errorf("rename %s: %w", target, err)
	}
	return nil
}

// release removes the lock file unless commit already consumed it.
func (l *dotlock) release() {
	if l.f == nil {
		return
	}
	l.f.Close()
	l.f = nil
	if err := l.m.fs.Remove(l.name); err != nil && !errors.Is(err, fs.ErrNotExist) {
		l.m.log.Warn("cannot remove lock file", slog.String("path", l.name), slog.Any("err", err))
	}
}
