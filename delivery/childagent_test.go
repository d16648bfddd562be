package delivery

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sluice-mail/sluice/internal/state"
	"github.com/sluice-mail/sluice/internal/userdb"
)

// childHelperEnv makes the test binary act as a delivery child.
const childHelperEnv = "SLUICE_CHILDAGENT_HELPER"

// TestChildHelperProcess is not a test: it is the child process the
// ChildAgent tests start (the test binary run again with childHelperEnv).
func TestChildHelperProcess(t *testing.T) {
	if os.Getenv(childHelperEnv) == "" {
		t.Skip("only runs as the child of the ChildAgent tests")
	}
	conn := os.NewFile(3, "conn")
	err := ServeChild(context.Background(), conn, os.Stdin, func(ctx context.Context, setup []byte, st state.Store, log *slog.Logger) (*ChildRuntime, error) {
		var s struct{ Dir string }
		if err := json.Unmarshal(setup, &s); err != nil {
			return nil, err
		}
		if s.Dir == "" {
			return nil, errors.New("no directory in the setup")
		}
		return &ChildRuntime{Agent: &helperAgent{dir: s.Dir, st: st, log: log}}, nil
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "sluice:", err)
		os.Exit(75)
	}
	os.Exit(0)
}

// helperAgent behaves according to the recipient's user name. The tests
// run it both in a child and in process and compare the replies.
type helperAgent struct {
	dir string
	st  state.Store
	log *slog.Logger
}

func (a *helperAgent) Deliver(ctx context.Context, d *Delivery) (Outcome, error) {
	switch d.Recipient.User {
	case "alice":
		b, err := io.ReadAll(d.Message.Open())
		if err != nil {
			return Outcome{}, err
		}
		p := filepath.Join(a.dir, "alice.eml")
		if err := os.WriteFile(p, b, 0o600); err != nil {
			return Outcome{}, &StorageError{Mailbox: "INBOX", Err: err}
		}
		if a.log != nil {
			a.log.Info("stored", "path", p, slog.Group("msg", "id", d.Message.MessageID()))
		}
		first, err := a.st.MarkIfAbsent(ctx, state.Key{User: "alice", Kind: state.KindVacation, ID: d.Sender}, time.Hour)
		if err != nil {
			return Outcome{}, err
		}
		return Outcome{Stored: []Stored{{Mailbox: "INBOX", Path: p, Size: int64(len(b))}}, Actions: []string{fmt.Sprintf("vacation first=%v", first)}}, nil
	case "snoop":
		_, err := a.st.Seen(ctx, state.Key{User: "alice", Kind: state.KindVacation, ID: d.Sender})
		return Outcome{Actions: []string{fmt.Sprintf("invalid=%v", errors.Is(err, state.ErrInvalid))}}, nil
	case "discard":
		return Outcome{Discarded: true, Actions: []string{"discard"}}, nil
	case "reject":
		return Outcome{Reject: "go away"}, nil
	case "rejecterr":
		return Outcome{}, fmt.Errorf("script: %w", &RejectError{Reason: "not here"})
	case "quota":
		return Outcome{}, &QuotaError{Mailbox: "INBOX", Err: syscall.EDQUOT}
	case "storage":
		return Outcome{}, &StorageError{Mailbox: "Work", Err: syscall.EACCES}
	case "nospace":
		return Outcome{}, &StorageError{Mailbox: "INBOX", Err: syscall.ENOSPC}
	case "gone":
		return Outcome{}, fmt.Errorf("lookup: %w", userdb.ErrUnknownUser)
	case "toobig":
		return Outcome{}, ErrMessageTooBig
	case "temp":
		return Outcome{}, &TempError{Reason: "Try again soon", Err: errors.New("disk hiccup")}
	case "plain":
		return Outcome{}, errors.New("something odd")
	case "panic":
		panic("boom")
	case "exit67":
		fmt.Fprintln(os.Stderr, "sluice: bob: user doesn't exist")
		os.Exit(67)
	case "exit77":
		fmt.Fprintln(os.Stderr, "sluice: Message refused by policy")
		os.Exit(77)
	case "exit75":
		fmt.Fprintln(os.Stderr, "sluice: cannot read the configuration")
		os.Exit(75)
	case "kill":
		_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
	case "sleep":
		<-ctx.Done()
		time.Sleep(time.Hour)
	}
	return Outcome{}, fmt.Errorf("helper: unknown user %q", d.Recipient.User)
}

