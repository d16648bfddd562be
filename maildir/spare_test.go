package maildir

import (
	"context"
	"os"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"
)

// openedTemp matches an opLog line of a new unnamed file.
var openedTemp = regexp.MustCompile(`(?m)^open (.*/)?tmp/$`)

// waitSpare waits until m has a prepared file.
func waitSpare(t *testing.T, m *Maildir) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		m.spare.mu.Lock()
		ok := m.spare.f != nil
		m.spare.mu.Unlock()
		if ok {
			return
		}
	}
	t.Fatal("no file was prepared")
}

// TestPrepare checks that a prepared unnamed file is what the next
// delivery writes, into INBOX and into a folder alike, and that Close
// frees an unused one.
func TestPrepare(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("unnamed files are a Linux feature")
	}
	for _, mailbox := range []string{"INBOX", "Box"} {
		t.Run(mailbox, func(t *testing.T) {
			m, ffs, root := newFaultMaildir(t, Options{})
			ffs.unnamed = true
			m.Prepare()
			waitSpare(t, m)
			var log opLog
			ffs.mu.Lock()
			ffs.fail = log.record
			ffs.mu.Unlock()
			d, err := m.Deliver(context.Background(), mailbox, strings.NewReader(testMsg), DeliverOptions{Create: true})
			ffs.mu.Lock()
			ffs.fail = nil
			ffs.mu.Unlock()
			if err != nil {
				t.Fatal(err)
			}
			if got := readFile(t, d.Path); got != testMsg {
				t.Errorf("stored %q", got)
			}
			if ops := log.String(); openedTemp.MatchString(ops) {
				t.Errorf("a new file was opened although one was prepared:\n%s", ops)
			}
			if m.takeSpare() != nil {
				t.Error("the prepared file is still waiting after the delivery")
			}
			assertEmpty(t, root, "tmp", ".Box/tmp")
		})
	}
	t.Run("close", func(t *testing.T) {
		m, _ := newTestMaildir(t, Options{})
		m.Prepare()
		waitSpare(t, m)
		if err := m.Close(); err != nil {
			t.Fatal(err)
		}
		if m.takeSpare() != nil {
			t.Error("Close left the prepared file open")
		}
		m.Prepare() // after Close: nothing happens
		if m.takeSpare() != nil {
			t.Error("Prepare after Close prepared a file")
		}
	})
}

// TestPrepareConcurrent delivers from many goroutines while files are
// being prepared: each delivery gets a file of its own.
func TestPrepareConcurrent(t *testing.T) {
	m, root := newTestMaildir(t, Options{})
	const n = 40
	errs := make(chan error, n)
	for range n {
		go func() {
			m.Prepare()
			_, err := m.Deliver(context.Background(), "INBOX", strings.NewReader(testMsg), DeliverOptions{})
			errs <- err
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	names := listDir(t, root+"/new")
	if len(names) != n {
		t.Fatalf("%d messages in new/, want %d", len(names), n)
	}
	for _, name := range names {
		if got := readFile(t, root+"/new/"+name); got != testMsg {
			t.Errorf("%s: %q", name, got)
		}
	}
}

// TestPrepareIdle checks that a prepared file no delivery takes is closed
// after a while: an open file keeps its filesystem busy.
func TestPrepareIdle(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("unnamed files are a Linux feature")
	}
	m, _ := newTestMaildir(t, Options{})
	m.Prepare()
	waitSpare(t, m)
	for deadline := time.Now().Add(10 * spareIdle); ; time.Sleep(10 * time.Millisecond) {
		m.spare.mu.Lock()
		gone := m.spare.f == nil
		m.spare.mu.Unlock()
		if gone {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the unused prepared file was never closed")
		}
	}
	// The next delivery opens a file of its own.
	if _, err := m.Deliver(context.Background(), "INBOX", strings.NewReader(testMsg), DeliverOptions{}); err != nil {
		t.Fatal(err)
	}
}

// TestPrepareRepairsFolder delivers a prepared file into a folder that
// lost its new/: the folder is repaired, as without a prepared file.
func TestPrepareRepairsFolder(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("unnamed files are a Linux feature")
	}
	m, root := newTestMaildir(t, Options{})
	if err := m.CreateMailbox(context.Background(), "Box", false); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(root + "/.Box/new"); err != nil {
		t.Fatal(err)
	}
	m.Prepare()
	waitSpare(t, m)
	d, err := m.Deliver(context.Background(), "Box", strings.NewReader(testMsg), DeliverOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, d.Path); got != testMsg {
		t.Errorf("stored %q", got)
	}
}
