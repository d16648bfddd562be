package outbound

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/sluice-mail/sluice/internal/smtpsink"
)

const testMsg = "From: alice@example.org\nTo: bob@example.net\nSubject: hi\n\nline one\n.\n..dots\n"

func TestSMTPSenderDelivers(t *testing.T) {
	tests := []struct {
		name     string
		env      Envelope
		wantUTF8 bool
	}{
		{"one recipient", Envelope{From: "alice@example.org", To: []string{"bob@example.net"}}, false},
		{"null sender", Envelope{From: "", To: []string{"bob@example.net"}}, false},
		{"several recipients", Envelope{From: "alice@example.org", To: []string{"bob@example.net", "carol@example.com"}}, false},
		{"UTF-8 recipient", Envelope{From: "alice@example.org", To: []string{"jörg@bücher.example"}}, true},
		{"UTF-8 sender", Envelope{From: "δοκιμή@example.gr", To: []string{"bob@example.net"}}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sink := smtpsink.Start(t)
			s := &SMTPSender{Addr: sink.Addr(), HeloName: "sluice.test", Timeout: 10 * time.Second}
			if err := s.Send(t.Context(), tt.env, strings.NewReader(testMsg)); err != nil {
				t.Fatalf("Send: %v", err)
			}
			msgs := sink.Messages()
			if len(msgs) != 1 {
				t.Fatalf("sink got %d messages, want 1", len(msgs))
			}
			m := msgs[0]
			if m.From != tt.env.From || strings.Join(m.To, ",") != strings.Join(tt.env.To, ",") {
				t.Errorf("envelope %q -> %q, want %q -> %q", m.From, m.To, tt.env.From, tt.env.To)
			}
			if m.UTF8 != tt.wantUTF8 {
				t.Errorf("SMTPUTF8 = %v, want %v", m.UTF8, tt.wantUTF8)
			}
			want := strings.ReplaceAll(testMsg, "\n", "\r\n")
			if string(m.Data) != want {
				t.Errorf("data %q, want %q", m.Data, want)
			}
		})
	}
}

func TestSMTPSenderRefusals(t *testing.T) {
	env := Envelope{From: "alice@example.org", To: []string{"bob@example.net"}}
	tests := []struct {
		name     string
		opts     []smtpsink.Option
		wantTemp bool
		wantCode int
	}{
		{"451 at MAIL", []smtpsink.Option{smtpsink.Refuse(smtpsink.StageMail, 451)}, true, 451},
		{"550 at MAIL", []smtpsink.Option{smtpsink.Refuse(smtpsink.StageMail, 550)}, false, 550},
		{"450 at RCPT", []smtpsink.Option{smtpsink.Refuse(smtpsink.StageRcpt, 450)}, true, 450},
		{"550 at RCPT", []smtpsink.Option{smtpsink.Refuse(smtpsink.StageRcpt, 550)}, false, 550},
		{"451 at DATA", []smtpsink.Option{smtpsink.Refuse(smtpsink.StageData, 451)}, true, 451},
		{"554 at DATA", []smtpsink.Option{smtpsink.Refuse(smtpsink.StageData, 554)}, false, 554},
		// Greeting trouble is about the session, not the message.
		{"554 at EHLO", []smtpsink.Option{smtpsink.Refuse(smtpsink.StageHello, 554)}, true, 554},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sink := smtpsink.Start(t, tt.opts...)
			s := &SMTPSender{Addr: sink.Addr(), Timeout: 10 * time.Second}
			err := s.Send(t.Context(), env, strings.NewReader(testMsg))
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("got %v (%T), want *Error", err, err)
			}
			if e.Temporary != tt.wantTemp || IsTemporary(err) != tt.wantTemp {
				t.Errorf("Temporary = %v / IsTemporary = %v, want %v (%v)", e.Temporary, IsTemporary(err), tt.wantTemp, err)
			}
			if e.Code != tt.wantCode {
				t.Errorf("Code = %d, want %d (%v)", e.Code, tt.wantCode, err)
			}
			if e.Enhanced == "" {
				t.Errorf("no enhanced code in %v", err)
			}
			if n := len(sink.Messages()); n != 0 {
				t.Errorf("sink accepted %d messages", n)
			}
		})
	}
}

