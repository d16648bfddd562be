package autoreply

import (
	"errors"
	"strings"
	"testing"
)

func TestParseMailto(t *testing.T) {
	tests := []struct {
		uri      string
		to, cc   string // comma-joined addresses
		subject  string
		body     string
		headers  string // "Name: value" joined by "|"
		warnings int
		invalid  bool
	}{
		{uri: "mailto:stephan@example.org", to: "stephan@example.org"},
		{uri: "MAILTO:stephan@example.org", to: "stephan@example.org"},
		{uri: "mailto:", warnings: 0},
		{uri: "mailto:timo@example.com%2cstephan@dovecot.example.net?cc=postmaster@frop.example.org&subject=Frop%20received",
			to: "timo@example.com,stephan@dovecot.example.net", cc: "postmaster@frop.example.org", subject: "Frop received"},
		{uri: "mailto:a@example.com,b@example.com", to: "a@example.com,b@example.com"},
		{uri: "mailto:timo@example.com%2cstephan@dovecot.example.net?cc=stephan@dovecot.example.net",
			to: "timo@example.com,stephan@dovecot.example.net", warnings: 1},
		{uri: "mailto:?cc=a@example.com&to=A@example.com", to: "a@example.com", warnings: 1},
		{uri: "mailto:?to=%3D%3Futf-8%3Fq%3FG%3DC3%3DBCnther%3F%3D%20M.%20Karotte%20%3Cg.m.karotte%40example.com%3E",
			to: "g.m.karotte@example.com"},
		{uri: "mailto:a@example.com?subject=%E2%82%AC%20price&body=line1%0D%0Aline2", to: "a@example.com", subject: "€ price", body: "line1\r\nline2"},
		{uri: "mailto:a@example.com?subject=one&subject=two", to: "a@example.com", subject: "one", warnings: 1},
		{uri: "mailto:a@example.com?X-Custom=frop&Reply-To=b@example.com&reply-to=c@example.com",
			to: "a@example.com", headers: "X-Custom: frop|Reply-To: b@example.com", warnings: 1},
		{uri: "mailto:a@example.com?from=evil@example.net&bcc=hidden@example.net&Auto-Submitted=no&date=x",
			to: "a@example.com", warnings: 4},
		{uri: "mailto:a@example.com?body=a=b", to: "a@example.com", body: "a=b"},
		{uri: "mailto:%22quoted%20local%22@example.com", to: `"quoted local"@example.com`},
		{uri: "mailto:user@[192.0.2.1]", to: "user@[192.0.2.1]"},
		{uri: "mailto:1@x.example,2@x.example,3@x.example,4@x.example,5@x.example,6@x.example,7@x.example,8@x.example,9@x.example",
			to: "1@x.example,2@x.example,3@x.example,4@x.example,5@x.example,6@x.example,7@x.example,8@x.example", warnings: 1},

		// Invalid ones, after Pigeonhole's enotify test suite and RFC 6068.
		{uri: "http://example.org/", invalid: true},
		{uri: "mailto:stephan@example.org;?header=frop", invalid: true},
		{uri: "mailto:stephan@example.org?header<=frop", invalid: true},
		{uri: "mailto:stephan@example.org?header=fr>op", invalid: true},
		{uri: "mailto:stephan@example.org?header:=frop", invalid: true},
		{uri: "mailto:stephan@example.org?header%3A=frop", invalid: true},
		{uri: "mailto:stephan%23example.org", invalid: true},
		{uri: "mailto:stephan@example.org?to=nico%23frop.example.org", invalid: true},
		{uri: "mailto:a@example.com#frag", invalid: true},
		{uri: "mailto:a@example.com?subject=%0D%0ABcc:%20x@example.org", invalid: true},
		{uri: "mailto:a@example.com?subject=%00", invalid: true},
		{uri: "mailto:a@example.com?subject=%ff", invalid: true},
		{uri: "mailto:a@example.com?subject=%4", invalid: true},
		{uri: "mailto:a b@example.com", invalid: true},
		{uri: "mailto:a@example.com?=empty", invalid: true},
		{uri: "mailto:a..b@example.com", invalid: true},
		{uri: "mailto:a@", invalid: true},
	}
	for _, tc := range tests {
		t.Run(tc.uri, func(t *testing.T) {
			u, err := ParseMailto(tc.uri)
			if tc.invalid {
				if err == nil || !errors.Is(err, ErrInvalidMailto) {
					t.Fatalf("err = %v, want ErrInvalidMailto", err)
				}
				if ValidMailtoURI(tc.uri) == nil {
					t.Error("ValidMailtoURI accepted it")
				}
				if c := MailtoCapability(tc.uri, "online"); c != "" {
					t.Errorf("capability of invalid URI = %q", c)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			join := func(l []string) string { return strings.Join(l, ",") }
			var to, cc, hs []string
			for _, a := range u.To {
				to = append(to, smtpAddress(a.Address))
			}
			for _, a := range u.Cc {
				cc = append(cc, smtpAddress(a.Address))
			}
			for _, h := range u.Headers {
				hs = append(hs, h.Name+": "+h.Value)
			}
			if join(to) != tc.to || join(cc) != tc.cc {
				t.Errorf("to = %q, cc = %q; want %q, %q", to, cc, tc.to, tc.cc)
			}
			if u.Subject != tc.subject || u.Body != tc.body {
				t.Errorf("subject = %q, body = %q", u.Subject, u.Body)
			}
			if strings.Join(hs, "|") != tc.headers {
				t.Errorf("headers = %q, want %q", hs, tc.headers)
			}
			if len(u.Warnings) != tc.warnings {
				t.Errorf("warnings = %q, want %d", u.Warnings, tc.warnings)
			}
			if c := MailtoCapability(tc.uri, "Online"); c != "maybe" {
				t.Errorf("capability online = %q", c)
			}
			if c := MailtoCapability(tc.uri, "frop"); c != "" {
				t.Errorf("capability frop = %q", c)
			}
		})
	}
}
