package delivery

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluice-mail/sluice/internal/userdb"
	"github.com/sluice-mail/sluice/maildir"
)

// rootResolver gives every user a Maildir under root.
type rootResolver struct{ root string }

func (r rootResolver) Resolve(_ context.Context, addr string) (userdb.Recipient, error) {
	local, _, _ := strings.Cut(addr, "@")
	return userdb.Recipient{Address: addr, User: local, MailRoot: filepath.Join(r.root, local, "Maildir"), UID: -1, GID: -1}, nil
}

func TestMaildirStoreOverLMTP(t *testing.T) {
	root := t.TempDir()
	store := &MaildirStore{Options: maildir.Options{Hostname: "mx.test", Quota: maildir.Quota{Messages: 1}}}
	ts := startServer(t, "unix", ServerOptions{}, rootResolver{root}, &KeepAgent{Store: store})
	c := ts.lhlo(t)
	for _, want := range []string{"250 2.0.0 <a@example.org>", "552 5.2.2 <a@example.org>"} {
		c.send("MAIL FROM:<s@example.net>", "RCPT TO:<a@example.org>", "DATA")
		c.expect("250 ")
		c.expect("250 ")
		c.expect("354 ")
		c.sendRaw(dataBody(testMsg))
		c.expect(want)
	}
	ents, err := os.ReadDir(filepath.Join(root, "a", "Maildir", "new"))
	if err != nil || len(ents) != 1 {
		t.Fatalf("new/: %v %v", ents, err)
	}
	b, err := os.ReadFile(filepath.Join(root, "a", "Maildir", "new", ents[0].Name()))
	if err != nil {
		t.Fatal(err)
	}
	if want := "Return-Path: <s@example.net>\nDelivered-To: <a@example.org>\n" + testMsg; string(b) != want {
		t.Errorf("stored %q, want %q", b, want)
	}
}

func TestMaildirStoreErrors(t *testing.T) {
	ctx := context.Background()
	s := &MaildirStore{}
	tests := []struct {
		name string
		rcpt userdb.Recipient
		box  string
		want string
	}{
		{"no mail root", userdb.Recipient{User: "x"}, "INBOX", "451 4.3.0"},
		{"unknown layout", userdb.Recipient{User: "x", MailRoot: t.TempDir(), MailLayout: "mbox"}, "INBOX", "451 4.3.0"},
		{"relative root", userdb.Recipient{User: "x", MailRoot: "rel/Maildir"}, "INBOX", "451 4.3.0"},
		{"missing folder", userdb.Recipient{User: "x", MailRoot: t.TempDir()}, "Nope", "451 4.3.0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.Store(ctx, tt.rcpt, tt.box, StoreOptions{}, strings.NewReader("Subject: x\n\nbody\n"))
			if err == nil {
				t.Fatal("no error")
			}
			if got := replyString(Reply(err)); !strings.HasPrefix(got, tt.want) {
				t.Errorf("Reply = %q, want %s", got, tt.want)
			}
		})
	}
	st, err := s.Store(ctx, userdb.Recipient{User: "x", MailRoot: t.TempDir(), MailLayout: "fs"}, "Lists/Go", StoreOptions{Create: true, Flags: []string{`\Seen`}}, strings.NewReader("Subject: x\n\nbody\n"))
	if err != nil || st.Mailbox == "" || st.Path == "" || st.Size == 0 {
		t.Errorf("fs layout store = %+v, %v", st, err)
	}
}
