package scripts

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// DefaultLogLimit is the size beyond which a user's script log is rotated.
const DefaultLogLimit = 64 << 10

// ErrLog appends compile errors to the log file beside a user's script
// (Dovecot's ~/.dovecot.sieve.log), which the user can read to see why their
// script did not run.
type ErrLog struct {
	// Limit is the size in bytes beyond which the log is renamed to
	// "<path>.1" (one old generation is kept) before appending.
	// Default DefaultLogLimit.
	Limit int64
}

// AppendLog appends msgs to the log at path with the default limit; see
// ErrLog.Append.
func AppendLog(path string, when time.Time, script string, msgs []string) error {
	return ErrLog{}.Append(path, when, script, msgs)
}

// Append writes one line per message, "<RFC 3339 time> <script>: <msg>",
// creating the file with mode 0600 if needed. The final path component is
// never followed if it is a symlink (O_NOFOLLOW): a user must not make the
// delivery agent append to a file of their choosing. Control characters in
// messages are replaced, so a message cannot forge extra lines. An error
// is returned for the caller to log; it must not fail the delivery.
func (l ErrLog) Append(path string, when time.Time, script string, msgs []string) error {
	if len(msgs) == 0 {
		return nil
	}
	limit := l.Limit
	if limit <= 0 {
		limit = DefaultLogLimit
	}
	var b strings.Builder
	ts := when.Format(time.RFC3339)
	for _, m := range msgs {
		b.WriteString(ts)
		b.WriteByte(' ')
		b.WriteString(clean(script))
		b.WriteString(": ")
		b.WriteString(clean(m))
		b.WriteByte('\n')
	}
	line := []byte(b.String())

	f, err := openLog(path)
	if err != nil {
		return err
	}
	defer func() { _ = f.Close() }()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("script log %s: %w", path, err)
	}
	if st.Size() > 0 && st.Size()+int64(len(line)) > limit {
		// Rename replaces a symlink at <path>.1 rather than following it.
		if err := os.Rename(path, path+".1"); err != nil {
			return fmt.Errorf("rotate script log %s: %w", path, err)
		}
		_ = f.Close()
		if f, err = openLog(path); err != nil {
			return err
		}
	}
	if _, err := f.Write(line); err != nil {
		return fmt.Errorf("write script log %s: %w", path, err)
	}
	return nil
}

// openLog opens path for appending, refusing symlinks and anything that is
// not a regular file (O_NONBLOCK: a FIFO planted there must not hang the
// delivery), and takes an exclusive lock so that concurrent
// deliveries neither interleave with nor race a rotation. If the file was
// rotated while waiting for the lock, the new file is opened instead.
func openLog(path string) (*os.File, error) {
	for range 3 {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE|unix.O_NOFOLLOW|unix.O_NONBLOCK, 0o600)
		if err != nil {
			if errors.Is(err, syscall.ELOOP) {
				err = fmt.Errorf("%w (symlink refused)", err)
			}
			return nil, fmt.Errorf("open script log %s: %w", path, err)
		}
		if err := lockAndCheck(f, path); err != nil {
			_ = f.Close()
			if errors.Is(err, errRotated) {
				continue
			}
			return nil, err
		}
		return f, nil
	}
	return nil, fmt.Errorf("open script log %s: rotated repeatedly", path)
}

var errRotated = errors.New("log rotated meanwhile")

func lockAndCheck(f *os.File, path string) error {
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX); err != nil {
		return fmt.Errorf("lock script log %s: %w", path, err)
	}
	fst, err := f.Stat()
	if err != nil {
		return fmt.Errorf("script log %s: %w", path, err)
	}
	if !fst.Mode().IsRegular() {
		return fmt.Errorf("script log %s: %w", path, ErrNotRegular)
	}
	pst, err := os.Lstat(path)
	if err != nil || !os.SameFile(fst, pst) {
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("script log %s: %w", path, err)
		}
		return errRotated
	}
	return nil
}

// clean replaces control characters so one message stays one line.
func clean(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return '?'
		}
		return r
	}, s)
}
