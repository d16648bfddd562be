package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/emersion/go-smtp"
)

// loadSpec is one run of the load generator: Sessions concurrent LMTP
// sessions, each sending Messages messages of about Size bytes to every
// address in Rcpts.
type loadSpec struct {
	Addr     string
	Sessions int
	Messages int
	Rcpts    []string
	Size     int
}

// loadResult is what one run measured.
type loadResult struct {
	Sent []msgSpec // every message accepted, in no particular order
	// Latencies are per message: from the end of DATA (the final "."
	// leaving the client) to the last per-recipient reply (RFC 2033
	// section 4.2).
	Latencies []time.Duration
	// Elapsed runs from the moment every session is connected and
	// greeted to the moment the last one has its last reply.
	Elapsed time.Duration
}

// Messages is the number of messages delivered.
func (r loadResult) Messages() int { return len(r.Latencies) }

// errRejected reports a recipient that did not get a 250 after DATA.
var errRejected = errors.New("delivery not accepted")

// lmtpClient is one connected, greeted LMTP session.
type lmtpClient struct {
	c *smtp.Client
}

func dialLMTP(ctx context.Context, addr string) (*lmtpClient, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", addr, err)
	}
	c := smtp.NewClientLMTP(conn)
	c.CommandTimeout = 2 * time.Minute
	c.SubmissionTimeout = 10 * time.Minute
	if err := c.Hello("loadgen.example.net"); err != nil {
		c.Close()
		return nil, fmt.Errorf("LHLO: %w", err)
	}
	return &lmtpClient{c: c}, nil
}

// send delivers one message and returns the time from the end of DATA to
// the last recipient's reply. Any reply other than 250 is an error.
func (l *lmtpClient) send(m msgSpec, body []byte) (time.Duration, error) {
	if err := l.c.Mail(m.EnvFrom, nil); err != nil {
		return 0, fmt.Errorf("%s: MAIL FROM: %w", m.ID, err)
	}
	for _, r := range m.Rcpts {
		if err := l.c.Rcpt(r, nil); err != nil {
			return 0, fmt.Errorf("%s: RCPT TO:<%s>: %w", m.ID, r, err)
		}
	}
	w, err := l.c.Data()
	if err != nil {
		return 0, fmt.Errorf("%s: DATA: %w", m.ID, err)
	}
	if _, err := w.Write(body); err != nil {
		return 0, fmt.Errorf("%s: writing message: %w", m.ID, err)
	}
	start := time.Now()
	resp, err := w.CloseWithLMTPResponse()
	lat := time.Since(start)
	if err != nil {
		return 0, fmt.Errorf("%s: %w: %w", m.ID, errRejected, err)
	}
	if len(resp) != len(m.Rcpts) {
		return 0, fmt.Errorf("%s: %w: %d replies for %d recipients", m.ID, errRejected, len(resp), len(m.Rcpts))
	}
	return lat, nil
}

func (l *lmtpClient) close() {
	_ = l.c.Quit()
	_ = l.c.Close()
}

// sendOne delivers a single message in its own session, as the warm-up
// before a run (it pays for compiling the script and creating indexes).
func sendOne(ctx context.Context, addr string, m msgSpec) (time.Duration, error) {
	l, err := dialLMTP(ctx, addr)
	if err != nil {
		return 0, err
	}
	defer l.close()
	return l.send(m, m.render())
}

// runLoad runs spec and fails on the first error of any session.
func runLoad(ctx context.Context, spec loadSpec) (loadResult, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)

	type sessionOut struct {
		sent []msgSpec
		lats []time.Duration
		end  time.Time
	}
	outs := make([]sessionOut, spec.Sessions)
	var ready, done sync.WaitGroup
	start := make(chan struct{})
	ready.Add(spec.Sessions)
	done.Add(spec.Sessions)
	for s := range spec.Sessions {
		go func() {
			defer done.Done()
			// Prepare outside the measured time: render every message,
			// connect and greet, then wait for the common start.
			specs := make([]msgSpec, spec.Messages)
			bodies := make([][]byte, spec.Messages)
			for n := range specs {
				specs[n] = newSpec(s, n, spec.Rcpts, spec.Size)
				bodies[n] = specs[n].render()
			}
			l, err := dialLMTP(ctx, spec.Addr)
			ready.Done()
			if err != nil {
				cancel(fmt.Errorf("session %d: %w", s, err))
				return
			}
			defer l.close()
			select {
			case <-start:
			case <-ctx.Done():
				return
			}
			for n := range specs {
				if ctx.Err() != nil {
					return
				}
				lat, err := l.send(specs[n], bodies[n])
				if err != nil {
					cancel(fmt.Errorf("session %d: %w", s, err))
					return
				}
				bodies[n] = nil
				outs[s].sent = append(outs[s].sent, specs[n])
				outs[s].lats = append(outs[s].lats, lat)
			}
			outs[s].end = time.Now()
		}()
	}
	ready.Wait()
	t0 := time.Now()
	close(start)
	done.Wait()
	if err := context.Cause(ctx); err != nil {
		return loadResult{}, err
	}
	var res loadResult
	var last time.Time
	for _, o := range outs {
		res.Sent = append(res.Sent, o.sent...)
		res.Latencies = append(res.Latencies, o.lats...)
		if o.end.After(last) {
			last = o.end
		}
	}
	res.Elapsed = last.Sub(t0)
	return res, nil
}
