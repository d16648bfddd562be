// Package userdb maps an envelope recipient to a mail user: who the user is,
// where their home and mail live, and which +detail the address carried
// (RFC 5233 sub-addressing).
//
// Users come from a Source: a Dovecot passwd-file, a static rule for whole
// domains, or the system passwd file. Mail locations and home templates use
// Dovecot's syntax, in its 2.3 (%u %n %d %h) and 2.4 (%{user | domain})
// forms. Directory ties a Source to the address rules and implements
// Resolver.
package userdb

import (
	"context"
	"errors"
)

// ErrUnknownUser means the lookup worked and the user does not exist.
// It is permanent: an LMTP server answers 550 5.1.1 at RCPT time.
// Every other error from a Resolver is temporary (451 4.3.0).
var ErrUnknownUser = errors.New("user doesn't exist")

// ErrBadAddress means the recipient address is not valid syntax
// (RFC 5321 §4.1.2). It is permanent: 501 5.1.3.
var ErrBadAddress = errors.New("bad recipient address")

// Recipient is the outcome of resolving one envelope recipient address.
type Recipient struct {
	// Address is the recipient as given in RCPT TO, without angle brackets.
	Address string
	// User is the canonical user name the lookup matched
	// (e.g. "alice@example.org" or "alice").
	User string
	// Local and Domain are the address parts after folding and after the
	// +detail was removed; Domain is lower case and may be empty.
	Local, Domain string
	// Detail is the sub-address ("lists" for "alice+lists@...") or "".
	Detail string
	// Home is the user's home directory ("" when the user has none).
	Home string
	// UID and GID are the numeric ids mail is written as; -1 when unset.
	UID, GID int
	// MailRoot is the absolute path of the user's Maildir root.
	MailRoot string
	// MailLayout is "maildir++" (default) or "fs".
	MailLayout string
	// Extra holds further passwd-file fields (key=value), e.g. quota rules.
	Extra map[string]string
}

// Resolver resolves envelope recipients to mail users.
type Resolver interface {
	Resolve(ctx context.Context, address string) (Recipient, error)
}