// helperCommand starts the test binary as the child.
func helperCommand(ctx context.Context, d *Delivery) (*exec.Cmd, error) {
	cmd := exec.Command(os.Args[0], "-test.run=^TestChildHelperProcess$")
	cmd.Env = append(os.Environ(), childHelperEnv+"=1")
	return cmd, nil
}

func newHelperChildAgent(t *testing.T, st state.Store) (*ChildAgent, string) {
	t.Helper()
	dir := t.TempDir()
	setup, err := json.Marshal(map[string]string{"Dir": dir})
	if err != nil {
		t.Fatal(err)
	}
	return &ChildAgent{
		Local:   &helperAgent{dir: dir, st: st},
		Command: helperCommand,
		Setup:   setup,
		State:   st,
		Timeout: 30 * time.Second,
		UID:     func() int { return 0 },
		Logger:  testLogger(t),
	}, dir
}

func childDelivery(t *testing.T, user string, uid int) *Delivery {
	t.Helper()
	sp, err := NewSpool(strings.NewReader("Subject: hi\r\nMessage-ID: <m1@example.org>\r\n\r\nbody\r\n"), SpoolOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sp.Close() })
	return &Delivery{
		SessionID: "S1", Sender: "bob@example.net",
		Recipient: userdb.Recipient{Address: user + "@example.org", User: user, UID: uid, GID: uid},
		Message:   NewMessage("Delivered-To: <"+user+"@example.org>\n", sp, readHeader(sp.Reader())),
	}
}

func TestChildAgentStores(t *testing.T) {
	st := state.NewMemory()
	a, dir := newHelperChildAgent(t, st)
	for i, wantFirst := range []bool{true, false} {
		out, err := a.Deliver(context.Background(), childDelivery(t, "alice", 1000))
		if err != nil {
			t.Fatalf("delivery %d: %v", i, err)
		}
		b, err := os.ReadFile(filepath.Join(dir, "alice.eml"))
		if err != nil {
			t.Fatal(err)
		}
		const want = "Delivered-To: <alice@example.org>\nSubject: hi\nMessage-ID: <m1@example.org>\n\nbody\n"
		if string(b) != want {
			t.Errorf("stored %q, want %q", b, want)
		}
		if len(out.Stored) != 1 || out.Stored[0].Size != int64(len(want)) || out.Stored[0].Mailbox != "INBOX" {
			t.Errorf("outcome %+v", out)
		}
		// The vacation memory lives in the server's store.
		if got, want := strings.Join(out.Actions, ","), fmt.Sprintf("vacation first=%v", wantFirst); got != want {
			t.Errorf("delivery %d: actions %q, want %q", i, got, want)
		}
	}
}

func TestChildAgentStateOnlyForItsUser(t *testing.T) {
	a, _ := newHelperChildAgent(t, state.NewMemory())
	out, err := a.Deliver(context.Background(), childDelivery(t, "snoop", 1001))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(out.Actions, ","); got != "invalid=true" {
		t.Errorf("asking for another user's record: %q, want invalid=true", got)
	}
}

// TestChildAgentReplies checks that a delivery in a child gets the reply
// the same delivery gets in process, under both quota policies.
func TestChildAgentReplies(t *testing.T) {
	users := []string{"discard", "reject", "rejecterr", "quota", "storage", "nospace", "gone", "toobig", "temp", "plain", "panic"}
	for _, user := range users {
		t.Run(user, func(t *testing.T) {
			t.Parallel()
			a, _ := newHelperChildAgent(t, state.NewMemory())
			childOut, childErr := a.Deliver(context.Background(), childDelivery(t, user, 1000))
			localOut, localErr := deliverRecovering(a.Local, childDelivery(t, user, 1000))
			if childOut.Discarded != localOut.Discarded || childOut.Reject != localOut.Reject {
				t.Errorf("outcome in a child %+v, in process %+v", childOut, localOut)
			}
			for _, p := range []ReplyPolicy{{}, {QuotaTemporary: true}} {
				got, want := p.Reply(outcomeErr(childOut, childErr)), p.Reply(outcomeErr(localOut, localErr))
				if got.Error() != want.Error() || got.Code != want.Code || got.EnhancedCode != want.EnhancedCode {
					t.Errorf("policy %+v: reply in a child %d %v %q, in process %d %v %q (child error: %v)",
						p, got.Code, got.EnhancedCode, got.Message, want.Code, want.EnhancedCode, want.Message, childErr)
				}
				if p.ExitCode(childErr) != p.ExitCode(localErr) {
					t.Errorf("exit code in a child %d, in process %d", p.ExitCode(childErr), p.ExitCode(localErr))
				}
			}
		})
	}
}

