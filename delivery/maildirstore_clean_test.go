package delivery

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluice-mail/sluice/internal/userdb"
	"github.com/sluice-mail/sluice/maildir"
)

// logCapture collects log output and copies it to t.Log; safe for
// concurrent use.
type logCapture struct {
	t  testing.TB
	mu sync.Mutex
	b  strings.Builder
}

func (l *logCapture) Write(p []byte) (int, error) {
	l.t.Log(strings.TrimRight(string(p), "\n"))
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logCapture) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// lines returns the captured lines that contain every one of subs.
func (l *logCapture) lines(subs ...string) []string {
	var out []string
	for line := range strings.Lines(l.String()) {
		ok := true
		for _, s := range subs {
			ok = ok && strings.Contains(line, s)
		}
		if ok {
			out = append(out, strings.TrimRight(line, "\n"))
		}
	}
	return out
}

// captureLog returns a debug-level text logger whose lines go to t.Log
// and to the returned capture.
func captureLog(t testing.TB) (*slog.Logger, *logCapture) {
	c := &logCapture{t: t}
	return slog.New(slog.NewTextHandler(c, &slog.HandlerOptions{Level: slog.LevelDebug})), c
}

// plantTmp creates name in dir/tmp with its times set age back.
func plantTmp(t *testing.T, dir, name string, age time.Duration) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(dir, "tmp"), 0o700); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "tmp", name)
	if err := os.WriteFile(p, []byte("half a message"), 0o600); err != nil {
		t.Fatal(err)
	}
	when := time.Now().Add(-age)
	if err := os.Chtimes(p, when, when); err != nil {
		t.Fatal(err)
	}
	return p
}

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	slices.Sort(names)
	return names
}

func TestMaildirStoreCleansTmp(t *testing.T) {
	ctx := context.Background()
	log, logs := captureLog(t)
	clock := time.Now()
	s := &MaildirStore{Options: maildir.Options{Hostname: "mx.test", Logger: log}}
	s.now = func() time.Time { return clock }

	root := filepath.Join(t.TempDir(), "alice", "Maildir")
	rcpt := userdb.Recipient{User: "alice", MailRoot: root}
	plantTmp(t, root, "old-inbox", 40*time.Hour)
	plantTmp(t, filepath.Join(root, ".Lists"), "old-folder", 40*time.Hour)
	if err := os.MkdirAll(filepath.Join(root, ".Lists", "cur"), 0o700); err != nil {
		t.Fatal(err)
	}
	plantTmp(t, root, "fresh", time.Minute)
	plantTmp(t, root, "just-under", maildir.TmpMaxAge-time.Hour)

	store := func() {
		t.Helper()
		if _, err := s.Store(ctx, rcpt, "INBOX", StoreOptions{}, strings.NewReader(testMsg)); err != nil {
			t.Fatal(err)
		}
	}
	store()
	if got, want := dirNames(t, filepath.Join(root, "tmp")), []string{"fresh", "just-under"}; !slices.Equal(got, want) {
		t.Errorf("INBOX tmp/ after first delivery = %v, want %v", got, want)
	}
	if got := dirNames(t, filepath.Join(root, ".Lists", "tmp")); len(got) != 0 {
		t.Errorf("folder tmp/ after first delivery = %v, want empty", got)
	}
	if n := strings.Count(logs.String(), "removed abandoned files"); n != 1 || !strings.Contains(logs.String(), "removed=2") {
		t.Errorf("log after first delivery:\n%s\nwant one line with removed=2", logs.String())
	}

	// Within the hour the root is not cleaned again.
	plantTmp(t, root, "old-again", 40*time.Hour)
	clock = clock.Add(tmpCleanInterval - time.Minute)
	store()
	if got := dirNames(t, filepath.Join(root, "tmp")); !slices.Contains(got, "old-again") {
		t.Errorf("tmp/ = %v: cleaned again within %v", got, tmpCleanInterval)
	}

	// After it, it is.
	clock = clock.Add(2 * time.Minute)
	store()
	if got := dirNames(t, filepath.Join(root, "tmp")); slices.Contains(got, "old-again") {
		t.Errorf("tmp/ = %v: not cleaned after %v", got, tmpCleanInterval)
	}
	if n := strings.Count(logs.String(), "removed abandoned files"); n != 2 {
		t.Errorf("%d cleaning log lines, want 2:\n%s", n, logs.String())
	}
}

func TestMaildirStoreCleansEachRootOnce(t *testing.T) {
	ctx := context.Background()
	s := &MaildirStore{Options: maildir.Options{Hostname: "mx.test"}}
	base := t.TempDir()
	var roots []string
	for _, u := range []string{"a", "b", "c"} {
		root := filepath.Join(base, u)
		roots = append(roots, root)
		plantTmp(t, root, "old", 40*time.Hour)
	}
	// Concurrent first deliveries to the same roots: each root is
	// cleaned once, and every delivery succeeds.
	var wg sync.WaitGroup
	for i := range 12 {
		wg.Go(func() {
			root := roots[i%len(roots)]
			rcpt := userdb.Recipient{User: filepath.Base(root), MailRoot: root}
			if _, err := s.Store(ctx, rcpt, "INBOX", StoreOptions{}, strings.NewReader(testMsg)); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	for _, root := range roots {
		if got := dirNames(t, filepath.Join(root, "tmp")); len(got) != 0 {
			t.Errorf("%s tmp/ = %v, want empty", root, got)
		}
		if got := dirNames(t, filepath.Join(root, "new")); len(got) != 4 {
			t.Errorf("%s new/ holds %d messages, want 4", root, len(got))
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.cleaned) != len(roots) {
		t.Errorf("cleaned %d roots, want %d", len(s.cleaned), len(roots))
	}
}

// A MaildirStore writes each copy durably into the recipient's Maildir;
// on its first delivery to a mail root it also removes what an earlier
// crash left in tmp/.
func ExampleMaildirStore() {
	dir, err := os.MkdirTemp("", "example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	root := filepath.Join(dir, "alice", "Maildir")

	// A delivery interrupted two days ago left a file in tmp/.
	if err := os.MkdirAll(filepath.Join(root, "tmp"), 0o700); err != nil {
		panic(err)
	}
	left := filepath.Join(root, "tmp", "1700000000.M1P1Q1.mx.example")
	if err := os.WriteFile(left, []byte("Subject: half"), 0o600); err != nil {
		panic(err)
	}
	old := time.Now().Add(-48 * time.Hour)
	if err := os.Chtimes(left, old, old); err != nil {
		panic(err)
	}

	store := &MaildirStore{Options: maildir.Options{Hostname: "mx.example"}}
	rcpt := userdb.Recipient{User: "alice", MailRoot: root}
	st, err := store.Store(context.Background(), rcpt, "INBOX", StoreOptions{},
		strings.NewReader("Subject: hello\n\nHi Alice.\n"))
	if err != nil {
		panic(err)
	}
	newMsgs, _ := os.ReadDir(filepath.Join(root, "new"))
	tmpFiles, _ := os.ReadDir(filepath.Join(root, "tmp"))
	fmt.Println(st.Mailbox, st.Size, "bytes;", len(newMsgs), "in new/,", len(tmpFiles), "in tmp/")
	// Output: INBOX 26 bytes; 1 in new/, 0 in tmp/
}
