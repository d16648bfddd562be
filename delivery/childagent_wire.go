package delivery

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"

	"github.com/emersion/go-smtp"

	"github.com/sluice-mail/sluice/internal/userdb"
)

// The conversation between a ChildAgent and its child runs over one
// stream socket (the child's file descriptor 3), one JSON object per
// line. The message itself goes to the child's standard input.
//
//	server → child  {"job": ...}                      once, first
//	child → server  {"state": ...}                    a state store call
//	server → child  {"state_reply": ...}              its answer
//	child → server  {"log": ...}                      a log record
//	child → server  {"result": ...}                   once, last
type wireMsg struct {
	Job        *wireJob        `json:"job,omitempty"`
	State      *wireState      `json:"state,omitempty"`
	StateReply *wireStateReply `json:"state_reply,omitempty"`
	Log        *wireLog        `json:"log,omitempty"`
	Result     *wireResult     `json:"result,omitempty"`
}

// wireJob is one recipient's delivery without the message body.
type wireJob struct {
	SessionID         string           `json:"session_id"`
	Sender            string           `json:"sender"`
	Recipient         userdb.Recipient `json:"recipient"`
	OriginalRecipient string           `json:"original_recipient,omitempty"`
	RemoteAddr        string           `json:"remote_addr,omitempty"`
	LHLO              string           `json:"lhlo,omitempty"`
	UTF8              bool             `json:"utf8,omitempty"`
	Body              string           `json:"body,omitempty"`
	DefaultMailbox    string           `json:"default_mailbox,omitempty"`
	// Prefix is the per-recipient header lines; the spool follows on stdin.
	Prefix string `json:"prefix"`
	// Setup is ChildAgent.Setup, handed to the child's ChildBuild.
	Setup json.RawMessage `json:"setup,omitempty"`
}

func newWireJob(d *Delivery, setup []byte) *wireJob {
	return &wireJob{
		SessionID: d.SessionID, Sender: d.Sender, Recipient: d.Recipient,
		OriginalRecipient: d.OriginalRecipient, RemoteAddr: d.RemoteAddr, LHLO: d.LHLO,
		UTF8: d.UTF8, Body: d.Body, DefaultMailbox: d.DefaultMailbox,
		Prefix: d.Message.prefix, Setup: setup,
	}
}

// delivery rebuilds the Delivery around the child's own spool.
func (j *wireJob) delivery(sp *Spool) *Delivery {
	return &Delivery{
		SessionID: j.SessionID, Sender: j.Sender, Recipient: j.Recipient,
		OriginalRecipient: j.OriginalRecipient, RemoteAddr: j.RemoteAddr, LHLO: j.LHLO,
		UTF8: j.UTF8, Body: j.Body, DefaultMailbox: j.DefaultMailbox,
		Message: NewMessage(j.Prefix, sp, readHeader(sp.Reader())),
	}
}

// State store operations.
const (
	opSeen         = "seen"
	opMark         = "mark"
	opMarkIfAbsent = "mark_if_absent"
)

type wireState struct {
	Op   string `json:"op"`
	User string `json:"user"`
	Kind string `json:"kind"`
	ID   string `json:"id"`
	TTL  int64  `json:"ttl_ns,omitempty"`
}

type wireStateReply struct {
	Result bool   `json:"result"`
	Err    string `json:"err,omitempty"`
	// Invalid marks an error wrapping state.ErrInvalid; any other error
	// wraps state.ErrUnavailable.
	Invalid bool `json:"invalid,omitempty"`
}

type wireLog struct {
	Level slog.Level        `json:"level"`
	Msg   string            `json:"msg"`
	Attrs map[string]string `json:"attrs,omitempty"`
}

type wireResult struct {
	Stored    []Stored   `json:"stored,omitempty"`
	Discarded bool       `json:"discarded,omitempty"`
	Reject    string     `json:"reject,omitempty"`
	Actions   []string   `json:"actions,omitempty"`
	Err       *wireError `json:"err,omitempty"`
}