// outcomeErr is the error the session answers for: a Reject outcome is
// a RejectError.
func outcomeErr(out Outcome, err error) error {
	if err == nil && out.Reject != "" {
		return &RejectError{Reason: out.Reject}
	}
	return err
}

// deliverRecovering is the in-process path: a panic is a temporary error.
func deliverRecovering(a Agent, d *Delivery) (out Outcome, err error) {
	defer func() {
		if p := recover(); p != nil {
			out, err = Outcome{}, fmt.Errorf("agent panic: %v", p)
		}
	}()
	return a.Deliver(context.Background(), d)
}

// TestChildAgentDeadChild covers children that end without an outcome.
func TestChildAgentDeadChild(t *testing.T) {
	tests := []struct {
		user    string
		timeout time.Duration
		code    int
		enh     [3]int
		msg     string
		detail  string
	}{
		{"exit67", 0, 550, [3]int{5, 1, 1}, "User doesn't exist", "exit status 67"},
		{"exit77", 0, 550, [3]int{5, 7, 1}, "Message refused by policy", ""},
		{"exit75", 0, 451, [3]int{4, 3, 0}, "Temporary internal error", "cannot read the configuration"},
		{"kill", 0, 451, [3]int{4, 3, 0}, "Temporary internal error", "signal: killed"},
		{"sleep", 300 * time.Millisecond, 451, [3]int{4, 3, 0}, "Temporary internal error", "deadline exceeded"},
	}
	for _, tc := range tests {
		t.Run(tc.user, func(t *testing.T) {
			t.Parallel()
			a, _ := newHelperChildAgent(t, nil)
			if tc.timeout > 0 {
				a.Timeout = tc.timeout
			}
			_, err := a.Deliver(context.Background(), childDelivery(t, tc.user, 1000))
			rep := Reply(err)
			if rep.Code != tc.code || [3]int(rep.EnhancedCode) != tc.enh || rep.Message != tc.msg {
				t.Errorf("reply %d %v %q, want %d %v %q (err %v)", rep.Code, rep.EnhancedCode, rep.Message, tc.code, tc.enh, tc.msg, err)
			}
			if !strings.Contains(err.Error(), tc.detail) {
				t.Errorf("error %q does not tell %q", err, tc.detail)
			}
		})
	}
}

func TestChildAgentBadSetup(t *testing.T) {
	a, _ := newHelperChildAgent(t, nil)
	a.Setup = []byte(`{}`)
	_, err := a.Deliver(context.Background(), childDelivery(t, "alice", 1000))
	if rep := Reply(err); rep.Code != 451 || !strings.Contains(err.Error(), "no directory in the setup") {
		t.Errorf("reply %v, error %v", rep, err)
	}
}

func TestChildAgentRouting(t *testing.T) {
	tests := []struct {
		name      string
		self, uid int
		allowRoot bool
		want      string // "child", "local" or "refused"
	}{
		{"other user", 0, 1000, false, "child"},
		{"same user", 1000, 1000, false, "local"},
		{"root's own mail", 0, 0, false, "local"},
		{"no uid, not root", 1000, -1, false, "local"},
		{"no uid, root", 0, -1, false, "refused"},
		{"no uid, root allowed", 0, -1, true, "local"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got string
			a := &ChildAgent{
				Local: agentFunc(func(context.Context, *Delivery) (Outcome, error) { got = "local"; return Outcome{}, nil }),
				Command: func(context.Context, *Delivery) (*exec.Cmd, error) {
					got = "child"
					return nil, errors.New("not started")
				},
				AllowRoot: tc.allowRoot,
				UID:       func() int { return tc.self },
			}
			_, err := a.Deliver(context.Background(), childDelivery(t, "alice", tc.uid))
			if errors.Is(err, ErrRootDelivery) {
				got = "refused"
			}
			if got != tc.want {
				t.Errorf("got %s, want %s (err %v)", got, tc.want, err)
			}
		})
	}
}

