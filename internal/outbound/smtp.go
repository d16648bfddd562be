package outbound

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"time"

	"github.com/emersion/go-smtp"
)

// SMTPSender sends through an SMTP relay. The zero value sends to the MTA
// on 127.0.0.1:25.
type SMTPSender struct {
	// Addr is the relay's host:port (default "127.0.0.1:25").
	Addr string
	// HeloName is the name given in EHLO (default: the host name).
	HeloName string
	// Timeout bounds the whole transaction, from connecting to the reply
	// after DATA (default 2 minutes).
	Timeout time.Duration
	// StartTLS makes the sender require STARTTLS (RFC 3207) before MAIL.
	// Not needed for a relay on the loopback interface.
	StartTLS bool
	// TLSConfig is used for STARTTLS; its ServerName defaults to Addr's host.
	TLSConfig *tls.Config
}

var _ Sender = (*SMTPSender)(nil)

const defaultSMTPTimeout = 2 * time.Minute

// Send implements Sender. One connection is used per call.
func (s *SMTPSender) Send(ctx context.Context, env Envelope, msg io.Reader) error {
	if err := env.validate(); err != nil {
		return err
	}
	addr := s.Addr
	if addr == "" {
		addr = "127.0.0.1:25"
	}
	timeout := s.Timeout
	if timeout <= 0 {
		timeout = defaultSMTPTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return transientErr(ctx, "connect to "+addr, err)
	}
	// go-smtp's client takes no context: closing the connection when ctx
	// ends makes any blocked read or write return at once.
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	defer conn.Close()

	c, err := s.newClient(conn, addr)
	if err != nil {
		return sessionErr(ctx, "STARTTLS", err)
	}
	defer c.Close()
	// ctx is what bounds the transaction; the client's own per-command
	// deadlines are only a backstop behind it.
	c.CommandTimeout = timeout + time.Second
	c.SubmissionTimeout = timeout + time.Second

	if err := c.Hello(s.heloName()); err != nil {
		return sessionErr(ctx, "greeting", err)
	}

	opts := &smtp.MailOptions{}
	if !isASCII(env.From) || !allASCII(env.To) {
		// RFC 6531 §3.4: without SMTPUTF8 at the relay, a non-ASCII
		// address cannot be transmitted; that does not change on retry.
		if ok, _ := c.Extension("SMTPUTF8"); !ok {
			return &Error{Enhanced: "5.6.7", Msg: "relay does not support SMTPUTF8, needed for a non-ASCII address"}
		}
		opts.UTF8 = true
	}
	if err := c.Mail(env.From, opts); err != nil {
		return replyErr(ctx, "MAIL FROM", "", err)
	}

	var accepted []string
	var failed []*Error
	for _, to := range env.To {
		err := c.Rcpt(to, nil)
		if err == nil {
			accepted = append(accepted, to)
			continue
		}
		var se *smtp.SMTPError
		if !errors.As(err, &se) {
			return transientErr(ctx, "RCPT TO", err)
		}
		failed = append(failed, replyErr(ctx, "RCPT TO", to, err))
	}
	if len(accepted) == 0 {
		// Nothing to send; RFC 5321 §3.3 lets the client simply end the
		// transaction.
		_ = c.Quit()
		return newRcptError(nil, failed)
	}

	w, err := c.Data()
	if err != nil {
		return replyErr(ctx, "DATA", "", err)
	}
	if _, err := io.Copy(w, msg); err != nil {
		// Closing the connection without the final dot aborts the
		// transaction (RFC 5321 §4.1.4): nothing is delivered.
		return transientErr(ctx, "send message data", err)
	}
	if err := w.Close(); err != nil {
		return replyErr(ctx, "end of DATA", "", err)
	}
	// The message is accepted; a failing QUIT changes nothing.
	_ = c.Quit()
	if len(failed) > 0 {
		return newRcptError(accepted, failed)
	}
	return nil
}

func (s *SMTPSender) newClient(conn net.Conn, addr string) (*smtp.Client, error) {
	if !s.StartTLS {
		return smtp.NewClient(conn), nil
	}
	cfg := s.TLSConfig
	if cfg == nil {
		cfg = &tls.Config{}
	}
	if cfg.ServerName == "" {
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			host = addr
		}
		cfg = cfg.Clone()
		cfg.ServerName = host
	}
	// go-smtp says EHLO as "localhost" before STARTTLS; the EHLO after it,
	// the one that counts, carries HeloName.
	return smtp.NewClientStartTLS(conn, cfg)
}

func (s *SMTPSender) heloName() string {
	if s.HeloName != "" {
		return s.HeloName
	}
	if h, err := os.Hostname(); err == nil && h != "" {
		return h
	}
	return "localhost"
}

// transientErr describes a failure without an SMTP reply: always temporary.
func transientErr(ctx context.Context, what string, err error) *Error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return &Error{Temporary: true, Enhanced: "4.4.2",
			Msg: fmt.Sprintf("%s: %v (%v)", what, ctxErr, err), Err: errors.Join(ctxErr, err)}
	}
	return &Error{Temporary: true, Enhanced: "4.4.1", Msg: fmt.Sprintf("%s: %v", what, err), Err: err}
}

// sessionErr classifies failures of the greeting, EHLO or STARTTLS. They
// concern the connection, not this message, so even a 5xx reply is
// temporary: RFC 5321 §3.1 lets a relay refuse service ("554") at
// connection time, and the message may go through once it accepts again.
func sessionErr(ctx context.Context, what string, err error) *Error {
	var se *smtp.SMTPError
	if !errors.As(err, &se) {
		return transientErr(ctx, what, err)
	}
	e := replyErr(ctx, what, "", err)
	e.Temporary = true
	return e
}

// replyErr classifies a failed command: a 5xx reply is permanent
// (RFC 5321 §4.2.1), anything else temporary.
func replyErr(ctx context.Context, what, rcpt string, err error) *Error {
	var se *smtp.SMTPError
	if !errors.As(err, &se) {
		e := transientErr(ctx, what, err)
		e.Rcpt = rcpt
		return e
	}
	return &Error{
		Temporary: se.Code/100 != 5,
		Code:      se.Code,
		Enhanced:  enhanced(se.EnhancedCode),
		Msg:       what + ": " + se.Message,
		Rcpt:      rcpt,
		Err:       err,
	}
}

func enhanced(c smtp.EnhancedCode) string {
	if c == smtp.EnhancedCodeNotSet || c == smtp.NoEnhancedCode {
		return ""
	}
	return fmt.Sprintf("%d.%d.%d", c[0], c[1], c[2])
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func allASCII(ss []string) bool {
	for _, s := range ss {
		if !isASCII(s) {
			return false
		}
	}
	return true
}