// Kinds of wireError: the error classes whose reply depends on the
// server's ReplyPolicy or that callers test with errors.Is/As.
const (
	errKindReject      = "reject"
	errKindUnknownUser = "unknown_user"
	errKindQuota       = "quota"
	errKindTooBig      = "too_big"
	errKindReply       = "reply"
)

// wireError carries a delivery error from the child: its class, the
// text for the log, and the reply the child's default policy gives it.
type wireError struct {
	Kind     string `json:"kind"`
	Detail   string `json:"detail"`
	Reason   string `json:"reason,omitempty"`
	Mailbox  string `json:"mailbox,omitempty"`
	Code     int    `json:"code"`
	Enhanced [3]int `json:"enhanced"`
	Message  string `json:"message"`
}

func newWireError(err error) *wireError {
	rep := ReplyPolicy{}.reply(err)
	w := &wireError{Kind: errKindReply, Detail: err.Error(), Code: rep.Code, Enhanced: rep.EnhancedCode, Message: rep.Message}
	var (
		rej   *RejectError
		quota *QuotaError
	)
	switch {
	case errors.As(err, &rej):
		w.Kind, w.Reason = errKindReject, rej.Reason
	case errors.Is(err, userdb.ErrUnknownUser):
		w.Kind = errKindUnknownUser
	case errors.Is(err, ErrMessageTooBig):
		w.Kind = errKindTooBig
	case errors.As(err, &quota):
		w.Kind, w.Mailbox = errKindQuota, quota.Mailbox
	}
	return w
}

// err turns w back into an error that gives, under the server's
// ReplyPolicy, the reply the error gave in the child.
func (w *wireError) err(user string) error {
	ce := &ChildError{User: user, Detail: w.Detail}
	switch w.Kind {
	case errKindReject:
		return &RejectError{Reason: w.Reason}
	case errKindUnknownUser:
		ce.Err = userdb.ErrUnknownUser
	case errKindTooBig:
		ce.Err = ErrMessageTooBig
	case errKindQuota:
		return &QuotaError{Mailbox: w.Mailbox, Err: ce}
	default:
		if w.Code < 400 || w.Code > 599 {
			return ce // not a failure reply: 451 4.3.0
		}
		ce.Err = &smtp.SMTPError{Code: w.Code, EnhancedCode: smtp.EnhancedCode(w.Enhanced), Message: w.Message}
	}
	return ce
}

// ChildError is a delivery that failed in, or because of, the child
// process of a ChildAgent. Detail is for the log; Err, when set, decides
// the reply (see ReplyPolicy.Reply), else it is 451 4.3.0.
type ChildError struct {
	User   string
	Detail string
	Err    error
}

func (e *ChildError) Error() string {
	return fmt.Sprintf("delivery process for %s: %s", e.User, e.Detail)
}

func (e *ChildError) Unwrap() error { return e.Err }

// maxWireLine bounds one line of the conversation.
const maxWireLine = 4 << 20

// wireConn reads and writes the lines of the conversation. Writes may
// come from several goroutines.
type wireConn struct {
	r  *bufio.Scanner
	mu sync.Mutex
	w  io.Writer
}

func newWireConn(rw io.ReadWriter) *wireConn {
	sc := bufio.NewScanner(rw)
	sc.Buffer(make([]byte, 0, 64<<10), maxWireLine)
	return &wireConn{r: sc, w: rw}
}

func (c *wireConn) send(m *wireMsg) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	_, err = c.w.Write(append(b, '\n'))
	return err
}

// recv reads the next message; io.EOF at a clean end.
func (c *wireConn) recv() (*wireMsg, error) {
	if !c.r.Scan() {
		if err := c.r.Err(); err != nil {
			return nil, err
		}
		return nil, io.EOF
	}
	m := new(wireMsg)
	if err := json.Unmarshal(c.r.Bytes(), m); err != nil {
		return nil, fmt.Errorf("bad message from the other process: %w", err)
	}
	return m, nil
}
