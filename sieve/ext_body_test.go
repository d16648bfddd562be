package sieve

import (
	"io"
	"strings"
	"testing"
)

const mimeMsg = "From: a@example.org\r\n" +
	"Subject: parts\r\n" +
	"MIME-Version: 1.0\r\n" +
	"Content-Type: multipart/mixed; boundary=outer\r\n" +
	"\r\n" +
	"This is the prologue.\r\n" +
	"--outer\r\n" +
	"Content-Type: multipart/alternative; boundary=inner\r\n" +
	"\r\n" +
	"--inner\r\n" +
	"Content-Type: text/plain; charset=iso-8859-1\r\n" +
	"Content-Transfer-Encoding: quoted-printable\r\n" +
	"\r\n" +
	"Gr=FC=DFe aus K=F6ln\r\n" +
	"--inner\r\n" +
	"Content-Type: text/html\r\n" +
	"\r\n" +
	"<html><body><p>Visible &amp; bold</p><script>hidden()</script></body></html>\r\n" +
	"--inner--\r\n" +
	"--outer\r\n" +
	"Content-Type: application/octet-stream\r\n" +
	"Content-Transfer-Encoding: base64\r\n" +
	"\r\n" +
	"c2VjcmV0IHBheWxvYWQ=\r\n" +
	"--outer\r\n" +
	"Content-Type: message/rfc822\r\n" +
	"\r\n" +
	"From: inner@example.net\r\n" +
	"Subject: nested\r\n" +
	"\r\n" +
	"Nested body text\r\n" +
	"--outer\r\n" +
	"Content-Type: text/plain/broken\r\n" +
	"\r\n" +
	"Broken type\r\n" +
	"--outer--\r\n" +
	"The epilogue.\r\n"

func TestBody(t *testing.T) {
	runExtCases(t, mimeMsg, Input{}, []extCase{
		{"raw boundary", `require "body"; if body :raw :contains "--inner" { discard; }`, extYes},
		{"raw undecoded", `require "body"; if body :raw :contains "c2VjcmV0" { discard; }`, extYes},
		{"raw not decoded", `require "body"; if body :raw :contains "secret" { discard; }`, extNo},
		{"text default decodes charset", `require "body"; if body :contains "Grüße aus Köln" { discard; }`, extYes},
		{"text html visible", `require "body"; if body :text :contains "Visible & bold" { discard; }`, extYes},
		{"text html markup hidden", `require "body"; if body :text :contains ["<p>", "hidden()"] { discard; }`, extNo},
		{"text skips binary", `require "body"; if body :text :contains "secret" { discard; }`, extNo},
		{"text skips prologue", `require "body"; if body :text :contains "prologue" { discard; }`, extNo},
		{"text nested message", `require "body"; if body :text :contains "Nested body text" { discard; }`, extYes},
		{"text broken type", `require "body"; if body :text :contains "Broken type" { discard; }`, extNo},
		{"content decodes base64", `require "body"; if body :content "application/octet-stream" :contains "secret payload" { discard; }`, extYes},
		{"content main type", `require "body"; if body :content "application" :is "secret payload" { discard; }`, extYes},
		{"content html raw markup", `require "body"; if body :content "text/html" :contains "<p>Visible" { discard; }`, extYes},
		{"content plain not html", `require "body"; if body :content "text/plain" :contains "<p>" { discard; }`, extNo},
		{"content multipart prologue", `require "body"; if body :content "multipart" :is "This is the prologue." { discard; }`, extYes},
		{"content multipart epilogue", `require "body"; if body :content "multipart" :contains "epilogue" { discard; }`, extYes},
		{"content multipart no boundary", `require "body"; if body :content "multipart" :contains "--outer" { discard; }`, extNo},
		{"content rfc822 header", "require \"body\";\nif body :content \"message/rfc822\" :is text:\nFrom: inner@example.net\nSubject: nested\n.\n{ discard; }", extYes},
		{"content rfc822 not body", `require "body"; if body :content "message/rfc822" :contains "Nested body" { discard; }`, extNo},
		{"content all", `require "body"; if body :content "" :contains "secret" { discard; }`, extYes},
		{"content bad spec", `require "body"; if body :content ["/plain", "text/", "text/plain/broken"] :contains "" { discard; }`, extNo},
		{"content case", `require "body"; if body :content "TEXT/HTML" :contains "Visible" { discard; }`, extYes},
		{"content count", `require ["body", "relational", "comparator-i;ascii-numeric"]; if body :content "text" :count "eq" :comparator "i;ascii-numeric" "3" { discard; }`, extYes},
		{"match values untouched", `require ["body", "variables", "fileinto"]; if header :matches "subject" "p*" { if body :raw :matches "*prologue*" { fileinto "${1}"; } }`, "fileinto \"arts\"\n"},
	})
}

func TestBodyNoBody(t *testing.T) {
	runExtCases(t, "From: a@example.org\r\nSubject: none\r\n", Input{}, []extCase{
		{"is empty", `require "body"; if body :raw :is "" { discard; }`, extNo},
		{"matches star", `require "body"; if body :raw :matches "*" { discard; }`, extNo},
		{"text", `require "body"; if body :text :contains "" { discard; }`, extNo},
	})
	runExtCases(t, "From: a@example.org\r\n\r\n", Input{}, []extCase{
		{"empty body is empty", `require "body"; if body :raw :is "" { discard; }`, extYes},
	})
}

// plainMessage is a Message that is not this package's own: the body test
// reads it through BodySource.
type plainMessage struct {
	hdr  map[string][]string
	body string
}

var (
	_ Message    = plainMessage{}
	_ BodySource = plainMessage{}
)

func (m plainMessage) Header(name string) []string { return m.hdr[strings.ToLower(name)] }
func (m plainMessage) Size() int64                 { return int64(len(m.body)) }
func (m plainMessage) Body() (io.Reader, error)    { return strings.NewReader(m.body), nil }

func TestBodyForeignMessage(t *testing.T) {
	m := plainMessage{
		hdr:  map[string][]string{"content-type": {"text/plain; charset=utf-8"}, "content-transfer-encoding": {"base64"}},
		body: "aMOpbGxv\r\n",
	}
	for _, tt := range []struct{ src, want string }{
		{`require "body"; if body :text :is "héllo" { discard; }`, extYes},
		{`require "body"; if body :raw :contains "aMOp" { discard; }`, extYes},
	} {
		s := compileExt(t, tt.src)
		res, err := s.Run(t.Context(), &Input{Message: m})
		if err != nil {
			t.Fatal(err)
		}
		if got := res.String(); got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.src, got, tt.want)
		}
	}
}

func TestMultipartFrame(t *testing.T) {
	for _, tt := range []struct {
		body string
		want []string
	}{
		{"pro\r\n--b\r\nx\r\n--b--\r\nepi\r\n", []string{"pro", "epi\r\n"}},
		{"--b\r\nx\r\n--b--\r\n", []string{""}},
		{"--bb\r\n--b \r\nx\r\n--b--", []string{"--bb"}},
		{"no delimiters", nil},
	} {
		var got []string
		for _, v := range multipartFrame([]byte(tt.body), "b") {
			got = append(got, string(v))
		}
		if strings.Join(got, "|") != strings.Join(tt.want, "|") || len(got) != len(tt.want) {
			t.Errorf("multipartFrame(%q) = %q, want %q", tt.body, got, tt.want)
		}
	}
}
