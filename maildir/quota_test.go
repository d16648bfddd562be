package maildir

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseMaildirsize(t *testing.T) {
	tests := []struct {
		in     string
		limits Quota
		used   quotaUsage
		ok     bool
	}{
		{"1000S,10C\n", Quota{1000, 10}, quotaUsage{}, true},
		{"1000S\n 300 3\n-100 -1\n", Quota{Bytes: 1000}, quotaUsage{200, 2}, true},
		{"10C\n  12      1\n\n", Quota{Messages: 10}, quotaUsage{12, 1}, true},
		{"1000S,10C", Quota{}, quotaUsage{}, false},
		{"1000X\n", Quota{}, quotaUsage{}, false},
		{"1000S\n12\n", Quota{}, quotaUsage{}, false},
		{"1000S\nx 1\n", Quota{}, quotaUsage{}, false},
		{"", Quota{}, quotaUsage{}, false},
	}
	for _, tt := range tests {
		limits, used, ok := parseMaildirsize(tt.in)
		if ok != tt.ok || (ok && (limits != tt.limits || used != tt.used)) {
			t.Errorf("parseMaildirsize(%q) = %v, %v, %v", tt.in, limits, used, ok)
		}
	}
}

func TestQuota(t *testing.T) {
	msg := strings.Repeat("x", 100)
	tests := []struct {
		name    string
		quota   Quota
		prior   int // messages of 100 bytes already delivered
		wantErr bool
	}{
		{"under bytes", Quota{Bytes: 1000}, 5, false},
		{"at bytes", Quota{Bytes: 1000}, 9, false},
		{"over bytes", Quota{Bytes: 1000}, 10, true},
		{"under count", Quota{Messages: 5}, 3, false},
		{"at count", Quota{Messages: 5}, 4, false},
		{"over count", Quota{Messages: 5}, 5, true},
		{"both", Quota{Bytes: 10000, Messages: 3}, 3, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, root := newTestMaildir(t, Options{Quota: tt.quota})
			ctx := context.Background()
			for range tt.prior {
				if _, err := m.Deliver(ctx, "INBOX", strings.NewReader(msg), DeliverOptions{}); err != nil {
					t.Fatalf("prior delivery: %v", err)
				}
			}
			_, err := m.Deliver(ctx, "INBOX", strings.NewReader(msg), DeliverOptions{})
			if tt.wantErr {
				if !errors.Is(err, ErrQuotaExceeded) || Temporary(err) {
					t.Fatalf("Deliver = %v, want ErrQuotaExceeded", err)
				}
			} else if err != nil {
				t.Fatalf("Deliver = %v", err)
			}
			want := tt.prior
			if !tt.wantErr {
				want++
			}
			if n := len(listDir(t, filepath.Join(root, "new"))); n != want {
				t.Errorf("%d messages stored, want %d", n, want)
			}
			assertEmpty(t, root, "tmp")
			_, used, ok := parseMaildirsize(readFile(t, filepath.Join(root, quotaFile)))
			if !ok || used.count != int64(want) || used.bytes != int64(100*want) {
				t.Errorf("maildirsize says %+v (ok=%v), want %d messages", used, ok, want)
			}
		})
	}
}

func TestQuotaRecalc(t *testing.T) {
	ctx := context.Background()
	m, root := newTestMaildir(t, Options{})
	// Usage from deliveries made without quota: 3 x 100 bytes in INBOX and
	// folders, plus one file without S= whose size is read from disk.
	for _, mb := range []string{"INBOX", "A", "A/B"} {
		if _, err := m.Deliver(ctx, mb, strings.NewReader(strings.Repeat("y", 100)), DeliverOptions{Create: true, Flags: []string{`\Seen`}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(root, "cur", "foreign:2,S"), make([]byte, 50), 0o600); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-time.Hour)
	tests := []struct {
		name    string
		content string // "" means no file
		mtime   time.Time
		recalc  bool
	}{
		{"missing", "", time.Time{}, true},
		{"garbage", "what\n", time.Time{}, true},
		{"other limits", "1S\n350 4\n", time.Time{}, true},
		{"too big", "100000S\n" + strings.Repeat("1 0\n", 2000), time.Time{}, true},
		{"negative but fresh", "100000S\n-5 -1\n", time.Time{}, false},
		{"negative and old", "100000S\n-5 -1\n", old, true},
		{"over quota and old", "100000S\n100000 1\n", old, true},
		{"valid", "100000S\n7 1\n", old, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := filepath.Join(root, quotaFile)
			os.Remove(file)
			if tt.content != "" {
				if err := os.WriteFile(file, []byte(tt.content), 0o600); err != nil {
					t.Fatal(err)
				}
				if !tt.mtime.IsZero() {
					os.Chtimes(file, tt.mtime, tt.mtime)
				}
			}
			qm, err := Open(root, Options{Quota: Quota{Bytes: 100000}, Hostname: "host.example"})
			if err != nil {
				t.Fatal(err)
			}
			defer qm.Close()
			u, err := qm.quotaUsage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if tt.recalc {
				if *u != (quotaUsage{350, 4}) {
					t.Errorf("usage %+v, want 350 bytes in 4 messages", *u)
				}
				if got := readFile(t, file); got != "100000S\n350 4\n" {
					t.Errorf("maildirsize = %q", got)
				}
			} else if got := readFile(t, file); got != tt.content {
				t.Errorf("maildirsize rewritten: %q", got)
			}
		})
	}
}

func TestQuotaFS(t *testing.T) {
	m, root := newTestMaildir(t, Options{Layout: LayoutFS, Quota: Quota{Messages: 2}})
	ctx := context.Background()
	for _, mb := range []string{"A/B", "INBOX"} {
		if _, err := m.Deliver(ctx, mb, strings.NewReader("x\n"), DeliverOptions{Create: true}); err != nil {
			t.Fatal(err)
		}
	}
	os.Remove(filepath.Join(root, quotaFile)) // force a recalculation
	if _, err := m.Deliver(ctx, "A", strings.NewReader("x\n"), DeliverOptions{Create: true}); !errors.Is(err, ErrQuotaExceeded) {
		t.Fatalf("Deliver = %v, want ErrQuotaExceeded", err)
	}
	if got := readFile(t, filepath.Join(root, quotaFile)); got != "2C\n4 2\n" {
		t.Errorf("maildirsize = %q", got)
	}
}
