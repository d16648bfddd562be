package delivery

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"
	"unicode"
	"unicode/utf8"

	"github.com/emersion/go-smtp"

	"github.com/sluice-mail/sluice/internal/userdb"
)

// Sentinel errors that delivery itself produces. Match them with errors.Is.
var (
	// ErrBadAddress means a recipient address is syntactically invalid
	// (501 5.1.3). It is the user database's own sentinel.
	ErrBadAddress = userdb.ErrBadAddress
	// ErrNeedsSMTPUTF8 means a non-ASCII address came in a transaction
	// that did not ask for SMTPUTF8 (RFC 6531 §3.4).
	ErrNeedsSMTPUTF8 = errors.New("non-ASCII address without SMTPUTF8")
	// ErrMessageTooBig means the message exceeded the configured size.
	ErrMessageTooBig = errors.New("message too big")
	// ErrShuttingDown means the server is going away.
	ErrShuttingDown = errors.New("server shutting down")
	// ErrClientGone means the client disconnected before the end of the
	// message; nothing is delivered.
	ErrClientGone = errors.New("client disconnected before end of message")
	// ErrUsage means a command line was wrong (LDA path only).
	ErrUsage = errors.New("usage error")
)

// RejectError means the message was refused for a recipient on purpose,
// for example by a Sieve reject. Reason is shown to the sender.
type RejectError struct {
	Reason string
}

func (e *RejectError) Error() string { return "rejected: " + e.Reason }

// QuotaError means storing would exceed the recipient's quota.
type QuotaError struct {
	Mailbox string
	Err     error
}

func (e *QuotaError) Error() string {
	return fmt.Sprintf("quota exceeded storing into %q: %v", e.Mailbox, e.Err)
}

func (e *QuotaError) Unwrap() error { return e.Err }

// StorageError is an I/O failure while storing a message. It is always
// temporary; the wrapped errno (if any) refines the reply.
type StorageError struct {
	Mailbox string
	Err     error
}

func (e *StorageError) Error() string {
	return fmt.Sprintf("storing into %q: %v", e.Mailbox, e.Err)
}

func (e *StorageError) Unwrap() error { return e.Err }

// LookupError means the user database could not answer; temporary.
type LookupError struct {
	Address string
	Err     error
}

func (e *LookupError) Error() string {
	return fmt.Sprintf("looking up %q: %v", e.Address, e.Err)
}

func (e *LookupError) Unwrap() error { return e.Err }

// TempError is a temporary failure whose Reason may be shown to the
// client. Err carries the details, which only go to the log.
type TempError struct {
	Reason string
	Err    error
}

func (e *TempError) Error() string {
	if e.Err == nil {
		return "temporary failure: " + e.Reason
	}
	return fmt.Sprintf("temporary failure: %s: %v", e.Reason, e.Err)
}

func (e *TempError) Unwrap() error { return e.Err }

// RecipientError ties an error to the RCPT address it concerns; at RCPT
// time the reply text then starts with "<address>", as Dovecot does.
type RecipientError struct {
	Address string
	Err     error
}

func (e *RecipientError) Error() string { return fmt.Sprintf("<%s>: %v", e.Address, e.Err) }

func (e *RecipientError) Unwrap() error { return e.Err }

// ReplyPolicy holds the administrator's choices that change how errors
// are answered. The zero value is the default policy.
type ReplyPolicy struct {
	// QuotaTemporary answers an over-quota recipient with 452 4.2.2 (retry
	// later) instead of 552 5.2.2.
	QuotaTemporary bool
}

// maxReasonLen bounds a reject reason shown in a reply line.
const maxReasonLen = 200

// Reply turns err into the LMTP reply for it with the default policy.
// See ReplyPolicy.Reply.
func Reply(err error) *smtp.SMTPError { return ReplyPolicy{}.Reply(err) }

// ExitCode turns err into a sysexits(3) code with the default policy.
// See ReplyPolicy.ExitCode.
func ExitCode(err error) int { return ReplyPolicy{}.ExitCode(err) }

// Reply turns err into the LMTP reply for it. It always returns a bare
// *smtp.SMTPError, never a wrapped one: go-smtp checks the type with a plain
// type assertion and turns anything else into a permanent 554. A nil err
// gives 250 2.0.0. Unknown errors give 451 4.3.0 and never leak details;
// log err itself for those.
func (p ReplyPolicy) Reply(err error) *smtp.SMTPError {
	r := p.reply(err)
	var re *RecipientError
	if err != nil && errors.As(err, &re) && re.Address != "" {
		r.Message = "<" + sanitizeLine(re.Address, maxReasonLen) + "> " + r.Message
	}
	return r
}

