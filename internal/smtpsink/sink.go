// Package smtpsink is an SMTP server (RFC 5321) for tests: it listens on
// 127.0.0.1, records every message it accepts, and can be told to refuse
// with a chosen reply code at any stage of the transaction, or to stop
// answering altogether, so that clients' error and timeout paths can be
// exercised against a real socket.
//
// It is built on github.com/emersion/go-smtp's server and advertises
// 8BITMIME, PIPELINING, ENHANCEDSTATUSCODES and (unless disabled) SMTPUTF8
// (RFC 6531).
package smtpsink

import (
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// Stage is a point in an SMTP conversation.
type Stage int

// Stages at which the sink can refuse or hang.
const (
	// StageConnect is right after the TCP connection is accepted, before
	// the 220 greeting. Only Hang applies.
	StageConnect Stage = iota
	// StageHello is the EHLO/HELO command.
	StageHello
	// StageMail is the MAIL FROM command.
	StageMail
	// StageRcpt is each RCPT TO command.
	StageRcpt
	// StageData is the end of the message data (after the final dot).
	StageData
)

func (s Stage) String() string {
	switch s {
	case StageConnect:
		return "connect"
	case StageHello:
		return "hello"
	case StageMail:
		return "mail"
	case StageRcpt:
		return "rcpt"
	case StageData:
		return "data"
	}
	return fmt.Sprintf("Stage(%d)", int(s))
}

// Message is one message the sink accepted.
type Message struct {
	// From is the envelope sender ("" for the null sender).
	From string
	// To are the accepted envelope recipients, in RCPT order.
	To []string
	// Data is the message as received, with CRLF line endings and the
	// dot-stuffing removed.
	Data []byte
	// UTF8 reports whether MAIL FROM carried the SMTPUTF8 parameter.
	UTF8 bool
	// TLS reports whether the message came over a STARTTLS-protected
	// connection.
	TLS bool
}

// Option configures a Sink.
type Option func(*config)

type config struct {
	refuse      map[Stage]int
	refuseRcpt  map[string]int
	hang        map[Stage]bool
	noSMTPUTF8  bool
	maxMsgBytes int64
	tls         *tls.Config
}

// Refuse makes the sink answer code (e.g. 451 or 550) at stage, which must
// be StageHello, StageMail, StageRcpt (every recipient) or StageData.
func Refuse(stage Stage, code int) Option {
	return func(c *config) { c.refuse[stage] = code }
}

// RefuseRcpt makes the sink answer code to RCPT TO for the given addresses
// only (compared case-insensitively).
func RefuseRcpt(code int, addrs ...string) Option {
	return func(c *config) {
		for _, a := range addrs {
			c.refuseRcpt[strings.ToLower(a)] = code
		}
	}
}

// Hang makes the sink stop answering at stage until the test ends, as a
// stuck relay would. At StageData it reads the message and never replies.
func Hang(stage Stage) Option {
	return func(c *config) { c.hang[stage] = true }
}

// WithoutSMTPUTF8 stops the sink from advertising SMTPUTF8.
func WithoutSMTPUTF8() Option {
	return func(c *config) { c.noSMTPUTF8 = true }
}

// MaxMessageBytes sets the SIZE limit the sink advertises and enforces.
func MaxMessageBytes(n int64) Option {
	return func(c *config) { c.maxMsgBytes = n }
}

// Sink is a running test SMTP server.
type Sink struct {
	cfg    config
	server *smtp.Server
	ln     net.Listener
	done   chan struct{} // closed when the test ends; releases hung sessions

	mu       sync.Mutex
	msgs     []Message
	changed  chan struct{} // closed and replaced when msgs grows
	conns    int
	held     []net.Conn // connections hung at StageConnect
	stopping bool
}

// Start runs a sink on 127.0.0.1 on a free port and stops it when the test
// ends.
func Start(t testing.TB, opts ...Option) *Sink {
	t.Helper()
	cfg := config{refuse: map[Stage]int{}, refuseRcpt: map[string]int{}, hang: map[Stage]bool{}}
	for _, o := range opts {
		o(&cfg)
	}
	if _, ok := cfg.refuse[StageConnect]; ok {
		t.Fatalf("smtpsink: Refuse(StageConnect) is not supported; use Hang")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("smtpsink: listen: %v", err)
	}
	s := &Sink{cfg: cfg, ln: ln, done: make(chan struct{}), changed: make(chan struct{})}
	srv := smtp.NewServer(smtp.BackendFunc(s.newSession))
	srv.Domain = "sink.test"
	srv.EnableSMTPUTF8 = !cfg.noSMTPUTF8
	srv.MaxMessageBytes = cfg.maxMsgBytes
	srv.ErrorLog = discardLogger{}
	srv.TLSConfig = cfg.tls
	s.server = srv

	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = srv.Serve(&countingListener{Listener: ln, sink: s})
	}()
	t.Cleanup(func() {
		close(s.done)
		s.mu.Lock()
		s.stopping = true
		for _, c := range s.held {
			c.Close()
		}
		s.mu.Unlock()
		_ = srv.Close()
		<-served
	})
	return s
}

