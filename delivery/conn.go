package delivery

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"sync"
	"time"
)

// byeTimeout bounds writing a final 421 line to a client we drop.
const byeTimeout = 5 * time.Second

// trackedListener counts and tracks the connections of one listener so
// that the server can refuse excess ones and drain them on shutdown.
type trackedListener struct {
	net.Listener
	srv       *Server
	closeOnce sync.Once
	closeErr  error
}

func (l *trackedListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		tc, ok := l.srv.register(c)
		if !ok {
			// RFC 5321 section 3.1: a server may answer 421 instead of
			// 220 and close. RFC 3463: 4.3.2 not accepting messages.
			l.srv.log.LogAttrs(context.Background(), slog.LevelWarn, "connection refused: too many connections",
				slog.String("remote", remoteString(c.RemoteAddr())), slog.Int("limit", l.srv.opts.MaxConnections))
			go sayBye(c, l.srv.opts.Hostname+" Too many connections, try again later")
			continue
		}
		return tc, nil
	}
}

// Close closes the listener once; later calls return nil.
func (l *trackedListener) Close() error {
	l.closeOnce.Do(func() { l.closeErr = l.Listener.Close() })
	return l.closeErr
}

func sayBye(c net.Conn, text string) {
	_ = c.SetWriteDeadline(time.Now().Add(byeTimeout))
	_, _ = c.Write([]byte("421 4.3.2 " + text + "\r\n"))
	_ = c.Close()
}

// trackedConn wraps a client connection. It knows whether a transaction
// is in progress (from MAIL to its end) so that a graceful shutdown can
// let that transaction finish and drop the connection when it is idle.
type trackedConn struct {
	net.Conn
	srv *Server

	mu       sync.Mutex
	busy     bool      // a transaction is in progress
	draining bool      // shutdown asked this connection to go away
	deadline time.Time // read deadline last asked for by the protocol code
	readErr  error     // first read error seen (e.g. EOF)
	timedOut error     // the read timeout that ended the session, if any
	session  string    // session id, once LHLO made one
	closed   bool
	byeSent  bool

	// Replies held back until the client's next command is read (see
	// holdReplies). wmu orders them with every other write.
	wmu  sync.Mutex
	hold bool
	out  []byte
}

// holdReplies makes the replies written from now on wait until the
// connection is read again (or written to with holding off, or closed).
// The session calls it in MAIL and RCPT: a pipelining client (RFC 2920)
// sends MAIL, its RCPTs and DATA in one go, and their replies, including
// the 354 to DATA, then leave in one write instead of one each. A server
// may hold replies while it goes on reading commands; it must send them,
// in order, before it waits for input (RFC 2920 section 3.2), which Read
// does. A client that waits for each reply gets it when the server reads
// again, right after writing it.
func (c *trackedConn) holdReplies() {
	c.wmu.Lock()
	c.hold = true
	c.wmu.Unlock()
}

// releaseReplies stops holding replies; the held ones leave with the
// next read or write. The session calls it when the message starts, so
// that the per-recipient replies after it go out as they come.
func (c *trackedConn) releaseReplies() {
	c.wmu.Lock()
	c.hold = false
	c.wmu.Unlock()
}

// Write sends b, or holds it (see holdReplies).
func (c *trackedConn) Write(b []byte) (int, error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.hold {
		c.out = append(c.out, b...)
		return len(b), nil
	}
	if len(c.out) > 0 {
		c.out = append(c.out, b...)
		if err := c.flushLocked(); err != nil {
			return 0, err
		}
		return len(b), nil
	}
	return c.Conn.Write(b)
}

// flush sends the held replies.
func (c *trackedConn) flush() error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.flushLocked()
}

func (c *trackedConn) flushLocked() error {
	if len(c.out) == 0 {
		return nil
	}
	_, err := c.Conn.Write(c.out)
	if cap(c.out) > 4096 {
		c.out = nil
	} else {
		c.out = c.out[:0]
	}
	return err
}

