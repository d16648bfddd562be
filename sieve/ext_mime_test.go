package sieve

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// nestedMsg is a multipart/mixed holding a multipart/alternative, an
// attachment and an enclosed message.
const nestedMsg = "From: a@example.org\r\n" +
	"To: b@example.net\r\n" +
	"Subject: nested\r\n" +
	"MIME-Version: 1.0\r\n" +
	"Content-Type: multipart/mixed; boundary=AA\r\n" +
	"X-Part: top\r\n" +
	"\r\n" +
	"--AA\r\n" +
	"Content-Type: multipart/alternative; boundary=BB\r\n" +
	"X-Part: alt\r\n" +
	"\r\n" +
	"--BB\r\n" +
	"Content-Type: text/plain; charset=iso-8859-1\r\n" +
	"Content-Transfer-Encoding: quoted-printable\r\n" +
	"X-Part: plain\r\n" +
	"\r\n" +
	"Gr=FC=DFe aus K=F6ln\r\n" +
	"--BB\r\n" +
	"Content-Type: text/html\r\n" +
	"X-Part: html\r\n" +
	"\r\n" +
	"<p>Hello <b>HTML</b></p>\r\n" +
	"--BB--\r\n" +
	"--AA\r\n" +
	"Content-Type: application/pdf; name=\"report.pdf\"\r\n" +
	"Content-Disposition: attachment;\r\n" +
	" filename*0*=utf-8''R%C3%A9sum%C3%A9;\r\n" +
	" filename*1=\".pdf\"\r\n" +
	"Content-Transfer-Encoding: base64\r\n" +
	"X-Part: pdf\r\n" +
	"\r\n" +
	"JVBERi0=\r\n" +
	"--AA\r\n" +
	"Content-Type: message/rfc822\r\n" +
	"X-Part: rfc822\r\n" +
	"\r\n" +
	"From: inner@example.com\r\n" +
	"To: someone@example.com\r\n" +
	"Subject: enclosed\r\n" +
	"X-Part: inner\r\n" +
	"\r\n" +
	"Inner text\r\n" +
	"--AA--\r\n"

