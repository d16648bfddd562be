package maildir

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func TestConcurrentCreateDeliver(t *testing.T) {
	m, root := newTestMaildir(t, Options{})
	const n = 20
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Half share the Maildir, half open their own, as separate
			// processes would.
			mm := m
			if i%2 == 1 {
				var err error
				if mm, err = Open(root, Options{Hostname: "host.example"}); err != nil {
					errs <- err
					return
				}
				defer mm.Close()
			}
			msg := fmt.Sprintf("Subject: %d\n\nbody %d\n", i, i)
			_, err := mm.Deliver(context.Background(), "Shared/New", strings.NewReader(msg), DeliverOptions{Create: true, Subscribe: true})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	files := listDir(t, filepath.Join(root, ".Shared.New", "new"))
	if len(files) != n {
		t.Fatalf("%d files in new/, want %d", len(files), n)
	}
	seen := map[string]bool{}
	for _, f := range files {
		seen[readFile(t, filepath.Join(root, ".Shared.New", "new", f))] = true
	}
	if len(seen) != n {
		t.Errorf("%d distinct messages, want %d", len(seen), n)
	}
	if got := readFile(t, filepath.Join(root, subsFile)); got != "Shared.New\n" {
		t.Errorf("subscriptions = %q", got)
	}
	assertEmpty(t, root, ".Shared.New/tmp", ".Shared.New/cur", "tmp")
}

func TestConcurrentKeywords(t *testing.T) {
	m, root := newTestMaildir(t, Options{})
	const n = 20
	var wg sync.WaitGroup
	paths := make([]string, n)
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mm, err := Open(root, Options{Hostname: "host.example"})
			if err != nil {
				errs[i] = err
				return
			}
			defer mm.Close()
			// Every message carries a shared keyword and its own.
			d, err := mm.Deliver(context.Background(), "INBOX", strings.NewReader(testMsg),
				DeliverOptions{Flags: []string{"$Shared", fmt.Sprintf("kw%d", i)}})
			paths[i], errs[i] = d.Path, err
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	_ = m
	kw := parseKeywords(readFile(t, filepath.Join(root, keywordsFile)))
	byName := map[string]byte{}
	for i, name := range kw {
		if name == "" {
			continue
		}
		if _, dup := byName[name]; dup {
			t.Errorf("keyword %q listed twice", name)
		}
		byName[name] = byte('a' + i)
	}
	if len(byName) != n+1 {
		t.Fatalf("%d keywords, want %d: %v", len(byName), n+1, kw)
	}
	for i, p := range paths {
		_, info, _ := strings.Cut(filepath.Base(p), ":2,")
		want := []byte{byName["$Shared"], byName[fmt.Sprintf("kw%d", i)]}
		if want[0] > want[1] {
			want[0], want[1] = want[1], want[0]
		}
		if info != string(want) {
			t.Errorf("message %d has letters %q, want %q", i, info, want)
		}
	}
}
