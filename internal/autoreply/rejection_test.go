package autoreply

import (
	"bufio"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/emersion/go-message/textproto"
)

func TestBuildRejectionGolden(t *testing.T) {
	const msg = `
From: Stephan <stephan@example.org>
To: tss@example.net
Subject: Frop!
Message-ID: <frop-1@example.org>

Frop!
`
	tests := []struct {
		golden     string
		reason     string
		full       bool
		thirdType  string
		wantInText string
	}{
		{"rejection_headers.eml", "I don't want your mail", false, "text/rfc822-headers", "I don't want your mail"},
		{"rejection_full.eml", "Je ne veux pas de ton courrier — désolé.\nSecond line.", true, "message/rfc822", "désolé"},
	}
	for _, tc := range tests {
		t.Run(tc.golden, func(t *testing.T) {
			o := mustOriginal(t, msg, "sirius@example.org", "timo@example.net")
			opts := fixedOptions()
			opts.IncludeFullMessage = tc.full
			opts.ReturnPath = "timo@example.net" // ignored: rejections always go from <>
			out, err := BuildRejection(o, tc.reason, opts)
			if err != nil {
				t.Fatal(err)
			}
			if out.MailFrom != "" || len(out.RcptTo) != 1 || out.RcptTo[0] != "sirius@example.org" {
				t.Errorf("envelope = %q -> %q", out.MailFrom, out.RcptTo)
			}
			checkWellFormed(t, out.Data)
			golden(t, tc.golden, out.Data)

			h, e := parseBack(t, out.Data)
			if got := headerText(t, h, "Subject"); got != "Rejected: Frop!" {
				t.Errorf("Subject = %q", got)
			}
			if from := h.Get("From"); !strings.Contains(from, "Postmaster") || !strings.Contains(from, "postmaster@example.net") {
				t.Errorf("From = %q", from)
			}
			if to, err := h.AddressList("To"); err != nil || len(to) != 1 || to[0].Address != "sirius@example.org" {
				t.Errorf("To = %v, %v", to, err)
			}
			if got := h.Get("Auto-Submitted"); got != "auto-replied (rejected)" {
				t.Errorf("Auto-Submitted = %q", got)
			}
			ct, params, err := h.ContentType()
			if err != nil || ct != "multipart/report" || params["report-type"] != "disposition-notification" {
				t.Fatalf("Content-Type = %q %v, %v", ct, params, err)
			}
			mr := e.MultipartReader()
			var types []string
			for {
				p, err := mr.NextPart()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				pt, _, _ := p.Header.ContentType()
				types = append(types, pt)
				body, err := io.ReadAll(p.Body)
				if err != nil {
					t.Fatal(err)
				}
				switch pt {
				case "text/plain":
					if !strings.Contains(string(body), "Your message to <timo@example.net> was automatically rejected:") ||
						!strings.Contains(string(body), tc.wantInText) {
						t.Errorf("human-readable part = %q", body)
					}
				case "message/disposition-notification":
					dh, err := textproto.ReadHeader(bufio.NewReader(strings.NewReader(string(body))))
					if err != nil {
						t.Fatal(err)
					}
					for k, want := range map[string]string{
						"Reporting-UA":        "mx.example.org; sluice",
						"Final-Recipient":     "rfc822; timo@example.net",
						"Original-Message-ID": "<frop-1@example.org>",
						"Disposition":         "automatic-action/MDN-sent-automatically; deleted",
					} {
						if got := dh.Get(k); got != want {
							t.Errorf("%s = %q, want %q", k, got, want)
						}
					}
				case tc.thirdType:
					if !strings.Contains(string(body), "Message-ID: <frop-1@example.org>") {
						t.Errorf("third part lacks the original header: %q", body)
					}
					if tc.full != strings.Contains(string(body), "Frop!\r\n\r\n") && tc.full != strings.HasSuffix(string(body), "Frop!\r\n") {
						t.Errorf("third part body presence wrong (full=%v): %q", tc.full, body)
					}
				}
			}
			want := []string{"text/plain", "message/disposition-notification", tc.thirdType}
			if strings.Join(types, ",") != strings.Join(want, ",") {
				t.Errorf("parts = %q, want %q", types, want)
			}
		})
	}
}

func TestBuildRejectionNullSender(t *testing.T) {
	o := mustOriginal(t, "From: a@example.org\n\nx\n", "<>", "b@example.org")
	if _, err := BuildRejection(o, "no", fixedOptions()); !errors.Is(err, ErrNullSender) {
		t.Fatalf("err = %v, want ErrNullSender", err)
	}
}

func TestBuildRejectionNoSubject(t *testing.T) {
	o := mustOriginal(t, "From: a@example.org\n\nx\n", "a@example.org", "b@example.org")
	out, err := BuildRejection(o, "no", fixedOptions())
	if err != nil {
		t.Fatal(err)
	}
	h, _ := parseBack(t, out.Data)
	if got := headerText(t, h, "Subject"); got != "Rejected: (no subject)" {
		t.Errorf("Subject = %q", got)
	}
	if h.Has("In-Reply-To") {
		t.Error("In-Reply-To without an original Message-ID")
	}
}