func (c *trackedConn) Read(b []byte) (int, error) {
	if err := c.flush(); err != nil {
		return 0, err
	}
	for {
		c.mu.Lock()
		if c.draining && !c.busy {
			c.mu.Unlock()
			c.bye()
			return 0, net.ErrClosed
		}
		if err := c.timedOut; err != nil {
			// bufio.Reader.ReadLine hands out a partial line as a whole
			// one and drops the error with it, so go-smtp would parse
			// the part of a command read before a timeout and carry on.
			// Repeating the timeout makes its next read fail too, and
			// go-smtp then answers 421 4.4.2 and hangs up.
			c.mu.Unlock()
			return 0, err
		}
		c.mu.Unlock()

		n, err := c.Conn.Read(b)
		if err == nil {
			return n, nil
		}
		c.mu.Lock()
		timeout := errors.Is(err, os.ErrDeadlineExceeded)
		interrupted := c.draining && timeout &&
			(c.deadline.IsZero() || time.Now().Before(c.deadline))
		busy, dl := c.busy, c.deadline
		if !interrupted && c.readErr == nil {
			c.readErr = err
		}
		if !interrupted && timeout {
			c.timedOut = err
		}
		c.mu.Unlock()
		if !interrupted {
			return n, err
		}
		if n > 0 {
			return n, nil
		}
		if busy {
			// The shutdown interrupted a read in a transaction: let the
			// transaction go on with the deadline it had.
			_ = c.Conn.SetReadDeadline(dl)
		}
	}
}

// SetReadDeadline records the deadline; while draining an idle
// connection the shutdown's immediate deadline is kept.
func (c *trackedConn) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.deadline = t
	if c.draining && !c.busy {
		return nil
	}
	return c.Conn.SetReadDeadline(t)
}

func (c *trackedConn) SetDeadline(t time.Time) error {
	if err := c.SetReadDeadline(t); err != nil {
		return err
	}
	return c.Conn.SetWriteDeadline(t)
}

// setBusy marks the start (true) or end (false) of a transaction.
func (c *trackedConn) setBusy(busy bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.busy = busy
	if !busy && c.draining {
		// Wake a read that may be waiting for the next command.
		_ = c.Conn.SetReadDeadline(time.Now())
	}
}

// drain asks the connection to close as soon as it is idle.
func (c *trackedConn) drain() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.draining = true
	_ = c.Conn.SetReadDeadline(time.Now())
}

// setSession records the id of the session on this connection, for logs.
func (c *trackedConn) setSession(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.session = id
}

// sawReadError reports whether the connection failed or hit EOF on read.
func (c *trackedConn) sawReadError() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.readErr != nil
}

func (c *trackedConn) bye() {
	c.mu.Lock()
	sent := c.byeSent
	c.byeSent = true
	c.mu.Unlock()
	if sent {
		return
	}
	c.releaseReplies()
	_ = c.Conn.SetWriteDeadline(time.Now().Add(byeTimeout))
	_, _ = c.Write([]byte("421 4.3.2 " + c.srv.opts.Hostname + " Service shutting down\r\n"))
}

func (c *trackedConn) Close() error {
	c.mu.Lock()
	already := c.closed
	c.closed = true
	timedOut, session := c.timedOut != nil, c.session
	c.mu.Unlock()
	if already {
		return nil
	}
	c.releaseReplies()
	_ = c.flush() // go-smtp's last reply (221, 421) may be held
	if timedOut {
		// go-smtp has answered 421 4.4.2; it logs nothing itself.
		attrs := []slog.Attr{slog.String("remote", remoteString(c.RemoteAddr())),
			slog.Duration("timeout", c.srv.opts.ReadTimeout)}
		if session != "" {
			attrs = append(attrs, slog.String("session", session))
		}
		c.srv.log.LogAttrs(context.Background(), slog.LevelInfo, "connection closed: client timed out", attrs...)
	}
	c.srv.unregister(c)
	if !timedOut {
		c.linger()
	}
	return c.Conn.Close()
}

// Lingering close: how long, and how much, a closing connection still
// reads from the client.
const (
	lingerTimeout = time.Second
	lingerMax     = 1 << 20
)

// linger sends FIN after the last reply and reads what the client still
// sends, until it closes its side, for a short while. Closing a socket
// with unread input makes the kernel reset the connection, and a reset
// can destroy the last reply before the client reads it: go-smtp hangs up
// on an over-long line with commands pipelined behind it, and the client
// would never see why.
func (c *trackedConn) linger() {
	c.mu.Lock()
	clientDone := c.readErr != nil
	c.mu.Unlock()
	cw, ok := c.Conn.(interface{ CloseWrite() error })
	if clientDone || !ok {
		return
	}
	if cw.CloseWrite() != nil {
		return
	}
	_ = c.Conn.SetReadDeadline(time.Now().Add(lingerTimeout))
	_, _ = io.Copy(io.Discard, io.LimitReader(c.Conn, lingerMax))
}
