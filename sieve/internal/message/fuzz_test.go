package message

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		mixedWithAlternative, crlf(mixedWithAlternative), nested(40),
		"A: b\r\n c\r\n\r\nbody", "\r\n", "", ":\n\n", " x\n", "A: b\rc\x00\n\n",
		"Content-Type: multipart/mixed; boundary=b\n\n--b\n--b\n--b--",
		"Content-Type: message/rfc822\n\nContent-Type: message/rfc822\n\nContent-Type: text/html\n\n<p>x",
		"Content-Type: text/plain; charset*0*=utf-8''%C3; charset*1=x\nContent-Transfer-Encoding: quoted-printable\n\n=C3=A9=\n",
	} {
		f.Add([]byte(s))
	}
	lim := Limits{MaxHeaderBytes: 4096, MaxFields: 50, MaxParts: 20, MaxDepth: 5}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ParseBytes(b, lim)
		if err != nil {
			if !errors.Is(err, ErrHeaderTooLarge) && !errors.Is(err, ErrTooManyFields) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		if len(m.Fields()) > lim.MaxFields {
			t.Fatalf("%d fields > limit", len(m.Fields()))
		}
		if int64(len(m.RawHeader())) > lim.MaxHeaderBytes {
			t.Fatalf("header %d bytes > limit", len(m.RawHeader()))
		}
		for _, fl := range m.Fields() {
			if strings.ContainsAny(fl.Value, "\r\n") || len(m.Header(fl.Name)) == 0 {
				t.Fatalf("bad field %q", fl.Value)
			}
		}
		parts := 0
		_ = m.Walk(func(p *Part) error {
			parts++
			if p.Depth > lim.MaxDepth {
				t.Fatalf("depth %d > limit", p.Depth)
			}
			_, _ = p.DecodedBody()
			_, _ = p.Text()
			_ = ExtractText(p)
			return nil
		})
		if parts > lim.MaxParts {
			t.Fatalf("%d parts > limit", parts)
		}
	})
}

func FuzzParseAddressList(f *testing.F) {
	for _, s := range []string{
		`"Doe, John" <j@x>, g: a@x, (c (d)) b@y;, <@r:z@w>, <>, root, =?utf-8?q?a=2C?= <q@r>`,
		`"unterminated`, `(unterminated`, `<unterminated`, `a@[lit`, `\`, `;;::<<>>@@`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, a := range ParseAddressList(s) {
			if utf8.ValidString(s) && !utf8.ValidString(a.Name) {
				t.Fatalf("invalid UTF-8 name %q", a.Name)
			}
		}
	})
}

func FuzzDecodeHeaderValue(f *testing.F) {
	for _, s := range []string{
		"=?utf-8?q?a?= =?utf-8?b?w6k=?=", "=?koi8-r?B?8NLJ18XU?=", "=?x?q?y?=", "=?", "=?=?utf-8?q?x?=?=", "caf\xe9",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := DecodeHeaderValue(s)
		if !utf8.ValidString(got) {
			t.Fatalf("DecodeHeaderValue(%q) = %q: invalid UTF-8", s, got)
		}
		if !strings.Contains(s, "=?") && utf8.ValidString(s) && got != s {
			t.Fatalf("plain value changed: %q -> %q", s, got)
		}
	})
}

func FuzzParseDate(f *testing.F) {
	for _, s := range []string{
		"Mon, 02 Jan 2006 15:04:05 -0700", "21 Nov 97 09:55:06 GMT", "(a (b)) 1 Jul 2003 10 : 52 : 37 +0200",
		"Jan 2 15:04:05 2006", "((((", "99 Dec 9999 99:99:99 +9999",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDate(s)
		if err != nil {
			if !errors.Is(err, ErrBadDate) {
				t.Fatalf("error %v does not wrap ErrBadDate", err)
			}
			return
		}
		if d.Year() < 1900 || d.Year() > 9999 {
			t.Fatalf("ParseDate(%q) = %v: year out of range", s, d)
		}
	})
}
