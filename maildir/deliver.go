package maildir

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
)

// DeliverOptions control one delivery.
type DeliverOptions struct {
	// Flags are IMAP flags: \Seen \Answered \Flagged \Deleted \Draft
	// become Maildir info letters; any other atom is a keyword. A message
	// with flags goes to cur/, one without to new/.
	Flags []string
	// Create creates the mailbox if it is missing (INBOX always exists).
	Create bool
	// Subscribe adds a mailbox created by this delivery to the
	// subscriptions file.
	Subscribe bool
}

// Delivered describes a stored message.
type Delivered struct {
	Mailbox string // normalised mailbox name, e.g. "INBOX"
	Path    string // absolute path of the message file
	Size    int64  // stored size in bytes (S=)
	// DroppedFlags lists flags that were not stored: invalid flag or
	// keyword names, and keywords beyond the 26 a folder can hold. Callers
	// should log them.
	DroppedFlags []string
}

// uniqueCounter is the per-process delivery counter (the Q part of unique
// names).
var uniqueCounter atomic.Uint64

// pid is this process's ID for unique names (os.Getpid is a system call).
var pid = strconv.Itoa(os.Getpid())

// uniqueName returns "<sec>.M<usec>P<pid>Q<n>.<host>", the Maildir unique
// name as Dovecot writes it.
func (m *Maildir) uniqueName() string {
	now := m.now()
	n := uniqueCounter.Add(1)
	return strconv.FormatInt(now.Unix(), 10) +
		".M" + strconv.Itoa(now.Nanosecond()/1000) +
		"P" + pid +
		"Q" + strconv.FormatUint(n, 10) +
		"." + m.host
}

// Deliver stores msg in mailbox. The bytes are stored exactly as read. It
// returns only after the message file and its directory entry are fsynced;
// on any error nothing is left in new/ or cur/ (and, when removal works, not
// in tmp/ either). Cancelling ctx aborts the delivery up to the final rename.
//
// With a [Quota], the message is refused with [ErrQuotaExceeded] when
// storing it would take the mailbox over a limit; reaching a limit exactly
// is allowed.
func (m *Maildir) Deliver(ctx context.Context, mailbox string, msg io.Reader, o DeliverOptions) (Delivered, error) {
	if err := ctx.Err(); err != nil {
		return Delivered{}, err
	}
	p, err := m.resolve(mailbox)
	if err != nil {
		return Delivered{}, err
	}
	ok, err := m.exists(p)
	if err != nil {
		return Delivered{}, err
	}
	if !ok {
		if !o.Create {
			return Delivered{}, fmt.Errorf("%w: %q", ErrMailboxNotFound, p.name)
		}
		if err := m.create(ctx, p, o.Subscribe); err != nil {
			return Delivered{}, err
		}
	}
	letters, keywords, dropped := splitFlags(o.Flags)
	if len(keywords) > 0 {
		kl, kd, err := m.keywordLetters(ctx, p.dir, keywords)
		if err != nil {
			return Delivered{}, fmt.Errorf("maildir: keywords in %q: %w", p.name, err)
		}
		letters = append(letters, kl...)
		dropped = append(dropped, kd...)
	}
	var q *quotaUsage
	if m.opts.Quota.enabled() {
		if q, err = m.quotaUsage(ctx); err != nil {
			return Delivered{}, err
		}
		if err := m.quotaCheck(q, 0); err != nil {
			return Delivered{}, err
		}
	}
	d, err := m.write(ctx, p, msg, letters, q)
	if err != nil {
		return Delivered{}, err
	}
	d.DroppedFlags = dropped
	if q != nil {
		m.quotaAdd(d.Size)
	}
	return d, nil
}

// write stores msg in p: with an unnamed file linked into place when the
// filesystem allows (see [TempFS]), else by the Maildir protocol of tmp/,
// fsync, rename. Either way the file is fsynced before it gets its final
// name, and the directory holding that name is fsynced before write
// returns; a linked file is fsynced once more after the link, for its
// link count.
func (m *Maildir) write(ctx context.Context, p mailboxPath, msg io.Reader, letters []byte, q *quotaUsage) (Delivered, error) {
	uniq := m.uniqueName()
	if tfs, ok := m.fs.(TempFS); ok && !m.noTemp.Load() {
		d, err := m.writeUnnamed(ctx, tfs, p, uniq, msg, letters, q)
		if !errors.Is(err, errNoUnnamed) {
			return d, err
		}
		// Nothing was read from msg yet: go on the classic way.
	}
	return m.writeTmp(ctx, p, uniq, msg, letters, q)
}

// errNoUnnamed says the filesystem cannot create unnamed files; the
// caller falls back to tmp/ and rename.
var errNoUnnamed = errors.New("no unnamed files")

