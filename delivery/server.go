package delivery

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/sluice-mail/sluice/internal/metrics"
	"github.com/sluice-mail/sluice/internal/userdb"
)

// Resolver maps an envelope recipient to a mail user. It returns an error
// wrapping userdb.ErrUnknownUser for an unknown user, ErrBadAddress for a
// malformed address; any other error is temporary.
type Resolver interface {
	Resolve(ctx context.Context, address string) (userdb.Recipient, error)
}

// ServerOptions configure an LMTP server.
type ServerOptions struct {
	// Hostname is used in the greeting, replies and Received lines
	// (default: os.Hostname()).
	Hostname string
	// MaxMessageBytes limits a message as received; 0 means no limit.
	MaxMessageBytes int64
	// MaxRecipients limits recipients per transaction; 0 means no limit.
	MaxRecipients int
	// MaxConnections limits concurrent connections; excess ones get
	// 421 4.3.2 and are closed. 0 means no limit.
	MaxConnections int
	// ReadTimeout and WriteTimeout bound each command read and reply
	// write; 0 means none.
	ReadTimeout, WriteTimeout time.Duration
	// AddReceived adds a Received line to every delivered copy.
	AddReceived bool
	// SpoolMemory is the in-memory spool threshold (see SpoolOptions).
	SpoolMemory int64
	// SpoolDir holds spool files for larger messages ("" = os.TempDir()).
	SpoolDir string
	// QuotaTemporary answers over-quota recipients with 452 4.2.2.
	QuotaTemporary bool
	// Logger receives all logs; nil discards them.
	Logger *slog.Logger
	// Metrics counts sessions and per-recipient outcomes and latency;
	// nil records nothing.
	Metrics *metrics.Metrics
	// Now returns the current time (default time.Now); for tests.
	Now func() time.Time
}

// ErrServerClosed is returned by Serve and Shutdown after Shutdown.
var ErrServerClosed = smtp.ErrServerClosed

// Server is an LMTP server. Create it with NewServer, start it with Serve
// on any number of listeners, stop it with Shutdown.
type Server struct {
	opts     ServerOptions
	resolver Resolver
	agent    Agent
	policy   ReplyPolicy
	log      *slog.Logger
	smtp     *smtp.Server

	// base is the parent of every session context; cancelled when a
	// shutdown gives up waiting.
	base       context.Context
	cancelBase context.CancelFunc

	mu        sync.Mutex
	shutdown  bool
	listeners map[*trackedListener]struct{}
	conns     map[*trackedConn]struct{}
}

// NewServer returns an LMTP server that resolves recipients with resolver
// and hands each recipient's copy to agent.
func NewServer(opts ServerOptions, resolver Resolver, agent Agent) (*Server, error) {
	if resolver == nil || agent == nil {
		return nil, errors.New("delivery: NewServer needs a resolver and an agent")
	}
	if opts.MaxMessageBytes < 0 || opts.MaxRecipients < 0 || opts.MaxConnections < 0 {
		return nil, errors.New("delivery: limits must not be negative")
	}
	if opts.Hostname == "" {
		h, err := os.Hostname()
		if err != nil {
			return nil, fmt.Errorf("delivery: hostname: %w", err)
		}
		opts.Hostname = h
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Server{
		opts:      opts,
		resolver:  resolver,
		agent:     agent,
		policy:    ReplyPolicy{QuotaTemporary: opts.QuotaTemporary},
		log:       opts.Logger,
		listeners: make(map[*trackedListener]struct{}),
		conns:     make(map[*trackedConn]struct{}),
	}
	s.base, s.cancelBase = context.WithCancel(context.Background())

	ss := smtp.NewServer(smtp.BackendFunc(s.newSession))
	ss.LMTP = true
	ss.Domain = opts.Hostname
	ss.MaxMessageBytes = opts.MaxMessageBytes
	ss.MaxRecipients = opts.MaxRecipients
	ss.ReadTimeout = opts.ReadTimeout
	ss.WriteTimeout = opts.WriteTimeout
	// go-smtp always advertises PIPELINING, 8BITMIME, ENHANCEDSTATUSCODES,
	// CHUNKING and SIZE after LHLO; SMTPUTF8 and the ORCPT parameter
	// (part of DSN, RFC 3461) need to be switched on.
	ss.EnableSMTPUTF8 = true
	ss.EnableDSN = true
	ss.ErrorLog = slogPrintf{s.log}
	s.smtp = ss
	return s, nil
}

// Serve accepts LMTP connections on ln until Shutdown is called or ctx is
// done, and then returns nil. Serve may be called for several listeners
// at once. It closes ln when it returns.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	tl := &trackedListener{Listener: ln, srv: s}
	s.mu.Lock()
	if s.shutdown {
		s.mu.Unlock()
		ln.Close()
		return ErrServerClosed
	}
	s.listeners[tl] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.listeners, tl)
		s.mu.Unlock()
		tl.Close()
	}()

	stop := context.AfterFunc(ctx, func() { tl.Close() })
	defer stop()

	s.log.LogAttrs(ctx, slog.LevelInfo, "listening", slog.String("addr", ln.Addr().String()))
	err := s.smtp.Serve(tl)
	if ctx.Err() != nil || s.isShutdown() || errors.Is(err, net.ErrClosed) {
		return nil
	}
	return fmt.Errorf("delivery: serving %s: %w", ln.Addr(), err)
}

// Shutdown stops accepting connections, closes idle ones with 421 4.3.2,
// lets transactions in progress finish (their replies are sent), and
// returns once every connection is gone. If ctx ends first, the remaining
// connections are cut, their deliveries cancelled, and ctx.Err() returned.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	if s.shutdown {
		s.mu.Unlock()
		return ErrServerClosed
	}
	s.shutdown = true
	lns := make([]*trackedListener, 0, len(s.listeners))
	for l := range s.listeners {
		lns = append(lns, l)
	}
	conns := make([]*trackedConn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()

	for _, l := range lns {
		l.Close()
	}
	for _, c := range conns {
		c.drain()
	}
	// go-smtp's Shutdown waits for every connection handler to return.
	err := s.smtp.Shutdown(ctx)
	if err != nil && ctx.Err() != nil {
		s.cancelBase()
		s.mu.Lock()
		for c := range s.conns {
			c.Conn.Close()
		}
		s.mu.Unlock()
		return ctx.Err()
	}
	s.cancelBase()
	return nil
}

func (s *Server) isShutdown() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.shutdown
}

// register tracks a new connection; false means over MaxConnections.
func (s *Server) register(c net.Conn) (*trackedConn, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.opts.MaxConnections > 0 && len(s.conns) >= s.opts.MaxConnections {
		return nil, false
	}
	tc := &trackedConn{Conn: c, srv: s}
	if s.shutdown {
		tc.draining = true
	}
	s.conns[tc] = struct{}{}
	return tc, true
}

func (s *Server) unregister(c *trackedConn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.conns, c)
}

// slogPrintf adapts go-smtp's Printf-style error log to slog.
type slogPrintf struct{ l *slog.Logger }

var _ smtp.Logger = slogPrintf{}

// go-smtp reports connection-level trouble here (a client that resets the
// connection, a TLS or read error): nothing about mail is lost at that
// point, so it is logged as a warning, not an error.
func (p slogPrintf) Printf(format string, v ...any) {
	p.l.Warn("lmtp: " + fmt.Sprintf(format, v...))
}

func (p slogPrintf) Println(v ...any) {
	p.l.Warn("lmtp: " + strings.TrimSuffix(fmt.Sprintln(v...), "\n"))
}

var _ io.Closer = (*trackedListener)(nil)
