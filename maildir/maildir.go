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
	"strings"
	"sync/atomic"
	"time"
)

// Layout selects how mailbox names map onto directories.
type Layout int

const (
	// LayoutMaildirPP is Maildir++: "A/B" is root/.A.B/ (the default).
	LayoutMaildirPP Layout = iota
	// LayoutFS is Dovecot's fs layout: "A/B" is root/A/B/.
	LayoutFS
)

func (l Layout) String() string {
	switch l {
	case LayoutMaildirPP:
		return "maildir++"
	case LayoutFS:
		return "fs"
	}
	return fmt.Sprintf("Layout(%d)", int(l))
}

// Quota is a Maildir++ quota. A zero field means no limit on that count.
type Quota struct {
	Bytes    int64 // total stored bytes
	Messages int64 // number of messages
}

func (q Quota) enabled() bool { return q.Bytes > 0 || q.Messages > 0 }

// Options configure a [Maildir]. The zero value is usable.
type Options struct {
	Layout Layout
	// Separator is the hierarchy separator in mailbox names given by
	// callers; default '/'. It must be printable ASCII punctuation other
	// than '&'.
	Separator rune
	// Hostname goes into unique file names; default os.Hostname(). '/' and
	// ':' are replaced by `\057` and `\072`.
	Hostname string
	// DirMode and FileMode default to 0700 and 0600 (the umask applies).
	DirMode, FileMode os.FileMode
	// FS replaces the filesystem, for fault injection. nil means an
	// [os.Root] opened on the mail root. With an FS, Open does not create
	// the root itself: the FS must already be rooted at it.
	FS FS
	// WrapFS, when set and FS is not, wraps the default FS once it is
	// rooted: instrumentation and fault injection over the real
	// filesystem, with Open still creating the root.
	WrapFS func(FS) FS
	// Quota is enforced when non-zero, see [Maildir.Deliver].
	Quota Quota
	// Logger receives warnings about problems that do not fail a delivery
	// (for example a failed maildirsize update). nil discards them.
	Logger *slog.Logger
}

// Maildir is one user's mail root. Its methods are safe for concurrent use,
// and several processes may use the same root at once.
type Maildir struct {
	root   string
	opts   Options
	fs     FS
	closer io.Closer
	host   string
	log    *slog.Logger

	now      func() time.Time
	lockWait time.Duration // how long to wait for a held lock file

	dsync groupSync // shares the directory fsync of concurrent deliveries
	// noTemp is set once the FS turned out unable to create or name
	// unnamed files (see TempFS).
	noTemp atomic.Bool
	spare  spareFile // see Prepare
	// opened is the directory the FS is rooted at, as Open found it; nil
	// when it could not be examined (Stale then always reports true).
	opened fs.FileInfo
}

// Open prepares the Maildir at root, an absolute path. With the default FS
// it creates root (and missing parents) with DirMode, and cur/, new/ and tmp/
// inside it, then confines all further access to root through an
// [os.Root]. Call [Maildir.Close] when done.
func Open(root string, opts Options) (*Maildir, error) {
	if !filepath.IsAbs(root) {
		return nil, fmt.Errorf("maildir: root %q is not an absolute path", root)
	}
	if opts.Separator == 0 {
		opts.Separator = '/'
	}
	if s := opts.Separator; s < 0x21 || s > 0x7e || s == '&' ||
		('0' <= s && s <= '9') || ('a' <= s && s <= 'z') || ('A' <= s && s <= 'Z') {
		return nil, fmt.Errorf("maildir: unusable hierarchy separator %q", s)
	}
	if opts.Layout != LayoutMaildirPP && opts.Layout != LayoutFS {
		return nil, fmt.Errorf("maildir: unknown layout %v", opts.Layout)
	}
	if opts.DirMode == 0 {
		opts.DirMode = 0o700
	}
	if opts.FileMode == 0 {
		opts.FileMode = 0o600
	}
	if opts.Hostname == "" {
		h, err := os.Hostname()
		if err != nil || h == "" {
			h = "localhost"
		}
		opts.Hostname = h
	}
	m := &Maildir{
		root:     filepath.Clean(root),
		opts:     opts,
		fs:       opts.FS,
		host:     sanitizeHost(opts.Hostname),
		log:      opts.Logger,
		now:      time.Now,
		lockWait: 5 * time.Second,
	}
	if m.log == nil {
		m.log = slog.New(slog.DiscardHandler)
	}
	if m.fs == nil {
		created := false
		if _, err := os.Stat(m.root); errors.Is(err, fs.ErrNotExist) {
			created = true
		}
		if err := os.MkdirAll(m.root, opts.DirMode); err != nil {
			return nil, fmt.Errorf("maildir: create root: %w", err)
		}
		if created {
			syncPath(filepath.Dir(m.root))
		}
		r, err := os.OpenRoot(m.root)
		if err != nil {
			return nil, fmt.Errorf("maildir: open root: %w", err)
		}
		rfs := newRootFS(r)
		m.fs, m.closer = rfs, closerFunc(func() error { return errors.Join(rfs.close(), r.Close()) })
		if opts.WrapFS != nil {
			m.fs = opts.WrapFS(m.fs)
		}
	}
	if err := m.ensureSubdirs("."); err != nil {
		m.Close()
		return nil, fmt.Errorf("maildir: prepare INBOX: %w", err)
	}
	if fi, err := m.fs.Stat("."); err == nil {
		m.opened = fi
	}
	return m, nil
}

