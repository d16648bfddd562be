package message

import (
	"strings"
	"testing"
)

// TestPathologicalInputs feeds inputs that make naive parsers quadratic.
// It asserts nothing about time: a quadratic implementation would make it
// run for minutes and hit the test timeout.
func TestPathologicalInputs(t *testing.T) {
	const n = 1 << 16
	rep := func(s string) string { return strings.Repeat(s, n/len(s)) }
	for _, s := range []string{rep("=?a?q?"), rep("=?utf-8?q?"), rep("=?utf-8?q?a ?="), rep("=?utf-8?q?a?=")} {
		_ = DecodeHeaderValue(s)
	}
	for _, s := range []string{rep("a@b:"), rep("("), rep(`"`), rep("<"), rep("a "), rep("g:a@b,"), rep("=?utf-8?q?a?= ")} {
		_ = ParseAddressList(s)
	}
	for _, s := range []string{rep("("), rep("1 "), rep(" : "), rep("Jan ")} {
		_, _ = ParseDate(s)
	}
	for _, s := range []string{rep("&"), rep("&#"), rep("<script"), rep("<a"), rep("<!--"), rep("</"), rep("<p>")} {
		m := mustParse(t, "Content-Type: text/html\n\n"+s)
		_ = ExtractText(m.Root())
	}
	for _, s := range []string{rep("(("), rep("; a="), rep(`; a="`), rep("; a*1*=%")} {
		m := mustParse(t, "Content-Type: multipart/mixed; boundary=b"+s+"\n\n")
		_ = m.Root()
	}
	m := mustParse(t, "Content-Type: multipart/mixed; boundary=b\n\n"+rep("x--b")+rep("\n--bb"))
	if len(m.Root().Children) != 0 {
		t.Errorf("found %d parts in a body without delimiters", len(m.Root().Children))
	}
}