// Addr is the sink's host:port.
func (s *Sink) Addr() string { return s.ln.Addr().String() }

// Messages returns a copy of the messages accepted so far, in order.
func (s *Sink) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.msgs)
}

// Connections is the number of TCP connections accepted so far.
func (s *Sink) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conns
}

// WaitFor waits until at least n messages were accepted and returns them,
// or returns nil and false if that does not happen within timeout.
func (s *Sink) WaitFor(n int, timeout time.Duration) ([]Message, bool) {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		s.mu.Lock()
		if len(s.msgs) >= n {
			msgs := slices.Clone(s.msgs)
			s.mu.Unlock()
			return msgs, true
		}
		changed := s.changed
		s.mu.Unlock()
		select {
		case <-changed:
		case <-timer.C:
			return nil, false
		case <-s.done:
			return nil, false
		}
	}
}

func (s *Sink) add(m Message) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.msgs = append(s.msgs, m)
	close(s.changed)
	s.changed = make(chan struct{})
}

// hangIfAsked blocks until the test ends when the sink should hang at stage.
func (s *Sink) hangIfAsked(stage Stage) error {
	if !s.cfg.hang[stage] {
		return nil
	}
	<-s.done
	return errors.New("sink stopped")
}

func (s *Sink) refusal(stage Stage) error {
	code, ok := s.cfg.refuse[stage]
	if !ok {
		return nil
	}
	return refuseErr(code, stage)
}

func refuseErr(code int, stage Stage) *smtp.SMTPError {
	return &smtp.SMTPError{
		Code:         code,
		EnhancedCode: smtp.EnhancedCode{code / 100, 0, 0},
		Message:      fmt.Sprintf("refused at %s by test sink", stage),
	}
}

func (s *Sink) newSession(c *smtp.Conn) (smtp.Session, error) {
	if err := s.hangIfAsked(StageHello); err != nil {
		return nil, err
	}
	if err := s.refusal(StageHello); err != nil {
		return nil, err
	}
	return &session{sink: s, conn: c}, nil
}

type session struct {
	sink *Sink
	conn *smtp.Conn
	msg  Message
}

var _ smtp.Session = (*session)(nil)

func (ss *session) Reset()        { ss.msg = Message{} }
func (ss *session) Logout() error { return nil }

func (ss *session) Mail(from string, opts *smtp.MailOptions) error {
	if err := ss.sink.hangIfAsked(StageMail); err != nil {
		return err
	}
	if err := ss.sink.refusal(StageMail); err != nil {
		return err
	}
	ss.msg = Message{From: from, UTF8: opts != nil && opts.UTF8}
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if err := ss.sink.hangIfAsked(StageRcpt); err != nil {
		return err
	}
	if err := ss.sink.refusal(StageRcpt); err != nil {
		return err
	}
	if code, ok := ss.sink.cfg.refuseRcpt[strings.ToLower(to)]; ok {
		return refuseErr(code, StageRcpt)
	}
	ss.msg.To = append(ss.msg.To, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	var buf bytes.Buffer
	if _, err := io.Copy(&buf, r); err != nil {
		return err
	}
	if err := ss.sink.hangIfAsked(StageData); err != nil {
		return err
	}
	if err := ss.sink.refusal(StageData); err != nil {
		return err
	}
	m := ss.msg
	m.To = slices.Clone(m.To)
	m.Data = buf.Bytes()
	_, m.TLS = ss.conn.TLSConnectionState()
	ss.sink.add(m)
	return nil
}

// countingListener counts connections and holds back those that should
// hang before the greeting.
type countingListener struct {
	net.Listener
	sink *Sink
}

func (l *countingListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		s := l.sink
		s.mu.Lock()
		s.conns++
		if !s.cfg.hang[StageConnect] {
			s.mu.Unlock()
			return c, nil
		}
		if s.stopping {
			c.Close()
		} else {
			s.held = append(s.held, c)
		}
		s.mu.Unlock()
	}
}

type discardLogger struct{}

func (discardLogger) Printf(string, ...any) {}
func (discardLogger) Println(...any)        {}