// writeUnnamed writes msg into an unnamed file on the filesystem of p's
// tmp/, fsyncs it and links it into new/ or cur/.
func (m *Maildir) writeUnnamed(ctx context.Context, tfs TempFS, p mailboxPath, uniq string, msg io.Reader, letters []byte, q *quotaUsage) (Delivered, error) {
	tmpdir := path.Join(p.dir, "tmp")
	// A prepared file is in INBOX's tmp/; linking it into a folder fails
	// only if the folder is on another filesystem (then it is copied).
	f, err := m.takeSpare(), error(nil)
	if f == nil {
		f, err = m.openRepairing(p, func() (File, error) { return tfs.OpenTemp(tmpdir, m.opts.FileMode) })
	}
	if errors.Is(err, ErrTempUnsupported) {
		m.noTemp.Store(true)
		m.log.Debug("unnamed files not supported: using tmp/ and rename", slog.String("root", m.root), slog.Any("err", err))
		return Delivered{}, errNoUnnamed
	}
	if err != nil {
		return Delivered{}, fmt.Errorf("maildir: create in %s: %w", tmpdir, err)
	}
	open := true
	defer func() {
		if open {
			f.Close() // an unnamed file vanishes with its last descriptor
		}
	}()
	size, vsize, err := copyMessage(ctx, f, msg)
	if err != nil {
		return Delivered{}, fmt.Errorf("maildir: write in %s: %w", tmpdir, err)
	}
	if err := f.Sync(); err != nil {
		return Delivered{}, fmt.Errorf("maildir: fsync in %s: %w", tmpdir, err)
	}
	if err := m.beforePlacing(ctx, q, size); err != nil {
		return Delivered{}, err
	}
	dir, final := m.finalName(p, uniq, size, vsize, letters)
	d, err := tfs.Link(f, final)
	if errors.Is(err, fs.ErrNotExist) {
		// A prepared file skipped the repair above: new/ or cur/ may be
		// missing from a half-created folder.
		if err = m.ensureSubdirs(p.dir); err == nil {
			d, err = tfs.Link(f, final)
		}
	}
	if errors.Is(err, ErrTempUnsupported) || errors.Is(err, syscall.EXDEV) {
		// Created but cannot be named (no /proc, no capability), or made
		// on another filesystem than the folder's: write it again the
		// classic way, from the start of what was written.
		if !errors.Is(err, syscall.EXDEV) {
			m.noTemp.Store(true)
		}
		rs, ok := f.(io.ReadSeeker)
		if !ok {
			return Delivered{}, fmt.Errorf("maildir: link into %s: %w", dir, err)
		}
		if _, err := rs.Seek(0, io.SeekStart); err != nil {
			return Delivered{}, fmt.Errorf("maildir: reread in %s: %w", tmpdir, err)
		}
		return m.writeTmp(ctx, p, uniq, rs, letters, q)
	}
	if err != nil {
		return Delivered{}, fmt.Errorf("maildir: link into %s: %w", dir, err)
	}
	defer d.Close()
	// The link raised the file's link count: on ext4 without a journal
	// only an fsync of the file itself writes that (and the new entry,
	// through its parent); a directory fsync alone would leave an inode
	// with no links on disk, which fsck clears after a crash. Elsewhere
	// the link is already committed and this costs little. The two
	// fsyncs are independent, so they run at once.
	fileSync := startSync(f)
	dl, err := m.commit(p, dir, d, final, size)
	if ferr := fileSync(); ferr != nil && err == nil {
		m.unplace(final)
		err = fmt.Errorf("maildir: fsync %s: %w", final, ferr)
	}
	open = false
	if cerr := f.Close(); cerr != nil && err == nil {
		m.unplace(final)
		err = fmt.Errorf("maildir: close %s: %w", final, cerr)
	}
	if err != nil {
		return Delivered{}, err
	}
	return dl, nil
}

// startSync starts an fsync of f and returns the function that waits for
// it: submitted to the kernel where f can (see fsyncFD), else run by a
// goroutine.
func startSync(f File) func() error {
	if s, ok := f.(interface{ StartSync() func() error }); ok {
		if wait := s.StartSync(); wait != nil {
			return wait
		}
	}
	done := make(chan error, 1)
	go func() { done <- f.Sync() }()
	return func() error { return <-done }
}

// openRepairing calls open, and once more after repairing p's tmp/, new/
// and cur/ when it failed for want of one (a half-created folder, say).
func (m *Maildir) openRepairing(p mailboxPath, open func() (File, error)) (File, error) {
	f, err := open()
	if errors.Is(err, fs.ErrNotExist) {
		if err = m.ensureSubdirs(p.dir); err == nil {
			f, err = open()
		}
	}
	return f, err
}

