package userdb

import (
	"errors"
	"testing"
)

func TestTemplateExpand(t *testing.T) {
	full := Vars{User: "Alice@Example.org", Home: "/home/alice"}
	bare := Vars{User: "carol", Home: "/srv/carol"}
	tests := []struct {
		tmpl string
		v    Vars
		want string
	}{
		// Dovecot 2.3
		{"/var/vmail/%d/%n", full, "/var/vmail/Example.org/Alice"},
		{"/var/vmail/%u", full, "/var/vmail/Alice@Example.org"},
		{"%h/Maildir", full, "/home/alice/Maildir"},
		{"/var/vmail/%Ld/%Ln", full, "/var/vmail/example.org/alice"},
		{"/m/%Lu", full, "/m/alice@example.org"},
		{"/m/%Ud", full, "/m/EXAMPLE.ORG"},
		{"/m/100%%/%n", full, "/m/100%/Alice"},
		{"/var/vmail/%d/%n", bare, "/var/vmail//carol"},
		{"no variables", bare, "no variables"},
		{"", bare, ""},
		// Dovecot 2.4
		{"/var/vmail/%{user | domain}/%{user | username}", full, "/var/vmail/Example.org/Alice"},
		{"/var/vmail/%{user|domain|lower}/%{user|username|lower}", full, "/var/vmail/example.org/alice"},
		{"/m/%{user}", full, "/m/Alice@Example.org"},
		{"/m/%{user | lower}", full, "/m/alice@example.org"},
		{"%{home}/Maildir", full, "/home/alice/Maildir"},
		{"/m/%{ domain }/%{username}", full, "/m/Example.org/Alice"},
		{"/m/%{user | upper}", bare, "/m/CAROL"},
		// A quoted local part may hold '@'; the domain never does.
		{"/m/%d/%n", Vars{User: "a@b@x.org"}, "/m/x.org/a@b"},
	}
	for _, tt := range tests {
		t.Run(tt.tmpl, func(t *testing.T) {
			tm, err := ParseTemplate(tt.tmpl)
			if err != nil {
				t.Fatalf("ParseTemplate(%q): %v", tt.tmpl, err)
			}
			got, err := tm.Expand(tt.v)
			if err != nil {
				t.Fatalf("Expand: %v", err)
			}
			if got != tt.want {
				t.Errorf("Expand(%q) = %q, want %q", tt.tmpl, got, tt.want)
			}
			if tm.String() != tt.tmpl {
				t.Errorf("String() = %q", tm.String())
			}
		})
	}
}

func TestParseTemplateErrors(t *testing.T) {
	tests := []struct{ tmpl, want string }{
		{"/m/%x", `template "/m/%x": unknown variable %x`},
		{"/m/%", `template "/m/%": '%' at end`},
		{"/m/%L", `template "/m/%L": '%L' at end`},
		{"/m/%Lz", `template "/m/%Lz": unknown variable %Lz`},
		{"/m/%{user", `template "/m/%{user": unterminated %{`},
		{"/m/%{}", `template "/m/%{}": empty variable name in %{}`},
		{"/m/%{service}", `template "/m/%{service}": unknown variable %{service}`},
		{"/m/%{user | sha1}", `template "/m/%{user | sha1}": unknown filter "sha1" in %{user | sha1}`},
		{"/m/%{user |}", `template "/m/%{user |}": unknown filter "" in %{user |}`},
		{"/m/%1u", `template "/m/%1u": unknown variable %1`},
		{"/m/%é", `template "/m/%é": unknown variable %é`},
	}
	for _, tt := range tests {
		_, err := ParseTemplate(tt.tmpl)
		var te *TemplateError
		if !errors.As(err, &te) {
			t.Errorf("ParseTemplate(%q) = %v, want *TemplateError", tt.tmpl, err)
			continue
		}
		if err.Error() != tt.want {
			t.Errorf("ParseTemplate(%q) error = %q, want %q", tt.tmpl, err, tt.want)
		}
	}
}

func TestTemplateExpandErrors(t *testing.T) {
	tests := []struct {
		tmpl   string
		v      Vars
		unsafe bool
	}{
		{"/m/%n", Vars{User: "../x@example.org"}, false}, // "../x" holds '/'
		{"/m/%n", Vars{User: "..@example.org"}, true},
		{"/m/%u", Vars{User: "a/b"}, true},
		{"/m/%d/%n", Vars{User: "a@."}, true},
		{"/m/%u", Vars{User: "a\x00b"}, true},
		{"%h/Maildir", Vars{User: "a"}, false},
	}
	for _, tt := range tests {
		tm, err := ParseTemplate(tt.tmpl)
		if err != nil {
			t.Fatal(err)
		}
		_, err = tm.Expand(tt.v)
		if err == nil {
			t.Errorf("Expand(%q, %+v) succeeded", tt.tmpl, tt.v)
			continue
		}
		if tt.unsafe && !errors.Is(err, ErrUnsafeValue) {
			t.Errorf("Expand(%q, %+v) = %v, want ErrUnsafeValue", tt.tmpl, tt.v, err)
		}
	}
}

