package delivery

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/sluice-mail/sluice/internal/userdb"
	"github.com/sluice-mail/sluice/maildir"
)

// countingStore returns a MaildirStore that counts the Maildirs it opens.
func countingStore(maxOpen int) (*MaildirStore, *atomic.Int64) {
	var opens atomic.Int64
	s := &MaildirStore{
		Options: maildir.Options{Hostname: "mx.test"},
		MaxOpen: maxOpen,
		WrapFS: func(_ string, fsys maildir.FS) maildir.FS {
			opens.Add(1)
			return fsys
		},
	}
	return s, &opens
}

func storeOne(t *testing.T, s *MaildirStore, root, body string) {
	t.Helper()
	rc := userdb.Recipient{User: filepath.Base(root), MailRoot: root}
	if _, err := s.Store(context.Background(), rc, "INBOX", StoreOptions{}, strings.NewReader(body)); err != nil {
		t.Fatalf("Store into %s: %v", root, err)
	}
}

// TestMaildirStoreKeepsMaildirsOpen checks that deliveries to one root
// share one opened Maildir, that a root replaced by another directory is
// reopened (mail must go where readers look), and that layouts are not
// mixed up.
func TestMaildirStoreKeepsMaildirsOpen(t *testing.T) {
	dir := t.TempDir()
	root := filepath.Join(dir, "u", "Maildir")
	s, opens := countingStore(0)
	t.Cleanup(func() { s.Close() })

	for i := range 3 {
		storeOne(t, s, root, fmt.Sprintf("Subject: %d\n\nbody\n", i))
	}
	if n := opens.Load(); n != 1 {
		t.Errorf("%d opens for 3 deliveries to one root, want 1", n)
	}
	if n := countMessages(t, root); n != 3 {
		t.Errorf("%d messages, want 3", n)
	}

	// The user's Maildir is replaced: the next delivery goes to the new
	// directory, not to the one renamed away.
	if err := os.Rename(root, root+".old"); err != nil {
		t.Fatal(err)
	}
	storeOne(t, s, root, "Subject: after\n\nbody\n")
	if n := countMessages(t, root); n != 1 {
		t.Errorf("the new Maildir holds %d messages, want 1", n)
	}
	if n := countMessages(t, root+".old"); n != 3 {
		t.Errorf("the old Maildir holds %d messages, want 3", n)
	}
	if n := opens.Load(); n != 2 {
		t.Errorf("%d opens, want 2 (the replaced root reopened)", n)
	}

	// Another layout for the same root is another Maildir.
	rc := userdb.Recipient{User: "u", MailRoot: root, MailLayout: "fs"}
	if _, err := s.Store(context.Background(), rc, "INBOX", StoreOptions{}, strings.NewReader("Subject: fs\n\nx\n")); err != nil {
		t.Fatal(err)
	}
	if n := opens.Load(); n != 3 {
		t.Errorf("%d opens, want 3 (one per layout)", n)
	}
}

// TestMaildirStoreCacheConcurrent delivers from many goroutines into more
// roots than the store keeps open, so handles are evicted while in use;
// every message must arrive, and Close must leave nothing open.
func TestMaildirStoreCacheConcurrent(t *testing.T) {
	dir := t.TempDir()
	s, opens := countingStore(2)
	const roots, workers, each = 5, 8, 15
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				root := filepath.Join(dir, fmt.Sprintf("u%d", (w+i)%roots))
				storeOne(t, s, root, fmt.Sprintf("Subject: %d-%d\n\nbody\n", w, i))
			}
		})
	}
	wg.Wait()
	total := 0
	for r := range roots {
		total += countMessages(t, filepath.Join(dir, fmt.Sprintf("u%d", r)))
	}
	if total != workers*each {
		t.Errorf("%d messages stored, want %d", total, workers*each)
	}
	if n := opens.Load(); n < roots {
		t.Errorf("%d opens for %d roots", n, roots)
	}
	s.mu.Lock()
	kept := s.mds.lru.Len()
	s.mu.Unlock()
	if kept > 2 {
		t.Errorf("%d Maildirs kept open, MaxOpen is 2", kept)
	}
	s.Close()
	s.mu.Lock()
	kept = s.mds.lru.Len()
	s.mu.Unlock()
	if kept != 0 {
		t.Errorf("%d Maildirs open after Close", kept)
	}
}
