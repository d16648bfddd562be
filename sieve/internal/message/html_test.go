package message

import "testing"

func TestExtractText(t *testing.T) {
	tests := []struct {
		name, header, body, want string
	}{
		{"plain as is", "Content-Type: text/plain", "  Hello\n  world ", "  Hello\n  world "},
		{"html tags and entities", "Content-Type: text/html; charset=utf-8",
			"<html><head><title>T</title><style>p{color:red}</style></head><body><p>Hello&nbsp;&amp; <b>bold</b> &lt;you&gt;</p><p>caf&eacute; &#233;&#xE9; &euro;</p></body></html>",
			"Hello & bold <you>\ncafé éé €"},
		{"scripts and comments dropped", "Content-Type: text/html",
			"a<script type=\"x\">if (a < b) { alert('</p>') }</script>b<!-- hidden <p> -->c<SCRIPT>x</SCRIPT>d",
			"abcd"},
		{"quoted > in attribute", "Content-Type: text/html", `<a href="x>y" title='>'>link</a> text`, "link text"},
		{"whitespace collapsed, br", "Content-Type: text/html", "one\n\n   two<br>three<br/><br><br>four", "one two\nthree\n\nfour"},
		{"malformed", "Content-Type: text/html", "a < b & c &bogus; &#xZZ; <unterminated", "a < b & c &bogus; &#xZZ;"},
		{"qp html latin1", "Content-Type: text/html; charset=iso-8859-1\nContent-Transfer-Encoding: quoted-printable",
			"<div>caf=E9</div>=\n<div>bar</div>", "café\nbar"},
		{"not text", "Content-Type: image/png", "<p>x</p>", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := mustParse(t, tt.header+"\n\n"+tt.body)
			if got := ExtractText(m.Root()); got != tt.want {
				t.Errorf("ExtractText = %q, want %q", got, tt.want)
			}
		})
	}
	if ExtractText(nil) != "" {
		t.Error("ExtractText(nil) != \"\"")
	}
}
