package address

import (
	"errors"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in            string
		local, domain string
		str           string
		ascii         bool
	}{
		{"", "", "", "", true},
		{"alice@example.org", "alice", "example.org", "alice@example.org", true},
		{"Alice.Smith@Example.ORG", "Alice.Smith", "Example.ORG", "Alice.Smith@Example.ORG", true},
		{"alice+lists@example.org", "alice+lists", "example.org", "alice+lists@example.org", true},
		{`"a b"@example.org`, "a b", "example.org", `"a b"@example.org`, true},
		{`"alice"@example.org`, "alice", "example.org", "alice@example.org", true},
		{`"a\"b\\c"@x.org`, `a"b\c`, "x.org", `"a\"b\\c"@x.org`, true},
		{`"a\bc"@x.org`, "abc", "x.org", "abc@x.org", true},
		{`"a@b"@x.org`, "a@b", "x.org", `"a@b"@x.org`, true},
		{`""@x.org`, "", "x.org", `""@x.org`, true},
		{`"a..b"@x.org`, "a..b", "x.org", `"a..b"@x.org`, true},
		{"!#$%&'*+-/=?^_`{|}~@x.org", "!#$%&'*+-/=?^_`{|}~", "x.org", "!#$%&'*+-/=?^_`{|}~@x.org", true},
		{"user@[192.0.2.1]", "user", "[192.0.2.1]", "user@[192.0.2.1]", true},
		{"user@[IPv6:2001:db8::1]", "user", "[IPv6:2001:db8::1]", "user@[IPv6:2001:db8::1]", true},
		{"user@[x-tag:abc]", "user", "[x-tag:abc]", "user@[x-tag:abc]", true},
		{"用户@例子.广告", "用户", "例子.广告", "用户@例子.广告", false},
		{"jörg@example.org", "jörg", "example.org", "jörg@example.org", false},
		{"alice@bücher.example", "alice", "bücher.example", "alice@bücher.example", false},
		{`"jö rg"@x.org`, "jö rg", "x.org", `"jö rg"@x.org`, false},
		{"Postmaster", "Postmaster", "", "Postmaster", true},
		{"@relay.example,@r2.example:bob@example.org", "bob", "example.org", "bob@example.org", true},
		{"a@host_name.example", "a", "host_name.example", "a@host_name.example", true},
		{strings.Repeat("a", 64) + "@x.org", strings.Repeat("a", 64), "x.org", strings.Repeat("a", 64) + "@x.org", true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			a, err := Parse(tt.in)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.in, err)
			}
			if a.Local != tt.local || a.Domain != tt.domain {
				t.Errorf("Parse(%q) = {%q, %q}, want {%q, %q}", tt.in, a.Local, a.Domain, tt.local, tt.domain)
			}
			if a.Raw != tt.in {
				t.Errorf("Raw = %q, want %q", a.Raw, tt.in)
			}
			if got := a.String(); got != tt.str {
				t.Errorf("String() = %q, want %q", got, tt.str)
			}
			if got := a.ASCII(); got != tt.ascii {
				t.Errorf("ASCII() = %v, want %v", got, tt.ascii)
			}
			if got := a.IsNull(); got != (tt.in == "") {
				t.Errorf("IsNull() = %v", got)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	long := func(n int) string { return strings.Repeat("a", n) }
	label := long(63)
	tests := []struct {
		in, want string
	}{
		{"@example.org", "empty local part"},
		{"alice@", "empty domain"},
		{"a\x00b@x.org", "invalid character U+0000 in local part"},
		{"a b@x.org", "invalid character U+0020 in local part"},
		{"a(b@x.org", `invalid character '(' in local part`},
		{`"a` + "\x00" + `b"@x.org`, "invalid character U+0000 in local part"},
		{"\"a\x7f\"@x.org", "invalid character U+007F in local part"},
		{`"a\` + "\x01" + `"@x.org`, "invalid character U+0001 after backslash in local part"},
		{`"abc@x.org`, "unterminated quoted local part"},
		{`"abc\`, "unterminated quoted local part"},
		{`"abc"x@x.org`, "unexpected 'x' after quoted local part"},
		{".a@x.org", "local part starts with '.'"},
		{"a.@x.org", "local part ends with '.'"},
		{"a..b@x.org", "consecutive dots in local part"},
		{"a@b@x.org", "invalid character '@' in domain"},
		{"a@x..org", "empty label in domain"},
		{"a@x.org.", "empty label in domain"},
		{"a@-x.org", `domain label "-x" starts or ends with '-'`},
		{"a@x y.org", "invalid character U+0020 in domain"},
		{"a@x\u3002org", "invalid character U+3002 in domain"},
		{"a@" + long(64) + ".org", "domain label too long (64 octets, max 63)"},
		{"a@[192.0.2.256]", `invalid IPv4 address literal "[192.0.2.256]"`},
		{"a@[192.0.2.1", "unterminated address literal"},
		{"a@[IPv6:1.2.3.4]", `invalid IPv6 address literal "[IPv6:1.2.3.4]"`},
		{"a@[IPv6:fe80::1%eth0]", `invalid IPv6 address literal "[IPv6:fe80::1%eth0]"`},
		{"a@[-x:y]", `invalid address literal tag "-x"`},
		{"a@[x:]", `empty address literal "[x:]"`},
		{"a@[x:a[b]", "invalid character '[' in address literal"},
		{"\xff@x.org", "invalid UTF-8"},
		{long(65) + "@x.org", "local part too long (65 octets, max 64)"},
		{`"` + long(63) + `"@x.org`, "local part too long (65 octets, max 64)"},
		{long(59) + "@" + strings.Repeat(label+".", 3) + long(3), "address too long (255 octets, max 254)"},
		{"@x.org:", "empty local part"},
		{"@x.org:@y.org", "empty local part"},
		{"@x.org:a@y:org", "invalid character ':' in domain"},
		{"@x.org,y.org:a@b.org", "invalid source route"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			_, err := Parse(tt.in)
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse(%q) error = %v, want a *SyntaxError", tt.in, err)
			}
			if se.Reason != tt.want {
				t.Errorf("Parse(%q) reason = %q, want %q", tt.in, se.Reason, tt.want)
			}
			if se.Input != tt.in {
				t.Errorf("Input = %q", se.Input)
			}
		})
	}
}

func TestSplit(t *testing.T) {
	tests := []struct {
		local, delims, user, detail string
	}{
		{"alice", "+", "alice", ""},
		{"alice+lists", "+", "alice", "lists"},
		{"alice+lists+x", "+", "alice", "lists+x"},
		{"alice-lists", "+", "alice-lists", ""},
		{"alice-lists", "+-", "alice", "lists"},
		{"alice-a+b", "+-", "alice", "a+b"},
		{"alice+a-b", "+-", "alice", "a-b"},
		{"alice+", "+", "alice", ""},
		{"+lists", "+", "", "lists"},
		{"alice+lists", "", "alice+lists", ""},
		{"jörg§x", "§", "jörg", "x"},
	}
	for _, tt := range tests {
		user, detail := Split(tt.local, tt.delims)
		if user != tt.user || detail != tt.detail {
			t.Errorf("Split(%q, %q) = %q, %q; want %q, %q", tt.local, tt.delims, user, detail, tt.user, tt.detail)
		}
	}
}
