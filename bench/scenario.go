package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"syscall"
	"time"
)

// scenario is one measured workload.
type scenario struct {
	Name     string `json:"name"`
	Desc     string `json:"description"`
	Sessions int    `json:"sessions"`
	Rcpts    int    `json:"recipients"`
	Size     int    `json:"size"`
	// Messages per session; 0 means the -messages flag.
	Messages int `json:"messages_per_session"`
	// Rules generated in front of the user script; 0 runs it alone.
	Rules int `json:"extra_rules"`
	// SluiceHWMLimit, when set, is the most sluice's peak RSS may reach.
	SluiceHWMLimit int64 `json:"sluice_hwm_limit,omitempty"`
	// RawWriters names the raw durable-write rate the deliveries are
	// compared with (1 or 8 writers); 0: none.
	RawWriters int `json:"raw_writers,omitempty"`
}

const (
	kb = 1000
	mb = 1000 * 1000
)

func allScenarios(largeMessages int) []scenario {
	return []scenario{
		{Name: "4k-1rcpt-1s", Desc: "4 KB, 1 recipient, 1 session", Sessions: 1, Rcpts: 1, Size: 4 * kb, RawWriters: 1},
		{Name: "4k-5rcpt-1s", Desc: "4 KB, 5 recipients, 1 session", Sessions: 1, Rcpts: 5, Size: 4 * kb, RawWriters: 1},
		{Name: "4k-1rcpt-8s", Desc: "4 KB, 1 recipient, 8 sessions", Sessions: 8, Rcpts: 1, Size: 4 * kb, RawWriters: 8},
		{Name: "4k-5rcpt-8s", Desc: "4 KB, 5 recipients, 8 sessions", Sessions: 8, Rcpts: 5, Size: 4 * kb, RawWriters: 8},
		{Name: "50m-5rcpt", Desc: "50 MB, 5 recipients, 1 session", Sessions: 1, Rcpts: 5, Size: 50 * mb,
			Messages: largeMessages, SluiceHWMLimit: 64 << 20},
		{Name: "1000-rules", Desc: "4 KB, 1 recipient, 1 session, 1000 extra rules (compiled once, at the first delivery)",
			Sessions: 1, Rcpts: 1, Size: 4 * kb, Rules: 1000, RawWriters: 1},
	}
}

// selectScenarios returns the scenarios named in a comma-separated list,
// or all of them for "all".
func selectScenarios(list string, largeMessages int) ([]scenario, error) {
	all := allScenarios(largeMessages)
	if list == "all" || list == "" {
		return all, nil
	}
	var out []scenario
	for _, name := range strings.Split(list, ",") {
		name = strings.TrimSpace(name)
		found := false
		for _, s := range all {
			if s.Name == name {
				out, found = append(out, s), true
			}
		}
		if !found {
			var names []string
			for _, s := range all {
				names = append(names, s.Name)
			}
			return nil, fmt.Errorf("unknown scenario %q (have: all, %s)", name, strings.Join(names, ", "))
		}
	}
	return out, nil
}

// runResult is one round of one scenario on one server.
type runResult struct {
	Messages   int           `json:"messages"`
	Deliveries int           `json:"deliveries"`
	Elapsed    time.Duration `json:"elapsed_ns"`
	MsgsPerSec float64       `json:"messages_per_sec"`
	DelPerSec  float64       `json:"deliveries_per_sec"`
	P50        time.Duration `json:"p50_ns"`
	P99        time.Duration `json:"p99_ns"`
	First      time.Duration `json:"first_delivery_ns"`
	Mem        memStats      `json:"memory"`
}

// runner runs scenarios against servers.
type runner struct {
	log          *slog.Logger
	messages     int
	noPipelining bool
}

// runOnce measures one round: fresh Maildirs, a fresh server process, a
// warm-up delivery, the load, then verification of every Maildir.
func (r *runner) runOnce(ctx context.Context, srv server, sc scenario) (runResult, error) {
	script := userScript
	if sc.Rules > 0 {
		var err error
		if script, err = manyRulesScript(sc.Rules); err != nil {
			return runResult{}, err
		}
	}
	h := srv.Homes()
	if err := h.reset(script); err != nil {
		return runResult{}, err
	}
	// Moving the last run's Maildirs aside leaves dirty metadata (and, on a
	// filesystem mounted with discard, block discards) for the journal to
	// commit: flush it now, or the next fsyncs, whichever server makes
	// them, pay for it.
	syscall.Sync()
	p, addr, err := srv.Start(ctx)
	if err != nil {
		return runResult{}, err
	}
	sampler := startRSSSampler(p.PID(), 20*time.Millisecond)
	rcpts := h.Addrs(sc.Rcpts)
	warm := msgSpec{ID: "warmup", Class: classes[len(classes)-1], Rcpts: rcpts, Size: 4 * kb}
	warm.EnvFrom = warm.Class.EnvFrom
	res, sent, loadErr := r.load(ctx, addr, sc, rcpts, warm)
	res.Mem = sampler.Stop()
	stopErr := p.stop(15 * time.Second)
	if err := errors.Join(loadErr, stopErr); err != nil {
		return res, fmt.Errorf("%s: %w", srv.Name(), err)
	}
	if err := verifyHomes(h, append(sent, warm)); err != nil {
		return res, fmt.Errorf("%s: verify: %w", srv.Name(), err)
	}
	return res, nil
}

func (r *runner) load(ctx context.Context, addr string, sc scenario, rcpts []string, warm msgSpec) (runResult, []msgSpec, error) {
	var res runResult
	first, err := sendOne(ctx, addr, warm, !r.noPipelining)
	if err != nil {
		return res, nil, fmt.Errorf("warm-up: %w", err)
	}
	res.First = first
	msgs := sc.Messages
	if msgs == 0 {
		msgs = r.messages
	}
	lr, err := runLoad(ctx, loadSpec{Addr: addr, Sessions: sc.Sessions, Messages: msgs, Rcpts: rcpts, Size: sc.Size, NoPipelining: r.noPipelining})
	if err != nil {
		return res, nil, fmt.Errorf("load: %w", err)
	}
	res.Messages = lr.Messages()
	res.Deliveries = res.Messages * len(rcpts)
	res.Elapsed = lr.Elapsed
	if s := lr.Elapsed.Seconds(); s > 0 {
		res.MsgsPerSec = float64(res.Messages) / s
		res.DelPerSec = float64(res.Deliveries) / s
	}
	res.P50 = percentile(lr.Latencies, 50)
	res.P99 = percentile(lr.Latencies, 99)
	return res, lr.Sent, nil
}