func TestSMTPSenderSomeRecipientsRefused(t *testing.T) {
	sink := smtpsink.Start(t,
		smtpsink.RefuseRcpt(550, "gone@example.net"),
		smtpsink.RefuseRcpt(452, "full@example.net"))
	s := &SMTPSender{Addr: sink.Addr(), Timeout: 10 * time.Second}
	env := Envelope{From: "alice@example.org", To: []string{"gone@example.net", "bob@example.net", "full@example.net"}}
	err := s.Send(t.Context(), env, strings.NewReader(testMsg))

	var re *RcptError
	if !errors.As(err, &re) {
		t.Fatalf("got %v, want *RcptError", err)
	}
	if strings.Join(re.Accepted, ",") != "bob@example.net" {
		t.Errorf("Accepted = %q", re.Accepted)
	}
	if len(re.Failed) != 2 || re.Failed[0].Rcpt != "full@example.net" || !re.Failed[0].Temporary ||
		re.Failed[1].Rcpt != "gone@example.net" || re.Failed[1].Temporary {
		t.Errorf("Failed = %v", re.Failed)
	}
	if !IsTemporary(err) {
		t.Errorf("IsTemporary = false with a 452 among the refusals")
	}
	var e *Error
	if !errors.As(err, &e) || e.Code != 452 {
		t.Errorf("errors.As *Error: %v", e)
	}
	msgs := sink.Messages()
	if len(msgs) != 1 || strings.Join(msgs[0].To, ",") != "bob@example.net" {
		t.Errorf("sink got %+v", msgs)
	}
}

func TestSMTPSenderAllRecipientsRefused(t *testing.T) {
	sink := smtpsink.Start(t, smtpsink.RefuseRcpt(550, "a@example.net", "b@example.net"))
	s := &SMTPSender{Addr: sink.Addr(), Timeout: 10 * time.Second}
	err := s.Send(t.Context(), Envelope{From: "x@example.org", To: []string{"a@example.net", "b@example.net"}},
		strings.NewReader(testMsg))
	var re *RcptError
	if !errors.As(err, &re) || len(re.Accepted) != 0 || len(re.Failed) != 2 {
		t.Fatalf("got %v", err)
	}
	if IsTemporary(err) {
		t.Errorf("all 550: IsTemporary = true")
	}
	if n := len(sink.Messages()); n != 0 {
		t.Errorf("sink accepted %d messages", n)
	}
}

func TestSMTPSenderNoSMTPUTF8(t *testing.T) {
	sink := smtpsink.Start(t, smtpsink.WithoutSMTPUTF8())
	s := &SMTPSender{Addr: sink.Addr(), Timeout: 10 * time.Second}
	err := s.Send(t.Context(), Envelope{From: "a@example.org", To: []string{"jörg@bücher.example"}}, strings.NewReader(testMsg))
	var e *Error
	if !errors.As(err, &e) || e.Temporary || e.Enhanced != "5.6.7" {
		t.Fatalf("got %v, want permanent 5.6.7", err)
	}
}

// A relay that accepts the connection but stops answering must produce a
// temporary error once Timeout has passed, at whatever stage it stops.
func TestSMTPSenderHangingRelay(t *testing.T) {
	for _, stage := range []smtpsink.Stage{smtpsink.StageConnect, smtpsink.StageHello, smtpsink.StageMail, smtpsink.StageRcpt, smtpsink.StageData} {
		t.Run(stage.String(), func(t *testing.T) {
			sink := smtpsink.Start(t, smtpsink.Hang(stage))
			s := &SMTPSender{Addr: sink.Addr(), Timeout: 200 * time.Millisecond}
			err := s.Send(t.Context(), Envelope{From: "a@example.org", To: []string{"b@example.net"}}, strings.NewReader(testMsg))
			var e *Error
			if !errors.As(err, &e) || !e.Temporary {
				t.Fatalf("got %v, want a temporary *Error", err)
			}
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("error does not wrap context.DeadlineExceeded: %v", err)
			}
			if sink.Connections() != 1 {
				t.Errorf("connections = %d", sink.Connections())
			}
		})
	}
}

func TestSMTPSenderCanceled(t *testing.T) {
	sink := smtpsink.Start(t, smtpsink.Hang(smtpsink.StageMail))
	s := &SMTPSender{Addr: sink.Addr(), Timeout: time.Minute}
	ctx, cancel := context.WithCancel(t.Context())
	go func() {
		// Cancel once the sender is stuck at MAIL.
		for sink.Connections() == 0 {
			time.Sleep(5 * time.Millisecond)
		}
		cancel()
	}()
	err := s.Send(ctx, Envelope{From: "a@example.org", To: []string{"b@example.net"}}, strings.NewReader(testMsg))
	if !IsTemporary(err) || !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want temporary, wrapping context.Canceled", err)
	}
}

func TestSMTPSenderConnectionRefused(t *testing.T) {
	// Take a free port and close it again, so that nothing listens there.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()

	s := &SMTPSender{Addr: addr, Timeout: 5 * time.Second}
	err = s.Send(t.Context(), Envelope{From: "a@example.org", To: []string{"b@example.net"}}, strings.NewReader(testMsg))
	var e *Error
	if !errors.As(err, &e) || !e.Temporary || e.Code != 0 {
		t.Fatalf("got %v, want temporary *Error without reply code", err)
	}
	var opErr *net.OpError
	if !errors.As(err, &opErr) {
		t.Errorf("network error not wrapped: %v", err)
	}
}

