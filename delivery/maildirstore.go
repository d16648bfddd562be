package delivery

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/sluice-mail/sluice/internal/userdb"
	"github.com/sluice-mail/sluice/maildir"
)

// tmpCleanInterval is how often one store cleans a given mail root's tmp/
// directories at most. The first delivery to a root after a start always
// cleans it, so files left by a crash are found on the next delivery.
const tmpCleanInterval = time.Hour

// MaildirStore is the Store that writes into each recipient's Maildir
// (MailRoot, in the MailLayout the user database gives). Each store is
// durable before it returns: the maildir package syncs the file and its
// directory.
//
// The first time a store opens a mail root, and then at most once an hour
// per root, it removes the files that deliveries interrupted by a crash
// left in tmp/ (the Maildir convention: files older than 36 hours, see
// [maildir.CleanTmp]) and logs how many it removed.
//
// A MaildirStore must not be copied after first use.
type MaildirStore struct {
	// Options are the maildir options for every recipient; Layout is
	// replaced by the recipient's MailLayout. Options.Logger also
	// receives the store's own warnings and cleaning notes.
	Options maildir.Options
	// WrapFS, when set, wraps the filesystem of every Maildir this store
	// opens (root is the recipient's mail root): instrumentation and fault
	// injection. The store then creates the root itself and confines the
	// wrapped FS to it with an [os.Root].
	WrapFS func(root string, fsys maildir.FS) maildir.FS
	// MaxOpen bounds the Maildirs kept open between deliveries (least
	// recently used closed first); 0 means DefaultMaxOpenMaildirs. A kept
	// Maildir is reused only while its root path still names the
	// directory it has open.
	MaxOpen int
	// PrepareFiles makes a Maildir kept open prepare the file of its next
	// delivery after each one (see maildir.Maildir.Prepare): for a
	// long-running server, where a next delivery is likely, not for a
	// process that delivers one message and exits.
	PrepareFiles bool

	mu      sync.Mutex
	cleaned map[string]time.Time // mail root -> last tmp/ cleaning
	pruneAt int                  // size of cleaned that starts the next pruning
	now     func() time.Time     // default time.Now; for tests
	mds     mdCache
}

var _ Store = (*MaildirStore)(nil)

// Store delivers msg into mailbox of rcpt's Maildir.
func (s *MaildirStore) Store(ctx context.Context, rcpt userdb.Recipient, mailbox string, opts StoreOptions, msg io.Reader) (Stored, error) {
	md, closeMD, err := s.openFor(ctx, rcpt)
	if err != nil {
		return Stored{}, maildirError(mailbox, err)
	}
	defer closeMD()
	d, err := md.Deliver(ctx, mailbox, msg, maildir.DeliverOptions{
		Flags: opts.Flags, Create: opts.Create, Subscribe: opts.Subscribe,
	})
	if err != nil {
		return Stored{}, maildirError(mailbox, err)
	}
	return Stored{Mailbox: d.Mailbox, Path: d.Path, Size: d.Size}, nil
}

// openFor opens rcpt's Maildir with its layout and quota (the user's
// quota_rule, else Options.Quota) and cleans its tmp/ now and then.
func (s *MaildirStore) openFor(ctx context.Context, rcpt userdb.Recipient) (*maildir.Maildir, func(), error) {
	if rcpt.MailRoot == "" {
		return nil, nil, fmt.Errorf("user %q has no mail root", rcpt.User)
	}
	o := s.Options
	switch strings.ToLower(rcpt.MailLayout) {
	case "", "maildir++":
		o.Layout = maildir.LayoutMaildirPP
	case "fs":
		o.Layout = maildir.LayoutFS
	default:
		return nil, nil, fmt.Errorf("unknown mail layout %q", rcpt.MailLayout)
	}
	if rule, ok := rcpt.Extra["quota_rule"]; ok {
		if q, err := ParseQuotaRule(rule); err != nil {
			if log := s.Options.Logger; log != nil {
				log.Warn("ignoring the user's invalid quota_rule", "user", rcpt.User, "rule", rule, "error", err)
			}
		} else {
			o.Quota = q
		}
	}
	md, closeMD, err := s.open(rcpt.MailRoot, o)
	if err != nil {
		return nil, nil, err
	}
	s.cleanTmp(ctx, md, rcpt)
	return md, closeMD, nil
}

