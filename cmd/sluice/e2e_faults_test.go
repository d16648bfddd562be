package main

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// mountSmallFS mounts a tmpfs of size bytes on dir (created if missing)
// and unmounts it when the test ends. It skips the test when mounting is
// not allowed (not root, no CAP_SYS_ADMIN, a restricted container).
func mountSmallFS(t *testing.T, dir, size string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size="+size+",mode=0700"); err != nil {
		t.Skipf("cannot mount a tmpfs on %s (needs root or CAP_SYS_ADMIN): %v", dir, err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, syscall.MNT_DETACH); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
	})
}

// remount changes the flags of the tmpfs on dir (syscall.MS_RDONLY or 0).
//
// Right after a delivery, sluice may hold the unnamed file prepared for
// the next one (for up to a second): read-only remounts are retried while
// the filesystem is busy.
func remount(t *testing.T, dir, size string, flags uintptr) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		err := syscall.Mount("tmpfs", dir, "tmpfs", syscall.MS_REMOUNT|flags, "size="+size)
		if err == nil {
			return
		}
		if err != syscall.EBUSY || time.Now().After(deadline) {
			t.Fatalf("remount %s: %v", dir, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// fillFS writes name until the filesystem is full.
func fillFS(t *testing.T, name string) {
	t.Helper()
	f, err := os.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 4096)
	for {
		if _, err := f.Write(buf); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("filling %s: %v", name, err)
			}
			return
		}
	}
}

// sendPair sends msg to alice and bob in one transaction and returns
// their replies after DATA.
func sendPair(t *testing.T, s *e2eServer, msg string) (alice, bob reply) {
	t.Helper()
	cv, _ := s.lhlo(t)
	cv.cmd("MAIL FROM:<sender@example.net>", 250)
	cv.cmd("RCPT TO:<alice@example.org>", 250)
	cv.cmd("RCPT TO:<bob@example.org>", 250)
	cv.cmd("DATA", 354)
	cv.write(dotStuff(msg))
	alice, err := cv.read() // its code is for the caller to check
	if err != nil {
		t.Fatalf("reading alice's reply: %v", err)
	}
	bob = cv.expect(250, "<bob@example.org>", "Saved")
	cv.cmd("QUIT", 221)
	return alice, bob
}

// messageFiles returns the names in root's new/ and cur/.
func messageFiles(t *testing.T, root string) []string {
	t.Helper()
	var names []string
	for _, sub := range []string{"new", "cur"} {
		ents, err := os.ReadDir(filepath.Join(root, sub))
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
		for _, e := range ents {
			names = append(names, filepath.Join(sub, e.Name()))
		}
	}
	return names
}

// TestE2EFullFilesystem puts alice's Maildir on a 256 KB tmpfs and fills
// it: alice gets 452 4.3.1 while bob, on the ordinary disk, gets 250 in
// the same transaction; nothing partial is left; once space is freed a
// retry is stored. The same with the tmpfs remounted read-only: 451 4.2.0.
func TestE2EFullFilesystem(t *testing.T) {
	needBinary(t)
	if os.Geteuid() != 0 {
		t.Skip("mounting a tmpfs needs root")
	}
	t.Parallel()
	s := startServer(t, e2eConfig{})
	const size = "256k"
	aliceRoot := s.mailDir("alice", "example.org")
	mountSmallFS(t, aliceRoot, size)
	bobRoot := s.mailDir("bob", "example.org")

	// A first delivery creates alice's Maildir on the small filesystem.
	first := testMessage("before full", "before-full@e2e.test")
	if a, _ := sendPair(t, s, first); a.Code != 250 {
		t.Fatalf("alice before the filesystem is full: %v", a)
	}
	filler := filepath.Join(aliceRoot, "filler")
	fillFS(t, filler)

	msg := testMessage("full", "full@e2e.test") + strings.Repeat("some more text to need a page or two\r\n", 200)
	a, _ := sendPair(t, s, msg)
	t.Logf("alice, filesystem full: %v", a)
	if a.Code != 452 || !strings.HasPrefix(a.Lines[0], "4.3.1 <alice@example.org>") {
		t.Errorf("alice on a full filesystem: %v, want 452 4.3.1", a)
	}
	s.waitLog("no space left on device", 1)
	if got := grepLines(s.stderr.String(), "rcpt=alice@example.org"); !strings.Contains(got[len(got)-1], "no space left on device") {
		t.Errorf("alice's delivery log line does not name the cause: %s", got[len(got)-1])
	}
	if got := messageFiles(t, aliceRoot); len(got) != 1 {
		t.Errorf("alice's Maildir holds %v, want only the first message", got)
	}
	if ents, _ := os.ReadDir(filepath.Join(aliceRoot, "tmp")); len(ents) != 0 {
		t.Errorf("alice's tmp/ holds %d file(s)", len(ents))
	}

	// Space freed: the MTA's retry goes through.
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	if a, _ := sendPair(t, s, msg); a.Code != 250 {
		t.Errorf("alice after freeing space: %v, want 250", a)
	}
	checkComplete(t, aliceRoot, first, msg)

	// Read-only: a temporary failure naming the mailbox.
	remount(t, aliceRoot, size, syscall.MS_RDONLY)
	ro := testMessage("read-only", "ro@e2e.test")
	a, _ = sendPair(t, s, ro)
	t.Logf("alice, filesystem read-only: %v", a)
	if a.Code != 451 || !strings.HasPrefix(a.Lines[0], "4.2.0 <alice@example.org>") {
		t.Errorf("alice on a read-only filesystem: %v, want 451 4.2.0", a)
	}
	s.waitLog("read-only file system", 1)
	remount(t, aliceRoot, size, 0)
	if a, _ := sendPair(t, s, ro); a.Code != 250 {
		t.Errorf("alice after remounting read-write: %v, want 250", a)
	}
	checkComplete(t, aliceRoot, first, msg, ro)
	if got := messageFiles(t, bobRoot); len(got) != 5 {
		t.Errorf("bob's Maildir holds %d messages, want 5", len(got))
	}
}

// checkComplete checks that root's new/ and cur/ hold exactly one
// complete copy of each of msgs.
func checkComplete(t *testing.T, root string, msgs ...string) {
	t.Helper()
	names := messageFiles(t, root)
	if len(names) != len(msgs) {
		t.Errorf("%s holds %d messages, want %d", root, len(names), len(msgs))
	}
	seen := make([]int, len(msgs))
	for _, n := range names {
		f, err := os.Open(filepath.Join(root, n))
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		match := -1
		for i, m := range msgs {
			if strings.HasSuffix(string(data), strings.ReplaceAll(m, "\r\n", "\n")) {
				match = i
			}
		}
		if match < 0 {
			t.Errorf("%s: not one of the messages sent (%d bytes)", n, len(data))
			continue
		}
		seen[match]++
	}
	for i, n := range seen {
		if n != 1 {
			t.Errorf("message %d stored %d times, want once", i, n)
		}
	}
}
