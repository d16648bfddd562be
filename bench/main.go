package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// Exit codes (sysexits.h).
const (
	exitOK          = 0
	exitFailed      = 1
	exitUsage       = 64
	exitUnavailable = 69
	exitSoftware    = 70
)

// numUsers is how many mail users each server has; the widest scenario
// sends to five.
const numUsers = 5

// options are the command-line flags.
type options struct {
	Rounds        int
	Messages      int
	LargeMessages int
	RawOps        int
	Settle        time.Duration
	NoPipelining  bool
	Scenarios     string
	Servers       string
	SluiceBin     string
	TempDir       string
	Keep          bool
	JSON          bool
	Verbose       bool
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&o.Rounds, "rounds", 3, "rounds per scenario and server, interleaved; the median is reported")
	fs.IntVar(&o.Messages, "messages", 300, "messages per session in the 4 KB scenarios")
	fs.IntVar(&o.LargeMessages, "large-messages", 2, "messages in the 50 MB scenario")
	fs.IntVar(&o.RawOps, "raw-ops", 500, "writes per raw durable-write measurement")
	fs.StringVar(&o.Scenarios, "scenarios", "all", "comma-separated scenarios, or all: "+scenarioNames())
	fs.StringVar(&o.Servers, "servers", "dovecot,sluice", "servers to measure")
	fs.StringVar(&o.SluiceBin, "sluice", "", "sluice binary to use instead of building ./cmd/sluice")
	fs.StringVar(&o.TempDir, "tmp", os.TempDir(), "where the work directory is made (its filesystem is measured)")
	fs.BoolVar(&o.Keep, "keep", false, "keep the work directory (configs, logs, Maildirs)")
	fs.BoolVar(&o.JSON, "json", false, "print JSON instead of Markdown")
	fs.BoolVar(&o.Verbose, "v", false, "log debug detail to stderr")
	pipelining := fs.Bool("pipelining", true, "pipeline MAIL, RCPT and DATA when the server offers PIPELINING (RFC 2920), as Postfix does")
	fs.DurationVar(&o.Settle, "settle", 0, "quiet time before each server run (e.g. 65s on ext4 without a journal, see README)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	o.NoPipelining = !*pipelining
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	if o.Rounds < 1 || o.Messages < 1 || o.LargeMessages < 1 || o.RawOps < 1 {
		return o, errors.New("-rounds, -messages, -large-messages and -raw-ops must be at least 1")
	}
	for _, s := range strings.Split(o.Servers, ",") {
		if s != "dovecot" && s != "sluice" {
			return o, fmt.Errorf("-servers: unknown server %q (have dovecot, sluice)", s)
		}
	}
	return o, nil
}

func scenarioNames() string {
	var n []string
	for _, s := range allScenarios(1) {
		n = append(n, s.Name)
	}
	return strings.Join(n, ", ")
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		fmt.Fprintln(stderr, "bench:", err)
		return exitUsage
	}
	level := slog.LevelInfo
	if o.Verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	scs, err := selectScenarios(o.Scenarios, o.LargeMessages)
	if err != nil {
		fmt.Fprintln(stderr, "bench:", err)
		return exitUsage
	}
	b := &bench{opts: o, log: log}
	rep, err := b.run(ctx, scs)
	if errors.Is(err, errMissing) {
		fmt.Fprintln(stderr, "bench:", err)
		return exitUnavailable
	}
	if err != nil {
		fmt.Fprintln(stderr, "bench:", err)
		return exitSoftware
	}
	if o.JSON {
		if err := rep.writeJSON(stdout); err != nil {
			fmt.Fprintln(stderr, "bench:", err)
			return exitSoftware
		}
	} else {
		rep.writeMarkdown(stdout)
	}
	if len(rep.Failures) > 0 {
		return exitFailed
	}
	return exitOK
}

// bench holds one benchmark run.
type bench struct {
	opts options
	log  *slog.Logger

	// rawBase is where raw writes are made; rawSamples holds every raw
	// rate measured, by number of writers.
	rawBase    string
	rawSamples map[int][]float64
	// lastRun is when the last server run ended (see settle).
	lastRun time.Time
}

