package delivery

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sluice-mail/sluice/internal/scripts"
)

func TestSieveAgentMultiscript(t *testing.T) {
	tests := []struct {
		name                 string
		before, user, after  string // "" for none
		def                  string
		boxes                []string
		forwards             int
		wantActions, notWant string
	}{
		{name: "before fileinto, user not run", before: `require "fileinto"; fileinto "X";`, user: "discard;", boxes: []string{"X"}},
		{name: "before fileinto :copy, user discard cannot undo it", before: `require ["fileinto", "copy"]; fileinto :copy "X";`, user: "discard;", boxes: []string{"X"}},
		{name: "before explicit keep, user discard", before: "keep;", user: "discard;", boxes: []string{"INBOX"}},
		{name: "before implicit keep is not carried out", before: `require "imap4flags"; addflag "\\Seen";`, user: "discard;", boxes: nil},
		{name: "before stop ends only that script", before: "stop;", user: `require ["fileinto", "mailbox"]; fileinto :create "U";`, boxes: []string{"U"}},
		{name: "default script when the user has none", def: `require ["fileinto", "mailbox"]; fileinto :create "D";`, boxes: []string{"D"}},
		{name: "user script instead of default", def: `require ["fileinto", "mailbox"]; fileinto :create "D";`, user: `require ["fileinto", "mailbox"]; fileinto :create "U";`, boxes: []string{"U"}},
		{name: "after script runs after a keep", user: "keep;", after: `require ["fileinto", "mailbox"]; fileinto :create "A";`, boxes: []string{"A", "INBOX"}},
		{name: "after script decides the implicit keep", user: `require "imap4flags";`, after: `require ["fileinto", "mailbox"]; fileinto :create "A";`, boxes: []string{"A"}},
		{name: "after script not run after fileinto", user: `require "fileinto"; fileinto "X";`, after: `redirect "x@example.net";`, boxes: []string{"X"}},
		{name: "one copy per mailbox over scripts", before: `require ["fileinto", "copy"]; fileinto :copy "X";`, user: `require "fileinto"; fileinto "X";`, boxes: []string{"X"}},
		{name: "redirect in after script", after: `redirect "x@example.net";`, forwards: 1},
		// Pigeonhole carries out both; a 550 would deny the stored copy.
		{name: "before keep, user reject: stored and a notice mailed", before: "keep;", user: `require "reject"; reject "not wanted";`, boxes: []string{"INBOX"}, forwards: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var dir string
			e := newSieveEnv(t, func(o *SieveOptions) {
				dir = filepath.Join(t.TempDir(), "admin")
				o.Layout = scripts.Layout{}
				o.Autocreate = true
				if tc.before != "" {
					o.Layout.Before = []string{filepath.Join(dir, "before.sieve")}
				}
				if tc.after != "" {
					o.Layout.After = []string{filepath.Join(dir, "after.sieve")}
				}
				if tc.def != "" {
					o.Layout.Default = filepath.Join(dir, "default.sieve")
				}
			})
			for name, src := range map[string]string{"before.sieve": tc.before, "after.sieve": tc.after, "default.sieve": tc.def} {
				if src != "" {
					writeFile(t, filepath.Join(dir, name), src)
				}
			}
			if tc.user != "" {
				e.script("alice", tc.user)
			}
			e.sendOne("sender@example.net", "alice@example.org", testMail("multi@example.net"), "250 ")
			if b := e.boxes("alice"); !slices.Equal(b, tc.boxes) {
				t.Errorf("stored in %v, want %v", b, tc.boxes)
			}
			if n := len(e.sink.Messages()); n != tc.forwards {
				t.Errorf("%d forwards, want %d", n, tc.forwards)
			}
		})
	}
}

