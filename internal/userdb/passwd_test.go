package userdb

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestParsePasswdLine(t *testing.T) {
	tests := []struct {
		line string
		want PasswdEntry
	}{
		{"alice", PasswdEntry{Name: "alice"}},
		{"alice:{PLAIN}pw", PasswdEntry{Name: "alice"}},
		{"alice:pw:1000:100", PasswdEntry{Name: "alice", UID: "1000", GID: "100"}},
		{"alice:pw:1000:100:Alice A:/home/alice:/bin/sh", PasswdEntry{Name: "alice", UID: "1000", GID: "100", Home: "/home/alice"}},
		{"a@x.org:::::/h::userdb_mail=maildir:~/Mail:LAYOUT=fs userdb_quota_rule=*:storage=1G",
			PasswdEntry{Name: "a@x.org", Home: "/h", Extra: map[string]string{"mail": "maildir:~/Mail:LAYOUT=fs", "quota_rule": "*:storage=1G"}}},
		{"a::::::: mail=maildir:/m  nodelay ",
			PasswdEntry{Name: "a", Extra: map[string]string{"mail": "maildir:/m", "nodelay": ""}}},
		{"a:::::/h::userdb_home=/x uid=7 userdb_gid=8",
			PasswdEntry{Name: "a", Home: "/x", UID: "7", GID: "8"}},
		// A userdb_ field wins over a bare one, whatever the order.
		{"a:::::::userdb_quota=1 quota=2", PasswdEntry{Name: "a", Extra: map[string]string{"quota": "1"}}},
		{"a:::::::quota=2 userdb_quota=1", PasswdEntry{Name: "a", Extra: map[string]string{"quota": "1"}}},
	}
	for _, tt := range tests {
		got, err := ParsePasswdLine(tt.line)
		if err != nil {
			t.Errorf("ParsePasswdLine(%q): %v", tt.line, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParsePasswdLine(%q) = %+v, want %+v", tt.line, got, tt.want)
		}
	}
	for _, line := range []string{":pw:1:1", "a b:pw", "a:::::::=x", "a:::::::userdb_=x"} {
		if _, err := ParsePasswdLine(line); err == nil {
			t.Errorf("ParsePasswdLine(%q) succeeded", line)
		}
	}
}

func testPasswdFile(t *testing.T, path string) *PasswdFile {
	t.Helper()
	p, err := NewPasswdFile(path, PasswdFileOptions{
		Fold:         strings.ToLower,
		SystemPasswd: "testdata/passwd",
		SystemGroup:  "testdata/group",
		Logger:       testLogger(t),
	})
	if err != nil {
		t.Fatalf("NewPasswdFile(%s): %v", path, err)
	}
	return p
}

func TestPasswdFileSource(t *testing.T) {
	p := testPasswdFile(t, "testdata/users")
	tests := []struct {
		key  string
		want Entry
	}{
		{"alice@example.org", Entry{User: "alice@example.org", Home: "/home/alice", UID: 1000, GID: 1000}},
		{"bob@example.org", Entry{User: "bob@example.org", Home: "/var/vmail/example.org/bob", UID: 5000, GID: 8,
			Mail: "maildir:~/Mail:LAYOUT=fs", Extra: map[string]string{"quota_rule": "*:storage=1G"}}},
		{"carol", Entry{User: "carol", Home: "/var/vmail/carol", UID: 5000, GID: 5000}},
		{"dave@example.org", Entry{User: "dave@example.org", UID: -1, GID: -1}},
		{"jörg@example.org", Entry{User: "jörg@example.org", Home: "/var/vmail/example.org/jörg", UID: 5000, GID: 5000}},
		{"erin@example.org", Entry{User: "erin@example.org", Home: "/srv/erin", UID: 5000, GID: 5000,
			Extra: map[string]string{"quota_rule": "*:storage=3G", "nopassword": ""}}},
	}
	for _, tt := range tests {
		got, err := p.Lookup(context.Background(), Query{Key: tt.key})
		if err != nil {
			t.Errorf("Lookup(%q): %v", tt.key, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Lookup(%q) = %+v, want %+v", tt.key, got, tt.want)
		}
	}
	for _, key := range []string{"nobody@example.org", "alice", "carol@example.org", "Alice@example.org"} {
		if _, err := p.Lookup(context.Background(), Query{Key: key}); !errors.Is(err, ErrUnknownUser) {
			t.Errorf("Lookup(%q) = %v, want ErrUnknownUser", key, err)
		}
	}
}

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestPasswdFileBroken(t *testing.T) {
	path := filepath.Join(t.TempDir(), "users")
	writeFile(t, path, "ok@x.org:::\n:nobody\nbad@x.org::nosuchuser:\nbad2@x.org:::nosuchgroup\nok@X.ORG\nm@x.org:::::::mail=mbox:~/mail\n")
	_, err := NewPasswdFile(path, PasswdFileOptions{SystemPasswd: "testdata/passwd", SystemGroup: "testdata/group"})
	if err == nil {
		t.Fatal("NewPasswdFile succeeded on a broken file")
	}
	for _, want := range []string{
		path + ":2: empty user name",
		path + `:3: uid: unknown user name "nosuchuser"`,
		path + `:4: gid: unknown group name "nosuchgroup"`,
		path + `:5: user "ok@X.ORG" repeats line 1`,
		path + `:6: mail: mail location "mbox:~/mail": only maildir is supported, not "mbox"`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q\nlacks %q", err, want)
		}
	}
	if _, err := NewPasswdFile(filepath.Join(t.TempDir(), "missing"), PasswdFileOptions{}); err == nil {
		t.Error("NewPasswdFile succeeded on a missing file")
	}
}

// fakeClock is a clock tests move by hand.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

func TestPasswdFileReload(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "users")
	writeFile(t, path, "a@x.org:::::/home/a\n")
	p := testPasswdFile(t, path)
	clock := &fakeClock{t: time.Unix(1_000_000, 0)}
	p.cache.SetClock(clock.now)

	lookup := func(key string) (Entry, error) {
		t.Helper()
		return p.Lookup(ctx, Query{Key: key})
	}
	if _, err := lookup("a@x.org"); err != nil {
		t.Fatal(err)
	}
	// A new user appears; within the check interval the old copy is used.
	writeFile(t, path, "a@x.org:::::/home/a\nb@x.org:::::/home/b\n")
	if _, err := lookup("b@x.org"); !errors.Is(err, ErrUnknownUser) {
		t.Fatalf("before the interval: %v, want ErrUnknownUser", err)
	}
	clock.t = clock.t.Add(checkInterval)
	if e, err := lookup("b@x.org"); err != nil || e.Home != "/home/b" {
		t.Fatalf("after the interval: %+v, %v", e, err)
	}
	// A broken line fails its own user temporarily, not the others.
	writeFile(t, path, "a@x.org:::::/home/a\nb@x.org::nosuchuser\n")
	clock.t = clock.t.Add(checkInterval)
	if _, err := lookup("b@x.org"); err == nil || errors.Is(err, ErrUnknownUser) {
		t.Fatalf("broken line: %v, want a temporary error", err)
	}
	if _, err := lookup("a@x.org"); err != nil {
		t.Fatalf("good line beside a broken one: %v", err)
	}
	// A missing file is a temporary error for everyone.
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	clock.t = clock.t.Add(checkInterval)
	if _, err := lookup("a@x.org"); err == nil || errors.Is(err, ErrUnknownUser) {
		t.Fatalf("missing file: %v, want a temporary error", err)
	}
	// Renaming a new file into place (new inode) is noticed.
	tmp := path + ".new"
	writeFile(t, tmp, "c@x.org\n")
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
	clock.t = clock.t.Add(checkInterval)
	if _, err := lookup("c@x.org"); err != nil {
		t.Fatalf("after rename: %v", err)
	}
}

