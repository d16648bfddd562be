package delivery

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"

	"github.com/emersion/go-smtp"

	"github.com/sluice-mail/sluice/internal/userdb"
)

// session is one LMTP connection after LHLO.
type session struct {
	srv    *Server
	tc     *trackedConn // nil when the connection did not come from Serve
	id     string
	ctx    context.Context
	cancel context.CancelFunc
	log    *slog.Logger
	remote string
	lhlo   string

	closeOnce sync.Once // the sessions-open gauge is lowered once

	mu sync.Mutex
	tx transaction
}

var (
	_ smtp.Session     = (*session)(nil)
	_ smtp.LMTPSession = (*session)(nil)
)

// transaction is the envelope of one MAIL..DATA exchange.
type transaction struct {
	from  string
	utf8  bool
	body  string                // BODY= parameter: "", "7BIT" or "8BITMIME"
	rcpts []*rcptEntry          // distinct recipients, in RCPT order
	index map[string]*rcptEntry // by address as given
	users map[string]*rcptEntry // by resolved user and detail
}

// rcptEntry is one accepted recipient address.
type rcptEntry struct {
	addr  string // as given in RCPT TO
	orcpt string // RFC 3461 ORCPT address, decoded
	rcpt  userdb.Recipient
	// names are the RCPT TO strings that named this recipient: the same
	// string repeated, or variants resolving to the same user and detail
	// (Alice@Example.ORG and alice@example.org). Each gets the reply.
	names []string
}

func (s *Server) newSession(c *smtp.Conn) (smtp.Session, error) {
	id, err := newSessionID()
	if err != nil {
		return nil, fmt.Errorf("session id: %w", err)
	}
	ctx, cancel := context.WithCancel(s.base)
	tc, _ := c.Conn().(*trackedConn)
	if tc != nil {
		tc.setSession(id)
	}
	sess := &session{
		srv:    s,
		tc:     tc,
		id:     id,
		ctx:    ctx,
		cancel: cancel,
		remote: remoteString(c.Conn().RemoteAddr()),
		lhlo:   c.Hostname(),
	}
	sess.log = s.log.With(slog.String("session", id))
	s.opts.Metrics.SessionOpened()
	sess.log.LogAttrs(ctx, slog.LevelDebug, "session open",
		slog.String("remote", sess.remote), slog.String("lhlo", sess.lhlo))
	return sess, nil
}

func newSessionID() (string, error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:]), nil
}

func remoteString(a net.Addr) string {
	if a == nil {
		return "local"
	}
	if ua, ok := a.(*net.UnixAddr); ok && (ua == nil || ua.Name == "" || ua.Name == "@") {
		return "local"
	}
	return a.String()
}

// Mail starts a transaction; from is "" for the null sender.
func (s *session) Mail(from string, opts *smtp.MailOptions) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	utf8 := opts != nil && opts.UTF8
	if !utf8 && !isASCII(from) {
		s.tx = transaction{}
		return s.srv.policy.Reply(ErrNeedsSMTPUTF8)
	}
	s.tx = transaction{from: from}
	if opts != nil {
		s.tx.utf8, s.tx.body = opts.UTF8, string(opts.Body)
	}
	if s.tc != nil {
		s.tc.setBusy(true)
		s.tc.holdReplies()
	}
	return nil
}

