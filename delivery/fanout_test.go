package delivery

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// TestRecipientsDeliveredConcurrently checks the fan-out of one
// transaction: different users are delivered at the same time, the
// recipients of one user one after the other, and the replies come in
// RCPT order whatever order the deliveries end in.
func TestRecipientsDeliveredConcurrently(t *testing.T) {
	var mu sync.Mutex
	running := map[string]int{} // user -> deliveries running now
	maxRunning := map[string]int{}
	cStarted := make(chan struct{})
	agent := agentFunc(func(ctx context.Context, d *Delivery) (Outcome, error) {
		u := d.Recipient.User
		mu.Lock()
		running[u]++
		maxRunning[u] = max(maxRunning[u], running[u])
		mu.Unlock()
		defer func() {
			mu.Lock()
			running[u]--
			mu.Unlock()
		}()
		switch u {
		case "a":
			// a ends only once c (a later recipient) has started: with
			// sequential delivery this would never happen.
			select {
			case <-cStarted:
			case <-time.After(ioDeadline / 2):
				return Outcome{}, errors.New("c never started while a ran")
			}
		case "b":
			return Outcome{}, &TempError{Reason: "b is busy", Err: errors.New("busy")}
		case "c":
			if d.Recipient.Detail == "1" {
				close(cStarted)
			}
		}
		return Outcome{Stored: []Stored{{Mailbox: "INBOX"}}}, nil
	})
	ts := startServer(t, "tcp", ServerOptions{}, nil, agent)
	c := ts.lhlo(t)
	c.send("MAIL FROM:<s@example.net>",
		"RCPT TO:<a@example.org>", "RCPT TO:<b@example.org>",
		"RCPT TO:<c+1@example.org>", "RCPT TO:<c+2@example.org>", "RCPT TO:<c+3@example.org>", "DATA")
	for range 6 {
		c.expect("250 ")
	}
	c.expect("354 ")
	c.sendRaw(dataBody(testMsg))
	c.expect("250 2.0.0 <a@example.org>")
	c.expect("451 ")
	c.expect("250 2.0.0 <c+1@example.org>")
	c.expect("250 2.0.0 <c+2@example.org>")
	c.expect("250 2.0.0 <c+3@example.org>")
	c.send("QUIT")
	c.expect("221 ")

	mu.Lock()
	defer mu.Unlock()
	if maxRunning["c"] != 1 {
		t.Errorf("up to %d deliveries of user c ran at once, want 1", maxRunning["c"])
	}
}

// TestRecipientPanicFailsOnlyThatRecipient: a panic while delivering one
// recipient, on its own goroutine, gives that recipient 451 and leaves
// the others and the session working.
func TestRecipientPanicFailsOnlyThatRecipient(t *testing.T) {
	agent := agentFunc(func(ctx context.Context, d *Delivery) (Outcome, error) {
		if d.Recipient.User == "p" {
			panic("boom")
		}
		return Outcome{Stored: []Stored{{Mailbox: "INBOX"}}}, nil
	})
	ts := startServer(t, "tcp", ServerOptions{}, nil, agent)
	c := ts.lhlo(t)
	for range 2 {
		c.send("MAIL FROM:<s@example.net>", "RCPT TO:<a@example.org>", "RCPT TO:<p@example.org>", "RCPT TO:<b@example.org>", "DATA")
		for range 4 {
			c.expect("250 ")
		}
		c.expect("354 ")
		c.sendRaw(dataBody(testMsg))
		c.expect("250 2.0.0 <a@example.org>")
		c.expect("451 ")
		c.expect("250 2.0.0 <b@example.org>")
	}
	c.send("QUIT")
	c.expect("221 ")
}