func TestForeverypart(t *testing.T) {
	const req = `require ["foreverypart", "mime", "variables", "extracttext", "editheader"]; `
	cases := []struct{ name, src, want string }{
		{"order", `set "o" ""; foreverypart { if header :mime :matches "X-Part" "*" { set "o" "${o}${1} "; } }`,
			"top alt plain html pdf rfc822 inner "},
		{"nested loop sees descendants", `set "o" ""; foreverypart { if header :mime "X-Part" "alt" {
				foreverypart { if header :mime :matches "X-Part" "*" { set "o" "${o}${1} "; } } } }`,
			"plain html "},
		{"break leaves innermost", `set "o" ""; foreverypart { if header :mime :matches "X-Part" "*" { set "o" "${o}${1} "; }
				if header :mime "X-Part" "html" { break; } }`,
			"top alt plain html "},
		{"break :name leaves outer", `set "o" ""; foreverypart :name "outer" { if header :mime "X-Part" "alt" {
				foreverypart { if header :mime :matches "X-Part" "*" { set "o" "${o}${1} "; } break :name "outer"; } }
				set "o" "${o}. "; }`,
			". plain "},
		{"break in inner only", `set "o" ""; foreverypart :name "outer" { if header :mime "X-Part" ["top", "alt"] {
				foreverypart :name "inner" { set "o" "${o}i "; break :name "inner"; } }
				set "o" "${o}. "; }`,
			"i . i . . . . . . "},
		{"extracttext decodes", `set "o" ""; foreverypart { if header :mime "X-Part" "plain" { extracttext "o"; } }`,
			"Grüße aus Köln"},
		{"extracttext html to text", `set "o" ""; foreverypart { if header :mime "X-Part" "html" { extracttext "t"; set "o" "${t}"; } }`,
			"Hello HTML"},
		{"extracttext :first", `set "o" ""; foreverypart { if header :mime "X-Part" "plain" { extracttext :first 5 "o"; } }`,
			"Grüße"},
		{"extracttext modifier", `set "o" ""; foreverypart { if header :mime "X-Part" "plain" { extracttext :upper :first 5 "o"; } }`,
			"GRÜßE"},
		{"extracttext non-text empty", `set "o" "x"; foreverypart { if header :mime "X-Part" "pdf" { extracttext "o"; } }`,
			""},
		{":type", `set "o" ""; foreverypart { if header :mime :type "content-type" "multipart" { set "o" "${o}m "; } }`,
			"m m "},
		{":subtype", `set "o" ""; foreverypart { if header :mime :subtype "content-type" "html" { set "o" "${o}h "; } }`,
			"h "},
		{":contenttype", `set "o" ""; foreverypart { if header :mime :contenttype "content-type" "message/rfc822" { set "o" "${o}r "; } }`,
			"r "},
		{":param RFC 2231", `set "o" ""; foreverypart { if header :mime :param "filename" :matches "content-disposition" "*" { set "o" "${1}"; } }`,
			"Résumé.pdf"},
		{":param list", `set "o" ""; foreverypart { if header :mime :param ["name", "charset"] :matches "content-type" "*" { set "o" "${o}${1} "; } }`,
			"iso-8859-1 report.pdf "},
		{":anychild at top", `set "o" "no"; if header :mime :anychild "X-Part" "inner" { set "o" "yes"; }`, "yes"},
		{":mime at top without anychild", `set "o" "no"; if header :mime "X-Part" "inner" { set "o" "yes"; }`, "no"},
		{":anychild in loop", `set "o" ""; foreverypart { if header :mime :anychild "X-Part" "html" { set "o" "${o}y "; } }`,
			"y y y "},
		{"exists :anychild across parts", `set "o" "no"; if exists :mime :anychild ["X-Part", "Content-Disposition"] { set "o" "yes"; }`, "yes"},
		{"address :mime", `set "o" ""; foreverypart { if address :mime :domain "from" "example.com" { set "o" "${o}a "; } }`,
			"a "},
		{"top part sees edits", `addheader "X-Added" "yes"; set "o" "no"; foreverypart { if header :mime "X-Added" "yes" { set "o" "seen"; } }`,
			"seen"},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			s := mustCompile(t, req+tt.src)
			e := newTestExec(t, s, mustMessage(t, nestedMsg))
			if got := e.vars["o"]; got != tt.want {
				t.Errorf("o = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestMimeCompileErrors(t *testing.T) {
	cases := []struct{ name, src, want string }{
		{"break outside", `require "foreverypart"; break;`, "not inside a foreverypart"},
		{"break unknown name", `require "foreverypart"; foreverypart :name "a" { break :name "b"; }`, "named 'b'"},
		{"too deep", `require "foreverypart"; foreverypart { foreverypart { foreverypart { foreverypart { foreverypart { } } } } }`, "nested too deeply"},
		{"extracttext outside", `require ["extracttext", "variables", "foreverypart"]; extracttext "x";`, "not inside a foreverypart"},
		{"extracttext without variables", `require ["extracttext", "foreverypart"]; foreverypart { extracttext "x"; }`, "without variables extension"},
		{"extracttext without foreverypart", `require ["extracttext", "variables"]; keep;`, "without foreverypart extension"},
		{"extracttext without foreverypart, required later", `require "extracttext"; require "variables"; require "foreverypart"; keep;`, ""},
		{"extracttext bad variable", `require ["extracttext", "variables", "foreverypart"]; foreverypart { extracttext "${a}"; }`, "invalid variable name"},
		{"anychild without mime", `require "mime"; if header :anychild "a" "b" { }`, "requires :mime"},
		{"type on exists", `require "mime"; if exists :mime :type "a" { }`, "only be used with the header test"},
		{"type and param", `require "mime"; if header :mime :type :param "x" "a" "b" { }`, "cannot be combined"},
		{"mime not required", `if header :mime "a" "b" { }`, "mime"},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Compile(context.Background(), "t", []byte(tt.src), Options{})
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("err = %v, want none", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

// manyParts builds a multipart message with n leaf parts.
func manyParts(n int) string {
	var b strings.Builder
	b.WriteString("Subject: many\r\nContent-Type: multipart/mixed; boundary=X\r\n\r\n")
	for i := range n {
		fmt.Fprintf(&b, "--X\r\nX-N: %d\r\n\r\npart %d\r\n", i, i)
	}
	b.WriteString("--X--\r\n")
	return b.String()
}

// A loop over a large message costs steps linear in its parts: the budget
// below allows a few dozen per part and no more.
func TestForeverypartLinear(t *testing.T) {
	const parts = 999 // with the top part, the parser's default limit
	src := `require ["foreverypart", "mime", "variables", "extracttext"];
		foreverypart { extracttext "t"; if header :mime :contains "X-N" "5" { set "x" "1"; } }`
	s, err := Compile(context.Background(), "t", []byte(src), Options{Limits: Limits{Steps: 20 * parts}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Run(context.Background(), &Input{Message: mustMessage(t, manyParts(parts))}); err != nil {
		t.Fatalf("run: %v", err)
	}
	// A nested loop runs over each part's descendants: linear in the
	// parts times the depth, within the same budget.
	s, err = Compile(context.Background(), "t", []byte(`require "foreverypart"; foreverypart { foreverypart { } }`),
		Options{Limits: Limits{Steps: 20 * parts}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Run(context.Background(), &Input{Message: mustMessage(t, manyParts(parts))}); err != nil {
		t.Fatalf("nested loops over %d parts: %v", parts, err)
	}
}

// deepMsg nests n multiparts.
func deepMsg(n int) string {
	var b strings.Builder
	b.WriteString("Subject: deep\r\n")
	for i := range n {
		fmt.Fprintf(&b, "Content-Type: multipart/mixed; boundary=B%d\r\n\r\n--B%d\r\n", i, i)
	}
	b.WriteString("\r\nleaf\r\n")
	for i := n - 1; i >= 0; i-- {
		fmt.Fprintf(&b, "--B%d--\r\n", i)
	}
	return b.String()
}

// Loops started by an included script nest under the includer's.
func TestForeverypartIncludeDepth(t *testing.T) {
	loader := mapLoader{}
	for i := 1; i < 6; i++ {
		loader[fmt.Sprintf("l%d", i)] = fmt.Sprintf(`require ["foreverypart", "include"]; foreverypart { include "l%d"; }`, i+1)
	}
	loader["l6"] = `keep;`
	s, err := Compile(context.Background(), "t", []byte(`require "include"; include "l1";`), Options{Includes: loader})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Run(context.Background(), &Input{Message: mustMessage(t, deepMsg(6))})
	var re *RuntimeError
	if !errors.As(err, &re) || !errors.Is(err, ErrLimit) {
		t.Fatalf("err = %v, want a runtime error for the loop depth", err)
	}
}