// Stale reports whether the root path no longer names the directory this
// Maildir has open: it was removed, renamed away or replaced, or cannot be
// examined. A caller that keeps a Maildir open across deliveries checks
// this before each one and reopens a stale Maildir; new mail must not go
// into a directory that no reader will look at.
func (m *Maildir) Stale() bool {
	if m.opened == nil {
		return true
	}
	fi, err := os.Stat(m.root)
	return err != nil || !os.SameFile(fi, m.opened)
}

// syncPath fsyncs a directory outside the root, best effort.
func syncPath(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
}

// Close releases the root directory handle.
func (m *Maildir) Close() error {
	m.closeSpare()
	if m.closer == nil {
		return nil
	}
	c := m.closer
	m.closer = nil
	return c.Close()
}

// closerFunc is a function that is an [io.Closer].
type closerFunc func() error

func (f closerFunc) Close() error { return f() }

// Root returns the mail root's absolute path.
func (m *Maildir) Root() string { return m.root }

func sanitizeHost(h string) string {
	h = strings.ReplaceAll(h, "/", `\057`)
	return strings.ReplaceAll(h, ":", `\072`)
}

func (m *Maildir) resolve(name string) (mailboxPath, error) {
	return parseName(name, m.opts.Separator, m.opts.Layout)
}

// mkdirOK creates a directory; an existing one is success (that is what
// makes concurrent folder creation race-free).
func (m *Maildir) mkdirOK(name string) (created bool, err error) {
	err = m.fs.Mkdir(name, m.opts.DirMode)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, fs.ErrExist):
		fi, serr := m.fs.Stat(name)
		if serr != nil {
			return false, fmt.Errorf("mkdir %s: %w", name, serr)
		}
		if !fi.IsDir() {
			return false, fmt.Errorf("mkdir %s: exists and is not a directory", name)
		}
		return false, nil
	}
	return false, fmt.Errorf("mkdir %s: %w", name, err)
}

// ensureSubdirs creates tmp/, new/ and cur/ in dir (cur last, so a visible
// cur/ implies the others), then fsyncs dir if anything was created.
func (m *Maildir) ensureSubdirs(dir string) error {
	made := false
	for _, sub := range []string{"tmp", "new", "cur"} {
		c, err := m.mkdirOK(path.Join(dir, sub))
		if err != nil {
			return err
		}
		made = made || c
	}
	if made {
		if err := m.fs.SyncDir(dir); err != nil {
			return fmt.Errorf("fsync %s: %w", dir, err)
		}
	}
	return nil
}

// MailboxExists reports whether mailbox exists. INBOX always does. A folder
// exists when its cur/ directory does.
func (m *Maildir) MailboxExists(ctx context.Context, mailbox string) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	p, err := m.resolve(mailbox)
	if err != nil {
		return false, err
	}
	return m.exists(p)
}

func (m *Maildir) exists(p mailboxPath) (bool, error) {
	if p.inbox() {
		return true, nil
	}
	fi, err := m.fs.Stat(path.Join(p.dir, "cur"))
	switch {
	case err == nil:
		return fi.IsDir(), nil
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	}
	return false, fmt.Errorf("maildir: stat %s: %w", p.dir, err)
}

// CreateMailbox creates mailbox if it does not exist; creating one that
// exists, also concurrently with another process, succeeds. With subscribe,
// the name is added to the subscriptions file.
func (m *Maildir) CreateMailbox(ctx context.Context, mailbox string, subscribe bool) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	p, err := m.resolve(mailbox)
	if err != nil {
		return err
	}
	return m.create(ctx, p, subscribe)
}

func (m *Maildir) create(ctx context.Context, p mailboxPath, subscribe bool) error {
	if p.inbox() {
		return nil
	}
	for _, dir := range p.parents {
		if _, err := m.mkdirOK(dir); err != nil {
			return fmt.Errorf("maildir: create %q: %w", p.name, err)
		}
		if err := m.fs.SyncDir(path.Dir(dir)); err != nil {
			return fmt.Errorf("maildir: create %q: fsync: %w", p.name, err)
		}
	}
	// The folder counts as existing once cur/ exists, so cur/ is made
	// last, after tmp/, new/ and the maildirfolder marker. The directories
	// are fsynced even when another process created the folder: this
	// delivery must not depend on that process having finished.
	if _, err := m.mkdirOK(p.dir); err != nil {
		return fmt.Errorf("maildir: create %q: %w", p.name, err)
	}
	for _, sub := range []string{"tmp", "new"} {
		if _, err := m.mkdirOK(path.Join(p.dir, sub)); err != nil {
			return fmt.Errorf("maildir: create %q: %w", p.name, err)
		}
	}
	if m.opts.Layout == LayoutMaildirPP {
		// Maildir++ marks a folder with an empty maildirfolder file.
		marker := path.Join(p.dir, "maildirfolder")
		f, err := m.fs.OpenFile(marker, os.O_WRONLY|os.O_CREATE, m.opts.FileMode)
		if err != nil {
			return fmt.Errorf("maildir: create %q: %w", p.name, err)
		}
		if err := f.Close(); err != nil {
			return fmt.Errorf("maildir: create %q: %w", p.name, err)
		}
	}
	if _, err := m.mkdirOK(path.Join(p.dir, "cur")); err != nil {
		return fmt.Errorf("maildir: create %q: %w", p.name, err)
	}
	for _, dir := range []string{p.dir, path.Dir(p.dir)} {
		if err := m.fs.SyncDir(dir); err != nil {
			return fmt.Errorf("maildir: create %q: fsync: %w", p.name, err)
		}
	}
	if subscribe {
		if err := m.subscribe(ctx, p); err != nil {
			return fmt.Errorf("maildir: subscribe %q: %w", p.name, err)
		}
	}
	return nil
}