type failingReader struct{ after int }

func (r *failingReader) Read(p []byte) (int, error) {
	if r.after <= 0 {
		return 0, errors.New("disk on fire")
	}
	n := min(r.after, len(p))
	for i := range n {
		p[i] = 'x'
	}
	r.after -= n
	return n, nil
}

// When the message cannot be read halfway through DATA, the transaction is
// aborted and nothing is delivered.
func TestSMTPSenderMessageReadError(t *testing.T) {
	sink := smtpsink.Start(t)
	s := &SMTPSender{Addr: sink.Addr(), Timeout: 5 * time.Second}
	msg := io.MultiReader(strings.NewReader("Subject: x\r\n\r\n"), &failingReader{after: 100})
	err := s.Send(t.Context(), Envelope{From: "a@example.org", To: []string{"b@example.net"}}, msg)
	if !IsTemporary(err) || !strings.Contains(err.Error(), "disk on fire") {
		t.Fatalf("got %v", err)
	}
	if _, ok := sink.WaitFor(1, 200*time.Millisecond); ok {
		t.Errorf("sink accepted a truncated message")
	}
}

func TestEnvelopeValidation(t *testing.T) {
	tests := []struct {
		name string
		env  Envelope
	}{
		{"no recipients", Envelope{From: "a@example.org"}},
		{"empty recipient", Envelope{From: "a@example.org", To: []string{""}}},
		{"CRLF in sender", Envelope{From: "a@example.org\r\nRCPT TO:<x@y>", To: []string{"b@example.net"}}},
		{"angle bracket in recipient", Envelope{From: "a@example.org", To: []string{"b@example.net> NOTIFY=NEVER"}}},
	}
	senders := map[string]Sender{
		"smtp":     &SMTPSender{Addr: "127.0.0.1:1"},
		"sendmail": &SendmailSender{Path: "/nonexistent"},
	}
	for name, s := range senders {
		for _, tt := range tests {
			t.Run(name+"/"+tt.name, func(t *testing.T) {
				err := s.Send(t.Context(), tt.env, bytes.NewReader(nil))
				var e *Error
				if !errors.As(err, &e) || e.Temporary {
					t.Fatalf("got %v, want a permanent *Error", err)
				}
			})
		}
	}
}

func TestIsTemporary(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"unknown error", errors.New("boom"), true},
		{"temporary", &Error{Temporary: true}, true},
		{"permanent", &Error{Code: 550}, false},
		{"wrapped permanent", errors.Join(errors.New("ctx"), &Error{Code: 550}), false},
		{"rcpt error, all permanent", newRcptError(nil, []*Error{{Code: 550}, {Code: 553}}), false},
		{"rcpt error, one temporary", newRcptError(nil, []*Error{{Code: 550}, {Code: 451, Temporary: true}}), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := IsTemporary(tt.err); got != tt.want {
				t.Errorf("IsTemporary(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}

func TestSMTPSenderStartTLS(t *testing.T) {
	serverTLS, clientTLS := smtpsink.TestTLS(t)
	env := Envelope{From: "a@example.org", To: []string{"b@example.net"}}

	t.Run("offered", func(t *testing.T) {
		sink := smtpsink.Start(t, smtpsink.WithTLS(serverTLS))
		s := &SMTPSender{Addr: sink.Addr(), StartTLS: true, TLSConfig: clientTLS, Timeout: 10 * time.Second}
		if err := s.Send(t.Context(), env, strings.NewReader(testMsg)); err != nil {
			t.Fatalf("Send: %v", err)
		}
		if msgs := sink.Messages(); len(msgs) != 1 || !msgs[0].TLS {
			t.Errorf("got %+v, want one message over TLS", msgs)
		}
	})
	t.Run("not offered", func(t *testing.T) {
		sink := smtpsink.Start(t)
		s := &SMTPSender{Addr: sink.Addr(), StartTLS: true, TLSConfig: clientTLS, Timeout: 10 * time.Second}
		err := s.Send(t.Context(), env, strings.NewReader(testMsg))
		if !IsTemporary(err) || len(sink.Messages()) != 0 {
			t.Fatalf("got %v, want a temporary error and nothing sent", err)
		}
	})
	t.Run("untrusted certificate", func(t *testing.T) {
		sink := smtpsink.Start(t, smtpsink.WithTLS(serverTLS))
		s := &SMTPSender{Addr: sink.Addr(), StartTLS: true, Timeout: 10 * time.Second}
		err := s.Send(t.Context(), env, strings.NewReader(testMsg))
		if !IsTemporary(err) || len(sink.Messages()) != 0 {
			t.Fatalf("got %v, want a temporary error and nothing sent", err)
		}
	})
}
