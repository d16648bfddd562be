package sieve

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	gomessage "github.com/emersion/go-message"
	_ "github.com/emersion/go-message/charset"
	"github.com/emersion/go-message/mail"
)

// readEntity parses b with go-message, failing the test when it cannot.
func readEntity(t *testing.T, b []byte) *gomessage.Entity {
	t.Helper()
	ent, err := gomessage.Read(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("go-message cannot read the message: %v\n%s", err, b)
	}
	return ent
}

func bodyText(t *testing.T, ent *gomessage.Entity) string {
	t.Helper()
	b, err := io.ReadAll(ent.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestReplace(t *testing.T) {
	cases := []struct {
		name  string
		src   string
		check func(t *testing.T, h mail.Header, ent *gomessage.Entity)
	}{
		{"text", `replace "Removed: the message was too large.";`, func(t *testing.T, h mail.Header, ent *gomessage.Entity) {
			if mt, _, _ := h.ContentType(); mt != "text/plain" {
				t.Errorf("type %q", mt)
			}
			if got := bodyText(t, ent); got != "Removed: the message was too large.\r\n" {
				t.Errorf("body %q", got)
			}
			if s, _ := h.Subject(); s != "nested" || h.Get("X-Part") != "top" || h.Get("To") != "b@example.net" {
				t.Errorf("header not kept: %v", h.Header)
			}
			if len(h.Values("Content-Type")) != 1 || h.Get("MIME-Version") != "1.0" {
				t.Errorf("MIME fields: %v", h.Header)
			}
		}},
		{"utf-8 text, subject and from", `replace :subject "Ersetzt: Grüße" :from "Sluice <postmaster@example.org>" "Nachricht entfernt, Grüße";`,
			func(t *testing.T, h mail.Header, ent *gomessage.Entity) {
				if s, _ := h.Subject(); s != "Ersetzt: Grüße" {
					t.Errorf("subject %q", s)
				}
				if s, _ := h.Text("Original-Subject"); s != "nested" {
					t.Errorf("Original-Subject %q", s)
				}
				if h.Get("Original-From") != "a@example.org" {
					t.Errorf("Original-From %q", h.Get("Original-From"))
				}
				if from, err := h.AddressList("From"); err != nil || len(from) != 1 || from[0].Address != "postmaster@example.org" {
					t.Errorf("From %v %v", from, err)
				}
				if got := bodyText(t, ent); got != "Nachricht entfernt, Grüße\r\n" {
					t.Errorf("body %q", got)
				}
			}},
		{":mime entity", "replace :mime \"Content-Type: text/html; charset=utf-8\r\n\r\n<p>gone</p>\r\n\";",
			func(t *testing.T, h mail.Header, ent *gomessage.Entity) {
				if mt, _, _ := h.ContentType(); mt != "text/html" {
					t.Errorf("type %q", mt)
				}
				if got := bodyText(t, ent); got != "<p>gone</p>\r\n" {
					t.Errorf("body %q", got)
				}
			}},
		{"edits before replace kept", `addheader "X-Edit" "1"; replace "r";`, func(t *testing.T, h mail.Header, _ *gomessage.Entity) {
			if h.Get("X-Edit") != "1" {
				t.Errorf("X-Edit lost: %v", h.Header)
			}
		}},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			res := runScript(t, `require ["replace", "editheader"]; `+tt.src, nestedMsg)
			if res.Message == nil {
				t.Fatal("no replacement message")
			}
			if res.HeaderEdits != nil {
				t.Errorf("HeaderEdits %+v: edits made before replace belong in Message", res.HeaderEdits)
			}
			ent := readEntity(t, res.Message)
			tt.check(t, mail.Header{Header: ent.Header}, ent)
		})
	}
}

// Tests after replace see the new message; editheader after it edits the
// new message and is reported relative to it.
func TestReplaceThenTests(t *testing.T) {
	res := runScript(t, `require ["replace", "body", "editheader", "fileinto"];
		replace :subject "new" "replacement text";
		if not header "subject" "new" { stop; }
		if not body :contains "replacement" { stop; }
		addheader "X-After" "yes";
		fileinto "Replaced";`, nestedMsg)
	if len(res.Actions) == 0 || res.Actions[0].Kind() != "fileinto" {
		t.Fatalf("tests did not see the new message: %s", res)
	}
	if res.HeaderEdits == nil || len(res.HeaderEdits.Prepend) != 1 {
		t.Fatalf("HeaderEdits = %+v", res.HeaderEdits)
	}
	hdr, _, _ := bytes.Cut(res.Message, []byte("\r\n\r\n"))
	edited := res.HeaderEdits.Apply(append(hdr, "\r\n"...))
	if !bytes.HasPrefix(edited, []byte("X-After: yes\r\n")) {
		t.Errorf("edited header: %s", edited)
	}
}

