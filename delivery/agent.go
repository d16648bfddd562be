package delivery

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/emersion/go-message/textproto"

	"github.com/sluice-mail/sluice/internal/userdb"
	"github.com/sluice-mail/sluice/maildir"
)

// Agent decides and carries out what happens to one recipient's copy.
// It is the seam where Sieve filtering plugs in; the default keeps into INBOX.
type Agent interface {
	Deliver(ctx context.Context, d *Delivery) (Outcome, error)
}

// Store writes one message into one mailbox of a recipient. Its errors
// should be, or wrap, *QuotaError, *StorageError or a syscall errno so
// that Reply can answer precisely; anything else is a temporary failure.
type Store interface {
	Store(ctx context.Context, rcpt userdb.Recipient, mailbox string, opts StoreOptions, msg io.Reader) (Stored, error)
}

// StoreOptions asks for flags and folder handling on one store.
type StoreOptions struct {
	// Flags are IMAP flags (e.g. `\Seen`) or keywords to set.
	Flags []string
	// Create creates the mailbox when missing; Subscribe also subscribes it.
	Create, Subscribe bool
}

// Stored says where one copy was written.
type Stored struct {
	Mailbox string
	Path    string
	Size    int64
}

// Delivery is one recipient's copy of a message with its envelope.
type Delivery struct {
	// SessionID names the LMTP session (or LDA run) in logs and replies.
	SessionID string
	// Sender is the envelope sender; "" for the null sender <>.
	Sender string
	// Recipient is the resolved envelope recipient.
	Recipient userdb.Recipient
	// OriginalRecipient is the RFC 3461 ORCPT address, or "" if none.
	OriginalRecipient string
	// RemoteAddr and LHLO describe the client.
	RemoteAddr, LHLO string
	// UTF8 is set when the client used SMTPUTF8 (RFC 6531).
	UTF8 bool
	// Body is the MAIL BODY= parameter ("", "7BIT" or "8BITMIME").
	Body string
	// Message is this recipient's copy.
	Message *Message
	// DefaultMailbox replaces INBOX as the target of keep (dovecot-lda's
	// -m); "" means INBOX. A missing one falls back to INBOX unless
	// mailboxes are autocreated.
	DefaultMailbox string
}

// Message is one recipient's copy of a message: the header lines added for
// that recipient followed by the shared spooled message. It is never held
// in memory twice; Open gives a fresh reader each time.
type Message struct {
	prefix string
	spool  *Spool
	// Header is the parsed top-level header of the spooled message (not
	// including the per-recipient lines). Shared: do not modify.
	Header textproto.Header
}

// NewMessage builds a message from per-recipient header lines (each ending
// in LF, may be empty), the shared spool and its parsed header.
func NewMessage(prefix string, spool *Spool, hdr textproto.Header) *Message {
	return &Message{prefix: prefix, spool: spool, Header: hdr}
}

// Open returns a reader over the whole copy, with LF line endings.
func (m *Message) Open() io.Reader {
	if m.prefix == "" {
		return m.spool.Reader()
	}
	return io.MultiReader(strings.NewReader(m.prefix), m.spool.Reader())
}

// Size is the number of bytes Open yields.
func (m *Message) Size() int64 { return int64(len(m.prefix)) + m.spool.Size() }

// MessageID is the Message-ID header without angle brackets, or "".
func (m *Message) MessageID() string {
	return strings.Trim(strings.TrimSpace(m.Header.Get("Message-Id")), "<>")
}

// Outcome says what an Agent did with one recipient's copy.
type Outcome struct {
	// Stored lists every mailbox the copy was written to.
	Stored []Stored
	// Discarded is set when the copy was deliberately dropped.
	Discarded bool
	// Reject, when not "", refuses the copy with this reason (550 5.7.1).
	Reject string
	// Actions are free-form notes for the log (e.g. "redirect a@b").
	Actions []string
}

// KeepAgent is the default Agent: it stores every copy into INBOX.
type KeepAgent struct {
	Store Store
}

var _ Agent = (*KeepAgent)(nil)

// Deliver stores d into the recipient's INBOX.
func (a *KeepAgent) Deliver(ctx context.Context, d *Delivery) (Outcome, error) {
	box := cmp.Or(d.DefaultMailbox, "INBOX")
	st, err := a.Store.Store(ctx, d.Recipient, box, StoreOptions{}, d.Message.Open())
	if box != "INBOX" && errors.Is(err, maildir.ErrMailboxNotFound) {
		st, err = a.Store.Store(ctx, d.Recipient, "INBOX", StoreOptions{}, d.Message.Open())
	}
	if err != nil {
		return Outcome{}, fmt.Errorf("keep: %w", err)
	}
	return Outcome{Stored: []Stored{st}}, nil
}
