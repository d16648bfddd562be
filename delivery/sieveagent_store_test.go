package delivery

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/sluice-mail/sluice/maildir"
)

func TestSieveAgentStore(t *testing.T) {
	tests := []struct {
		name   string
		script string // "" for none
		rcpt   string
		opts   func(*SieveOptions)
		reply  string
		boxes  []string // mailboxes holding a copy, sorted
		check  func(t *testing.T, e *sieveEnv)
	}{
		{name: "no script keeps", rcpt: "alice@example.org", reply: "250 ", boxes: []string{"INBOX"}},
		{name: "explicit keep", script: "keep;", rcpt: "alice@example.org", reply: "250 ", boxes: []string{"INBOX"}},
		{
			name:   "fileinto with flags and keywords",
			script: `require ["fileinto", "imap4flags", "mailbox"]; fileinto :create :flags ["\\Seen", "\\Flagged", "Work"] "Lists/Go";`,
			rcpt:   "alice@example.org", reply: "250 ", boxes: []string{"Lists.Go"},
			check: func(t *testing.T, e *sieveEnv) {
				m := e.mail("alice")[0]
				if !strings.HasSuffix(m.name, ":2,FSa") {
					t.Errorf("file name %q: want the :2,FSa suffix", m.name)
				}
				kw, err := os.ReadFile(filepath.Join(e.root("alice"), ".Lists.Go", "dovecot-keywords"))
				if err != nil || !strings.Contains(string(kw), "0 Work") {
					t.Errorf("dovecot-keywords = %q, %v; want \"0 Work\"", kw, err)
				}
			},
		},
		{
			name: "implicit keep with flags", script: `require "imap4flags"; addflag "\\Seen";`,
			rcpt: "alice@example.org", reply: "250 ", boxes: []string{"INBOX"},
			check: func(t *testing.T, e *sieveEnv) {
				if m := e.mail("alice")[0]; !strings.HasSuffix(m.name, ":2,S") {
					t.Errorf("file name %q: want :2,S", m.name)
				}
			},
		},
		{name: "missing folder without create", script: `require "fileinto"; fileinto "Missing";`, rcpt: "alice@example.org", reply: "250 ", boxes: []string{"INBOX"}},
		{name: "missing folder with create", script: `require ["fileinto", "mailbox"]; fileinto :create "New";`, rcpt: "alice@example.org", reply: "250 ", boxes: []string{"New"}},
		{
			name: "missing folder with autocreate and autosubscribe", script: `require "fileinto"; fileinto "Auto";`,
			rcpt: "alice@example.org", reply: "250 ", boxes: []string{"Auto"},
			opts: func(o *SieveOptions) { o.Autocreate, o.Autosubscribe = true, true },
			check: func(t *testing.T, e *sieveEnv) {
				b, _ := os.ReadFile(filepath.Join(e.root("alice"), "subscriptions"))
				if !strings.Contains(string(b), "Auto") {
					t.Errorf("subscriptions = %q, want Auto", b)
				}
			},
		},
		{name: "invalid folder name", script: `require ["fileinto", "mailbox"]; fileinto :create "a.b";`, rcpt: "alice@example.org", reply: "250 ", boxes: []string{"INBOX"}},
		{name: "discard", script: "discard;", rcpt: "alice@example.org", reply: "250 ", boxes: nil},
		{name: "two stores into one folder", script: `require ["fileinto", "mailbox", "copy"]; fileinto :create :copy "X"; fileinto :create "X"; fileinto :copy "INBOX";`,
			rcpt: "alice@example.org", reply: "250 ", boxes: []string{"INBOX", "X"}},
		{
			name: "save to detail mailbox", rcpt: "alice+lists@example.org", reply: "250 ", boxes: []string{"lists"},
			opts: func(o *SieveOptions) { o.SaveToDetailMailbox, o.Autocreate = true, true },
		},
		{
			name: "save to detail mailbox, not created", rcpt: "alice+lists@example.org", reply: "250 ", boxes: []string{"INBOX"},
			opts: func(o *SieveOptions) { o.SaveToDetailMailbox = true },
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newSieveEnv(t, tc.opts)
			if tc.script != "" {
				e.script("alice", tc.script)
			}
			e.sendOne("sender@example.net", tc.rcpt, testMail("store@example.net"), tc.reply)
			if got := e.boxes("alice"); !slices.Equal(got, tc.boxes) {
				t.Fatalf("stored in %v, want %v", got, tc.boxes)
			}
			if tc.check != nil {
				tc.check(t, e)
			}
		})
	}
}