func (b *bench) wants(name string) bool {
	for _, s := range strings.Split(b.opts.Servers, ",") {
		if s == name {
			return true
		}
	}
	return false
}

func (b *bench) run(ctx context.Context, scs []scenario) (*report, error) {
	var dovecotBin string
	if b.wants("dovecot") {
		paths, err := checkRequirements(dovecotRequirements)
		if err != nil {
			return nil, err
		}
		dovecotBin = paths[0]
	}
	acct, err := benchAccount(ctx, b.log)
	if err != nil {
		return nil, err
	}
	if err := waitAfterDeletion(ctx, b.opts.TempDir, b.log); err != nil {
		return nil, err
	}
	base, err := os.MkdirTemp(b.opts.TempDir, "sluice-bench-")
	if err != nil {
		return nil, fmt.Errorf("work dir: %w", err)
	}
	if b.opts.Keep {
		b.log.Info("keeping the work directory", "dir", base)
	} else {
		defer func() {
			if err := removeWorkDir(b.opts.TempDir, base); err != nil {
				b.log.Warn("removing the work directory", "dir", base, "err", err)
			}
		}()
	}
	// The mail account must reach the homes below base.
	if err := os.Chmod(base, 0o755); err != nil {
		return nil, fmt.Errorf("work dir: %w", err)
	}
	if err := acct.checkReachable(base); err != nil {
		return nil, err
	}
	rep := &report{Machine: describeMachine(base), Rounds: b.opts.Rounds}
	var servers []server
	if b.wants("dovecot") {
		d, err := newDovecot(dovecotBin, filepath.Join(base, "dovecot"), acct, numUsers, b.log)
		if err != nil {
			return nil, err
		}
		rep.Machine.Dovecot = d.Version(ctx)
		servers = append(servers, d)
	}
	if b.wants("sluice") {
		s, err := b.sluice(ctx, base, acct)
		if err != nil {
			b.log.Error("sluice is not measured", "err", err)
			rep.Failures = append(rep.Failures, "sluice not measured: "+err.Error())
		} else {
			rep.Machine.Sluice = s.Version(ctx)
			servers = append(servers, s)
		}
	}
	b.rawBase = base
	if err := b.sampleRaw(ctx, rawWriters...); err != nil {
		return nil, err
	}
	r := &runner{log: b.log, messages: b.opts.Messages, noPipelining: b.opts.NoPipelining}
	for _, sc := range scs {
		rep.Scenarios = append(rep.Scenarios, b.runScenario(ctx, r, sc, servers, rep))
		if ctx.Err() != nil {
			return nil, fmt.Errorf("interrupted: %w", ctx.Err())
		}
	}
	for _, writers := range rawWriters {
		rates := b.rawSamples[writers]
		rep.Raw = append(rep.Raw, rawResult{Writers: writers, Ops: b.opts.RawOps, PerSec: median(rates)})
		b.log.Info("raw durable-write rate", "writers", writers, "samples", len(rates), "per_sec", int(median(rates)))
	}
	return rep, nil
}

// sluice prepares the sluice server: the given binary, or one built from
// the module the benchmark runs in.
func (b *bench) sluice(ctx context.Context, base string, acct account) (*sluice, error) {
	bin := b.opts.SluiceBin
	if bin == "" {
		out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
		gomod := strings.TrimSpace(string(out))
		if err != nil || gomod == "" || gomod == os.DevNull {
			return nil, fmt.Errorf("not inside the sluice module (go env GOMOD: %q, %v); run from the repository or pass -sluice", gomod, err)
		}
		b.log.Info("building sluice", "module", filepath.Dir(gomod))
		if bin, err = buildSluice(ctx, filepath.Dir(gomod), base); err != nil {
			return nil, err
		}
	}
	return newSluice(bin, filepath.Join(base, "sluice"), acct, numUsers, b.log)
}

// rawWriters are the writer counts the raw durable-write rate is
// measured with.
var rawWriters = []int{1, 8}

