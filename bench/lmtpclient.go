package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"net/textproto"
	"strconv"
	"strings"
	"time"
)

// Timeouts of the load generator's client, generous so that a slow
// server shows up in the figures rather than as an error.
const (
	commandTimeout = 2 * time.Minute
	dataTimeout    = 10 * time.Minute
)

// lmtpClient is one connected, greeted LMTP session (RFC 2033).
//
// It speaks the protocol the way Postfix's lmtp client does: when the
// server offers PIPELINING (RFC 2920) it sends MAIL, every RCPT and DATA
// in one write and then reads their replies; without it, or with
// pipelining turned off, it waits for each reply in turn.
type lmtpClient struct {
	conn       net.Conn
	tp         *textproto.Reader
	w          *bufio.Writer
	pipelining bool
}

// reply is one (possibly multi-line) server reply.
type reply struct {
	Code  int
	Lines []string
}

func (r reply) String() string {
	return strconv.Itoa(r.Code) + " " + strings.Join(r.Lines, " / ")
}

// errReply reports an unexpected reply.
type errReply struct {
	Cmd   string
	Reply reply
}

func (e *errReply) Error() string { return fmt.Sprintf("%s: %s", e.Cmd, e.Reply) }

func dialLMTP(ctx context.Context, addr string, pipelining bool) (*lmtpClient, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", addr, err)
	}
	l := &lmtpClient{conn: conn, tp: textproto.NewReader(bufio.NewReader(conn)), w: bufio.NewWriterSize(conn, 64*1024)}
	ok := false
	defer func() {
		if !ok {
			conn.Close()
		}
	}()
	l.deadline(commandTimeout)
	if rep, err := l.readReply(); err != nil {
		return nil, fmt.Errorf("greeting: %w", err)
	} else if rep.Code != 220 {
		return nil, &errReply{"greeting", rep}
	}
	rep, err := l.cmd("LHLO loadgen.example.net")
	if err != nil {
		return nil, fmt.Errorf("LHLO: %w", err)
	}
	if rep.Code != 250 {
		return nil, &errReply{"LHLO", rep}
	}
	for _, ext := range rep.Lines[1:] {
		if strings.EqualFold(strings.Fields(ext + " x")[0], "PIPELINING") {
			l.pipelining = pipelining
		}
	}
	ok = true
	return l, nil
}

func (l *lmtpClient) deadline(d time.Duration) { _ = l.conn.SetDeadline(time.Now().Add(d)) }

// cmd sends one command line and reads its reply.
func (l *lmtpClient) cmd(line string) (reply, error) {
	l.w.WriteString(line)
	l.w.WriteString("\r\n")
	if err := l.w.Flush(); err != nil {
		return reply{}, err
	}
	return l.readReply()
}

// readReply reads one reply, multi-line or not (RFC 5321 section 4.2.1).
func (l *lmtpClient) readReply() (reply, error) {
	code, msg, err := l.tp.ReadResponse(0)
	if err != nil {
		return reply{}, fmt.Errorf("reading reply: %w", err)
	}
	return reply{Code: code, Lines: strings.Split(msg, "\n")}, nil
}

// send delivers one message and returns the time from the end of DATA to
// the last recipient's reply. data is the message as dotted returns it.
// Any reply other than 250 (354 to DATA) is an error.
func (l *lmtpClient) send(m msgSpec, data []byte) (time.Duration, error) {
	l.deadline(commandTimeout)
	cmds := make([]string, 0, len(m.Rcpts)+2)
	cmds = append(cmds, "MAIL FROM:<"+m.EnvFrom+">")
	for _, r := range m.Rcpts {
		cmds = append(cmds, "RCPT TO:<"+r+">")
	}
	cmds = append(cmds, "DATA")
	if l.pipelining {
		for _, c := range cmds {
			l.w.WriteString(c)
			l.w.WriteString("\r\n")
		}
		if err := l.w.Flush(); err != nil {
			return 0, fmt.Errorf("%s: %w", m.ID, err)
		}
	}
	for i, c := range cmds {
		var rep reply
		var err error
		if l.pipelining {
			rep, err = l.readReply()
		} else {
			rep, err = l.cmd(c)
		}
		if err != nil {
			return 0, fmt.Errorf("%s: %s: %w", m.ID, c, err)
		}
		want := 250
		if i == len(cmds)-1 {
			want = 354
		}
		if rep.Code != want {
			return 0, fmt.Errorf("%s: %w: %w", m.ID, errRejected, &errReply{c, rep})
		}
	}
	l.deadline(dataTimeout)
	l.w.Write(data)
	if err := l.w.Flush(); err != nil {
		return 0, fmt.Errorf("%s: writing message: %w", m.ID, err)
	}
	start := time.Now()
	// One reply per accepted recipient (RFC 2033 section 4.2).
	for _, r := range m.Rcpts {
		rep, err := l.readReply()
		if err != nil {
			return 0, fmt.Errorf("%s: after DATA: %w", m.ID, err)
		}
		if rep.Code != 250 {
			return 0, fmt.Errorf("%s: %w: <%s>: %s", m.ID, errRejected, r, rep)
		}
	}
	return time.Since(start), nil
}

func (l *lmtpClient) close() {
	l.deadline(commandTimeout)
	_, _ = l.cmd("QUIT")
	_ = l.conn.Close()
}

// dotted returns msg as DATA sends it (RFC 5321 section 4.5.2): CRLF
// line endings, a line that starts with "." doubled, and the final ".".
func dotted(msg []byte) []byte {
	var b bytes.Buffer
	w := textproto.NewWriter(bufio.NewWriter(&b)).DotWriter()
	w.Write(msg)
	w.Close()
	return b.Bytes()
}