func TestSystemSource(t *testing.T) {
	s, err := NewSystem("testdata/passwd")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		local string
		want  Entry
		err   error
	}{
		{"alice", Entry{User: "alice", Home: "/home/alice", UID: 1000, GID: 1000}, nil},
		{"vmail", Entry{User: "vmail", Home: "/var/vmail", UID: 5000, GID: 5000}, nil},
		{"Mixed", Entry{User: "Mixed", Home: "/home/Mixed", UID: 1001, GID: 1001}, nil},
		{"nobody", Entry{}, ErrUnknownUser},
		{"+nisuser", Entry{}, ErrUnknownUser},
	}
	for _, tt := range tests {
		got, err := s.Lookup(context.Background(), Query{Key: tt.local + "@x.org", Local: tt.local, Domain: "x.org"})
		if !errors.Is(err, tt.err) || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Lookup(%q) = %+v, %v; want %+v, %v", tt.local, got, err, tt.want, tt.err)
		}
	}
	path := filepath.Join(t.TempDir(), "passwd")
	writeFile(t, path, "ok:x:1:1::/h:/bin/sh\nbroken:x:1\n")
	if _, err := NewSystem(path); err == nil || !strings.Contains(err.Error(), path+":2: malformed line") {
		t.Errorf("NewSystem(broken) = %v", err)
	}
}

func TestStaticSource(t *testing.T) {
	s, err := NewStatic("/var/vmail/%d/%n", 5000, 5000)
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Lookup(context.Background(), Query{Key: "alice@example.org", Local: "alice", Domain: "example.org"})
	want := Entry{User: "alice@example.org", Home: "/var/vmail/example.org/alice", UID: 5000, GID: 5000}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("Lookup = %+v, %v; want %+v", got, err, want)
	}
	for _, q := range []Query{
		{Key: "alice", Local: "alice"},
		{Key: "..@example.org", Local: "..", Domain: "example.org"},
		{Key: "a/b@example.org", Local: "a/b", Domain: "example.org"},
	} {
		if _, err := s.Lookup(context.Background(), q); !errors.Is(err, ErrUnknownUser) {
			t.Errorf("Lookup(%+v) = %v, want ErrUnknownUser", q, err)
		}
	}
	for _, home := range []string{"vmail/%n", "%h/x", "/v/%q", ""} {
		if _, err := NewStatic(home, -1, -1); err == nil {
			t.Errorf("NewStatic(%q) succeeded", home)
		}
	}
}

func TestPasswdFileConcurrent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "users")
	writeFile(t, path, "a@x.org:::::/home/a\n")
	p := testPasswdFile(t, path)
	var clock atomicClock
	p.cache.SetClock(clock.now)
	done := make(chan struct{})
	for range 4 {
		go func() {
			defer func() { done <- struct{}{} }()
			for range 200 {
				if _, err := p.Lookup(context.Background(), Query{Key: "a@x.org"}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	for i := range 20 {
		tmp := path + ".new"
		writeFile(t, tmp, "a@x.org:::::/home/a\n"+strings.Repeat("#\n", i))
		if err := os.Rename(tmp, path); err != nil {
			t.Fatal(err)
		}
		clock.advance(checkInterval)
	}
	for range 4 {
		<-done
	}
}

// atomicClock is a fake clock safe for concurrent use.
type atomicClock struct{ ns atomic.Int64 }

func (c *atomicClock) now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *atomicClock) advance(d time.Duration) { c.ns.Add(int64(d)) }
