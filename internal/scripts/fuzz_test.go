package scripts

import (
	"path/filepath"
	"strings"
	"testing"
)

// FuzzValidName checks that an accepted include name always names a file
// directly inside its include directory.
func FuzzValidName(f *testing.F) {
	for _, s := range []string{"inc1", "inc1.sieve", "../x", "a/b", "..", ".", "", "x\x00", "café", "\u2028"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		dir, file, err := IncludeRoots{Personal: "/h/sieve"}.Path(false, name)
		if err != nil {
			return
		}
		full := filepath.Join(dir, file)
		if filepath.Dir(full) != "/h/sieve" || filepath.Base(full) != name+ScriptExt {
			t.Fatalf("name %q resolves to %q", name, full)
		}
		if strings.ContainsAny(name, "\x00\n\r") {
			t.Fatalf("name %q with a control character accepted", name)
		}
	})
}

// FuzzExpand checks that user-supplied values never move a path out of the
// directory the template puts them in, and that expansion never panics.
func FuzzExpand(f *testing.F) {
	f.Add("/var/sieve/%d/%n.sieve", "alice@example.org", "alice", "example.org", "/home/a")
	f.Add("~/.dovecot.sieve", "..", "..", "..", "/home/a")
	f.Add("%h/%{user}", "a/../../b", "x", "", "/")
	f.Add("%{user | domain}/%%/%", "", "", "", "")
	f.Fuzz(func(t *testing.T, tmpl, name, local, domain, home string) {
		u := User{Name: name, Local: local, Domain: domain, Home: home}
		if out, err := u.Expand(tmpl); err == nil && (!filepath.IsAbs(out) || filepath.Clean(out) != out) {
			t.Fatalf("Expand(%q) = %q: not a clean absolute path", tmpl, out)
		}
		out, err := u.Expand("/srv/sieve/%d/%n.sieve")
		if err != nil {
			return
		}
		rel, err := filepath.Rel("/srv/sieve", out)
		if err != nil || !lexWithin(out, "/srv/sieve") || strings.Count(rel, "/") != 1 && domain != "" {
			t.Fatalf("user %q/%q escaped: %q", local, domain, out)
		}
	})
}
