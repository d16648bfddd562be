package autoreply

import (
	"errors"
	"io"
	"strings"
	"testing"
)

const notifyMsg = `
From: stephan@example.org
To: nico@frop.example.org
Subject: Frop!
Message-ID: <n1@example.org>

Klutsefluts.
`

func TestBuildNotificationGolden(t *testing.T) {
	tests := []struct {
		golden string
		n      Notify
	}{
		{"notify_simple.eml", Notify{Method: "mailto:stephan@example.org"}},
		{"notify_full.eml", Notify{
			Method:     "mailto:timo@example.com%2cstephan@dovecot.example.net?cc=postmaster@frop.example.org&subject=Frop%20received&body=Mail%20from%20stephan%0D%0Aarrived.&X-Tag=a%20b&bcc=hidden@example.net",
			From:       "nico@frop.example.org",
			Importance: 1,
			Options:    []string{"ignored"},
		}},
		{"notify_utf8.eml", Notify{
			Method:     "mailto:?to=%3D%3Futf-8%3Fq%3FG%3DC3%3DBCnther%3F%3D%20M.%20Karotte%20%3Cg.m.karotte%40example.com%3E&cc=Dieter%20T.%20Stoppelr%C3%BCbe%20%3Cd.t.stoppelruebe%40example.com%3E",
			Message:    "Neue Nachricht für dich",
			Importance: 3,
		}},
	}
	for _, tc := range tests {
		t.Run(tc.golden, func(t *testing.T) {
			o := mustOriginal(t, notifyMsg, "sirius@example.org", "bertus@frop.example.org")
			out, err := BuildNotification(o, tc.n, fixedOptions())
			if err != nil {
				t.Fatal(err)
			}
			if len(out.Warnings) > 0 {
				t.Errorf("warnings: %v", out.Warnings)
			}
			if out.MailFrom != "" {
				t.Errorf("MailFrom = %q", out.MailFrom)
			}
			checkWellFormed(t, out.Data)
			golden(t, tc.golden, out.Data)
			h, _ := parseBack(t, out.Data)
			if got := h.Get("Auto-Submitted"); got != `auto-notified; owner-email="bertus@frop.example.org"` {
				t.Errorf("Auto-Submitted = %q", got)
			}
			if h.Has("Bcc") {
				t.Error("Bcc from the URI was kept")
			}
		})
	}
}

func TestBuildNotificationFields(t *testing.T) {
	tests := []struct {
		name       string
		n          Notify
		rcpt       string
		to, cc     string
		subject    string
		priority   string
		importance string
		body       string
		from       string
	}{
		{
			name: "defaults", n: Notify{Method: "mailto:stephan@example.org"},
			rcpt: "stephan@example.org", to: "stephan@example.org", subject: "Notification: Frop!",
			priority: "3 (Normal)", importance: "Normal", body: "Notification of new message.", from: "bertus@frop.example.org",
		},
		{
			name: "multiple recipients", n: Notify{Method: "mailto:timo@example.com%2cstephan@dovecot.example.net?cc=postmaster@frop.example.org&subject=Frop%20received"},
			rcpt: "timo@example.com,stephan@dovecot.example.net,postmaster@frop.example.org",
			to:   "timo@example.com,stephan@dovecot.example.net", cc: "postmaster@frop.example.org", subject: "Frop received",
			priority: "3 (Normal)", importance: "Normal", from: "bertus@frop.example.org",
		},
		{
			name: ":message beats URI subject", n: Notify{Method: "mailto:a@example.com?subject=uri", Message: "[SIEVE] stephan: Frop!", Importance: 1},
			rcpt: "a@example.com", to: "a@example.com", subject: "[SIEVE] stephan: Frop!",
			priority: "1 (Highest)", importance: "High", from: "bertus@frop.example.org",
		},
		{
			name: "low importance and :from", n: Notify{Method: "mailto:a@example.com?body=hello", Importance: 3, From: "Nico <nico@frop.example.org>"},
			rcpt: "a@example.com", to: "a@example.com", subject: "Notification: Frop!",
			priority: "5 (Lowest)", importance: "Low", body: "hello", from: "nico@frop.example.org",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := mustOriginal(t, notifyMsg, "sirius@example.org", "bertus@frop.example.org")
			out, err := BuildNotification(o, tc.n, fixedOptions())
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(out.RcptTo, ","); got != tc.rcpt {
				t.Errorf("RcptTo = %q, want %q", got, tc.rcpt)
			}
			h, e := parseBack(t, out.Data)
			addrs := func(key string) string {
				l, err := h.AddressList(key)
				if err != nil {
					t.Fatalf("%s: %v", key, err)
				}
				var s []string
				for _, a := range l {
					s = append(s, a.Address)
				}
				return strings.Join(s, ",")
			}
			if got := addrs("To"); got != tc.to {
				t.Errorf("To = %q, want %q", got, tc.to)
			}
			if got := addrs("Cc"); got != tc.cc {
				t.Errorf("Cc = %q, want %q", got, tc.cc)
			}
			if got := addrs("From"); got != tc.from {
				t.Errorf("From = %q, want %q", got, tc.from)
			}
			if got := headerText(t, h, "Subject"); got != tc.subject {
				t.Errorf("Subject = %q, want %q", got, tc.subject)
			}
			if h.Get("X-Priority") != tc.priority || h.Get("Importance") != tc.importance {
				t.Errorf("X-Priority = %q, Importance = %q", h.Get("X-Priority"), h.Get("Importance"))
			}
			b, _ := io.ReadAll(e.Body)
			if tc.body != "" && !strings.Contains(string(b), tc.body) {
				t.Errorf("body = %q, want it to contain %q", b, tc.body)
			}
		})
	}
}

