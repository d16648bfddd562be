package maildir

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
)

// The subscriptions file in the mail root lists one mailbox per line in the
// form Dovecot writes for the layout: the storage name, that is the levels
// in modified UTF-7 joined by the on-disk separator ("A.B" for Maildir++,
// "A/B" for fs). A file that starts with Dovecot's version 2 header
// "V\t2\n\n" keeps that format, whose lines join the levels with a tab
// (no escaping is needed: names never contain control characters).
const (
	subsFile     = "subscriptions"
	subsLock     = "subscriptions.lock"
	subsV2Header = "V\t2\n\n"
	maxSmallFile = 4 << 20 // upper bound for control files read into memory
)

// readSmall reads a control file; a missing file reads as empty. Anything
// but a regular file (a FIFO would block the open) is an error.
func (m *Maildir) readSmall(name string) (string, error) {
	fi, err := m.fs.Stat(name)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err == nil && !fi.Mode().IsRegular() {
		return "", fmt.Errorf("open %s: not a regular file", name)
	}
	f, err := m.fs.OpenFile(name, os.O_RDONLY, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("open %s: %w", name, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxSmallFile+1))
	if err != nil {
		return "", fmt.Errorf("read %s: %w", name, err)
	}
	if len(b) > maxSmallFile {
		return "", fmt.Errorf("read %s: file too large", name)
	}
	return string(b), nil
}

func subsLine(content string, p mailboxPath) (body, line string) {
	if strings.HasPrefix(content, subsV2Header) {
		if p.inbox() {
			return content[len(subsV2Header):], "INBOX"
		}
		return content[len(subsV2Header):], strings.Join(p.levels, "\t")
	}
	return content, p.subs
}

func subscribed(content string, p mailboxPath) bool {
	body, line := subsLine(content, p)
	for l := range strings.Lines(body) {
		if strings.TrimSuffix(l, "\n") == line {
			return true
		}
	}
	return false
}

// subscribe adds p to the subscriptions file unless it is already there.
// The new content is written into subscriptions.lock (which is also the
// lock, as in Dovecot), fsynced and renamed over the file.
func (m *Maildir) subscribe(ctx context.Context, p mailboxPath) error {
	content, err := m.readSmall(subsFile)
	if err != nil {
		return err
	}
	if subscribed(content, p) {
		return nil
	}
	l, err := m.lock(ctx, subsLock)
	if err != nil {
		return err
	}
	defer l.release()
	if content, err = m.readSmall(subsFile); err != nil {
		return err
	}
	if subscribed(content, p) {
		return nil
	}
	_, line := subsLine(content, p)
	if content != "" && !strings.HasSuffix(content, "\n") {
		content += "\n"
	}
	if _, err := io.WriteString(l.f, content+line+"\n"); err != nil {
		return fmt.Errorf("write %s: %w", subsLock, err)
	}
	if err := l.commit(subsFile); err != nil {
		return err
	}
	if err := m.fs.SyncDir("."); err != nil {
		return fmt.Errorf("fsync mail root: %w", err)
	}
	return nil
}
