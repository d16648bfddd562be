package delivery

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/sluice-mail/sluice/internal/userdb"
	"github.com/sluice-mail/sluice/maildir"
)

// MaildirStore is the Store that writes into each recipient's Maildir
// (MailRoot, in the MailLayout the user database gives). Each store is
// durable before it returns: the maildir package syncs the file and its
// directory.
type MaildirStore struct {
	// Options are the maildir options for every recipient; Layout is
	// replaced by the recipient's MailLayout.
	Options maildir.Options
}

var _ Store = (*MaildirStore)(nil)

// Store delivers msg into mailbox of rcpt's Maildir.
func (s *MaildirStore) Store(ctx context.Context, rcpt userdb.Recipient, mailbox string, opts StoreOptions, msg io.Reader) (Stored, error) {
	if rcpt.MailRoot == "" {
		return Stored{}, &StorageError{Mailbox: mailbox, Err: fmt.Errorf("user %q has no mail root", rcpt.User)}
	}
	o := s.Options
	switch strings.ToLower(rcpt.MailLayout) {
	case "", "maildir++":
		o.Layout = maildir.LayoutMaildirPP
	case "fs":
		o.Layout = maildir.LayoutFS
	default:
		return Stored{}, &StorageError{Mailbox: mailbox, Err: fmt.Errorf("unknown mail layout %q", rcpt.MailLayout)}
	}
	md, err := maildir.Open(rcpt.MailRoot, o)
	if err != nil {
		return Stored{}, maildirError(mailbox, err)
	}
	defer md.Close()
	d, err := md.Deliver(ctx, mailbox, msg, maildir.DeliverOptions{
		Flags: opts.Flags, Create: opts.Create, Subscribe: opts.Subscribe,
	})
	if err != nil {
		return Stored{}, maildirError(mailbox, err)
	}
	return Stored{Mailbox: d.Mailbox, Path: d.Path, Size: d.Size}, nil
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
