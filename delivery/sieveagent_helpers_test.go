package delivery

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sluice-mail/sluice/internal/outbound"
	"github.com/sluice-mail/sluice/internal/scripts"
	"github.com/sluice-mail/sluice/internal/smtpsink"
	"github.com/sluice-mail/sluice/internal/state"
	"github.com/sluice-mail/sluice/internal/userdb"
	"github.com/sluice-mail/sluice/sieve"
)

// sieveEnv is a running LMTP server with a SieveAgent over real Maildirs
// in a temporary directory, a Memory state store and an SMTP sink as the
// outgoing relay.
type sieveEnv struct {
	t     *testing.T
	dir   string
	ts    *testServer
	agent *SieveAgent
	sink  *smtpsink.Sink
	state *state.Memory
	res   *dirResolver
	// offset moves the clock of the agent and its state store forward.
	offset atomic.Int64
}

func (e *sieveEnv) now() time.Time { return time.Now().Add(time.Duration(e.offset.Load())) }

// advance moves the clock forward, e.g. past the expiry of a released
// claim (the state store counts in whole seconds).
func (e *sieveEnv) advance(d time.Duration) { e.offset.Add(int64(d)) }

// dirResolver resolves user[+detail]@domain to a home and Maildir under dir.
type dirResolver struct {
	dir   string
	mu    sync.Mutex
	extra map[string]map[string]string // user -> extra fields
}

func (r *dirResolver) Resolve(_ context.Context, address string) (userdb.Recipient, error) {
	local, domain, ok := strings.Cut(address, "@")
	if !ok || local == "" {
		return userdb.Recipient{}, ErrBadAddress
	}
	user, detail, _ := strings.Cut(local, "+")
	if strings.HasPrefix(user, "nobody") {
		return userdb.Recipient{}, userdb.ErrUnknownUser
	}
	r.mu.Lock()
	extra := r.extra[user]
	r.mu.Unlock()
	return userdb.Recipient{
		Address: address, User: user, Local: user, Domain: domain, Detail: detail,
		Home: filepath.Join(r.dir, "home", user), MailRoot: filepath.Join(r.dir, "mail", user),
		UID: -1, GID: -1, Extra: extra,
	}, nil
}

// newSieveEnv starts the server; mutate may change the agent's options.
func newSieveEnv(t *testing.T, mutate func(*SieveOptions)) *sieveEnv {
	t.Helper()
	return newSieveEnvSink(t, smtpsink.Start(t), mutate)
}

func newSieveEnvSink(t *testing.T, sink *smtpsink.Sink, mutate func(*SieveOptions)) *sieveEnv {
	t.Helper()
	dir := t.TempDir()
	for _, u := range []string{"alice", "bob"} {
		if err := os.MkdirAll(filepath.Join(dir, "home", u, "sieve"), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	e := &sieveEnv{t: t, dir: dir, sink: sink, res: &dirResolver{dir: dir, extra: map[string]map[string]string{}}}
	e.state = state.NewMemory(state.Options{Now: e.now})
	cache := NewScriptCache(sieve.Options{}, scripts.CacheOptions{Logger: testLogger(t)})
	t.Cleanup(func() { cache.Close() })
	opts := SieveOptions{
		Scripts:            cache,
		Sender:             &outbound.SMTPSender{Addr: sink.Addr(), HeloName: "mx.test"},
		State:              e.state,
		Hostname:           "mx.test",
		Version:            "test",
		RecipientDelimiter: "+",
		Logger:             testLogger(t),
		Now:                e.now,
	}
	if mutate != nil {
		mutate(&opts)
	}
	agent, err := NewSieveAgent(opts)
	if err != nil {
		t.Fatal(err)
	}
	e.agent = agent
	e.ts = startServer(t, "tcp", ServerOptions{}, e.res, agent)
	return e
}

func (e *sieveEnv) home(user string) string { return filepath.Join(e.dir, "home", user) }
func (e *sieveEnv) root(user string) string { return filepath.Join(e.dir, "mail", user) }

// script writes user's ~/.dovecot.sieve.
func (e *sieveEnv) script(user, src string) {
	e.t.Helper()
	writeFile(e.t, filepath.Join(e.home(user), ".dovecot.sieve"), src)
}

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}

// send delivers msg from sender to rcpts and returns one reply per rcpt.
func (e *sieveEnv) send(from string, rcpts []string, msg string) []string {
	e.t.Helper()
	cv := e.ts.lhlo(e.t)
	cv.send("MAIL FROM:<" + from + ">")
	cv.expect("250 ")
	for _, r := range rcpts {
		cv.send("RCPT TO:<" + r + ">")
		cv.expect("250 ")
	}
	cv.send("DATA")
	cv.expect("354 ")
	cv.sendRaw(dataBody(msg))
	var out []string
	for range rcpts {
		rep, err := cv.reply()
		if err != nil {
			e.t.Fatalf("reading reply: %v", err)
		}
		out = append(out, rep)
	}
	cv.send("QUIT")
	return out
}

// sendOne delivers msg to one recipient and checks the reply's prefix.
func (e *sieveEnv) sendOne(from, rcpt, msg, want string) string {
	e.t.Helper()
	rep := e.send(from, []string{rcpt}, msg)[0]
	if !strings.HasPrefix(rep, want) {
		e.t.Fatalf("reply for %s: got %q, want %q...", rcpt, rep, want)
	}
	return rep
}

// storedFile is one message file in a Maildir.
type storedFile struct {
	mailbox string // "INBOX" or the folder's directory name without the dot
	name    string
	body    string
}

// mail lists every message stored for user, sorted by mailbox.
func (e *sieveEnv) mail(user string) []storedFile {
	e.t.Helper()
	root := e.root(user)
	var out []storedFile
	boxes := map[string]string{"INBOX": root}
	if ents, err := os.ReadDir(root); err == nil {
		for _, en := range ents {
			if en.IsDir() && strings.HasPrefix(en.Name(), ".") {
				boxes[strings.TrimPrefix(en.Name(), ".")] = filepath.Join(root, en.Name())
			}
		}
	}
	for box, dir := range boxes {
		for _, sub := range []string{"new", "cur"} {
			ents, _ := os.ReadDir(filepath.Join(dir, sub))
			for _, en := range ents {
				b, err := os.ReadFile(filepath.Join(dir, sub, en.Name()))
				if err != nil {
					e.t.Fatal(err)
				}
				out = append(out, storedFile{mailbox: box, name: en.Name(), body: string(b)})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].mailbox < out[j].mailbox })
	return out
}

// boxes returns the mailboxes of user's stored messages, sorted.
func (e *sieveEnv) boxes(user string) []string {
	var out []string
	for _, m := range e.mail(user) {
		out = append(out, m.mailbox)
	}
	return out
}

// testMail is a small message with the given Message-ID and extra header
// fields.
func testMail(id string, headers ...string) string {
	h := ""
	for _, f := range headers {
		h += f + "\n"
	}
	return "From: Sender <sender@example.net>\nTo: alice@example.org\nSubject: test\nMessage-ID: <" + id + ">\n" + h + "\nhello\n"
}
