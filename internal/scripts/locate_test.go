package scripts

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestExpand(t *testing.T) {
	u := User{Name: "alice@example.org", Local: "alice", Domain: "example.org", Home: "/home/alice"}
	tests := []struct {
		tmpl, want string
		err        error
	}{
		{tmpl: "~/.dovecot.sieve", want: "/home/alice/.dovecot.sieve"},
		{tmpl: "~", want: "/home/alice"},
		{tmpl: "%h/sieve", want: "/home/alice/sieve"},
		{tmpl: "/var/sieve/%d/%n.sieve", want: "/var/sieve/example.org/alice.sieve"},
		{tmpl: "/var/sieve/%u", want: "/var/sieve/alice@example.org"},
		{tmpl: "/x/100%%", want: "/x/100%"},
		{tmpl: "%{home}/a", want: "/home/alice/a"},
		{tmpl: "/v/%{user | domain}/%{ user|username }", want: "/v/example.org/alice"},
		{tmpl: "relative/%n", err: errAny},
		{tmpl: "/x/%q", err: errAny},
		{tmpl: "/x/%", err: errAny},
		{tmpl: "/x/%{user", err: errAny},
	}
	for _, tt := range tests {
		t.Run(tt.tmpl, func(t *testing.T) {
			got, err := u.Expand(tt.tmpl)
			if tt.err != nil {
				if err == nil {
					t.Fatalf("Expand = %q, want error", got)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("Expand = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

var errAny = errors.New("any error")

func TestExpandRefuses(t *testing.T) {
	tests := []struct {
		name string
		u    User
		tmpl string
		want error
	}{
		{"no home tilde", User{Name: "a"}, "~/.dovecot.sieve", ErrNoHome},
		{"no home %h", User{Name: "a"}, "%h/x", ErrNoHome},
		{"slash in user", User{Name: "../etc"}, "/var/sieve/%u.sieve", ErrInvalidName},
		{"dotdot user", User{Name: ".."}, "/var/sieve/%u/x", ErrInvalidName},
		{"slash in domain", User{Domain: "a/b"}, "/var/%d", ErrInvalidName},
		{"nul in local", User{Local: "a\x00b"}, "/var/%n", ErrInvalidName},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := tt.u.Expand(tt.tmpl); !errors.Is(err, tt.want) {
				t.Fatalf("Expand(%q) err = %v, want %v", tt.tmpl, err, tt.want)
			}
		})
	}
}

// entry is a compact form of a Script for comparisons.
type entryView struct {
	Kind   Kind
	Path   string // relative to the test root
	Exists bool
}

func view(root string, p Plan) []entryView {
	var out []entryView
	for _, s := range p.Scripts {
		rel, _ := filepath.Rel(root, s.Path)
		out = append(out, entryView{s.Kind, rel, s.Exists})
	}
	return out
}

func TestChain(t *testing.T) {
	type env struct{ root, home string }
	tests := []struct {
		name   string
		setup  func(t *testing.T, e env)
		layout func(e env) Layout
		want   []entryView
		run    []Kind // kinds of Plan.Run(), in order
		target string // expected personal Target, relative to root
		reason string // substring of the Explain output
		err    func(error) bool
		perr   error // expected personal Script.Err
	}{
		{
			name:  "file script",
			setup: func(t *testing.T, e env) { writeFile(t, e.home+"/.dovecot.sieve", "keep;") },
			want:  []entryView{{KindPersonal, "home/.dovecot.sieve", true}},
			run:   []Kind{KindPersonal}, reason: "personal script ",
		},
		{
			name: "symlink to active script",
			setup: func(t *testing.T, e env) {
				writeFile(t, e.home+"/sieve/active.sieve", "keep;")
				symlink(t, "sieve/active.sieve", e.home+"/.dovecot.sieve")
			},
			want:   []entryView{{KindPersonal, "home/.dovecot.sieve", true}},
			run:    []Kind{KindPersonal},
			target: "home/sieve/active.sieve", reason: "-> ",
		},
		{
			name:  "missing uses default",
			setup: func(t *testing.T, e env) { writeFile(t, e.root+"/etc/default.sieve", "keep;") },
			layout: func(e env) Layout {
				return Layout{Default: e.root + "/etc/default.sieve"}
			},
			want: []entryView{{KindPersonal, "home/.dovecot.sieve", false}, {KindDefault, "etc/default.sieve", true}},
			run:  []Kind{KindDefault}, reason: "no personal script at ",
		},
		{
			name:  "missing without default",
			setup: func(t *testing.T, e env) {},
			want:  []entryView{{KindPersonal, "home/.dovecot.sieve", false}},
		},
		{
			name: "dangling symlink uses default",
			setup: func(t *testing.T, e env) {
				writeFile(t, e.root+"/etc/default.sieve", "keep;")
				symlink(t, "sieve/gone.sieve", e.home+"/.dovecot.sieve")
			},
			layout: func(e env) Layout { return Layout{Default: e.root + "/etc/default.sieve"} },
			want:   []entryView{{KindPersonal, "home/.dovecot.sieve", false}, {KindDefault, "etc/default.sieve", true}},
			run:    []Kind{KindDefault}, reason: "symlink to missing",
		},
		{
			name: "before and after, files and directories",
			setup: func(t *testing.T, e env) {
				writeFile(t, e.root+"/before.d/20-b.sieve", "")
				writeFile(t, e.root+"/before.d/10-a.sieve", "")
				writeFile(t, e.root+"/before.d/README", "")
				writeFile(t, e.root+"/before.d/.hidden.sieve", "")
				writeFile(t, e.root+"/first.sieve", "")
				writeFile(t, e.root+"/after.sieve", "")
				writeFile(t, e.home+"/.dovecot.sieve", "")
			},
			layout: func(e env) Layout {
				return Layout{
					Before: []string{e.root + "/first.sieve", e.root + "/before.d"},
					After:  []string{e.root + "/after.sieve", e.root + "/nothing.sieve", "file:" + e.root + "/first.sieve"},
				}
			},
			want: []entryView{
				{KindBefore, "first.sieve", true},
				{KindBefore, "before.d/10-a.sieve", true},
				{KindBefore, "before.d/20-b.sieve", true},
				{KindPersonal, "home/.dovecot.sieve", true},
				{KindAfter, "after.sieve", true},
				{KindAfter, "nothing.sieve", false},
				{KindAfter, "first.sieve", true},
			},
			run:    []Kind{KindBefore, KindBefore, KindBefore, KindPersonal, KindAfter, KindAfter},
			reason: "does not exist: skipped",
		},
		{
			name: "unreadable script is temporary",
			setup: func(t *testing.T, e env) {
				// Root reads anything, so a symlink loop stands in for
				// an unreadable file there.
				if os.Geteuid() == 0 {
					symlink(t, ".dovecot.sieve", e.home+"/.dovecot.sieve")
					return
				}
				writeFile(t, e.home+"/.dovecot.sieve", "keep;")
				if err := os.Chmod(e.home+"/.dovecot.sieve", 0); err != nil {
					t.Fatal(err)
				}
			},
			err: IsTemporary,
		},
		{
			name: "unreadable before script is temporary",
			setup: func(t *testing.T, e env) {
				symlink(t, "loop.sieve", e.root+"/loop.sieve")
			},
			layout: func(e env) Layout { return Layout{Before: []string{e.root + "/loop.sieve"}} },
			err:    IsTemporary,
		},
		{
			name: "symlink outside home refused",
			setup: func(t *testing.T, e env) {
				writeFile(t, e.root+"/etc/secret", "keep;")
				writeFile(t, e.root+"/etc/default.sieve", "keep;")
				symlink(t, e.root+"/etc/secret", e.home+"/.dovecot.sieve")
			},
			layout: func(e env) Layout { return Layout{Default: e.root + "/etc/default.sieve"} },
			want:   []entryView{{KindPersonal, "home/.dovecot.sieve", true}},
			perr:   ErrOutsideRoot, reason: "not run",
		},
		{
			name: "symlink via .. outside home refused",
			setup: func(t *testing.T, e env) {
				writeFile(t, e.root+"/other/sieve/x.sieve", "keep;")
				symlink(t, "../other/sieve/x.sieve", e.home+"/.dovecot.sieve")
			},
			want: []entryView{{KindPersonal, "home/.dovecot.sieve", true}},
			perr: ErrOutsideRoot,
		},
		{
			name: "symlinked sieve dir does not widen the home",
			setup: func(t *testing.T, e env) {
				writeFile(t, e.root+"/etc/secret.sieve", "keep;")
				symlink(t, e.root+"/etc", e.home+"/sieve")
				symlink(t, "sieve/secret.sieve", e.home+"/.dovecot.sieve")
			},
			want: []entryView{{KindPersonal, "home/.dovecot.sieve", true}},
			perr: ErrOutsideRoot, reason: "include :personal disabled",
		},
		{
			name: "symlink to directory",
			setup: func(t *testing.T, e env) {
				if err := os.MkdirAll(e.home+"/sieve/dir.sieve", 0o755); err != nil {
					t.Fatal(err)
				}
				symlink(t, "sieve/dir.sieve", e.home+"/.dovecot.sieve")
			},
			want: []entryView{{KindPersonal, "home/.dovecot.sieve", true}},
			perr: ErrNotRegular,
		},
		{
			name: "admin script directory outside home",
			setup: func(t *testing.T, e env) {
				writeFile(t, e.root+"/var/sieve/alice-v2.sieve", "keep;")
				symlink(t, "alice-v2.sieve", e.root+"/var/sieve/alice.sieve")
			},
			layout: func(e env) Layout { return Layout{UserScript: e.root + "/var/sieve/%n.sieve"} },
			want:   []entryView{{KindPersonal, "var/sieve/alice.sieve", true}},
			run:    []Kind{KindPersonal},
			target: "var/sieve/alice-v2.sieve",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root, err := filepath.EvalSymlinks(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			e := env{root: root, home: root + "/home"}
			if err := os.MkdirAll(e.home, 0o755); err != nil {
				t.Fatal(err)
			}
			tt.setup(t, e)
			var l Layout
			if tt.layout != nil {
				l = tt.layout(e)
			}
			u := User{Name: "alice@example.org", Local: "alice", Domain: "example.org", Home: e.home}
			p, err := l.Chain(context.Background(), u)
			if tt.err != nil {
				if err == nil || !tt.err(err) {
					t.Fatalf("Chain err = %v, want a matching error", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Chain: %v", err)
			}
			if got := view(root, p); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("scripts = %+v\nwant %+v", got, tt.want)
			}
			var kinds []Kind
			for _, s := range p.Run() {
				kinds = append(kinds, s.Kind)
			}
			if !reflect.DeepEqual(kinds, tt.run) {
				t.Errorf("Run kinds = %v, want %v", kinds, tt.run)
			}
			for _, s := range p.Scripts {
				if s.Kind != KindPersonal {
					continue
				}
				if tt.target != "" && s.Target != root+"/"+tt.target {
					t.Errorf("Target = %q, want %q", s.Target, tt.target)
				}
				if !errors.Is(s.Err, tt.perr) || (tt.perr == nil) != (s.Err == nil) {
					t.Errorf("personal Err = %v, want %v", s.Err, tt.perr)
				}
			}
			explain := strings.Join(p.Explain(), "\n")
			if !strings.Contains(explain, tt.reason) {
				t.Errorf("Explain = %q, want it to mention %q", explain, tt.reason)
			}
			t.Logf("explain:\n%s", explain)
		})
	}
}

func TestChainIncludesAndLog(t *testing.T) {
	home := t.TempDir()
	writeFile(t, home+"/.dovecot.sieve", "keep;")
	l := Layout{GlobalDir: "/etc/sluice/sieve.d/%d"}
	p, err := l.Chain(context.Background(), User{Name: "a@x.org", Local: "a", Domain: "x.org", Home: home})
	if err != nil {
		t.Fatal(err)
	}
	want := IncludeRoots{Personal: home + "/sieve", Global: "/etc/sluice/sieve.d/x.org"}
	if p.Includes != want {
		t.Errorf("Includes = %+v, want %+v", p.Includes, want)
	}
	if p.UserLog != home+"/.dovecot.sieve.log" {
		t.Errorf("UserLog = %q", p.UserLog)
	}
}

func TestChainNoHome(t *testing.T) {
	def := filepath.Join(t.TempDir(), "default.sieve")
	writeFile(t, def, "keep;")
	p, err := Layout{Default: def}.Chain(context.Background(), User{Name: "a"})
	if err != nil {
		t.Fatal(err)
	}
	run := p.Run()
	if len(run) != 1 || run[0].Kind != KindDefault {
		t.Fatalf("Run = %+v, want the default script", run)
	}
	if !strings.Contains(p.Explain()[0], "no home") {
		t.Errorf("Explain = %q", p.Explain())
	}
}

func TestValidName(t *testing.T) {
	tests := []struct {
		name string
		ok   bool
	}{
		{"inc1", true},
		{"inc1.sieve", true}, // reads inc1.sieve.sieve, as Pigeonhole does
		{".hidden", true},
		{"café", true},
		{`a\b`, true},
		{"with space", true},
		{"", false},
		{"sub/x", false},
		{"../x", false},
		{"..", false},
		{"a..b", false},
		{"a\x00b", false},
		{"x\ty", false},
		{"x\ny", false},
		{"x\x7fy", false},
		{"x\u0085y", false},
		{"x\u2028y", false},
		{"\xff", false},
		{strings.Repeat("é", 256), true},
		{strings.Repeat("é", 257), false},
	}
	for _, tt := range tests {
		err := ValidName(tt.name)
		if (err == nil) != tt.ok {
			t.Errorf("ValidName(%q) = %v, want ok=%v", tt.name, err, tt.ok)
		}
		if err != nil && !errors.Is(err, ErrInvalidName) {
			t.Errorf("ValidName(%q) = %v, not ErrInvalidName", tt.name, err)
		}
	}
}

func TestIncludePath(t *testing.T) {
	r := IncludeRoots{Personal: "/h/sieve"}
	dir, file, err := r.Path(false, "inc1")
	if err != nil || dir != "/h/sieve" || file != "inc1.sieve" {
		t.Errorf("Path personal = %q %q %v", dir, file, err)
	}
	if _, _, err := r.Path(true, "g"); !errors.Is(err, ErrNoIncludeDir) {
		t.Errorf("Path global without dir: %v", err)
	}
	if _, _, err := r.Path(false, "../x"); !errors.Is(err, ErrInvalidName) {
		t.Errorf("Path ../x: %v", err)
	}
}

func TestLayoutValidate(t *testing.T) {
	tests := []struct {
		name string
		l    Layout
		ok   bool
	}{
		{"zero", Layout{}, true},
		{"full", Layout{UserScript: "%h/.sieve", UserDir: "/var/sieve/%d/%n", Before: []string{"file:/etc/b.sieve"}, After: []string{"/etc/a.d"}, Default: "/etc/d.sieve", GlobalDir: "/etc/g", LogFile: "~/sieve.log"}, true},
		{"relative before", Layout{Before: []string{"b.sieve"}}, false},
		{"unknown template", Layout{UserDir: "/var/%z"}, false},
		{"unterminated", Layout{GlobalDir: "/etc/%{home"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.l.Validate(); (err == nil) != tt.ok {
				t.Fatalf("Validate = %v, want ok=%v", err, tt.ok)
			}
		})
	}
}