func TestEnclose(t *testing.T) {
	res := runScript(t, `require ["enclose", "editheader"];
		addheader "X-Edited" "inside";
		enclose :subject "Warning: suspicious" :headers ["X-Scan: failed", "To: security@example.org"] "Ignored text.";
		enclose :subject "Warning: dangerous attachment" :headers ["X-Scan: failed", "To: security@example.org"] "This message was set aside. Überprüft.";
		keep;`, nestedMsg)
	if res.Message == nil {
		t.Fatal("no enclosing message")
	}
	if res.HeaderEdits != nil {
		t.Errorf("HeaderEdits %+v: they belong to the enclosed message", res.HeaderEdits)
	}
	ent := readEntity(t, res.Message)
	h := mail.Header{Header: ent.Header}
	if s, _ := h.Subject(); s != "Warning: dangerous attachment" {
		t.Errorf("subject %q (the last enclose counts)", s)
	}
	if h.Get("X-Scan") != "failed" || h.Get("To") != "security@example.org" || len(h.Values("To")) != 1 {
		t.Errorf(":headers not applied: %v", h.Header)
	}
	if h.Get("From") != "a@example.org" {
		t.Errorf("From not kept: %q", h.Get("From"))
	}
	mr := ent.MultipartReader()
	if mr == nil {
		t.Fatalf("not multipart: %v", h.Header)
	}
	first, err := mr.NextPart()
	if err != nil {
		t.Fatal(err)
	}
	if got := bodyText(t, first); got != "This message was set aside. Überprüft.\r\n" {
		t.Errorf("text part %q", got)
	}
	second, err := mr.NextPart()
	if err != nil {
		t.Fatal(err)
	}
	if mt, _, _ := second.Header.ContentType(); mt != "message/rfc822" {
		t.Fatalf("second part %q", mt)
	}
	inner := []byte(bodyText(t, second))
	in := readEntity(t, inner)
	if in.Header.Get("X-Edited") != "inside" || in.Header.Get("Subject") != "nested" {
		t.Errorf("enclosed header: %v", in.Header)
	}
	if !bytes.Contains(inner, []byte("Gr=FC=DFe aus K=F6ln")) {
		t.Errorf("enclosed body changed")
	}
	if _, err := mr.NextPart(); !errors.Is(err, io.EOF) {
		t.Errorf("more parts: %v", err)
	}
}

func TestReplaceErrors(t *testing.T) {
	compile := []struct{ name, src, want string }{
		{"bad from", `require "replace"; replace :from "not an address" "x";`, ":from address"},
		{"mime without header", `require "replace"; replace :mime "just text";`, "MIME entity"},
		{"enclose bad header", `require "enclose"; enclose :headers ["nocolon"] "x";`, "not a header field"},
	}
	for _, tt := range compile {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Compile(context.Background(), "t", []byte(tt.src), Options{})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
	t.Run("part inside foreverypart", func(t *testing.T) {
		_, err := tryRun(t, `require ["replace", "foreverypart", "mime"];
			foreverypart { if header :mime :contenttype "content-type" "application/pdf" { replace "gone"; } }`, nestedMsg)
		var re *RuntimeError
		if !errors.As(err, &re) {
			t.Errorf("err = %v, want a runtime error", err)
		}
	})
	t.Run("message without raw header", func(t *testing.T) {
		s := mustCompile(t, `require "replace"; replace "x";`)
		_, err := s.Run(context.Background(), &Input{Message: headerOnly{}})
		var re *RuntimeError
		if !errors.As(err, &re) {
			t.Errorf("err = %v, want a runtime error", err)
		}
	})
}

// headerOnly is a Message that gives neither its raw header nor its body.
type headerOnly struct{}

func (headerOnly) Header(string) []string { return nil }
func (headerOnly) Size() int64            { return 0 }
