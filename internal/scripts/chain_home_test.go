package scripts

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestChainSeesUserChanges plans repeatedly for one user, whose home is
// reached through a symlink (/home/alice -> /data/alice) and is therefore
// resolved from the process-wide home cache after the first planning.
// Every change below the home must show at the very next planning.
func TestChainSeesUserChanges(t *testing.T) {
	root, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	data, home := root+"/data/alice", root+"/home/alice"
	if err := os.MkdirAll(data, 0o755); err != nil {
		t.Fatal(err)
	}
	symlink(t, data, home)
	writeFile(t, root+"/etc/secret.sieve", "secret")
	writeFile(t, root+"/etc/default.sieve", "default")
	u := User{Name: "alice@example.org", Local: "alice", Domain: "example.org", Home: home}
	l := Layout{Default: root + "/etc/default.sieve"}
	script := home + "/.dovecot.sieve"

	type want struct {
		run      []Kind
		target   string // personal Target, "" for none
		perr     error  // personal Script.Err
		personal string // Includes.Personal
	}
	steps := []struct {
		name   string
		change func(t *testing.T)
		want   want
	}{
		{"no script", func(t *testing.T) {},
			want{run: []Kind{KindDefault}, personal: home + "/sieve"}},
		{"plain file in a symlinked home", func(t *testing.T) { writeFile(t, script, "mine") },
			want{run: []Kind{KindPersonal}, personal: home + "/sieve"}},
		{"replaced by a symlink leading outside", func(t *testing.T) {
			mustRemove(t, script)
			symlink(t, root+"/etc/secret.sieve", script)
		}, want{perr: ErrOutsideRoot, target: root + "/etc/secret.sieve", personal: home + "/sieve"}},
		{"relative symlink leading outside", func(t *testing.T) {
			switchLink(t, "../../etc/secret.sieve", script)
		}, want{perr: ErrOutsideRoot, target: root + "/etc/secret.sieve", personal: home + "/sieve"}},
		{"absolute symlink through the home's name", func(t *testing.T) {
			writeFile(t, data+"/sieve/one.sieve", "one")
			switchLink(t, home+"/sieve/one.sieve", script)
		}, want{run: []Kind{KindPersonal}, target: data + "/sieve/one.sieve", personal: home + "/sieve"}},
		{"active script switched", func(t *testing.T) {
			writeFile(t, data+"/sieve/two.sieve", "two")
			switchLink(t, "sieve/two.sieve", script)
		}, want{run: []Kind{KindPersonal}, target: data + "/sieve/two.sieve", personal: home + "/sieve"}},
		{"active script removed: dangling", func(t *testing.T) { mustRemove(t, data+"/sieve/two.sieve") },
			want{run: []Kind{KindDefault}, personal: home + "/sieve"}},
		{"~/sieve replaced by a symlink outside", func(t *testing.T) {
			mustRemove(t, data+"/sieve/one.sieve")
			mustRemove(t, data+"/sieve")
			symlink(t, root+"/etc", data+"/sieve")
			switchLink(t, "sieve/secret.sieve", script)
		}, want{perr: ErrOutsideRoot, target: root + "/etc/secret.sieve"}},
		{"~/sieve removed", func(t *testing.T) {
			mustRemove(t, data+"/sieve")
			mustRemove(t, script)
			writeFile(t, script, "mine again")
		}, want{run: []Kind{KindPersonal}, personal: home + "/sieve"}},
		{"script replaced by a FIFO", func(t *testing.T) {
			mustRemove(t, script)
			if err := syscall.Mkfifo(script, 0o644); err != nil {
				t.Fatal(err)
			}
		}, want{perr: ErrNotRegular, personal: home + "/sieve"}},
		{"script replaced by a directory", func(t *testing.T) {
			mustRemove(t, script)
			if err := os.Mkdir(script, 0o755); err != nil {
				t.Fatal(err)
			}
		}, want{perr: ErrNotRegular, personal: home + "/sieve"}},
	}
	for _, st := range steps {
		st.change(t)
		p, err := l.Chain(context.Background(), u)
		if err != nil {
			t.Fatalf("%s: Chain: %v", st.name, err)
		}
		var kinds []Kind
		for _, s := range p.Run() {
			kinds = append(kinds, s.Kind)
		}
		pers := p.Scripts[0]
		if pers.Kind != KindPersonal {
			t.Fatalf("%s: first entry is %v", st.name, pers.Kind)
		}
		switch {
		case strings.Join(kindNames(kinds), ",") != strings.Join(kindNames(st.want.run), ","):
			t.Errorf("%s: Run kinds = %v, want %v", st.name, kinds, st.want.run)
		case pers.Target != st.want.target:
			t.Errorf("%s: Target = %q, want %q", st.name, pers.Target, st.want.target)
		case !errors.Is(pers.Err, st.want.perr) || (st.want.perr == nil) != (pers.Err == nil):
			t.Errorf("%s: personal Err = %v, want %v", st.name, pers.Err, st.want.perr)
		case p.Includes.Personal != st.want.personal:
			t.Errorf("%s: Includes.Personal = %q, want %q", st.name, p.Includes.Personal, st.want.personal)
		}
		t.Logf("%s:\n%s", st.name, strings.Join(p.Explain(), "\n"))
	}
}

func kindNames(ks []Kind) []string {
	var out []string
	for _, k := range ks {
		out = append(out, k.String())
	}
	return out
}

func mustRemove(t *testing.T, p string) {
	t.Helper()
	if err := os.Remove(p); err != nil {
		t.Fatal(err)
	}
}

// TestChainDirectoryEscape: a plain file is judged by where it really is,
// so a personal script whose directory inside the home is a symlink
// leading out of it is refused, and one in an administrator's directory
// reached through a symlink is accepted.
func TestChainDirectoryEscape(t *testing.T) {
	root, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	home := root + "/home"
	writeFile(t, root+"/etc/active.sieve", "secret")
	writeFile(t, root+"/srv/sieve/alice.sieve", "admin's")
	if err := os.MkdirAll(home, 0o755); err != nil {
		t.Fatal(err)
	}
	symlink(t, root+"/etc", home+"/sub")
	symlink(t, root+"/srv/sieve", root+"/var-sieve")
	u := User{Name: "alice", Local: "alice", Home: home}
	tests := []struct {
		script string
		perr   error
	}{
		{"~/sub/active.sieve", ErrOutsideRoot},
		{root + "/var-sieve/%n.sieve", nil},
	}
	for _, tt := range tests {
		p, err := Layout{UserScript: tt.script}.Chain(context.Background(), u)
		if err != nil {
			t.Fatalf("%s: %v", tt.script, err)
		}
		s := p.Scripts[0]
		if !s.Exists || !errors.Is(s.Err, tt.perr) || (tt.perr == nil) != (s.Err == nil) {
			t.Errorf("%s: Exists=%v Err=%v, want Err %v", tt.script, s.Exists, s.Err, tt.perr)
		}
	}
}

// TestChainUnreadableIsTemporary: a script the delivery agent may not read
// fails the plan with a *TempError, home cache or not.
func TestChainUnreadableIsTemporary(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root reads anything")
	}
	home := t.TempDir()
	writeFile(t, home+"/.dovecot.sieve", "keep;")
	u := User{Name: "a", Home: home}
	if _, err := (Layout{}).Chain(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(home+"/.dovecot.sieve", 0); err != nil {
		t.Fatal(err)
	}
	if _, err := (Layout{}).Chain(context.Background(), u); !IsTemporary(err) || !errors.Is(err, fs.ErrPermission) {
		t.Fatalf("Chain err = %v, want a temporary permission error", err)
	}
}
