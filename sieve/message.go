package sieve

import (
	"context"
	"io"
	"time"
)

// Message is what the engine needs from the message being filtered.
type Message interface {
	// Header returns the unfolded, not yet decoded values of every header
	// field with this name (case-insensitive), in message order.
	Header(name string) []string
	// Size is the message size in octets (RFC 5228 §5.9).
	Size() int64
}

// BodySource is an optional add-on to Message for extensions that read the
// body (body, mime, ...). Body returns the raw body, after the header.
type BodySource interface {
	Body() (io.Reader, error)
}

// Envelope is the SMTP/LMTP envelope of the message (RFC 5228 §5.4).
type Envelope interface {
	From() string              // reverse-path, "" for the null sender
	To() string                // the final recipient
	OriginalRecipient() string // ORCPT (RFC 3461), "" when unknown
	Auth() string              // the authenticated sender, "" when none
}

// StaticEnvelope is an Envelope made of fixed values.
type StaticEnvelope struct {
	Sender, Recipient, Original, AuthUser string
}

var _ Envelope = StaticEnvelope{}

func (e StaticEnvelope) From() string              { return e.Sender }
func (e StaticEnvelope) To() string                { return e.Recipient }
func (e StaticEnvelope) OriginalRecipient() string { return e.Original }
func (e StaticEnvelope) Auth() string              { return e.AuthUser }

// Services are optional run-time services. A nil Services, or one lacking an
// add-on interface, gets a safe default.
type Services interface {
	// Now is the current time (date extension, duplicate tracking).
	Now() time.Time
}

// MailboxChecker is an optional add-on to Services (RFC 5490 mailboxexists).
type MailboxChecker interface {
	MailboxExists(ctx context.Context, name string) (bool, error)
}

// Input is everything one run of a script looks at.
type Input struct {
	Message  Message
	Envelope Envelope
	// Environment holds RFC 5183 items ("domain", "host", "name",
	// "version", ...).
	Environment map[string]string
	Services    Services
	// Flags is the initial value of the imap4flags internal variable
	// (RFC 5232 §3), e.g. as left by a script run before this one.
	Flags []string
	// RecipientDelimiter, when set, overrides Options.RecipientDelimiter
	// for this run (RFC 5233 :user and :detail).
	RecipientDelimiter string
	// Separator is the hierarchy separator of mailbox names ('/' when
	// zero): only "INBOX" followed by it names a folder under INBOX,
	// whose prefix is case-insensitive like INBOX itself.
	Separator rune
	// KeepMailbox is where keep stores ("" means INBOX): a fileinto
	// naming that mailbox is the same store as keep (RFC 5228 §2.10.3).
	KeepMailbox string
}

// ParseMessage reads a message (header and body) into a Message that also
// implements BodySource.
func ParseMessage(r io.Reader) (Message, error) {
	return parseMessage(r)
}

// Address is one address of an address header or envelope part.
type Address struct {
	Local, Domain string
	// invalid marks a header value that is not an address list; raw is
	// that value, the only thing :all can match.
	invalid bool
	raw     string
}

// String returns local@domain, or the local part alone.
func (a Address) String() string {
	if a.invalid {
		return a.raw
	}
	if a.Domain == "" {
		return a.Local
	}
	return a.Local + "@" + a.Domain
}

type systemServices struct{}

func (systemServices) Now() time.Time { return time.Now() }
