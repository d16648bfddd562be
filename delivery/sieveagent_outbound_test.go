package delivery

import (
	"context"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluice-mail/sluice/internal/outbound"
	"github.com/sluice-mail/sluice/internal/smtpsink"
)

func TestSieveAgentRedirect(t *testing.T) {
	srs := &outbound.SRS{Domain: "fwd.example.org", Secrets: []string{"s3cret"}}
	tests := []struct {
		name    string
		script  string
		from    string
		msg     string
		opts    func(*SieveOptions)
		sends   int      // deliveries of the same message
		forward int      // messages the relay gets in total
		envFrom string   // prefix of the forwarded envelope sender
		boxes   []string // alice's stored copies after all sends
	}{
		{name: "redirect", script: `redirect "carol@example.net";`, from: "sender@example.net", sends: 1, forward: 1, envFrom: "sender@example.net"},
		{name: "redirect :copy", script: `require "copy"; redirect :copy "carol@example.net";`, from: "sender@example.net", sends: 1, forward: 1, envFrom: "sender@example.net", boxes: []string{"INBOX"}},
		{name: "null sender stays null", script: `redirect "carol@example.net";`, from: "", sends: 1, forward: 1, envFrom: ""},
		{
			name: "SRS for a foreign sender", script: `redirect "carol@example.net";`, from: "sender@example.net", sends: 1, forward: 1, envFrom: "SRS0=",
			opts: func(o *SieveOptions) { o.SRS = srs },
		},
		{
			name: "no SRS for a local sender", script: `redirect "carol@example.net";`, from: "bob@example.org", sends: 1, forward: 1, envFrom: "bob@example.org",
			opts: func(o *SieveOptions) { o.SRS = srs },
		},
		{
			name: "no SRS for the null sender", script: `redirect "carol@example.net";`, from: "", sends: 1, forward: 1, envFrom: "",
			opts: func(o *SieveOptions) { o.SRS = srs },
		},
		{
			name: "loop header keeps", script: `redirect "carol@example.net";`, from: "sender@example.net", sends: 1, forward: 0,
			msg: testMail("loop@example.net", RedirectedFromHeader+": <alice@example.org>"), boxes: []string{"INBOX"},
		},
		{
			name: "another user's loop header", script: `redirect "carol@example.net";`, from: "sender@example.net", sends: 1, forward: 1, envFrom: "sender@example.net",
			msg: testMail("loop2@example.net", RedirectedFromHeader+": <bob@example.org>"),
		},
		{name: "duplicate window on retry", script: `redirect "carol@example.net";`, from: "sender@example.net", sends: 2, forward: 1, envFrom: "sender@example.net"},
		{
			name: "redirect limit keeps", script: `redirect "c1@example.net"; redirect "c2@example.net";`, from: "sender@example.net", sends: 1, forward: 1,
			envFrom: "sender@example.net", boxes: []string{"INBOX"},
			opts: func(o *SieveOptions) { o.MaxRedirects = 1 },
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newSieveEnv(t, tc.opts)
			e.script("alice", tc.script)
			msg := tc.msg
			if msg == "" {
				msg = testMail("redirect@example.net")
			}
			for range tc.sends {
				e.sendOne(tc.from, "alice@example.org", msg, "250 ")
			}
			got := e.sink.Messages()
			if len(got) != tc.forward {
				t.Fatalf("relay got %d messages, want %d", len(got), tc.forward)
			}
			if tc.forward > 0 {
				if !strings.HasPrefix(got[0].From, tc.envFrom) || (tc.envFrom == "" && got[0].From != "") {
					t.Errorf("envelope sender %q, want %q...", got[0].From, tc.envFrom)
				}
				if !strings.Contains(string(got[0].Data), RedirectedFromHeader+": <alice@example.org>") {
					t.Errorf("forwarded message lacks the loop header:\n%s", got[0].Data)
				}
				if !strings.Contains(string(got[0].Data), "hello") {
					t.Errorf("forwarded message lacks the body:\n%s", got[0].Data)
				}
			}
			if b := e.boxes("alice"); !slices.Equal(b, tc.boxes) {
				t.Errorf("stored in %v, want %v", b, tc.boxes)
			}
		})
	}
}

