package autoreply

import (
	"bytes"
	"errors"
	"testing"
)

func FuzzParseMailto(f *testing.F) {
	for _, s := range []string{
		"mailto:stephan@example.org",
		"mailto:timo@example.com%2cstephan@dovecot.example.net?cc=postmaster@frop.example.org&subject=Frop%20received",
		"mailto:?to=%3D%3Futf-8%3Fq%3FG%3DC3%3DBCnther%3F%3D%20%3Cg%40example.com%3E",
		"mailto:stephan@example.org;?header=frop",
		"mailto:stephan@example.org?header:=frop",
		"mailto:%22a%20b%22@[192.0.2.1]?body=x%0D%0Ay&reply-to=c@example.com",
		"mailto:a@example.com?subject=%E2%82%AC&subject=2",
		"mailto:%",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, uri string) {
		u, err := ParseMailto(uri)
		if err != nil {
			if !errors.Is(err, ErrInvalidMailto) {
				t.Fatalf("error not wrapping ErrInvalidMailto: %v", err)
			}
			return
		}
		if len(u.To)+len(u.Cc) > MaxMailtoRecipients {
			t.Fatalf("%d recipients", len(u.To)+len(u.Cc))
		}
		for _, h := range u.Headers {
			if !validFieldName(h.Name) || bytes.ContainsAny([]byte(h.Value), "\r\n") {
				t.Fatalf("unsafe header field %q: %q", h.Name, h.Value)
			}
		}
		// A valid URI must build a well-formed notification.
		o := &Original{EnvelopeFrom: "a@example.org", EnvelopeTo: "b@example.org"}
		out, err := BuildNotification(o, Notify{Method: uri}, fixedOptions())
		if errors.Is(err, ErrNoNotifyRecipients) {
			return
		}
		if err != nil {
			t.Fatalf("valid URI does not build: %v", err)
		}
		checkWellFormed(t, out.Data)
	})
}

func FuzzShouldAutoReply(f *testing.F) {
	for _, s := range []string{
		"From: a@example.com\r\nTo: b@example.com\r\nSubject: hi\r\n\r\nbody",
		"To: Team: a@example.com, <b@example.com>;\r\nAuto-Submitted: no (really)\r\n\r\n",
		"Cc: =?utf-8?q?x?= <b@example.com>\r\nPrecedence: bulk\r\nList-Id: x\r\n\r\n",
		"Resent-To: \"b\\\"@\" <b@example.com>\r\nX-Auto-Response-Suppress: DR, OOF\r\n\r\n",
		"Subject: =?UTF-8?B?5Lul44Gk?=\r\nReferences: <a@b> (c) <d@e>\r\nMessage-ID: x@y\r\n\r\n",
		"To: ((((\r\n\r\n",
	} {
		f.Add([]byte(s), "mailer-daemon@example.com")
	}
	f.Fuzz(func(t *testing.T, raw []byte, sender string) {
		o, err := NewOriginal(raw, sender, "b@example.com")
		if err != nil {
			return
		}
		for _, p := range []Policy{DefaultPolicy("c@example.com"), {DetailSeparators: "+-", CaseSensitiveLocalPart: true}} {
			ok, reason := o.ShouldAutoReply(p)
			if ok != (reason == ReasonNone) {
				t.Fatalf("ok = %v with reason %q", ok, reason)
			}
		}
		o.ShouldNotify()
		// Whatever the header, a reply built from it is well-formed.
		if o.EnvelopeFrom == "" {
			return
		}
		out, err := BuildVacation(o, Vacation{Reason: "away"}, fixedOptions())
		if err != nil {
			t.Fatal(err)
		}
		checkWellFormed(t, out.Data)
		opts := fixedOptions()
		opts.IncludeFullMessage = true
		out, err = BuildRejection(o, "no", opts)
		if err != nil {
			t.Fatal(err)
		}
		checkWellFormed(t, out.Data)
	})
}