func (p ReplyPolicy) reply(err error) *smtp.SMTPError {
	var (
		reject *RejectError
		quota  *QuotaError
		lookup *LookupError
		store  *StorageError
		temp   *TempError
		serr   *smtp.SMTPError
	)
	switch {
	case err == nil:
		return reply(250, 2, 0, 0, "OK")
	case errors.As(err, &reject):
		// RFC 5429 section 2.1: the reason goes into the 550 5.7.1 reply.
		reason := sanitizeLine(reject.Reason, maxReasonLen)
		if reason == "" {
			reason = "Message rejected"
		}
		return reply(550, 5, 7, 1, reason)
	case errors.Is(err, userdb.ErrUnknownUser):
		return reply(550, 5, 1, 1, "User doesn't exist")
	case errors.Is(err, ErrBadAddress):
		return reply(501, 5, 1, 3, "Bad recipient address syntax")
	case errors.Is(err, ErrNeedsSMTPUTF8):
		// RFC 6531 §3.7.4.2 / RFC 3463: X.6.7, non-ASCII addresses not permitted.
		return reply(553, 5, 6, 7, "Non-ASCII address requires SMTPUTF8")
	case errors.Is(err, ErrMessageTooBig), errors.Is(err, smtp.ErrDataTooLarge):
		return reply(552, 5, 3, 4, "Message too big")
	case errors.As(err, &quota), errors.Is(err, syscall.EDQUOT):
		// RFC 3463: X.2.2 mailbox full.
		if p.QuotaTemporary {
			return reply(452, 4, 2, 2, "Mailbox is full")
		}
		return reply(552, 5, 2, 2, "Mailbox is full")
	case errors.Is(err, syscall.ENOSPC):
		return reply(452, 4, 3, 1, "Insufficient system storage")
	case errors.Is(err, ErrShuttingDown):
		return reply(421, 4, 3, 2, "Service shutting down")
	case errors.Is(err, ErrClientGone), errors.Is(err, smtp.ErrDataReset), errors.Is(err, io.ErrUnexpectedEOF):
		return reply(451, 4, 3, 0, "Message transfer aborted")
	case errors.Is(err, os.ErrDeadlineExceeded):
		// The client stopped sending within the read timeout; go-smtp
		// then closes the connection with 421 4.4.2.
		return reply(451, 4, 4, 2, "Timeout receiving the message")
	case errors.Is(err, smtp.ErrTooLongLine):
		// RFC 5321 section 4.5.3.1.6: a text line is at most 1000
		// octets; go-smtp refuses DATA lines over 2000 (BDAT has no
		// limit). Sending the same message again cannot help.
		return reply(554, 5, 6, 0, "Line too long in the message")
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return reply(451, 4, 3, 0, "Delivery interrupted, try again later")
	case errors.As(err, &lookup):
		return reply(451, 4, 3, 0, "Temporary user lookup failure")
	case errors.As(err, &store):
		if errors.Is(err, syscall.EACCES) || errors.Is(err, syscall.EPERM) ||
			errors.Is(err, syscall.EROFS) {
			// RFC 3463: X.2.0 the mailbox exists but cannot take mail now.
			return reply(451, 4, 2, 0, "Mailbox temporarily unavailable")
		}
		return reply(451, 4, 3, 0, "Temporary storage failure")
	case errors.As(err, &temp):
		reason := sanitizeLine(temp.Reason, maxReasonLen)
		if reason == "" {
			reason = "Temporary failure"
		}
		return reply(451, 4, 3, 0, reason)
	case errors.As(err, &serr):
		c := *serr
		return &c
	default:
		return reply(451, 4, 3, 0, "Temporary internal error")
	}
}

// ExitCode turns err into a sysexits(3) code for the LDA path: 0 ok,
// 64 usage or bad address, 67 unknown user, 77 permanently rejected (any
// 5xx reply), 75 temporary failure (everything else, so the MTA retries).
func (p ReplyPolicy) ExitCode(err error) int {
	const (
		exOK       = 0
		exUsage    = 64
		exNoUser   = 67
		exTempFail = 75
		exNoPerm   = 77
	)
	switch {
	case err == nil:
		return exOK
	case errors.Is(err, ErrUsage), errors.Is(err, ErrBadAddress):
		return exUsage
	case errors.Is(err, userdb.ErrUnknownUser):
		return exNoUser
	}
	if p.Reply(err).Code/100 == 5 {
		return exNoPerm
	}
	return exTempFail
}

// savedReply is the reply for a recipient whose copy was handled.
// go-smtp puts "<address> " in front of it: "250 2.0.0 <addr> <id> Saved".
func savedReply(sessionID string) *smtp.SMTPError {
	return reply(250, 2, 0, 0, sessionID+" Saved")
}

func reply(code, a, b, c int, msg string) *smtp.SMTPError {
	return &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCode{a, b, c}, Message: msg}
}

// sanitizeLine makes s safe for one reply or header line: control
// characters and invalid UTF-8 become spaces, runs of spaces collapse, and
// the result is cut to at most max bytes on a rune boundary.
func sanitizeLine(s string, max int) string {
	var b strings.Builder
	space := false
	for _, r := range s {
		if r == utf8.RuneError || unicode.IsControl(r) || unicode.IsSpace(r) || !unicode.IsPrint(r) {
			space = b.Len() > 0
			continue
		}
		need := utf8.RuneLen(r)
		if space {
			need++
		}
		if b.Len()+need > max {
			break
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	return b.String()
}