// open returns the Maildir at root with o's layout and quota, kept open
// between deliveries (see mdCache). The returned function releases it.
func (s *MaildirStore) open(root string, o maildir.Options) (*maildir.Maildir, func(), error) {
	key := mdKey{root: filepath.Clean(root), layout: o.Layout, quota: o.Quota}
	return s.acquire(key, func() (*maildir.Maildir, func(), error) { return s.openFresh(root, o) })
}

// openFresh opens the Maildir at root, through WrapFS when it is set. The
// returned function closes it.
func (s *MaildirStore) openFresh(root string, o maildir.Options) (*maildir.Maildir, func(), error) {
	if s.WrapFS != nil {
		o.WrapFS = func(f maildir.FS) maildir.FS { return s.WrapFS(root, f) }
	}
	md, err := maildir.Open(root, o)
	if err != nil {
		return nil, nil, err
	}
	return md, func() { md.Close() }, nil
}

// cleanTmp runs maildir.CleanTmp on md when its root was not cleaned by
// this store within tmpCleanInterval. It is a readdir of each tmp/, cheap
// enough to run inline; a failure is logged and never fails the delivery.
func (s *MaildirStore) cleanTmp(ctx context.Context, md *maildir.Maildir, rcpt userdb.Recipient) {
	now := time.Now
	if s.now != nil {
		now = s.now
	}
	t := now()
	root := md.Root()
	s.mu.Lock()
	if s.cleaned == nil {
		s.cleaned = make(map[string]time.Time)
	}
	if last, ok := s.cleaned[root]; ok && t.Sub(last) < tmpCleanInterval {
		s.mu.Unlock()
		return
	}
	s.cleaned[root] = t
	if len(s.cleaned) > max(s.pruneAt, 1024) {
		// Forget roots whose interval is over, so the map stays as small
		// as the set of users who received mail in the last hour. The
		// next pass waits until the map doubles, so that a busy hour
		// does not scan it at every delivery.
		for r, last := range s.cleaned {
			if t.Sub(last) >= tmpCleanInterval {
				delete(s.cleaned, r)
			}
		}
		s.pruneAt = 2 * len(s.cleaned)
	}
	s.mu.Unlock()

	n, err := maildir.CleanTmp(ctx, md, t)
	log := s.Options.Logger
	if log == nil {
		return
	}
	switch {
	case err != nil && !errors.Is(err, context.Canceled):
		log.LogAttrs(ctx, slog.LevelWarn, "cannot clean Maildir tmp/",
			slog.String("user", rcpt.User), slog.String("root", root),
			slog.Int("removed", n), slog.Any("err", err))
	case n > 0:
		log.LogAttrs(ctx, slog.LevelInfo, "removed abandoned files from Maildir tmp/",
			slog.String("user", rcpt.User), slog.String("root", root),
			slog.Int("removed", n), slog.Duration("older_than", maildir.TmpMaxAge))
	}
}

// maildirError translates the maildir package's errors for Reply.
func maildirError(mailbox string, err error) error {
	switch {
	case errors.Is(err, maildir.ErrQuotaExceeded):
		return &QuotaError{Mailbox: mailbox, Err: err}
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	default:
		// Invalid names and missing mailboxes are the agent's to avoid
		// (Sieve falls back to INBOX); if they still reach here, retrying
		// later is the safe answer.
		return &StorageError{Mailbox: mailbox, Err: err}
	}
}
