package userdb

import (
	"strings"
	"testing"
)

func FuzzParsePasswdLine(f *testing.F) {
	for _, s := range []string{
		"alice", "alice:{PLAIN}pw:1000:100:Alice:/home/alice:/bin/sh",
		"a@x.org:::::/h::userdb_mail=maildir:~/Mail:LAYOUT=fs userdb_quota_rule=*:storage=1G",
		"a:::::::quota=2 userdb_quota=1", ":::", "a:::::::=", "a:::::::userdb_home=/x home=/y",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		e, err := ParsePasswdLine(line)
		if err != nil {
			return
		}
		if e.Name == "" || strings.Contains(e.Name, ":") {
			t.Fatalf("ParsePasswdLine(%q): bad name %q", line, e.Name)
		}
		for k := range e.Extra {
			if k == "" || k == "home" || k == "uid" || k == "gid" {
				t.Fatalf("ParsePasswdLine(%q): extra key %q kept", line, k)
			}
		}
	})
}

func FuzzTemplate(f *testing.F) {
	for _, s := range []string{
		"/var/vmail/%d/%n", "%h/Maildir", "/m/%Lu/%%", "/v/%{user | domain | lower}/%{user|username}",
		"%{home}", "%", "%{", "%{user|}", "%L", "maildir:~/M:LAYOUT=fs",
	} {
		f.Add(s, "alice@example.org", "/home/alice")
	}
	f.Fuzz(func(t *testing.T, tmpl, user, home string) {
		tm, err := ParseTemplate(tmpl)
		if err != nil {
			return
		}
		if tm.String() != tmpl {
			t.Fatalf("String() = %q, want %q", tm.String(), tmpl)
		}
		out, err := tm.Expand(Vars{User: user, Home: home})
		if err != nil {
			return
		}
		// Without '%' there is nothing to expand.
		if !strings.Contains(tmpl, "%") && out != tmpl {
			t.Fatalf("Expand(%q) = %q", tmpl, out)
		}
		if loc, err := ParseLocation("maildir:" + tmpl); err == nil {
			_, _ = loc.Expand(Vars{User: user, Home: home})
		}
	})
}
