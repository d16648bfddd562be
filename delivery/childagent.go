package delivery

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/sluice-mail/sluice/internal/state"
	"github.com/sluice-mail/sluice/internal/userdb"
)

// ChildAgent delivers each recipient who has a uid of their own, other
// than the server's, in a child process running as that user: a process
// cannot switch the uid of one goroutine, and a user's symlinks, folders
// and scripts must only reach what that user may reach. Other recipients
// go to Local in this process.
//
// The child (see ServeChild) gets the envelope and Setup over a socket on
// its file descriptor 3, the message on its standard input, and sends back
// its log records and the outcome. Its vacation and redirect memory stays
// in State, which the child reaches through the same socket and only for
// its own user. The reply for the recipient is the one an in-process
// delivery would give; a child that crashes, is killed or runs out of
// Timeout gives 451 4.3.0. A child that ends without an outcome is judged
// by its exit status, as dovecot-lda's: 67 unknown user (550 5.1.1), 77
// rejected (550 5.7.1 with its last stderr line), anything else 451 4.3.0.
type ChildAgent struct {
	// Local delivers the recipients that stay in this process.
	Local Agent
	// Command makes the child process for d: path, arguments,
	// environment and credentials (SysProcAttr). The ChildAgent sets its
	// standard input, output and error and ExtraFiles.
	Command func(ctx context.Context, d *Delivery) (*exec.Cmd, error)
	// Setup is JSON handed to the child's ChildBuild as is (sluice: the
	// server's configuration).
	Setup []byte
	// State answers the child's state store calls; nil answers them with
	// state.ErrUnavailable.
	State state.Store
	// Timeout bounds one child; 0 means only ctx does.
	Timeout time.Duration
	// AllowRoot lets a recipient without a uid of their own be delivered
	// in this process when it runs as root. Without it such a recipient
	// gets 451 4.3.0 and an error in the log.
	AllowRoot bool
	// UID is the server's uid; nil means os.Getuid.
	UID func() int
	// MaxUserDeliveries bounds the children running at once for one user
	// (each child's own agent sees only its delivery); the excess gets
	// 451 4.3.0 as in SieveAgent. 0 means no limit.
	MaxUserDeliveries int
	// Logger receives the child's log records; nil discards them.
	Logger *slog.Logger

	limitOnce sync.Once
	limiter   *userLimiter
}

var _ Agent = (*ChildAgent)(nil)

// ErrRootDelivery means a delivery would have run as root and that is not
// allowed.
var ErrRootDelivery = errors.New("refusing to deliver as root: the user has no uid of their own (set server.user, or server.allow_root)")

// Deliver runs d in a child when the recipient's uid is set and differs
// from the server's, else in Local.
func (a *ChildAgent) Deliver(ctx context.Context, d *Delivery) (Outcome, error) {
	self := os.Getuid()
	if a.UID != nil {
		self = a.UID()
	}
	uid := d.Recipient.UID
	switch {
	case uid >= 0 && uid != self:
		return a.deliverChild(ctx, d)
	case self == 0 && uid != 0 && !a.AllowRoot:
		// uid < 0: the user database gave no uid, so the copy would be
		// written by and as root. A recipient whose uid is 0 is root's
		// own mail and stays allowed.
		return Outcome{}, &TempError{Reason: "Temporary internal error", Err: ErrRootDelivery}
	}
	return a.Local.Deliver(ctx, d)
}

func (a *ChildAgent) logger() *slog.Logger {
	if a.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return a.Logger
}

// maxStderr is how much of the end of a child's stderr is kept.
const maxStderr = 4 << 10

