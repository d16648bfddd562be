package maildir

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	gomaildir "github.com/emersion/go-maildir"
)

const testMsg = "From: a@example.org\nTo: b@example.org\nSubject: hi\n\nbody\n"

var uniqueRe = regexp.MustCompile(`^[0-9]+\.M[0-9]{1,6}P[0-9]+Q[0-9]+\.host\.example$`)

func TestOpenCreatesLayout(t *testing.T) {
	_, root := newTestMaildir(t, Options{})
	for _, d := range []string{"", "cur", "new", "tmp"} {
		fi, err := os.Stat(filepath.Join(root, d))
		if err != nil || !fi.IsDir() {
			t.Fatalf("%s: %v", d, err)
		}
		if fi.Mode().Perm()&^0o700 != 0 {
			t.Errorf("%s mode %v, want at most 0700", d, fi.Mode().Perm())
		}
	}
	if _, err := Open("relative/path", Options{}); err == nil {
		t.Error("relative root accepted")
	}
	if _, err := Open(root, Options{Separator: '&'}); err == nil {
		t.Error("separator '&' accepted")
	}
}

func TestUniqueName(t *testing.T) {
	m, _ := newTestMaildir(t, Options{})
	a, b := m.uniqueName(), m.uniqueName()
	for _, n := range []string{a, b} {
		if !uniqueRe.MatchString(n) {
			t.Errorf("unique name %q does not match %v", n, uniqueRe)
		}
	}
	if a == b {
		t.Errorf("two unique names are equal: %q", a)
	}
	for in, want := range map[string]string{
		"mx.example": "mx.example", "a/b": `a\057b`, "a:b": `a\072b`,
	} {
		if got := sanitizeHost(in); got != want {
			t.Errorf("sanitizeHost(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDeliverInbox(t *testing.T) {
	m, root := newTestMaildir(t, Options{})
	d, err := m.Deliver(context.Background(), "inbox", strings.NewReader(testMsg), DeliverOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if d.Mailbox != "INBOX" || d.Size != int64(len(testMsg)) {
		t.Errorf("Delivered = %+v", d)
	}
	if filepath.Dir(d.Path) != filepath.Join(root, "new") {
		t.Errorf("path %q not in new/", d.Path)
	}
	base := filepath.Base(d.Path)
	uniq, sizes, ok := strings.Cut(base, ",")
	if !ok || !uniqueRe.MatchString(uniq) {
		t.Errorf("file name %q", base)
	}
	// The 5 bare LFs count as CRLF in W=.
	if want := fmt.Sprintf("S=%d,W=%d", len(testMsg), len(testMsg)+5); sizes != want {
		t.Errorf("sizes %q, want %q", sizes, want)
	}
	if got := readFile(t, d.Path); got != testMsg {
		t.Errorf("content %q", got)
	}
	assertEmpty(t, root, "tmp", "cur")

	// go-maildir's Unseen moves new/ messages to cur/ and returns them.
	msgs, err := gomaildir.Dir(root).Unseen()
	if err != nil || len(msgs) != 1 {
		t.Fatalf("go-maildir Unseen = %v, %v", msgs, err)
	}
	rc, err := msgs[0].Open()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if b, _ := io.ReadAll(rc); string(b) != testMsg {
		t.Errorf("go-maildir read %q", b)
	}
}

func TestDeliverFolders(t *testing.T) {
	tests := []struct {
		layout Layout
		name   string
		dir    string
	}{
		{LayoutMaildirPP, "Lists/Go", ".Lists.Go"},
		{LayoutMaildirPP, "Entwürfe", ".Entw&APw-rfe"},
		{LayoutMaildirPP, "INBOX/Sub", ".INBOX.Sub"},
		{LayoutFS, "Lists/Go", "Lists/Go"},
		{LayoutFS, "日本語", "&ZeVnLIqe-"},
	}
	for _, tt := range tests {
		t.Run(tt.layout.String()+"/"+tt.name, func(t *testing.T) {
			m, root := newTestMaildir(t, Options{Layout: tt.layout})
			ctx := context.Background()
			if ok, err := m.MailboxExists(ctx, tt.name); ok || err != nil {
				t.Fatalf("MailboxExists before = %v, %v", ok, err)
			}
			_, err := m.Deliver(ctx, tt.name, strings.NewReader(testMsg), DeliverOptions{})
			if !errors.Is(err, ErrMailboxNotFound) {
				t.Fatalf("Deliver without Create: %v, want ErrMailboxNotFound", err)
			}
			d, err := m.Deliver(ctx, tt.name, strings.NewReader(testMsg), DeliverOptions{Create: true})
			if err != nil {
				t.Fatal(err)
			}
			dir := filepath.Join(root, filepath.FromSlash(tt.dir))
			if filepath.Dir(d.Path) != filepath.Join(dir, "new") {
				t.Errorf("path %q, want in %s/new", d.Path, dir)
			}
			if ok, err := m.MailboxExists(ctx, tt.name); !ok || err != nil {
				t.Errorf("MailboxExists after = %v, %v", ok, err)
			}
			_, err = os.Stat(filepath.Join(dir, "maildirfolder"))
			if (err == nil) != (tt.layout == LayoutMaildirPP) {
				t.Errorf("maildirfolder: %v", err)
			}
			msgs, err := gomaildir.Dir(dir).Unseen()
			if err != nil || len(msgs) != 1 {
				t.Errorf("go-maildir Unseen = %v, %v", msgs, err)
			}
			assertEmpty(t, root, "new", "cur", "tmp")
			if _, err := os.Stat(filepath.Join(root, subsFile)); err == nil {
				t.Error("subscriptions written without Subscribe")
			}
		})
	}
}

func TestDeliverInvalidName(t *testing.T) {
	m, _ := newTestMaildir(t, Options{})
	for _, name := range []string{"../etc", "a/../../b", "", "x\x00"} {
		_, err := m.Deliver(context.Background(), name, strings.NewReader(testMsg), DeliverOptions{Create: true})
		if !errors.Is(err, ErrInvalidName) || Temporary(err) {
			t.Errorf("Deliver(%q) = %v, want permanent ErrInvalidName", name, err)
		}
	}
}

func TestDeliverFlags(t *testing.T) {
	tests := []struct {
		flags   []string
		suffix  string // "" means new/ without info
		dropped []string
	}{
		{nil, "", nil},
		{[]string{`\Seen`}, ":2,S", nil},
		{[]string{`\seen`, `\SEEN`}, ":2,S", nil},
		{[]string{`\Seen`, `\Flagged`, `\Answered`, `\Draft`, `\Deleted`}, ":2,DFRST", nil},
		{[]string{`$Junk`}, ":2,a", nil},
		{[]string{`\Seen`, `NonJunk`, `$Junk`}, ":2,Sab", nil},
		{[]string{`$junk`}, ":2,a", nil},
		{[]string{`\Recent`}, "", []string{`\Recent`}},
		{[]string{`bad word`, `x]`, `\Seen`}, ":2,S", []string{`bad word`, `x]`}},
	}
	m, root := newTestMaildir(t, Options{})
	for _, tt := range tests {
		d, err := m.Deliver(context.Background(), "INBOX", strings.NewReader(testMsg), DeliverOptions{Flags: tt.flags})
		if err != nil {
			t.Fatalf("%v: %v", tt.flags, err)
		}
		base := filepath.Base(d.Path)
		sub := "new"
		if tt.suffix != "" {
			sub = "cur"
		}
		if filepath.Dir(d.Path) != filepath.Join(root, sub) {
			t.Errorf("%v: stored in %s", tt.flags, d.Path)
		}
		_, info, _ := strings.Cut(base, ":")
		if info != strings.TrimPrefix(tt.suffix, ":") {
			t.Errorf("%v: name %q, want suffix %q", tt.flags, base, tt.suffix)
		}
		if strings.Join(d.DroppedFlags, "|") != strings.Join(tt.dropped, "|") {
			t.Errorf("%v: dropped %q, want %q", tt.flags, d.DroppedFlags, tt.dropped)
		}
	}
	if got, want := readFile(t, filepath.Join(root, keywordsFile)), "0 $Junk\n1 NonJunk\n"; got != want {
		t.Errorf("dovecot-keywords = %q, want %q", got, want)
	}
	// go-maildir lists cur/ and parses the info suffix.
	msgs, err := gomaildir.Dir(root).Messages()
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, msg := range msgs {
		if slices.Contains(msg.Flags(), gomaildir.FlagSeen) {
			seen++
		}
	}
	if len(msgs) != 7 || seen != 5 {
		t.Errorf("go-maildir: %d messages in cur/, %d seen; want 7, 5", len(msgs), seen)
	}
	if _, err := os.Stat(filepath.Join(root, uidlistLock)); err == nil {
		t.Error("lock file left behind")
	}
	if _, err := os.Stat(filepath.Join(root, "dovecot-uidlist")); err == nil {
		t.Error("dovecot-uidlist written")
	}
}

func TestKeywordsFull(t *testing.T) {
	m, root := newTestMaildir(t, Options{})
	var existing strings.Builder
	for i := range 25 {
		fmt.Fprintf(&existing, "%d kw%d\n", i, i)
	}
	existing.WriteString("garbage line\n99 out-of-range\n")
	if err := os.WriteFile(filepath.Join(root, keywordsFile), []byte(existing.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	d, err := m.Deliver(context.Background(), "INBOX", strings.NewReader(testMsg),
		DeliverOptions{Flags: []string{"KW3", "new1", "new2"}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(d.Path, ":2,dz") {
		t.Errorf("path %q, want letters dz", d.Path)
	}
	if strings.Join(d.DroppedFlags, ",") != "new2" {
		t.Errorf("dropped %q, want [new2]", d.DroppedFlags)
	}
	if got := readFile(t, filepath.Join(root, keywordsFile)); !strings.HasSuffix(got, "24 kw24\n25 new1\n") || strings.Contains(got, "garbage") {
		t.Errorf("dovecot-keywords = %q", got)
	}
}

func TestKeywordLock(t *testing.T) {
	m, root := newTestMaildir(t, Options{})
	m.lockWait = 50 * time.Millisecond
	lock := filepath.Join(root, uidlistLock)
	if err := os.WriteFile(lock, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := m.Deliver(context.Background(), "INBOX", strings.NewReader(testMsg), DeliverOptions{Flags: []string{"$Junk"}})
	if !errors.Is(err, ErrLockTimeout) || !Temporary(err) {
		t.Fatalf("Deliver with held lock: %v, want temporary ErrLockTimeout", err)
	}
	assertEmpty(t, root, "new", "cur", "tmp")
	// A lock older than two minutes is stale and taken over.
	old := time.Now().Add(-3 * time.Minute)
	if err := os.Chtimes(lock, old, old); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Deliver(context.Background(), "INBOX", strings.NewReader(testMsg), DeliverOptions{Flags: []string{"$Junk"}}); err != nil {
		t.Fatalf("Deliver with stale lock: %v", err)
	}
	if _, err := os.Stat(lock); err == nil {
		t.Error("lock not released")
	}
}

func TestSubscriptions(t *testing.T) {
	ctx := context.Background()
	t.Run("v1", func(t *testing.T) {
		m, root := newTestMaildir(t, Options{})
		for _, name := range []string{"Lists/Go", "Lists/Go", "Entwürfe", "inbox/x"} {
			if _, err := m.Deliver(ctx, name, strings.NewReader(testMsg), DeliverOptions{Create: true, Subscribe: true}); err != nil {
				t.Fatal(err)
			}
		}
		if err := m.CreateMailbox(ctx, "Lists/Go", true); err != nil {
			t.Fatal(err)
		}
		if got, want := readFile(t, filepath.Join(root, subsFile)), "Lists.Go\nEntw&APw-rfe\nINBOX.x\n"; got != want {
			t.Errorf("subscriptions = %q, want %q", got, want)
		}
		if _, err := os.Stat(filepath.Join(root, subsLock)); err == nil {
			t.Error("lock left behind")
		}
	})
	t.Run("fs", func(t *testing.T) {
		m, root := newTestMaildir(t, Options{Layout: LayoutFS, Separator: '.'})
		if err := os.WriteFile(filepath.Join(root, subsFile), []byte("Old"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := m.CreateMailbox(ctx, "A.B", true); err != nil {
			t.Fatal(err)
		}
		if got, want := readFile(t, filepath.Join(root, subsFile)), "Old\nA/B\n"; got != want {
			t.Errorf("subscriptions = %q, want %q", got, want)
		}
	})
	t.Run("v2", func(t *testing.T) {
		m, root := newTestMaildir(t, Options{})
		if err := os.WriteFile(filepath.Join(root, subsFile), []byte(subsV2Header+"Old\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if err := m.CreateMailbox(ctx, "A/B", true); err != nil {
				t.Fatal(err)
			}
		}
		if got, want := readFile(t, filepath.Join(root, subsFile)), subsV2Header+"Old\nA\tB\n"; got != want {
			t.Errorf("subscriptions = %q, want %q", got, want)
		}
	})
}

func TestDeliverSizes(t *testing.T) {
	tests := []struct {
		msg         string
		size, vsize int64
	}{
		{"", 0, 0},
		{"a", 1, 1},
		{"a\n", 2, 3},
		{"a\r\n", 3, 3},
		{"\n\n", 2, 4},
		{"a\r\nb\nc\r\r\n", 9, 10},
	}
	for _, tt := range tests {
		for _, r := range []io.Reader{strings.NewReader(tt.msg), iotest.OneByteReader(strings.NewReader(tt.msg))} {
			var sb strings.Builder
			size, vsize, err := copyMessage(context.Background(), &sb, r)
			if err != nil || size != tt.size || vsize != tt.vsize || sb.String() != tt.msg {
				t.Errorf("copyMessage(%q) = %d, %d, %v; want %d, %d", tt.msg, size, vsize, err, tt.size, tt.vsize)
			}
		}
	}
}

// cancelReader cancels its context after the first read.
type cancelReader struct {
	r      io.Reader
	cancel context.CancelFunc
}

func (c cancelReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p[:1])
	c.cancel()
	return n, err
}

func TestDeliverCancelled(t *testing.T) {
	m, root := newTestMaildir(t, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := m.Deliver(ctx, "INBOX", strings.NewReader(testMsg), DeliverOptions{}); !errors.Is(err, context.Canceled) {
		t.Errorf("Deliver with cancelled ctx: %v", err)
	}
	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	_, err := m.Deliver(ctx, "INBOX", cancelReader{strings.NewReader(testMsg), cancel}, DeliverOptions{})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Deliver cancelled mid-stream: %v", err)
	}
	assertEmpty(t, root, "new", "cur", "tmp")
}

func TestDeliverReadError(t *testing.T) {
	m, root := newTestMaildir(t, Options{})
	boom := errors.New("connection reset")
	_, err := m.Deliver(context.Background(), "INBOX", io.MultiReader(strings.NewReader(testMsg), iotest.ErrReader(boom)), DeliverOptions{})
	if !errors.Is(err, boom) || !Temporary(err) {
		t.Errorf("Deliver: %v", err)
	}
	assertEmpty(t, root, "new", "cur", "tmp")
}

func TestDeliverRepairsFolder(t *testing.T) {
	m, root := newTestMaildir(t, Options{})
	// A folder whose tmp/ and new/ went missing (say an interrupted
	// creation by another program) is repaired on delivery.
	if err := os.MkdirAll(filepath.Join(root, ".Half", "cur"), 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Deliver(context.Background(), "Half", strings.NewReader(testMsg), DeliverOptions{}); err != nil {
		t.Fatal(err)
	}
	if n := len(listDir(t, filepath.Join(root, ".Half", "new"))); n != 1 {
		t.Errorf("%d files in new/", n)
	}
}