func TestSieveAgentQuota(t *testing.T) {
	tests := []struct {
		name      string
		rule      string
		temporary bool
		reply     string
	}{
		{"under quota", "*:storage=1M", false, "250 "},
		{"over storage quota", "*:bytes=10", false, "552 5.2.2"},
		{"over message quota", "*:messages=1", false, "552 5.2.2"},
		{"over quota, temporary", "*:bytes=10", true, "452 4.2.2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newSieveEnv(t, nil)
			if tc.temporary {
				e.ts.srv.policy.QuotaTemporary = true
			}
			e.res.extra["alice"] = map[string]string{"quota_rule": tc.rule}
			if tc.rule == "*:messages=1" {
				e.sendOne("sender@example.net", "alice@example.org", testMail("q0@example.net"), "250 ")
			}
			e.sendOne("sender@example.net", "alice@example.org", testMail("q1@example.net"), tc.reply)
		})
	}
	t.Run("default quota", func(t *testing.T) {
		e := newSieveEnv(t, func(o *SieveOptions) {
			o.Store = &MaildirStore{Options: maildir.Options{Hostname: "mx.test", Quota: maildir.Quota{Bytes: 10}}}
		})
		e.sendOne("sender@example.net", "alice@example.org", testMail("q2@example.net"), "552 5.2.2")
	})
}

func TestSieveAgentConcurrentCreate(t *testing.T) {
	e := newSieveEnv(t, func(o *SieveOptions) { o.MaxUserDeliveries = -1 })
	e.script("alice", `require ["fileinto", "mailbox"]; fileinto :create "Shared/New";`)
	const n = 20
	var wg sync.WaitGroup
	replies := make([]string, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			replies[i] = e.send("sender@example.net", []string{"alice@example.org"}, testMail(strings.Repeat("c", i+1)+"@example.net"))[0]
		}()
	}
	wg.Wait()
	for i, r := range replies {
		if !strings.HasPrefix(r, "250 ") {
			t.Errorf("delivery %d: %q", i, r)
		}
	}
	got := e.boxes("alice")
	if len(got) != n || slices.ContainsFunc(got, func(b string) bool { return b != "Shared.New" }) {
		t.Fatalf("stored in %v, want %d copies in Shared.New", got, n)
	}
}

func TestSieveAgentUserLimit(t *testing.T) {
	e := newSieveEnv(t, func(o *SieveOptions) { o.MaxUserDeliveries = 1 })
	if !e.agent.limiter.acquire("alice") {
		t.Fatal("first acquire refused")
	}
	e.sendOne("sender@example.net", "alice@example.org", testMail("l1@example.net"), "451 4.3.0")
	e.sendOne("sender@example.net", "bob@example.org", testMail("l2@example.net"), "250 ")
	e.agent.limiter.release("alice")
	e.sendOne("sender@example.net", "alice@example.org", testMail("l3@example.net"), "250 ")
}

func TestParseQuotaRule(t *testing.T) {
	tests := []struct {
		in      string
		want    maildir.Quota
		wantErr bool
	}{
		{"*:storage=1G", maildir.Quota{Bytes: 1 << 30}, false},
		{"*:storage=100", maildir.Quota{Bytes: 100 << 10}, false},
		{"*:storage=512M", maildir.Quota{Bytes: 512 << 20}, false},
		{"*:bytes=1000", maildir.Quota{Bytes: 1000}, false},
		{"*:messages=1000", maildir.Quota{Messages: 1000}, false},
		{"*:storage=1G messages=10", maildir.Quota{Bytes: 1 << 30, Messages: 10}, false},
		{"*:storage=1G:messages=10", maildir.Quota{Bytes: 1 << 30, Messages: 10}, false},
		{"*:storage=0", maildir.Quota{}, false},
		{"*:ignore", maildir.Quota{}, false},
		{"*:storage=+10M", maildir.Quota{}, true},
		{"*:storage=10%", maildir.Quota{}, true},
		{"Trash:storage=1G", maildir.Quota{}, true},
		{"storage=1G", maildir.Quota{}, true},
		{"*:storage=1X", maildir.Quota{}, true},
		{"*:storage=99999999999999T", maildir.Quota{}, true},
		{"*:frob=1", maildir.Quota{}, true},
		{"*:", maildir.Quota{}, true},
	}
	for _, tc := range tests {
		got, err := ParseQuotaRule(tc.in)
		if (err != nil) != tc.wantErr || got != tc.want {
			t.Errorf("ParseQuotaRule(%q) = %+v, %v; want %+v, error %v", tc.in, got, err, tc.want, tc.wantErr)
		}
	}
}

func FuzzParseQuotaRule(f *testing.F) {
	for _, s := range []string{"*:storage=1G", "*:messages=10 bytes=5", "*:ignore", "x", "*:storage=9223372036854775807k"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q, err := ParseQuotaRule(s)
		if err == nil && (q.Bytes < 0 || q.Messages < 0) {
			t.Fatalf("%q: negative quota %+v", s, q)
		}
	})
}

func ExampleParseQuotaRule() {
	q, err := ParseQuotaRule("*:storage=1G messages=10000")
	if err != nil {
		panic(err)
	}
	fmt.Println(q.Bytes, q.Messages)
	// Output: 1073741824 10000
}
