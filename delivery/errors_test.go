package delivery

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/sluice-mail/sluice/internal/userdb"
)

func TestReplyAndExitCode(t *testing.T) {
	wrap := func(err error) error { return fmt.Errorf("outer: %w", fmt.Errorf("inner: %w", err)) }
	tests := []struct {
		name  string
		err   error
		quota bool // QuotaTemporary
		want  string
		exit  int
	}{
		{"ok", nil, false, "250 2.0.0 OK", 0},
		{"unknown user", wrap(userdb.ErrUnknownUser), false, "550 5.1.1 User doesn't exist", 67},
		{"unknown user at rcpt", &RecipientError{Address: "x@y", Err: wrap(userdb.ErrUnknownUser)}, false, "550 5.1.1 <x@y> User doesn't exist", 67},
		{"bad address", wrap(ErrBadAddress), false, "501 5.1.3 Bad recipient address syntax", 64},
		{"usage", ErrUsage, false, "451 4.3.0 Temporary internal error", 64},
		{"quota", wrap(&QuotaError{Mailbox: "INBOX"}), false, "552 5.2.2 Mailbox is full", 77},
		{"quota temporary", &QuotaError{Mailbox: "INBOX"}, true, "452 4.2.2 Mailbox is full", 75},
		{"EDQUOT", &StorageError{Err: &fs.PathError{Op: "write", Err: syscall.EDQUOT}}, false, "552 5.2.2 Mailbox is full", 77},
		{"too big", wrap(ErrMessageTooBig), false, "552 5.3.4 Message too big", 77},
		{"too big from go-smtp", fmt.Errorf("read: %w", smtp.ErrDataTooLarge), false, "552 5.3.4 Message too big", 77},
		{"rejected", wrap(&RejectError{Reason: "go\x00 away\r\n\tnow"}), false, "550 5.7.1 go away now", 77},
		{"rejected empty", &RejectError{}, false, "550 5.7.1 Message rejected", 77},
		{"rejected long", &RejectError{Reason: strings.Repeat("é", 300)}, false, "550 5.7.1 " + strings.Repeat("é", 100), 77},
		{"ENOSPC", wrap(&fs.PathError{Op: "write", Path: "/secret", Err: syscall.ENOSPC}), false, "452 4.3.1 Insufficient system storage", 75},
		{"EROFS", &StorageError{Err: &fs.PathError{Op: "open", Err: syscall.EROFS}}, false, "451 4.2.0 Mailbox temporarily unavailable", 75},
		{"EACCES", wrap(&StorageError{Err: syscall.EACCES}), false, "451 4.2.0 Mailbox temporarily unavailable", 75},
		{"EIO", &StorageError{Err: syscall.EIO}, false, "451 4.3.0 Temporary storage failure", 75},
		{"storage other", &StorageError{Err: errors.New("lock timeout")}, false, "451 4.3.0 Temporary storage failure", 75},
		{"lookup", &LookupError{Address: "a@b", Err: errors.New("ldap down")}, false, "451 4.3.0 Temporary user lookup failure", 75},
		{"lookup at rcpt", &RecipientError{Address: "a@b", Err: &LookupError{Err: errors.New("x")}}, false, "451 4.3.0 <a@b> Temporary user lookup failure", 75},
		{"shutdown", wrap(ErrShuttingDown), false, "421 4.3.2 Service shutting down", 75},
		{"canceled", wrap(context.Canceled), false, "451 4.3.0 Delivery interrupted, try again later", 75},
		{"deadline", context.DeadlineExceeded, false, "451 4.3.0 Delivery interrupted, try again later", 75},
		{"client gone", io.ErrUnexpectedEOF, false, "451 4.3.0 Message transfer aborted", 75},
		{"temp with reason", &TempError{Reason: "Sieve keep failed", Err: errors.New("x")}, false, "451 4.3.0 Sieve keep failed", 75},
		{"wrapped smtp error", wrap(&smtp.SMTPError{Code: 450, EnhancedCode: smtp.EnhancedCode{4, 2, 1}, Message: "busy"}), false, "450 4.2.1 busy", 75},
		{"unknown", errors.New("open /home/alice/Maildir: weird"), false, "451 4.3.0 Temporary internal error", 75},
		{"unknown wrapped", wrap(net.ErrClosed), false, "451 4.3.0 Temporary internal error", 75},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := ReplyPolicy{QuotaTemporary: tt.quota}
			r := p.Reply(tt.err)
			if got := replyString(r); got != tt.want {
				t.Errorf("Reply = %q, want %q", got, tt.want)
			}
			if got := p.ExitCode(tt.err); got != tt.exit {
				t.Errorf("ExitCode = %d, want %d", got, tt.exit)
			}
			if tt.err != nil && r.Code/100 == 5 && strings.Contains(tt.name, "unknown") && !strings.Contains(tt.name, "user") {
				t.Error("unknown error became permanent")
			}
		})
	}
	if r := Reply(errors.New("x")); r == nil || Reply(nil).Code != 250 || ExitCode(nil) != 0 {
		t.Error("package-level Reply/ExitCode")
	}
}

// oneStatusSession answers every recipient with status.
type oneStatusSession struct{ status error }

func (s *oneStatusSession) Reset()                               {}
func (s *oneStatusSession) Logout() error                        { return nil }
func (s *oneStatusSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s *oneStatusSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (s *oneStatusSession) Data(r io.Reader) error               { return nil }
func (s *oneStatusSession) LMTPData(r io.Reader, st smtp.StatusCollector) error {
	_, _ = io.Copy(io.Discard, r)
	st.SetStatus("a@example.org", s.status)
	return nil
}

// TestGoSMTPNeedsBareSMTPError documents why Reply never wraps: go-smtp
// recognises only a bare *smtp.SMTPError; a wrapped one, even a 4xx,
// reaches the client as a permanent 554.
func TestGoSMTPNeedsBareSMTPError(t *testing.T) {
	temp := &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try later"}
	tests := []struct {
		name   string
		status error
		want   string
	}{
		{"bare", temp, "451 4.3.0 <a@example.org> try later"},
		{"wrapped", fmt.Errorf("ctx: %w", temp), "554 5.0.0 <a@example.org> Error: transaction failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) {
				return &oneStatusSession{status: tt.status}, nil
			}))
			srv.LMTP = true
			srv.Domain = "mx.test"
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			go srv.Serve(ln)
			defer srv.Close()
			c, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(ioDeadline))
			cv := &conv{t: t, c: c, r: bufio.NewReader(c)}
			cv.expect("220 ")
			cv.send("LHLO x", "MAIL FROM:<>", "RCPT TO:<a@example.org>", "DATA")
			cv.expect("250 ")
			cv.expect("250 ")
			cv.expect("250 ")
			cv.expect("354 ")
			cv.sendRaw(".\r\n")
			cv.expect(tt.want)
		})
	}
}

func TestSanitizeLine(t *testing.T) {
	tests := []struct {
		in   string
		max  int
		want string
	}{
		{"plain", 10, "plain"},
		{"  lead and trail  ", 100, "lead and trail"},
		{"a\r\nb\tc\x7f\xffd", 100, "a b c d"},
		{"abcdef", 3, "abc"},
		{"ab cd", 3, "ab"},
		{"日本語", 7, "日本"},
	}
	for _, tt := range tests {
		if got := sanitizeLine(tt.in, tt.max); got != tt.want {
			t.Errorf("sanitizeLine(%q, %d) = %q, want %q", tt.in, tt.max, got, tt.want)
		}
	}
}