func TestParseLocation(t *testing.T) {
	v := Vars{User: "alice@example.org", Home: "/home/alice"}
	tests := []struct {
		loc, root, layout string
		ignored           []string
	}{
		{"maildir:~/Maildir", "/home/alice/Maildir", LayoutMaildirPP, nil},
		{"maildir:~", "/home/alice", LayoutMaildirPP, nil},
		{"MAILDIR:%h/Maildir/", "/home/alice/Maildir", LayoutMaildirPP, nil},
		{"maildir:/var/vmail/%d/%n:LAYOUT=fs", "/var/vmail/example.org/alice", LayoutFS, nil},
		{"maildir:/var/vmail/%{user | domain}/%{user | username}:layout=Maildir++", "/var/vmail/example.org/alice", LayoutMaildirPP, nil},
		{"maildir:%{home}/Mail:INDEX=/var/index/%u:CONTROL=/var/control/%u", "/home/alice/Mail", LayoutMaildirPP,
			[]string{"INDEX=/var/index/%u", "CONTROL=/var/control/%u"}},
		{"maildir:/srv/a::b/%n:UTF8", "/srv/a:b/alice", LayoutMaildirPP, []string{"UTF8"}},
	}
	for _, tt := range tests {
		t.Run(tt.loc, func(t *testing.T) {
			l, err := ParseLocation(tt.loc)
			if err != nil {
				t.Fatalf("ParseLocation: %v", err)
			}
			root, err := l.Expand(v)
			if err != nil {
				t.Fatalf("Expand: %v", err)
			}
			if root != tt.root || l.Layout != tt.layout {
				t.Errorf("got %q %q, want %q %q", root, l.Layout, tt.root, tt.layout)
			}
			if len(l.Ignored) != len(tt.ignored) {
				t.Fatalf("Ignored = %q, want %q", l.Ignored, tt.ignored)
			}
			for i := range l.Ignored {
				if l.Ignored[i] != tt.ignored[i] {
					t.Errorf("Ignored = %q, want %q", l.Ignored, tt.ignored)
				}
			}
		})
	}
}

func TestParseLocationErrors(t *testing.T) {
	tests := []struct{ loc, want string }{
		{"~/Maildir", `mail location "~/Maildir": missing driver (want maildir:PATH)`},
		{"mbox:~/mail:INBOX=/var/mail/%u", `mail location "mbox:~/mail:INBOX=/var/mail/%u": only maildir is supported, not "mbox"`},
		{"sdbox:~/dbox", `mail location "sdbox:~/dbox": only maildir is supported, not "sdbox"`},
		{"maildir:", `mail location "maildir:": empty path`},
		{"maildir:~/M:LAYOUT=index", `mail location "maildir:~/M:LAYOUT=index": unsupported LAYOUT=index (want maildir++ or fs)`},
		{"maildir:~/M:", `mail location "maildir:~/M:": empty option`},
		{"maildir:%h/%z", `mail location "maildir:%h/%z": template "%h/%z": unknown variable %z`},
	}
	for _, tt := range tests {
		_, err := ParseLocation(tt.loc)
		if err == nil || err.Error() != tt.want {
			t.Errorf("ParseLocation(%q) = %v, want %q", tt.loc, err, tt.want)
		}
	}
}

func TestLocationExpandErrors(t *testing.T) {
	tests := []struct {
		loc string
		v   Vars
	}{
		{"maildir:~/Maildir", Vars{User: "a"}},
		{"maildir:%h/Maildir", Vars{User: "a"}},
		{"maildir:~/Maildir", Vars{User: "a", Home: "relative"}},
		{"maildir:Maildir/%u", Vars{User: "a", Home: "/h"}},
	}
	for _, tt := range tests {
		l, err := ParseLocation(tt.loc)
		if err != nil {
			t.Fatal(err)
		}
		if root, err := l.Expand(tt.v); err == nil {
			t.Errorf("Expand(%q, %+v) = %q, want an error", tt.loc, tt.v, root)
		}
	}
}