// writeTmp is the classic Maildir delivery protocol: tmp/, fsync,
// rename.
func (m *Maildir) writeTmp(ctx context.Context, p mailboxPath, uniq string, msg io.Reader, letters []byte, q *quotaUsage) (Delivered, error) {
	tmp := path.Join(p.dir, "tmp", uniq)
	f, err := m.openRepairing(p, func() (File, error) {
		return m.fs.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, m.opts.FileMode)
	})
	if err != nil {
		return Delivered{}, fmt.Errorf("maildir: create %s: %w", tmp, err)
	}
	placed := false
	defer func() {
		if !placed {
			m.removeTmp(tmp)
		}
	}()
	size, vsize, err := copyMessage(ctx, f, msg)
	if err != nil {
		f.Close()
		return Delivered{}, fmt.Errorf("maildir: write %s: %w", tmp, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return Delivered{}, fmt.Errorf("maildir: fsync %s: %w", tmp, err)
	}
	if err := f.Close(); err != nil {
		return Delivered{}, fmt.Errorf("maildir: close %s: %w", tmp, err)
	}
	if err := m.beforePlacing(ctx, q, size); err != nil {
		return Delivered{}, err
	}
	dir, final := m.finalName(p, uniq, size, vsize, letters)
	if err := m.fs.Rename(tmp, final); err != nil {
		return Delivered{}, fmt.Errorf("maildir: rename into %s: %w", dir, err)
	}
	placed = true
	return m.commit(p, dir, nil, final, size)
}

// beforePlacing is the last check before a written message gets its
// name: the quota with its size known, and cancellation.
func (m *Maildir) beforePlacing(ctx context.Context, q *quotaUsage, size int64) error {
	if q != nil {
		if err := m.quotaCheck(q, size); err != nil {
			return err
		}
	}
	return ctx.Err()
}

// finalName returns the directory (new/ or cur/) and the path a message
// gets: its unique name, S= and W= sizes, and the flags' info part.
func (m *Maildir) finalName(p mailboxPath, uniq string, size, vsize int64, letters []byte) (dir, final string) {
	base := uniq + ",S=" + strconv.FormatInt(size, 10) + ",W=" + strconv.FormatInt(vsize, 10)
	sub := "new"
	if len(letters) > 0 {
		sub = "cur"
		base += infoSuffix(letters)
	}
	dir = path.Join(p.dir, sub)
	return dir, path.Join(dir, base)
}

// commit makes the entry final durable: concurrent deliveries into dir
// share one fsync that started after every one of them was named (see
// groupSync). open is dir, already open, or nil.
func (m *Maildir) commit(p mailboxPath, dir string, open Dir, final string, size int64) (Delivered, error) {
	fsync := m.fs.SyncDir
	if open != nil {
		fsync = func(name string) error {
			if err := open.Sync(); err != nil {
				return fmt.Errorf("fsync %s: %w", name, err)
			}
			return nil
		}
	}
	if err := m.dsync.sync(dir, fsync); err != nil {
		// The entry may not survive a crash, and the caller will retry:
		// take the message back so that the retry does not duplicate it.
		m.unplace(final)
		return Delivered{}, fmt.Errorf("maildir: fsync %s: %w", dir, err)
	}
	return Delivered{
		Mailbox: p.name,
		Path:    filepath.Join(m.root, filepath.FromSlash(final)),
		Size:    size,
	}, nil
}

// unplace removes a message that got its name but is not delivered.
func (m *Maildir) unplace(final string) {
	if err := m.fs.Remove(final); err != nil && !errors.Is(err, fs.ErrNotExist) {
		m.log.Warn("cannot remove message after a failed delivery",
			slog.String("path", final), slog.Any("err", err))
	}
}

// removeTmp removes a temporary file of a failed delivery.
func (m *Maildir) removeTmp(tmp string) {
	if err := m.fs.Remove(tmp); err != nil && !errors.Is(err, fs.ErrNotExist) {
		m.log.Warn("cannot remove temporary file", slog.String("path", tmp), slog.Any("err", err))
	}
}

// copyBufs holds the buffers of copyMessage: one delivery would
// otherwise allocate 32 KiB.
var copyBufs = sync.Pool{New: func() any { b := make([]byte, 32*1024); return &b }}

// copyMessage copies msg to w, checking ctx between reads. It returns the
// stored size and the size with every bare LF counted as CRLF (the W= value,
// IMAP's RFC822.SIZE).
func copyMessage(ctx context.Context, w io.Writer, msg io.Reader) (size, vsize int64, err error) {
	bp := copyBufs.Get().(*[]byte)
	defer copyBufs.Put(bp)
	buf := *bp
	var prev byte
	for {
		if err := ctx.Err(); err != nil {
			return size, vsize, err
		}
		// Fill the buffer before writing: a message that fits is one
		// write, however many pieces its reader returns it in.
		n, rerr := io.ReadFull(msg, buf)
		if rerr == io.ErrUnexpectedEOF {
			rerr = io.EOF
		}
		if n > 0 {
			chunk := buf[:n]
			for i, c := range chunk {
				if c == '\n' {
					p := prev
					if i > 0 {
						p = chunk[i-1]
					}
					if p != '\r' {
						vsize++
					}
				}
			}
			prev = chunk[n-1]
			if _, err := w.Write(chunk); err != nil {
				return size, vsize, err
			}
			size += int64(n)
			vsize += int64(n)
		}
		if rerr == io.EOF {
			return size, vsize, nil
		}
		if rerr != nil {
			return size, vsize, fmt.Errorf("read message: %w", rerr)
		}
	}
}