func (a *ChildAgent) deliverChild(ctx context.Context, d *Delivery) (Outcome, error) {
	user := d.Recipient.User
	a.limitOnce.Do(func() {
		max := a.MaxUserDeliveries
		if max <= 0 {
			max = -1
		}
		a.limiter = &userLimiter{max: max, n: map[string]int{}}
	})
	if !a.limiter.acquire(user) {
		return Outcome{}, &TempError{Reason: "Too many concurrent deliveries for this user", Err: ErrTooManyDeliveries}
	}
	defer a.limiter.release(user)
	fail := func(format string, args ...any) error {
		return &ChildError{User: user, Detail: fmt.Sprintf(format, args...)}
	}
	if a.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, a.Timeout)
		defer cancel()
	}
	cmd, err := a.Command(ctx, d)
	if err != nil {
		return Outcome{}, fail("%v", err)
	}
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return Outcome{}, fail("socketpair: %v", err)
	}
	ours, theirs := os.NewFile(uintptr(fds[0]), "child-conn"), os.NewFile(uintptr(fds[1]), "child-conn")
	defer theirs.Close()
	conn, err := net.FileConn(ours)
	ours.Close()
	if err != nil {
		return Outcome{}, fail("socket: %v", err)
	}
	defer conn.Close()

	stderr := &tailBuffer{max: maxStderr}
	cmd.Stdin = d.Message.spool.Reader()
	cmd.Stdout, cmd.Stderr = stderr, stderr
	cmd.ExtraFiles = []*os.File{theirs}
	// Bound the copy of stdin and stderr after the child is gone (it may
	// have left a process holding them).
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		return Outcome{}, fail("start: %v", err)
	}
	theirs.Close()
	stop := context.AfterFunc(ctx, func() {
		_ = cmd.Process.Kill()
		_ = conn.Close()
	})
	res, convErr := a.converse(ctx, newWireConn(conn), d, cmd.Process.Pid)
	conn.Close()
	waitErr := cmd.Wait()
	stop()

	switch {
	case ctx.Err() != nil:
		return Outcome{}, fail("stopped (%v) after %s", context.Cause(ctx), cmd.ProcessState)
	case res != nil:
		// As the in-process agent: what was stored is reported with the
		// error too, for the log line.
		out := Outcome{Stored: res.Stored, Discarded: res.Discarded, Reject: res.Reject, Actions: res.Actions}
		if res.Err != nil {
			return out, res.Err.err(user)
		}
		return out, nil
	}
	// No outcome: judge by the exit status, as an MTA judges dovecot-lda.
	why := oneLineTail(stderr.String())
	detail := fmt.Sprintf("%v (%s)", cmd.ProcessState, why)
	if convErr != nil {
		detail = fmt.Sprintf("%s: %v", detail, convErr)
	}
	var exit *exec.ExitError
	if errors.As(waitErr, &exit) {
		switch exit.ExitCode() {
		case exitNoUser:
			return Outcome{}, &ChildError{User: user, Detail: detail, Err: userdb.ErrUnknownUser}
		case exitNoPerm:
			return Outcome{}, &RejectError{Reason: strings.TrimPrefix(why, "sluice: ")}
		}
	}
	return Outcome{}, &ChildError{User: user, Detail: detail}
}

// sysexits codes of the LDA path.
const (
	exitNoUser = 67
	exitNoPerm = 77
)

// converse sends the job and answers the child until it sends its
// outcome or goes away.
func (a *ChildAgent) converse(ctx context.Context, c *wireConn, d *Delivery, pid int) (*wireResult, error) {
	if err := c.send(&wireMsg{Job: newWireJob(d, a.Setup)}); err != nil {
		return nil, fmt.Errorf("sending the job: %w", err)
	}
	log := a.logger().With(slog.Int("child_pid", pid), slog.String("user", d.Recipient.User), slog.String("session", d.SessionID))
	for {
		m, err := c.recv()
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		switch {
		case m.Result != nil:
			return m.Result, nil
		case m.Log != nil:
			attrs := make([]slog.Attr, 0, len(m.Log.Attrs))
			for k, v := range m.Log.Attrs {
				attrs = append(attrs, slog.String(k, v))
			}
			log.LogAttrs(ctx, m.Log.Level, m.Log.Msg, attrs...)
		case m.State != nil:
			if err := c.send(&wireMsg{StateReply: a.answerState(ctx, d.Recipient.User, m.State)}); err != nil {
				return nil, err
			}
		}
	}
}

// answerState runs one state call of a child, for its own user only: a
// child runs code its user controls and must not read or set another
// user's records.
func (a *ChildAgent) answerState(ctx context.Context, user string, s *wireState) *wireStateReply {
	if s.User != user {
		return &wireStateReply{Invalid: true, Err: fmt.Sprintf("state record of user %q asked for by the delivery process of %q", s.User, user)}
	}
	if a.State == nil {
		return &wireStateReply{Err: "no state store"}
	}
	key := state.Key{User: s.User, Kind: s.Kind, ID: s.ID}
	var (
		res bool
		err error
	)
	switch s.Op {
	case opSeen:
		res, err = a.State.Seen(ctx, key)
	case opMark:
		err = a.State.Mark(ctx, key, time.Duration(s.TTL))
	case opMarkIfAbsent:
		res, err = a.State.MarkIfAbsent(ctx, key, time.Duration(s.TTL))
	default:
		return &wireStateReply{Invalid: true, Err: fmt.Sprintf("unknown state operation %q", s.Op)}
	}
	if err != nil {
		return &wireStateReply{Err: err.Error(), Invalid: errors.Is(err, state.ErrInvalid)}
	}
	return &wireStateReply{Result: res}
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if over := len(t.b) - t.max; over > 0 {
		t.b = append(t.b[:0], t.b[over:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.b)
}

// oneLineTail is the last non-empty line of s, made safe for a log or
// reply line.
func oneLineTail(s string) string {
	lines := strings.Split(strings.TrimSpace(string(bytes.ToValidUTF8([]byte(s), nil))), "\n")
	return sanitizeLine(lines[len(lines)-1], maxReasonLen)
}