// Rcpt resolves one recipient. A repeated address is accepted without a
// new lookup and delivered once; every RCPT naming it gets the same reply.
func (s *session) Rcpt(to string, opts *smtp.RcptOptions) error {
	if s.tc != nil {
		s.tc.holdReplies()
	}
	s.mu.Lock()
	if !s.tx.utf8 && !isASCII(to) {
		s.mu.Unlock()
		return s.srv.policy.Reply(ErrNeedsSMTPUTF8)
	}
	if e := s.tx.index[to]; e != nil {
		e.names = append(e.names, to)
		s.mu.Unlock()
		return nil
	}
	s.mu.Unlock()

	rcpt, err := s.srv.resolver.Resolve(s.ctx, to)
	if err != nil {
		if !errors.Is(err, userdb.ErrUnknownUser) && !errors.Is(err, ErrBadAddress) {
			err = &LookupError{Address: to, Err: err}
		}
		rep := s.srv.policy.Reply(&RecipientError{Address: to, Err: err})
		s.log.LogAttrs(s.ctx, slog.LevelInfo, "recipient refused",
			slog.String("rcpt", to), slog.String("reply", replyString(rep)),
			slog.String("error", err.Error()))
		return rep
	}
	if rcpt.Address == "" {
		rcpt.Address = to
	}
	e := &rcptEntry{addr: to, rcpt: rcpt, names: []string{to}}
	if opts != nil {
		e.orcpt = opts.OriginalRecipient
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tx.index == nil {
		s.tx.index = make(map[string]*rcptEntry)
		s.tx.users = make(map[string]*rcptEntry)
	}
	// The same mailbox named twice in one transaction is delivered once.
	key := rcpt.User + "\x00" + rcpt.Detail
	if prev := s.tx.users[key]; prev != nil {
		prev.names = append(prev.names, to)
		s.tx.index[to] = prev
		return nil
	}
	s.tx.users[key] = e
	s.tx.index[to] = e
	s.tx.rcpts = append(s.tx.rcpts, e)
	return nil
}

// Reset ends the transaction (after RSET, LHLO or the end of DATA).
func (s *session) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tx = transaction{}
	if s.tc != nil {
		s.tc.setBusy(false)
	}
}

// Logout ends the session and cancels its context.
func (s *session) Logout() error {
	s.cancel()
	s.closeOnce.Do(s.srv.opts.Metrics.SessionClosed)
	if s.tc != nil {
		s.tc.setBusy(false)
	}
	s.log.LogAttrs(context.Background(), slog.LevelDebug, "session close")
	return nil
}

// Data is used only outside LMTP mode; it answers with the first
// failure among the recipients, or the success reply.
func (s *session) Data(r io.Reader) error {
	var c firstStatus
	if err := s.LMTPData(r, &c); err != nil {
		return err
	}
	return c.err
}

type firstStatus struct{ err *smtp.SMTPError }

func (f *firstStatus) SetStatus(_ string, err error) {
	var se *smtp.SMTPError
	if errors.As(err, &se) && (f.err == nil || f.err.Code < 400) {
		f.err = se
	}
}

// LMTPData spools the message once, then delivers one copy per distinct
// recipient (see deliverAll: different users concurrently) and sets one
// status per RCPT, in RCPT order (RFC 2033 section 4.2). A failure to
// receive the message fails every recipient.
func (s *session) LMTPData(r io.Reader, status smtp.StatusCollector) error {
	if s.tc != nil {
		s.tc.releaseReplies()
	}
	s.mu.Lock()
	tx := s.tx // Reset replaces s.tx; this copy stays intact.
	s.mu.Unlock()

	opts := s.srv.opts
	sp, err := NewSpool(r, SpoolOptions{Memory: opts.SpoolMemory, Dir: opts.SpoolDir, MaxBytes: opts.MaxMessageBytes})
	if err == nil && s.tc != nil && s.tc.sawReadError() {
		// go-smtp ends a BDAT chunk early, without an error, when the
		// client goes away mid-chunk; a read error on the connection
		// means the message is incomplete.
		sp.Close()
		err = ErrClientGone
	}
	if err != nil {
		rep := s.srv.policy.Reply(err)
		s.log.LogAttrs(s.ctx, slog.LevelWarn, "message not received",
			slog.String("from", tx.from), slog.Int("rcpts", len(tx.rcpts)),
			slog.String("reply", replyString(rep)), slog.String("error", err.Error()))
		return rep
	}
	defer sp.Close()

	hdr := readHeader(sp.Reader())
	s.deliverAll(&tx, sp, hdr, status)
	return nil
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
