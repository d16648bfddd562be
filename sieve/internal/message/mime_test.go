package message

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// crlf turns LF line endings into CRLF.
func crlf(s string) string { return strings.ReplaceAll(s, "\n", "\r\n") }

// tree renders the MIME tree as "type[children]" for comparisons.
func tree(p *Part) string {
	s := p.ContentType
	if len(p.Children) > 0 {
		var c []string
		for _, ch := range p.Children {
			c = append(c, tree(ch))
		}
		s += "[" + strings.Join(c, " ") + "]"
	}
	return s
}

const mixedWithAlternative = `From: a@x
Subject: test
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="outer"

preamble
--outer
Content-Type: multipart/alternative; boundary=inner

--inner
Content-Type: text/plain; charset=utf-8

plain body
--inner
Content-Type: text/html; charset=utf-8

<p>html body</p>
--inner--
--outer
Content-Type: message/rfc822

From: b@y
Subject: enclosed
Content-Type: multipart/digest; boundary=d

--d

Subject: digest item

item
--d--
--outer
Content-Type: application/octet-stream
Content-Transfer-Encoding: base64

aGVs
bG8=
--outer--
epilogue
`

func TestMIMETree(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"mixed/alternative/rfc822/digest", mixedWithAlternative,
			"multipart/mixed[multipart/alternative[text/plain text/html] message/rfc822[multipart/digest[message/rfc822[text/plain]]] application/octet-stream]"},
		{"crlf", crlf(mixedWithAlternative),
			"multipart/mixed[multipart/alternative[text/plain text/html] message/rfc822[multipart/digest[message/rfc822[text/plain]]] application/octet-stream]"},
		{"no content-type", "Subject: x\n\nhello", "text/plain"},
		{"invalid content-type", "Content-Type: text\n\nhello", "text/plain"},
		{"missing boundary", "Content-Type: multipart/mixed\n\n--x\n\nhello\n--x--\n", "multipart/mixed"},
		{"unterminated multipart", "Content-Type: multipart/mixed; boundary=b\n\n--b\n\none\n--b\nContent-Type: text/html\n\ntwo", "multipart/mixed[text/plain text/html]"},
		{"no delimiter at all", "Content-Type: multipart/mixed; boundary=b\n\njust text\n", "multipart/mixed"},
		{"boundary prefix is not a delimiter", "Content-Type: multipart/mixed; boundary=b\n\n--b\n\none\n--bb\nstill one\n--b--\n", "multipart/mixed[text/plain]"},
		{"transport padding after delimiter", "Content-Type: multipart/mixed; boundary=b\n\n--b  \n\none\n--b--  \n", "multipart/mixed[text/plain]"},
		{"base64 encoded rfc822", "Content-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\nQ29udGVudC1UeXBlOiB0ZXh0L2h0bWwKCmhp\n", "message/rfc822[text/html]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := mustParse(t, tt.in)
			if got := tree(m.Root()); got != tt.want {
				t.Errorf("tree = %s\nwant   %s", got, tt.want)
			}
			if m.Truncated() {
				t.Error("Truncated = true")
			}
		})
	}
}