// rwPair reads from r and discards writes: the server's side of a child
// that says whatever r holds.
type rwPair struct{ io.Reader }

func (rwPair) Write(p []byte) (int, error) { return len(p), nil }

// userStore is a state.Store that records whose records were asked for.
type userStore struct {
	state.Store
	users map[string]bool
}

func (s *userStore) Seen(ctx context.Context, k state.Key) (bool, error) {
	s.users[k.User] = true
	return s.Store.Seen(ctx, k)
}

func (s *userStore) Mark(ctx context.Context, k state.Key, ttl time.Duration) error {
	s.users[k.User] = true
	return s.Store.Mark(ctx, k, ttl)
}

func (s *userStore) MarkIfAbsent(ctx context.Context, k state.Key, ttl time.Duration) (bool, error) {
	s.users[k.User] = true
	return s.Store.MarkIfAbsent(ctx, k, ttl)
}

// FuzzChildConversation feeds the server side arbitrary child output: it
// must not panic, and must answer state calls for the child's user only.
func FuzzChildConversation(f *testing.F) {
	f.Add([]byte(`{"state":{"op":"seen","user":"alice","kind":"vacation","id":"x"}}` + "\n" + `{"result":{"stored":[{"Mailbox":"INBOX"}]}}` + "\n"))
	f.Add([]byte(`{"state":{"op":"mark","user":"bob","kind":"vacation","id":"x","ttl_ns":1000000000}}` + "\n"))
	f.Add([]byte(`{"log":{"level":"INFO","msg":"hi","attrs":{"a":"b"}}}` + "\n" + `{"result":{"err":{"kind":"quota","code":552,"enhanced":[5,2,2]}}}` + "\n"))
	f.Add([]byte(`{"result":{"err":{"kind":"reply","code":999,"enhanced":[9,9,9],"message":"x"}}}` + "\n"))
	f.Add([]byte("not json\n"))
	f.Add([]byte(`{"result":{"err":{"kind":"reply","code":250,"enhanced":[2,0,0],"message":"ok"}}}` + "\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		st := &userStore{Store: state.NewMemory(), users: map[string]bool{}}
		a := &ChildAgent{State: st}
		sp, err := NewSpool(strings.NewReader("Subject: x\n\nbody\n"), SpoolOptions{})
		if err != nil {
			t.Fatal(err)
		}
		defer sp.Close()
		d := &Delivery{Recipient: userdb.Recipient{User: "alice", UID: 1000}, Message: NewMessage("", sp, readHeader(sp.Reader()))}
		res, _ := a.converse(context.Background(), newWireConn(rwPair{bytes.NewReader(data)}), d, 1)
		for u := range st.users {
			if u != "alice" {
				t.Errorf("state record of %q used for alice's child", u)
			}
		}
		if res != nil && res.Err != nil {
			err := res.Err.err("alice")
			if rep := Reply(err); rep.Code < 400 || rep.Code > 599 {
				t.Errorf("reply code %d from %+v", rep.Code, res.Err)
			}
		}
	})
}

func TestChildAgentUserLimit(t *testing.T) {
	a, _ := newHelperChildAgent(t, nil)
	a.MaxUserDeliveries = 1
	a.Timeout = 0
	// Make the limiter now, so that the test can watch it.
	a.limitOnce.Do(func() { a.limiter = &userLimiter{max: 1, n: map[string]int{}} })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := a.Deliver(ctx, childDelivery(t, "sleep", 1000))
		done <- err
	}()
	// Wait until the first child holds the user's only slot.
	for {
		a.limiter.mu.Lock()
		n := a.limiter.n["sleep"]
		a.limiter.mu.Unlock()
		if n == 1 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	_, err := a.Deliver(context.Background(), childDelivery(t, "sleep", 1000))
	if !errors.Is(err, ErrTooManyDeliveries) || Reply(err).Code != 451 {
		t.Errorf("second delivery: %v, want ErrTooManyDeliveries", err)
	}
	cancel()
	if err := <-done; err == nil {
		t.Error("cancelled delivery: want an error")
	}
}
