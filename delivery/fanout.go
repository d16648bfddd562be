package delivery

import (
	"fmt"
	"log/slog"
	"runtime/debug"

	"github.com/emersion/go-message/textproto"
	"github.com/emersion/go-smtp"
)

// maxParallelRecipients bounds the users of one transaction delivered at
// the same time. Deliveries mostly wait for fsync; running a few at once
// lets the filesystem commit them together.
const maxParallelRecipients = 8

// deliverAll delivers one copy per distinct recipient and sets one status
// per RCPT, in RCPT order (RFC 2033 section 4.2): the reply for a
// recipient is written as soon as it and every recipient before it are
// done.
//
// Recipients of different users are delivered concurrently. Those of one
// user (user+a and user+b) are delivered one after the other, in RCPT
// order, as before: a transaction never runs more deliveries at once for a
// user than one session did, so the per-user limit means what it did.
func (s *session) deliverAll(tx *transaction, sp *Spool, hdr textproto.Header, status smtp.StatusCollector) {
	n := len(tx.rcpts)
	setStatus := func(e *rcptEntry, rep *smtp.SMTPError) {
		for _, name := range e.names {
			status.SetStatus(name, rep)
		}
	}
	if n == 1 {
		setStatus(tx.rcpts[0], s.deliverGuarded(tx, tx.rcpts[0], sp, hdr))
		return
	}

	// Group the recipients by user, groups in order of first appearance.
	var groups [][]int
	byUser := make(map[string]int, n)
	for i, e := range tx.rcpts {
		g, ok := byUser[e.rcpt.User]
		if !ok {
			g = len(groups)
			byUser[e.rcpt.User] = g
			groups = append(groups, nil)
		}
		groups[g] = append(groups[g], i)
	}

	reps := make([]*smtp.SMTPError, n)
	done := make([]chan struct{}, n)
	for i := range done {
		done[i] = make(chan struct{})
	}
	sem := make(chan struct{}, maxParallelRecipients)
	go func() {
		for _, g := range groups {
			sem <- struct{}{} // groups start in RCPT order
			go func() {
				defer func() { <-sem }()
				for _, i := range g {
					reps[i] = s.deliverGuarded(tx, tx.rcpts[i], sp, hdr)
					close(done[i])
				}
			}()
		}
	}()
	for i, e := range tx.rcpts {
		<-done[i]
		setStatus(e, reps[i])
	}
}

// deliverGuarded is deliverOne with a panic turned into a temporary
// failure of that recipient: it may run on a goroutine of its own, where
// the server's recovery does not reach.
func (s *session) deliverGuarded(tx *transaction, e *rcptEntry, sp *Spool, hdr textproto.Header) (rep *smtp.SMTPError) {
	defer func() {
		if p := recover(); p != nil {
			s.log.LogAttrs(s.ctx, slog.LevelError, "delivery panic",
				slog.String("rcpt", e.addr), slog.Any("panic", p),
				slog.String("stack", string(debug.Stack())))
			rep = s.srv.policy.Reply(&TempError{Reason: "Internal error", Err: fmt.Errorf("delivery panic: %v", p)})
		}
	}()
	return s.deliverOne(tx, e, sp, hdr)
}