// swapSender sends through whichever sender it currently holds.
type swapSender struct {
	mu sync.Mutex
	s  outbound.Sender
}

func (w *swapSender) set(s outbound.Sender) { w.mu.Lock(); w.s = s; w.mu.Unlock() }

func (w *swapSender) Send(ctx context.Context, env outbound.Envelope, msg io.Reader) error {
	w.mu.Lock()
	s := w.s
	w.mu.Unlock()
	return s.Send(ctx, env, msg)
}

// TestSieveAgentRetryAtomic: a relay that refuses with 451 fails the
// recipient; the retry forwards once and stores no second copy.
func TestSieveAgentRetryAtomic(t *testing.T) {
	for _, script := range []string{
		`require "copy"; redirect :copy "carol@example.net";`,
		`keep; redirect "carol@example.net";`,
	} {
		t.Run(script, func(t *testing.T) {
			refusing := smtpsink.Start(t, smtpsink.Refuse(smtpsink.StageData, 451))
			good := smtpsink.Start(t)
			sw := &swapSender{s: &outbound.SMTPSender{Addr: refusing.Addr(), HeloName: "mx.test"}}
			e := newSieveEnvSink(t, good, func(o *SieveOptions) { o.Sender = sw })
			e.script("alice", script)
			msg := testMail("retry@example.net")
			e.sendOne("sender@example.net", "alice@example.org", msg, "451 4.3.0")
			sw.set(&outbound.SMTPSender{Addr: good.Addr(), HeloName: "mx.test"})
			e.advance(2 * time.Second) // the MTA retries later
			e.sendOne("sender@example.net", "alice@example.org", msg, "250 ")
			if n := len(good.Messages()); n != 1 {
				t.Errorf("forwarded %d times, want 1", n)
			}
			if b := e.boxes("alice"); !slices.Equal(b, []string{"INBOX"}) {
				t.Errorf("stored in %v, want one copy in INBOX", b)
			}
		})
	}
}

func TestSieveAgentReject(t *testing.T) {
	tests := []struct {
		name   string
		script string
		mode   RejectMode
		from   string
		reply  string
		notice bool
	}{
		{name: "protocol", script: `require "reject"; reject "Go away";`, mode: RejectProtocol, from: "sender@example.net", reply: "550 5.7.1 <alice@example.org> Go away"},
		{name: "protocol, multi-line reason", script: "require \"reject\"; reject text:\nline one\nline two\n.\n;", mode: RejectProtocol, from: "sender@example.net", reply: "550 5.7.1 <alice@example.org> line one line two"},
		{name: "ereject in mail mode", script: `require "ereject"; ereject "No";`, mode: RejectMail, from: "sender@example.net", reply: "550 5.7.1 <alice@example.org> No"},
		{name: "mail mode sends a notice", script: `require "reject"; reject "Go away";`, mode: RejectMail, from: "sender@example.net", reply: "250 ", notice: true},
		{name: "mail mode, null sender", script: `require "reject"; reject "Go away";`, mode: RejectMail, from: "", reply: "250 "},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newSieveEnv(t, func(o *SieveOptions) { o.Reject = tc.mode })
			e.script("alice", tc.script)
			e.sendOne(tc.from, "alice@example.org", testMail("reject@example.net"), tc.reply)
			got := e.sink.Messages()
			if tc.notice {
				if len(got) != 1 || got[0].From != "" || !slices.Equal(got[0].To, []string{"sender@example.net"}) ||
					!strings.Contains(string(got[0].Data), "Go away") {
					t.Fatalf("notice: got %+v", got)
				}
			} else if len(got) != 0 {
				t.Fatalf("relay got %d messages, want none", len(got))
			}
			if b := e.boxes("alice"); len(b) != 0 {
				t.Errorf("stored in %v, want nothing", b)
			}
		})
	}
}

