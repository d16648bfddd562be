package outbound

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
)

// Sender hands one message to a mail transfer agent.
type Sender interface {
	// Send transmits msg (an RFC 5322 message; LF or CRLF line endings) to
	// env.To with env.From as the envelope sender. A nil error means the
	// MTA accepted the message for every recipient.
	Send(ctx context.Context, env Envelope, msg io.Reader) error
}

// Envelope is the SMTP envelope of an outgoing message.
type Envelope struct {
	// From is the envelope sender without angle brackets; "" is the null
	// sender, used for replies that must never be answered or bounced.
	From string
	// To are the envelope recipients, without angle brackets.
	To []string
}

// validate rejects envelopes that could not be written on an SMTP command
// line or a sendmail command line.
func (env Envelope) validate() error {
	if err := checkAddr(env.From); err != nil {
		return &Error{Enhanced: "5.1.7", Msg: fmt.Sprintf("bad sender address %q: %v", env.From, err)}
	}
	if len(env.To) == 0 {
		return &Error{Enhanced: "5.1.3", Msg: "no recipients"}
	}
	for _, to := range env.To {
		if to == "" {
			return &Error{Enhanced: "5.1.3", Msg: "empty recipient address", Rcpt: to}
		}
		if err := checkAddr(to); err != nil {
			return &Error{Enhanced: "5.1.3", Msg: fmt.Sprintf("bad recipient address %q: %v", to, err), Rcpt: to}
		}
	}
	return nil
}

func checkAddr(a string) error {
	for _, r := range a {
		switch {
		case r < 0x20 || r == 0x7f:
			return errors.New("control character")
		case r == '<' || r == '>':
			return errors.New("angle bracket")
		}
	}
	return nil
}

// Error is a failure to hand a message over. Use errors.As to get it from
// the error a Sender returns.
type Error struct {
	// Temporary is true when sending again later may succeed.
	Temporary bool
	// Code is the SMTP reply code, or 0 when there was no reply.
	Code int
	// Enhanced is the RFC 3463 enhanced status code ("4.3.0"), or "".
	Enhanced string
	// Msg is the reply text or a description of what went wrong.
	Msg string
	// Rcpt is the recipient a RCPT reply was about, or "".
	Rcpt string
	// ExitCode is the sendmail program's exit status, or 0.
	ExitCode int
	// Err is the underlying error (a network error, context.DeadlineExceeded,
	// *exec.ExitError, ...), or nil.
	Err error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("outbound: ")
	if e.Code != 0 {
		fmt.Fprintf(&b, "%d ", e.Code)
	}
	if e.Enhanced != "" {
		b.WriteString(e.Enhanced + " ")
	}
	b.WriteString(e.Msg)
	if e.Rcpt != "" {
		fmt.Fprintf(&b, " (recipient <%s>)", e.Rcpt)
	}
	if e.Temporary {
		b.WriteString(" [temporary]")
	} else {
		b.WriteString(" [permanent]")
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// RcptError reports that the relay refused some recipients. The message
// was sent to the Accepted ones (none, if Accepted is empty); sending it
// again to them would duplicate it.
type RcptError struct {
	// Accepted are the recipients the message was delivered to the relay for.
	Accepted []string
	// Failed holds one *Error per refused recipient, temporary ones first.
	Failed []*Error
}

func newRcptError(accepted []string, failed []*Error) *RcptError {
	failed = slices.Clone(failed)
	slices.SortStableFunc(failed, func(a, b *Error) int {
		switch {
		case a.Temporary == b.Temporary:
			return 0
		case a.Temporary:
			return -1
		}
		return 1
	})
	return &RcptError{Accepted: accepted, Failed: failed}
}

func (e *RcptError) Error() string {
	msgs := make([]string, len(e.Failed))
	for i, f := range e.Failed {
		msgs[i] = f.Error()
	}
	return fmt.Sprintf("outbound: %d recipient(s) refused, %d accepted: %s",
		len(e.Failed), len(e.Accepted), strings.Join(msgs, "; "))
}

// Unwrap returns the per-recipient errors, so that errors.As finds the
// first (a temporary one, if any) as *Error.
func (e *RcptError) Unwrap() []error {
	errs := make([]error, len(e.Failed))
	for i, f := range e.Failed {
		errs[i] = f
	}
	return errs
}

// Temporary reports whether any refusal was temporary.
func (e *RcptError) Temporary() bool {
	for _, f := range e.Failed {
		if f.Temporary {
			return true
		}
	}
	return false
}

// IsTemporary reports whether err, returned by a Sender, is worth retrying.
// Errors that are not an *Error are temporary: an unexplained failure must
// not turn into a bounce.
func IsTemporary(err error) bool {
	if err == nil {
		return false
	}
	var re *RcptError
	if errors.As(err, &re) {
		return re.Temporary()
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Temporary
	}
	return true
}