// sampleRaw measures the raw durable-write rate with each of the given
// writer counts. It runs for all of them before the scenarios, and after
// every round of a scenario for the count that scenario is compared with,
// so the reported medians are sampled over the same time as the servers:
// on a shared machine the rate moves.
func (b *bench) sampleRaw(ctx context.Context, writerCounts ...int) error {
	if b.rawSamples == nil {
		b.rawSamples = make(map[int][]float64)
	}
	for _, writers := range writerCounts {
		syscall.Sync() // as before each server run
		res, err := rawDurableRate(ctx, b.rawBase, writers, b.opts.RawOps)
		if err != nil {
			return err
		}
		b.rawSamples[writers] = append(b.rawSamples[writers], res.PerSec)
	}
	return nil
}

// settle waits until -settle has passed since the last server run ended.
// On ext4 without a journal, an inode freed in the last 60 s (300 s while
// its inode table block is dirty) is skipped by every allocation in its
// block group, each skip a buffer lookup: files one server deleted (Dovecot
// rewrites dovecot-uidlist and its index logs at every delivery) would
// slow down the creation of every file by the server measured after it.
func (b *bench) settle(ctx context.Context) error {
	if b.opts.Settle <= 0 || b.lastRun.IsZero() {
		return nil
	}
	return sleepFor(ctx, time.Until(b.lastRun.Add(b.opts.Settle)), b.log, "settling")
}

// runScenario runs the rounds of one scenario, alternating the servers
// and swapping their order every round so neither always runs first.
func (b *bench) runScenario(ctx context.Context, r *runner, sc scenario, servers []server, rep *report) scenarioReport {
	sums := make([]serverSummary, len(servers))
	for i, s := range servers {
		sums[i].Server = s.Name()
	}
	for round := range b.opts.Rounds {
		for k := range servers {
			i := k
			if round%2 == 1 {
				i = len(servers) - 1 - k
			}
			if sums[i].Error != "" || ctx.Err() != nil {
				continue
			}
			if err := b.settle(ctx); err != nil {
				return scenarioReport{Scenario: sc, Servers: sums}
			}
			b.log.Info("run", "scenario", sc.Name, "server", servers[i].Name(), "round", round+1)
			res, err := r.runOnce(ctx, servers[i], sc)
			b.lastRun = time.Now()
			if err != nil {
				b.log.Error("run failed", "scenario", sc.Name, "server", servers[i].Name(), "round", round+1, "err", err)
				rep.Failures = append(rep.Failures, fmt.Sprintf("%s on %s, round %d: %v", sc.Name, servers[i].Name(), round+1, err))
				if !errors.Is(err, errMisdelivered) {
					sums[i].Error = err.Error()
					continue
				}
				// Every message was accepted but not filed as the script
				// says: keep measuring, and mark the numbers as such.
				if !sums[i].Unverified {
					sums[i].Unverified, sums[i].VerifyError = true, err.Error()
				}
			}
			b.log.Info("done", "scenario", sc.Name, "server", servers[i].Name(), "round", round+1,
				"msgs_per_sec", fmt.Sprintf("%.1f", res.MsgsPerSec), "p50", res.P50, "p99", res.P99,
				"peak_rss_mib", res.Mem.TreePeak>>20)
			sums[i].Rounds = append(sums[i].Rounds, res)
		}
		// The raw writes settle like a server run (-settle), so that the
		// rate the servers are compared with is measured as they are.
		if sc.RawWriters > 0 && b.settle(ctx) == nil {
			if err := b.sampleRaw(ctx, sc.RawWriters); err != nil {
				b.log.Error("raw durable-write rate", "err", err)
			}
		}
	}
	for i := range sums {
		sums[i].Median = medianOf(sums[i].Rounds)
		if sc.SluiceHWMLimit > 0 && sums[i].Server == "sluice" && sums[i].Error == "" && sums[i].maxHWM() >= sc.SluiceHWMLimit {
			rep.Failures = append(rep.Failures, fmt.Sprintf("%s: sluice peak RSS %s reaches the %s limit",
				sc.Name, mib(sums[i].maxHWM()), mib(sc.SluiceHWMLimit)))
		}
	}
	return scenarioReport{Scenario: sc, Servers: sums}
}