func TestSieveAgentNotify(t *testing.T) {
	tests := []struct {
		name   string
		msg    string
		sent   int
		fccBox []string
	}{
		{name: "sent", msg: testMail("n1@example.net"), sent: 1, fccBox: []string{"INBOX", "Sent"}},
		{name: "auto-submitted original", msg: testMail("n2@example.net", "Auto-Submitted: auto-generated"), sent: 0, fccBox: []string{"INBOX"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newSieveEnv(t, nil)
			e.script("alice", `require ["enotify", "fcc", "mailbox"]; notify :message "new mail" :fcc "Sent" :create "mailto:alice-phone@example.net";`)
			e.sendOne("sender@example.net", "alice@example.org", tc.msg, "250 ")
			got := e.sink.Messages()
			if len(got) != tc.sent {
				t.Fatalf("relay got %d, want %d", len(got), tc.sent)
			}
			if tc.sent > 0 && (got[0].From != "" || !slices.Equal(got[0].To, []string{"alice-phone@example.net"})) {
				t.Errorf("notification envelope %q -> %v", got[0].From, got[0].To)
			}
			if b := e.boxes("alice"); !slices.Equal(b, tc.fccBox) {
				t.Errorf("stored in %v, want %v", b, tc.fccBox)
			}
		})
	}
}

func TestSieveAgentDuplicate(t *testing.T) {
	const script = `require ["duplicate", "fileinto", "mailbox"]; if duplicate { fileinto :create "Dups"; }`
	t.Run("committed on success", func(t *testing.T) {
		e := newSieveEnv(t, nil)
		e.script("alice", script)
		msg := testMail("dup@example.net")
		e.sendOne("sender@example.net", "alice@example.org", msg, "250 ")
		e.sendOne("sender@example.net", "alice@example.org", msg, "250 ")
		if b := e.boxes("alice"); !slices.Equal(b, []string{"Dups", "INBOX"}) {
			t.Fatalf("stored in %v, want INBOX then Dups", b)
		}
	})
	t.Run("not committed on failure", func(t *testing.T) {
		e := newSieveEnv(t, func(o *SieveOptions) { o.Sender = failingSender{} })
		writeFile(t, e.home("alice")+"/.dovecot.sieve", `require ["duplicate", "fileinto", "mailbox", "copy"]; if duplicate { fileinto :create "Dups"; } redirect :copy "x@example.net";`)
		msg := testMail("dup2@example.net")
		e.sendOne("sender@example.net", "alice@example.org", msg, "451 ")
		e.script("alice", script)
		e.sendOne("sender@example.net", "alice@example.org", msg, "250 ")
		if b := e.boxes("alice"); !slices.Equal(b, []string{"INBOX"}) {
			t.Fatalf("stored in %v, want INBOX: the failed delivery must not count", b)
		}
	})
}

// failingSender always fails temporarily.
type failingSender struct{}

func (failingSender) Send(context.Context, outbound.Envelope, io.Reader) error {
	return &outbound.Error{Temporary: true, Code: 451, Msg: "try later"}
}

