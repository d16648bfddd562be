package main

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
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
	// NoPipelining makes the client wait for each reply instead of
	// pipelining MAIL, RCPT and DATA (RFC 2920).
	NoPipelining bool
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

// sendOne delivers a single message in its own session, as the warm-up
// before a run (it pays for compiling the script and creating indexes).
func sendOne(ctx context.Context, addr string, m msgSpec, pipelining bool) (time.Duration, error) {
	l, err := dialLMTP(ctx, addr, pipelining)
	if err != nil {
		return 0, err
	}
	defer l.close()
	return l.send(m, dotted(m.render()))
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
				bodies[n] = dotted(specs[n].render())
			}
			l, err := dialLMTP(ctx, spec.Addr, !spec.NoPipelining)
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