func TestBuildNotificationErrors(t *testing.T) {
	o := mustOriginal(t, notifyMsg, "sirius@example.org", "bertus@frop.example.org")
	if _, err := BuildNotification(o, Notify{Method: "mailto:stephan%23example.org"}, fixedOptions()); !errors.Is(err, ErrInvalidMailto) {
		t.Errorf("invalid URI: err = %v", err)
	}
	if _, err := BuildNotification(o, Notify{Method: "mailto:?subject=x"}, fixedOptions()); !errors.Is(err, ErrNoNotifyRecipients) {
		t.Errorf("no recipients: err = %v", err)
	}
	if _, err := BuildNotification(o, Notify{Method: "mailto:a@example.com", Importance: 7}, fixedOptions()); err == nil {
		t.Error("importance 7 accepted")
	}
	out, err := BuildNotification(o, Notify{Method: "mailto:a@example.com", From: "stephan#example.org"}, fixedOptions())
	if err != nil || len(out.Warnings) != 1 || !errors.Is(out.Warnings[0], ErrInvalidFrom) {
		t.Errorf("invalid :from: err = %v, warnings = %v", err, out.Warnings)
	}
	opts := fixedOptions()
	opts.ReturnPath = "bertus@frop.example.org"
	if out, err := BuildNotification(o, Notify{Method: "mailto:a@example.com"}, opts); err != nil || out.MailFrom != "bertus@frop.example.org" {
		t.Errorf("configured return path: %q, %v", out.MailFrom, err)
	}
}

// TestTextBodyLineEnds checks that every body, bare CRs and control
// characters included, goes out with CRLF line ends and a final CRLF, in
// each transfer encoding.
func TestTextBodyLineEnds(t *testing.T) {
	for _, tc := range []struct {
		in, cte, want string
	}{
		{"a\nb", "7bit", "a\r\nb\r\n"},
		{"a\rb\r\n", "7bit", "a\r\nb\r\n"},
		{"0\r\x01", "7bit", "0\r\n\x01\r\n"},
		{"0\r\x00", "quoted-printable", "0\r\n=00\r\n"},
		{"é\rx", "8bit", "é\r\nx\r\n"},
	} {
		cte, b := textBody(tc.in, false)
		if cte != tc.cte || string(b) != tc.want {
			t.Errorf("textBody(%q) = %s %q, want %s %q", tc.in, cte, b, tc.cte, tc.want)
		}
	}
}