func TestSieveAgentScriptErrors(t *testing.T) {
	t.Run("compile error keeps and tells the user once", func(t *testing.T) {
		e := newSieveEnv(t, nil)
		e.script("alice", "require \"fileinto\";\nfrobnicate;\nfileinto \"X\";\n")
		e.sendOne("sender@example.net", "alice@example.org", testMail("c1@example.net"), "250 ")
		if b := e.boxes("alice"); !slices.Equal(b, []string{"INBOX"}) {
			t.Fatalf("stored in %v, want INBOX", b)
		}
		logPath := filepath.Join(e.home("alice"), ".dovecot.sieve.log")
		first, err := os.ReadFile(logPath)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(first), ".dovecot.sieve:2:1") || !strings.Contains(string(first), "frobnicate") {
			t.Errorf("user log lacks line:col and the error:\n%s", first)
		}
		e.sendOne("sender@example.net", "alice@example.org", testMail("c2@example.net"), "250 ")
		if again, _ := os.ReadFile(logPath); string(again) != string(first) {
			t.Errorf("the same error was logged again:\n%s", again)
		}
	})
	t.Run("runtime error keeps", func(t *testing.T) {
		e := newSieveEnv(t, nil)
		e.script("alice", `redirect "a@example.net"; redirect "b@example.net"; redirect "c@example.net"; redirect "d@example.net"; redirect "e@example.net";`)
		e.sendOne("sender@example.net", "alice@example.org", testMail("r1@example.net"), "250 ")
		if b := e.boxes("alice"); !slices.Equal(b, []string{"INBOX"}) {
			t.Fatalf("stored in %v, want INBOX", b)
		}
		if n := len(e.sink.Messages()); n != 0 {
			t.Errorf("%d forwards from a failed script, want 0", n)
		}
	})
	t.Run("unreadable script fails temporarily", func(t *testing.T) {
		e := newSieveEnv(t, nil)
		link := filepath.Join(e.home("alice"), ".dovecot.sieve")
		if err := os.Symlink(".dovecot.sieve", link); err != nil { // a loop
			t.Fatal(err)
		}
		e.sendOne("sender@example.net", "alice@example.org", testMail("u1@example.net"), "451 4.3.0")
		if b := e.boxes("alice"); len(b) != 0 {
			t.Errorf("stored in %v, want nothing", b)
		}
	})
	t.Run("script outside the user's directories keeps", func(t *testing.T) {
		e := newSieveEnv(t, nil)
		outside := filepath.Join(e.dir, "elsewhere.sieve")
		writeFile(t, outside, "discard;")
		if err := os.Symlink(outside, filepath.Join(e.home("alice"), ".dovecot.sieve")); err != nil {
			t.Fatal(err)
		}
		e.sendOne("sender@example.net", "alice@example.org", testMail("o1@example.net"), "250 ")
		if b := e.boxes("alice"); !slices.Equal(b, []string{"INBOX"}) {
			t.Fatalf("stored in %v, want INBOX", b)
		}
	})
	t.Run("keep failing fails temporarily", func(t *testing.T) {
		e := newSieveEnv(t, nil)
		writeFile(t, e.root("alice"), "not a maildir")
		e.script("alice", "keep;")
		rep := e.send("sender@example.net", []string{"alice@example.org", "bob@example.org"}, testMail("k1@example.net"))
		if !strings.HasPrefix(rep[0], "451 ") || !strings.HasPrefix(rep[1], "250 ") {
			t.Fatalf("replies %q: want 451 for alice, 250 for bob", rep)
		}
	})
	t.Run("compile error and keep failing", func(t *testing.T) {
		e := newSieveEnv(t, nil)
		writeFile(t, e.root("alice"), "not a maildir")
		e.script("alice", "frobnicate;")
		e.sendOne("sender@example.net", "alice@example.org", testMail("k2@example.net"), "451 ")
	})
}

func TestSieveAgentReload(t *testing.T) {
	const (
		toA = `require ["fileinto", "mailbox"]; fileinto :create "A";`
		toB = `require ["fileinto", "mailbox"]; fileinto :create "B";`
	)
	deliverTo := func(t *testing.T, e *sieveEnv, id, want string) {
		t.Helper()
		before := len(e.mail("alice"))
		e.sendOne("sender@example.net", "alice@example.org", testMail(id), "250 ")
		got := e.mail("alice")
		if len(got) != before+1 {
			t.Fatalf("%d messages, want %d", len(got), before+1)
		}
		n := 0
		for _, m := range got {
			if m.mailbox == want {
				n++
			}
		}
		if n == 0 {
			t.Fatalf("nothing in %s; boxes %v", want, e.boxes("alice"))
		}
	}
	t.Run("edit in place", func(t *testing.T) {
		e := newSieveEnv(t, nil)
		path := filepath.Join(e.home("alice"), ".dovecot.sieve")
		writeFile(t, path, toA)
		deliverTo(t, e, "e1@x", "A")
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.WriteAt([]byte(toB), 0); err != nil { // same size
			t.Fatal(err)
		}
		f.Close()
		deliverTo(t, e, "e2@x", "B")
	})
	t.Run("replace by rename", func(t *testing.T) {
		e := newSieveEnv(t, nil)
		path := filepath.Join(e.home("alice"), ".dovecot.sieve")
		writeFile(t, path, toA)
		deliverTo(t, e, "r1@x", "A")
		writeFile(t, path+".new", toB)
		if err := os.Rename(path+".new", path); err != nil {
			t.Fatal(err)
		}
		deliverTo(t, e, "r2@x", "B")
	})
	t.Run("switch the symlink", func(t *testing.T) {
		e := newSieveEnv(t, nil)
		dir := filepath.Join(e.home("alice"), "sieve")
		writeFile(t, filepath.Join(dir, "one.sieve"), toA)
		writeFile(t, filepath.Join(dir, "two.sieve"), toB)
		link := filepath.Join(e.home("alice"), ".dovecot.sieve")
		if err := os.Symlink("sieve/one.sieve", link); err != nil {
			t.Fatal(err)
		}
		deliverTo(t, e, "s1@x", "A")
		if err := os.Symlink("sieve/two.sieve", link+".new"); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(link+".new", link); err != nil {
			t.Fatal(err)
		}
		deliverTo(t, e, "s2@x", "B")
	})
}

// TestSieveAgentFlagsAcrossScripts: the imap4flags internal variable set
// by a before script is the user script's starting value, so an admin's
// addflag reaches the copy the user's script keeps.
func TestSieveAgentFlagsAcrossScripts(t *testing.T) {
	var dir string
	e := newSieveEnv(t, func(o *SieveOptions) {
		dir = filepath.Join(t.TempDir(), "admin")
		o.Layout = scripts.Layout{Before: []string{filepath.Join(dir, "before.sieve")}}
	})
	writeFile(t, filepath.Join(dir, "before.sieve"), `require "imap4flags"; addflag "\\Flagged";`)
	e.script("alice", `require "imap4flags"; addflag "\\Seen"; keep;`)
	e.sendOne("sender@example.net", "alice@example.org", testMail("flags@example.net"), "250 ")
	m := e.mail("alice")
	if len(m) != 1 || !strings.HasSuffix(m[0].name, ":2,FS") {
		t.Fatalf("stored %v, want one INBOX copy flagged :2,FS", m)
	}
}