func TestMIMEBodies(t *testing.T) {
	for _, in := range []string{mixedWithAlternative, crlf(mixedWithAlternative)} {
		m := mustParse(t, in)
		var got []string
		err := m.Walk(func(p *Part) error {
			if len(p.Children) > 0 {
				return nil
			}
			b, err := p.DecodedBody()
			if err != nil {
				return err
			}
			got = append(got, fmt.Sprintf("%d:%s:%q", p.Depth, p.ContentType, strings.ReplaceAll(string(b), "\r", "")))
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		want := []string{`2:text/plain:"plain body"`, `2:text/html:"<p>html body</p>"`, `4:text/plain:"item"`, `1:application/octet-stream:"hello"`}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("leaves:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		root := m.Root()
		if root.Header[0].Name != "From" || root.Params["boundary"] != "outer" {
			t.Errorf("root header/params wrong: %v %v", root.Header, root.Params)
		}
		enc := root.Children[1].Children[0]
		if enc.Get("Subject") != "enclosed" {
			t.Errorf("enclosed Subject = %q", enc.Get("Subject"))
		}
	}
}

func TestWalkStops(t *testing.T) {
	m := mustParse(t, mixedWithAlternative)
	stop := errors.New("stop")
	n := 0
	err := m.Walk(func(p *Part) error {
		n++
		if n == 3 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || n != 3 {
		t.Errorf("Walk = %v after %d parts", err, n)
	}
}

func TestContentTypeParams(t *testing.T) {
	tests := []struct {
		name   string
		ct     string
		typ    string
		params map[string]string
	}{
		{"simple", `text/plain; charset="UTF-8"; format=flowed`, "text/plain", map[string]string{"charset": "UTF-8", "format": "flowed"}},
		{"case and comments", `Text/HTML (c) ; (x) CHARSET = iso-8859-1 (latin)`, "text/html", map[string]string{"charset": "iso-8859-1 (latin)"}},
		{"rfc2231 continuation", `application/x-stuff; title*0*=us-ascii'en'This%20is%20even%20more%20; title*1*=%2A%2A%2Afun%2A%2A%2A%20; title*2="isn't it!"`,
			"application/x-stuff", map[string]string{"title": "This is even more ***fun*** isn't it!"}},
		{"rfc2231 charset", `application/pdf; name*=UTF-8''Gr%C3%BC%C3%9Fe.pdf; name="fallback.pdf"`, "application/pdf", map[string]string{"name": "Grüße.pdf"}},
		{"rfc2231 latin1", `application/pdf; name*=iso-8859-1'de'caf%E9`, "application/pdf", map[string]string{"name": "café"}},
		{"rfc2231 out of order", `a/b; n*1=b; n*0=a; n*2=c`, "a/b", map[string]string{"n": "abc"}},
		{"encoded word in filename", `a/b; name="=?utf-8?q?J=C3=B6rg.txt?="`, "a/b", map[string]string{"name": "Jörg.txt"}},
		{"boundary never decoded", `multipart/mixed; boundary="=?x?q?y?="`, "multipart/mixed", map[string]string{"boundary": "=?x?q?y?="}},
		{"unquoted with spaces", `a/b; name=my file.txt; x=y`, "a/b", map[string]string{"name": "my file.txt", "x": "y"}},
		{"unterminated quote", `a/b; name="abc`, "a/b", map[string]string{"name": "abc"}},
		{"junk between params", `a/b; junk; ;x=1;;`, "a/b", map[string]string{"x": "1"}},
		{"duplicate keeps first", `a/b; x=1; X=2`, "a/b", map[string]string{"x": "1"}},
		{"quoted pair", `a/b; x="a\"b"`, "a/b", map[string]string{"x": `a"b`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := mustParse(t, "Content-Type: "+tt.ct+"\n\n")
			p := m.Root()
			if p.ContentType != tt.typ {
				t.Errorf("type = %q, want %q", p.ContentType, tt.typ)
			}
			if fmt.Sprint(p.Params) != fmt.Sprint(tt.params) {
				t.Errorf("params = %q, want %q", p.Params, tt.params)
			}
		})
	}
}

func TestDecodedBody(t *testing.T) {
	tests := []struct {
		name, cte, body, want string
		wantErr               error
	}{
		{"7bit", "", "as is=41\n", "as is=41\n", nil},
		{"8bit", "8BIT", "é", "é", nil},
		{"binary", "binary", "\x00\xff", "\x00\xff", nil},
		{"base64", "base64", "aGVsbG8gd29ybGQ=\n", "hello world", nil},
		{"base64 whitespace and junk", "Base64 (comment)", " aGVs\r\n bG8g!!d29y\tbGQ=\r\n", "hello world", nil},
		{"base64 no padding", "base64", "aGVsbG8", "hello", nil},
		{"base64 bad padding", "base64", "aGVsbA=\n", "hell", nil},
		{"base64 concatenated", "base64", "aGk=aGk=", "hihi", nil},
		{"qp soft breaks", "quoted-printable", "long =\r\nline=\nend\r\n", "long lineend\r\n", nil},
		{"qp escapes", "quoted-printable", "caf=C3=A9 =3d x=e9", "café = x\xe9", nil},
		{"qp trailing space and soft break with space", "quoted-printable", "a   \nb= \nc", "a\nbc", nil},
		{"qp malformed kept", "quoted-printable", "a=ZZ b= c=4", "a=ZZ b= c=4", nil},
		{"unknown", "x-uuencode", "begin", "begin", ErrUnknownEncoding},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := "Content-Type: application/octet-stream\n"
			if tt.cte != "" {
				h += "Content-Transfer-Encoding: " + tt.cte + "\n"
			}
			m := mustParse(t, h+"\n"+tt.body)
			got, err := m.Root().DecodedBody()
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("err = %v, want %v", err, tt.wantErr)
			}
			if string(got) != tt.want {
				t.Errorf("DecodedBody = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestText(t *testing.T) {
	tests := []struct {
		name, header, body, want string
		wantErr                  error
	}{
		{"utf-8", "Content-Type: text/plain; charset=utf-8", "Grüße", "Grüße", nil},
		{"default us-ascii", "Subject: x", "plain", "plain", nil},
		{"iso-8859-1 qp", "Content-Type: text/plain; charset=ISO-8859-1\nContent-Transfer-Encoding: quoted-printable", "caf=E9", "café", nil},
		{"windows-1252", "Content-Type: text/plain; charset=windows-1252", "\x80 \x93q\x94", "€ “q”", nil},
		{"koi8-r base64", "Content-Type: text/plain; charset=koi8-r\nContent-Transfer-Encoding: base64", "8NLJ18XU", "Привет", nil},
		{"shift_jis", "Content-Type: text/plain; charset=shift_jis", "\x93\xfa\x96\x7b", "日本", nil},
		{"unknown charset raw", "Content-Type: text/plain; charset=x-martian", "ab\xffc", "ab\xffc", nil},
		{"utf-8 mislabelled ascii", "Content-Type: text/plain; charset=us-ascii", "é", "é", nil},
		{"not text", "Content-Type: image/png", "x", "", ErrNotText},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := mustParse(t, tt.header+"\n\n"+tt.body)
			got, err := m.Root().Text()
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("err = %v, want %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("Text = %q, want %q", got, tt.want)
			}
		})
	}
}

// nested builds a multipart nested depth times.
func nested(depth int) string {
	var b strings.Builder
	b.WriteString("Subject: deep\n")
	for i := 0; i < depth; i++ {
		fmt.Fprintf(&b, "Content-Type: multipart/mixed; boundary=b%d\n\n--b%d\n", i, i)
	}
	b.WriteString("Content-Type: text/plain\n\nleaf\n")
	for i := depth - 1; i >= 0; i-- {
		fmt.Fprintf(&b, "--b%d--\n", i)
	}
	return b.String()
}

func TestMIMELimits(t *testing.T) {
	manyParts := "Content-Type: multipart/mixed; boundary=b\n\n" + strings.Repeat("--b\n\nx\n", 5000) + "--b--\n"
	tests := []struct {
		name      string
		in        string
		lim       Limits
		truncated bool
		parts     int
		maxDepth  int
	}{
		{"1000 deep, default limits", nested(1000), Limits{}, true, 33, 32},
		{"1000 deep, no depth or parts limit", nested(1000), Limits{MaxDepth: -1, MaxParts: -1}, false, 1001, 1000},
		{"1000 deep, parts limit", nested(1000), Limits{MaxDepth: -1, MaxParts: 100}, true, 100, 99},
		{"5000 parts, default limits", manyParts, Limits{}, true, 1000, 1},
		{"5000 parts, unlimited", manyParts, Limits{MaxParts: -1}, false, 5001, 1},
		{"within limits", nested(3), Limits{MaxDepth: 3}, false, 4, 3},
		{"one level too deep", nested(3), Limits{MaxDepth: 2}, true, 3, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := ParseBytes([]byte(tt.in), tt.lim)
			if err != nil {
				t.Fatal(err)
			}
			parts, depth := 0, 0
			if err := m.Walk(func(p *Part) error {
				parts++
				depth = max(depth, p.Depth)
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			if m.Truncated() != tt.truncated || parts != tt.parts || depth != tt.maxDepth {
				t.Errorf("truncated=%v parts=%d depth=%d, want %v %d %d", m.Truncated(), parts, depth, tt.truncated, tt.parts, tt.maxDepth)
			}
		})
	}
}
