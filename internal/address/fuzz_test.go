package address

import "testing"

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"", "alice@example.org", `"a b"@x.org`, `"a\"b"@x`, "user@[192.0.2.1]",
		"user@[IPv6:2001:db8::1]", "用户@例子.广告", "Postmaster", "@a,@b:c@d",
		`""@x`, "a..b@x", "a@[x:y]",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := Parse(s)
		if err != nil {
			return
		}
		out := a.String()
		b, err := Parse(out)
		if err != nil {
			t.Fatalf("Parse(%q) ok, but Parse(String() = %q): %v", s, out, err)
		}
		if b.Local != a.Local || b.Domain != a.Domain {
			t.Fatalf("round trip of %q via %q: {%q %q} != {%q %q}", s, out, b.Local, b.Domain, a.Local, a.Domain)
		}
		if b.String() != out {
			t.Fatalf("String not stable: %q then %q", out, b.String())
		}
		user, detail := Split(a.Local, "+-")
		if len(user)+len(detail) > len(a.Local) {
			t.Fatalf("Split grew %q", a.Local)
		}
	})
}