func TestSieveAgentVacation(t *testing.T) {
	const script = `require "vacation"; vacation :days 1 :subject "Away" "I am away.";`
	tests := []struct {
		name   string
		from   string
		msg    string
		sent   bool
		reason string
	}{
		{name: "reply", from: "sender@example.net", msg: testMail("v1@example.net"), sent: true},
		{name: "null sender", from: "", msg: testMail("v2@example.net"), reason: "null-sender"},
		{name: "list", from: "sender@example.net", msg: testMail("v3@example.net", "List-Id: <l.example.net>"), reason: "list"},
		{name: "auto-submitted", from: "sender@example.net", msg: testMail("v4@example.net", "Auto-Submitted: auto-replied"), reason: "auto-submitted"},
		{name: "bulk", from: "sender@example.net", msg: testMail("v5@example.net", "Precedence: bulk"), reason: "precedence"},
		{name: "mailer-daemon", from: "MAILER-DAEMON@example.net", msg: testMail("v6@example.net"), reason: "mailer-daemon"},
		{name: "not addressed", from: "sender@example.net", msg: strings.Replace(testMail("v7@example.net"), "To: alice@example.org", "To: someone@example.net", 1), reason: "not-addressed"},
		{name: "from the user", from: "alice@example.org", msg: testMail("v8@example.net"), reason: "sender-is-user"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newSieveEnv(t, nil)
			e.script("alice", script)
			e.sendOne(tc.from, "alice@example.org", tc.msg, "250 ")
			got := e.sink.Messages()
			if tc.sent != (len(got) == 1) {
				t.Fatalf("replies sent: %d, want sent=%v", len(got), tc.sent)
			}
			if tc.sent && (!slices.Equal(got[0].To, []string{tc.from}) || got[0].From != "" ||
				!strings.Contains(string(got[0].Data), "Auto-Submitted: auto-replied")) {
				t.Errorf("reply %q -> %v:\n%s", got[0].From, got[0].To, got[0].Data)
			}
			if b := e.boxes("alice"); !slices.Equal(b, []string{"INBOX"}) {
				t.Errorf("stored in %v, want INBOX", b)
			}
		})
	}
	t.Run("one reply per period", func(t *testing.T) {
		e := newSieveEnv(t, nil)
		e.script("alice", script)
		for i := range 3 {
			e.sendOne("sender@example.net", "alice@example.org", testMail(strings.Repeat("p", i+1)+"@example.net"), "250 ")
		}
		e.sendOne("other@example.net", "alice@example.org", testMail("other@example.net"), "250 ")
		if got := e.sink.Messages(); len(got) != 2 {
			t.Fatalf("%d replies, want 2 (one per sender)", len(got))
		}
	})
	t.Run("concurrent deliveries send one reply", func(t *testing.T) {
		e := newSieveEnv(t, nil)
		e.script("alice", script)
		var wg sync.WaitGroup
		for i := range 5 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				e.send("sender@example.net", []string{"alice@example.org"}, testMail(strings.Repeat("q", i+1)+"@example.net"))
			}()
		}
		wg.Wait()
		if got, _ := e.sink.WaitFor(1, 5*time.Second); len(got) != 1 || len(e.sink.Messages()) != 1 {
			t.Fatalf("%d replies, want 1", len(e.sink.Messages()))
		}
	})
	t.Run("return path recipient and fcc", func(t *testing.T) {
		e := newSieveEnv(t, func(o *SieveOptions) { o.VacationFromRecipient = true })
		e.script("alice", `require ["vacation", "fcc", "mailbox"]; vacation :fcc "Sent" :create "Away.";`)
		e.sendOne("sender@example.net", "alice@example.org", testMail("vr@example.net"), "250 ")
		got := e.sink.Messages()
		if len(got) != 1 || got[0].From != "alice@example.org" {
			t.Fatalf("reply envelope: %+v", got)
		}
		if b := e.boxes("alice"); !slices.Equal(b, []string{"INBOX", "Sent"}) {
			t.Errorf("stored in %v, want INBOX and Sent", b)
		}
	})
	t.Run("extra user address", func(t *testing.T) {
		e := newSieveEnv(t, nil)
		e.res.extra["alice"] = map[string]string{"vacation_addresses": "a.smith@example.com"}
		e.script("alice", script)
		e.sendOne("sender@example.net", "alice@example.org", strings.Replace(testMail("va@example.net"), "To: alice@example.org", "To: a.smith@example.com", 1), "250 ")
		if got := e.sink.Messages(); len(got) != 1 {
			t.Fatalf("%d replies, want 1", len(got))
		}
	})
}
