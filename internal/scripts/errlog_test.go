package scripts

import (
	"errors"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestAppendLog(t *testing.T) {
	p := t.TempDir() + "/.dovecot.sieve.log"
	when := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	if err := AppendLog(p, when, "/h/.dovecot.sieve", []string{"3:5: unknown command \"fileinot\"", "4:1: evil\nforged line"}); err != nil {
		t.Fatal(err)
	}
	if err := AppendLog(p, when.Add(time.Minute), "/h/.dovecot.sieve", []string{"1:1: again"}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	want := "2026-03-01T12:00:00Z /h/.dovecot.sieve: 3:5: unknown command \"fileinot\"\n" +
		"2026-03-01T12:00:00Z /h/.dovecot.sieve: 4:1: evil?forged line\n" +
		"2026-03-01T12:01:00Z /h/.dovecot.sieve: 1:1: again\n"
	if string(b) != want {
		t.Errorf("log =\n%s\nwant\n%s", b, want)
	}
	st, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("mode = %v, want 0600", st.Mode().Perm())
	}
}

func TestAppendLogRotates(t *testing.T) {
	p := t.TempDir() + "/s.log"
	l := ErrLog{Limit: 200}
	when := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	msg := []string{strings.Repeat("m", 50)} // one line is 75 bytes
	for i := range 5 {
		if err := l.Append(p, when, "s", msg); err != nil {
			t.Fatalf("append %d: %v", i, err)
		}
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if st.Size() > l.Limit {
			t.Fatalf("after append %d: size %d over the limit", i, st.Size())
		}
	}
	cur, _ := os.ReadFile(p)
	old, err := os.ReadFile(p + ".1")
	if err != nil {
		t.Fatalf("no rotated generation: %v", err)
	}
	// 5 lines of 75 bytes, 2 per file: .1 holds lines 3-4, the log line 5.
	if n := strings.Count(string(old), "\n"); n != 2 {
		t.Errorf("%s.1 has %d lines, want 2", p, n)
	}
	if n := strings.Count(string(cur), "\n"); n != 1 {
		t.Errorf("log has %d lines, want 1", n)
	}
}

func TestAppendLogRefusesSymlink(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir+"/victim", "precious\n")
	symlink(t, "victim", dir+"/.dovecot.sieve.log")
	err := AppendLog(dir+"/.dovecot.sieve.log", time.Now(), "s", []string{"x"})
	if !errors.Is(err, syscall.ELOOP) {
		t.Fatalf("AppendLog through a symlink: %v, want ELOOP", err)
	}
	if b, _ := os.ReadFile(dir + "/victim"); string(b) != "precious\n" {
		t.Errorf("symlink target written: %q", b)
	}
}

func TestAppendLogRefusesFIFO(t *testing.T) {
	p := t.TempDir() + "/fifo.log"
	if err := syscall.Mkfifo(p, 0o600); err != nil {
		t.Skip("mkfifo:", err)
	}
	if err := AppendLog(p, time.Now(), "s", []string{"x"}); err == nil {
		t.Fatal("AppendLog to a FIFO: want an error")
	}
}
