package maildir

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path"
	"strconv"
	"strings"
	"time"
)

// Maildir++ quota (Courier's maildirsize, also read and written by Dovecot's
// Maildir++ quota backend). root/maildirsize holds the limits on its first
// line, "<bytes>S,<count>C" (either part may be absent), then lines
// "<bytes> <count>" whose sums are the usage: every delivery appends
// "<size> 1" with one O_APPEND write, readers add them up.
//
// The file is recalculated from the messages on disk (cur/ and new/ of INBOX
// and every folder, sizes taken from S= in the file name when present) and
// replaced atomically when it is missing, cannot be parsed, has grown beyond
// 5120 bytes, carries limits other than the configured ones, or is older
// than 15 minutes and either sums to a negative value or says the mailbox is
// full (so deletions by a client that does not update maildirsize do not
// refuse mail for long).
//
// This is an approximation, like Courier's and Dovecot's: deliveries running
// at the same time each check the old usage and may together overshoot the
// limit by up to one message each; appends that race with a recalculation
// may be lost until the next one; folders reached through symlinks are not
// counted; appends are not fsynced (the usage is advisory, the mail is not).
const (
	quotaFile        = "maildirsize"
	quotaMaxFileSize = 5120
	quotaStaleAge    = 15 * time.Minute
)

type quotaUsage struct{ bytes, count int64 }

// parseMaildirsize returns the limits and summed usage, ok=false if the
// content is not a valid maildirsize file.
func parseMaildirsize(content string) (limits Quota, used quotaUsage, ok bool) {
	first, rest, found := strings.Cut(content, "\n")
	if !found {
		return Quota{}, quotaUsage{}, false
	}
	for part := range strings.SplitSeq(first, ",") {
		if len(part) < 2 {
			return Quota{}, quotaUsage{}, false
		}
		n, err := strconv.ParseInt(part[:len(part)-1], 10, 64)
		if err != nil || n < 0 {
			return Quota{}, quotaUsage{}, false
		}
		switch part[len(part)-1] {
		case 'S':
			limits.Bytes = n
		case 'C':
			limits.Messages = n
		default:
			return Quota{}, quotaUsage{}, false
		}
	}
	for line := range strings.Lines(rest) {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if len(f) != 2 {
			return Quota{}, quotaUsage{}, false
		}
		b, err1 := strconv.ParseInt(f[0], 10, 64)
		c, err2 := strconv.ParseInt(f[1], 10, 64)
		if err1 != nil || err2 != nil {
			return Quota{}, quotaUsage{}, false
		}
		used.bytes += b
		used.count += c
	}
	return limits, used, true
}

func formatQuotaHeader(q Quota) string {
	var parts []string
	if q.Bytes > 0 {
		parts = append(parts, strconv.FormatInt(q.Bytes, 10)+"S")
	}
	if q.Messages > 0 {
		parts = append(parts, strconv.FormatInt(q.Messages, 10)+"C")
	}
	return strings.Join(parts, ",")
}

func (q Quota) exceeded(u quotaUsage, size int64) bool {
	return (q.Bytes > 0 && u.bytes+size > q.Bytes) ||
		(q.Messages > 0 && u.count+1 > q.Messages)
}

// quotaUsage returns the current usage, recalculating maildirsize when
// needed.
func (m *Maildir) quotaUsage(ctx context.Context) (*quotaUsage, error) {
	fi, err := m.fs.Lstat(quotaFile)
	if err == nil && fi.Mode().IsRegular() && fi.Size() <= quotaMaxFileSize {
		content, err := m.readSmall(quotaFile)
		if err != nil {
			return nil, fmt.Errorf("maildir: quota: %w", err)
		}
		limits, used, ok := parseMaildirsize(content)
		old := m.now().Sub(fi.ModTime()) > quotaStaleAge
		if ok && limits == m.opts.Quota &&
			!(old && (used.bytes < 0 || used.count < 0 || limits.exceeded(used, 1))) {
			return &used, nil
		}
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("maildir: quota: %w", err)
	}
	used, err := m.quotaRecalc(ctx)
	if err != nil {
		return nil, fmt.Errorf("maildir: quota recalculation: %w", err)
	}
	return &used, nil
}

func (m *Maildir) quotaCheck(u *quotaUsage, size int64) error {
	if m.opts.Quota.exceeded(*u, size) {
		return fmt.Errorf("%w: %d bytes in %d messages, limit %s", ErrQuotaExceeded, u.bytes, u.count, formatQuotaHeader(m.opts.Quota))
	}
	return nil
}

// quotaAdd appends "<size> 1" after a delivery. A failure is only logged:
// the message is already stored, and the next recalculation repairs the
// count.
func (m *Maildir) quotaAdd(size int64) {
	f, err := m.fs.OpenFile(quotaFile, os.O_WRONLY|os.O_APPEND, 0)
	if err == nil {
		_, err = f.Write([]byte(strconv.FormatInt(size, 10) + " 1\n"))
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		m.log.Warn("cannot update maildirsize", slog.String("root", m.root), slog.Any("err", err))
	}
}

// quotaRecalc counts the messages on disk and rewrites maildirsize.
func (m *Maildir) quotaRecalc(ctx context.Context) (quotaUsage, error) {
	var used quotaUsage
	dirs, err := m.mailboxDirs(ctx)
	if err != nil {
		return used, err
	}
	for _, dir := range dirs {
		for _, sub := range []string{"cur", "new"} {
			if err := ctx.Err(); err != nil {
				return used, err
			}
			ents, err := m.fs.ReadDir(path.Join(dir, sub))
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			if err != nil {
				return used, err
			}
			for _, e := range ents {
				if !e.Type().IsRegular() {
					continue
				}
				size, ok := sizeFromName(e.Name())
				if !ok {
					fi, err := e.Info()
					if err != nil {
						continue // removed meanwhile
					}
					size = fi.Size()
				}
				used.bytes += size
				used.count++
			}
		}
	}
	content := formatQuotaHeader(m.opts.Quota) + "\n" +
		strconv.FormatInt(used.bytes, 10) + " " + strconv.FormatInt(used.count, 10) + "\n"
	if err := m.replaceFile(".", quotaFile, content); err != nil {
		return used, err
	}
	return used, nil
}

// sizeFromName extracts the S=<size> field of a Maildir file name.
func sizeFromName(name string) (int64, bool) {
	if i := strings.IndexByte(name, ':'); i >= 0 {
		name = name[:i]
	}
	for field := range strings.SplitSeq(name, ",") {
		if v, ok := strings.CutPrefix(field, "S="); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			return n, err == nil && n >= 0
		}
	}
	return 0, false
}

// maxFolderDepth bounds the fs layout walk.
const maxFolderDepth = 64

// mailboxDirs lists the directories of all mailboxes: "." for INBOX, then
// every folder. Symlinked folders are not followed.
func (m *Maildir) mailboxDirs(ctx context.Context) ([]string, error) {
	dirs := []string{"."}
	if m.opts.Layout == LayoutMaildirPP {
		ents, err := m.fs.ReadDir(".")
		if err != nil {
			return nil, err
		}
		for _, e := range ents {
			if e.IsDir() && strings.HasPrefix(e.Name(), ".") {
				dirs = append(dirs, e.Name())
			}
		}
		return dirs, nil
	}
	var walk func(dir string, depth int) error
	walk = func(dir string, depth int) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if depth > maxFolderDepth {
			return nil
		}
		ents, err := m.fs.ReadDir(dir)
		if err != nil {
			return err
		}
		for _, e := range ents {
			if !e.IsDir() || fsReserved[e.Name()] {
				continue
			}
			sub := path.Join(dir, e.Name())
			dirs = append(dirs, sub)
			if err := walk(sub, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(".", 0); err != nil {
		return nil, err
	}
	return dirs, nil
}
