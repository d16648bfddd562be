package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"reflect"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/sluice-mail/sluice/delivery"
	"github.com/sluice-mail/sluice/internal/config"
	"github.com/sluice-mail/sluice/internal/metrics"
	"github.com/sluice-mail/sluice/internal/outbound"
	"github.com/sluice-mail/sluice/internal/scripts"
	"github.com/sluice-mail/sluice/internal/state"
	"github.com/sluice-mail/sluice/internal/userdb"
	"github.com/sluice-mail/sluice/maildir"
	"github.com/sluice-mail/sluice/sieve"
)

// defaultConfig is where serve and deliver look without -c.
const defaultConfig = "/etc/sluice/sluice.toml"

// shutdownGrace is how long in-flight transactions get to finish after
// SIGTERM before their connections are cut (and their recipients, never
// acknowledged, are retried by the MTA).
const shutdownGrace = 60 * time.Second

func runServe(ctx context.Context, args []string, _, stderr io.Writer) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("c", defaultConfig, "configuration `file`")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	// Catch SIGHUP before anything else: its default action would end
	// the process.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)

	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "sluice serve: unexpected argument %q\n", fs.Arg(0))
		return exitUsage
	}
	cfg, err := config.Load(*cfgPath)
	if err != nil {
		fmt.Fprintf(stderr, "sluice serve: %v\n", err)
		return exitConfig
	}
	level := new(slog.LevelVar)
	level.Set(cfg.Log.Level)
	log := newLogger(stderr, cfg.Log.Format, level)
	// One metrics instance for the life of the process: reloads keep
	// counting into it.
	var m *metrics.Metrics
	if cfg.Metrics.Listen != "" {
		m = metrics.New()
	}
	rt, err := buildRuntime(cfg, log, runtimeOptions{metrics: m, server: true})
	if err == nil {
		err = withChildAgent(rt, log)
	}
	if err != nil {
		fmt.Fprintf(stderr, "sluice serve: %s: %v\n", cfg.File, err)
		return exitConfig
	}
	var live atomic.Pointer[runtimeState]
	live.Store(rt)

	sopts := serverOptions(cfg, log)
	sopts.Metrics = m
	srv, err := delivery.NewServer(sopts, resolverFunc(func(ctx context.Context, addr string) (userdb.Recipient, error) {
		return live.Load().resolver.Resolve(ctx, addr)
	}), liveAgent(&live))
	if err != nil {
		fmt.Fprintf(stderr, "sluice serve: %v\n", err)
		return exitConfig
	}

	var lns []net.Listener
	for _, l := range cfg.LMTP.Listen {
		ln, err := delivery.Listen(ctx, l.Network, l.Address, delivery.UnixOptions{Mode: l.Mode, Owner: l.Owner, Group: l.Group})
		if err != nil {
			for _, o := range lns {
				o.Close()
			}
			fmt.Fprintf(stderr, "sluice serve: %v\n", err)
			return exitTempFail
		}
		lns = append(lns, ln)
	}
	if len(lns) == 0 {
		fmt.Fprintf(stderr, "sluice serve: %s: lmtp.listen: no listeners configured\n", cfg.File)
		return exitConfig
	}
	// Sockets bound and files open: now become server.user, if any.
	if err := dropToServerAccount(cfg, log); err != nil {
		for _, o := range lns {
			o.Close()
		}
		live.Load().Close()
		fmt.Fprintf(stderr, "sluice serve: %s: %v\n", cfg.File, err)
		return exitConfig
	}

	serveCtx, stopServing := context.WithCancel(context.Background())
	defer stopServing()
	var wg sync.WaitGroup
	errc := make(chan error, len(lns)+1)
	if m != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := m.Serve(serveCtx, cfg.Metrics.Listen); err != nil {
				errc <- err
			}
		}()
		log.Info("serving metrics", "addr", cfg.Metrics.Listen, "paths", "/metrics /healthz")
	}
	for _, ln := range lns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := srv.Serve(serveCtx, ln); err != nil && !errors.Is(err, delivery.ErrServerClosed) {
				errc <- err
			}
		}()
	}
	log.Info("sluice started", "version", versionString(), "config", cfg.File)

	code := exitOK
loop:
	for {
		select {
		case <-ctx.Done():
			log.Info("shutting down: finishing in-flight transactions", "grace", shutdownGrace)
			break loop
		case err := <-errc:
			log.Error("listener failed", "err", err)
			code = exitTempFail
			break loop
		case <-hup:
			reload(*cfgPath, cfg, &live, level, m, log)
		}
	}
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, delivery.ErrServerClosed) {
		log.Warn("shutdown cut connections short", "err", err)
	}
	stopServing()
	wg.Wait()
	live.Load().retire()
	log.Info("sluice stopped")
	return code
}

// runtimeState is what a SIGHUP replaces: everything built from the
// configuration that does not need the listeners rebound. It is all a
// one-shot delivery needs too (the deliver subcommand): a resolver, an
// agent and the reply policy. Close releases what it holds (the state
// store, the script cache's watches) once no delivery uses it any more.
type runtimeState struct {
	cfg      *config.Config
	resolver delivery.Resolver
	agent    delivery.Agent
	policy   delivery.ReplyPolicy
	closers  []io.Closer
	// state is the store of vacation and redirect memory (nil without Sieve).
	state state.Store

	mu      sync.Mutex
	refs    int  // deliveries using this runtime
	retired bool // replaced by a reload: close when refs drops to 0
	closed  bool
}

// acquire marks the runtime in use; false means it is already closed.
func (rt *runtimeState) acquire() bool {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if rt.closed {
		return false
	}
	rt.refs++
	return true
}

func (rt *runtimeState) release() {
	rt.mu.Lock()
	rt.refs--
	done := rt.retired && rt.refs == 0 && !rt.closed
	if done {
		rt.closed = true
	}
	rt.mu.Unlock()
	if done {
		rt.closeAll()
	}
}

// retire closes the runtime once the deliveries using it are done.
func (rt *runtimeState) retire() {
	rt.mu.Lock()
	rt.retired = true
	done := rt.refs == 0 && !rt.closed
	if done {
		rt.closed = true
	}
	rt.mu.Unlock()
	if done {
		rt.closeAll()
	}
}

// Close releases the runtime's resources at once.
func (rt *runtimeState) Close() error {
	rt.mu.Lock()
	if rt.closed {
		rt.mu.Unlock()
		return nil
	}
	rt.closed = true
	rt.mu.Unlock()
	return rt.closeAll()
}

func (rt *runtimeState) closeAll() error {
	var errs []error
	for i := len(rt.closers) - 1; i >= 0; i-- {
		if err := rt.closers[i].Close(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// liveAgent delivers through the current runtime, holding it while the
// delivery runs so a reload does not close it underneath.
func liveAgent(live *atomic.Pointer[runtimeState]) agentFunc {
	return func(ctx context.Context, d *delivery.Delivery) (delivery.Outcome, error) {
		for {
			rt := live.Load()
			if rt.acquire() {
				defer rt.release()
				return rt.agent.Deliver(ctx, d)
			}
		}
	}
}

// newRuntimeWithState is buildRuntime with the state store given instead of
// opened from [state] when st is not nil (a delivery child's, which asks
// the server; see privileges.go). The runtime does not close it.
func newRuntimeWithState(cfg *config.Config, log *slog.Logger, st state.Store) (*runtimeState, error) {
	return buildRuntime(cfg, log, runtimeOptions{state: st, noResolver: true})
}

// runtimeOptions are what a runtime takes besides the configuration.
type runtimeOptions struct {
	// state, when not nil, is used instead of opening [state]; the
	// runtime does not close it.
	state state.Store
	// metrics counts what the agent does; nil records nothing.
	metrics *metrics.Metrics
	// server is set for the long-running LMTP server: Maildirs kept open
	// prepare their next delivery's file.
	server bool
	// noResolver is set where the recipient is already resolved (a
	// delivery child, sluice deliver after dropping privileges): the user
	// database may be closed to the user the process now runs as.
	noResolver bool
}

// buildRuntime builds the resolver and the agent for cfg: the Sieve agent
// when [sieve] is enabled, else one that keeps every message. A reload
// builds a new one, script cache included (a fresh cache compiles each
// script again on first use; nothing compiled is ever on disk).
func buildRuntime(cfg *config.Config, log *slog.Logger, o runtimeOptions) (_ *runtimeState, err error) {
	st := o.state
	var res delivery.Resolver // nil with noResolver
	if !o.noResolver {
		dir, err := userdb.NewResolver(cfg.UserDB(log))
		if err != nil {
			return nil, err
		}
		res = dir
	}
	rt := &runtimeState{cfg: cfg, resolver: res, policy: delivery.ReplyPolicy{QuotaTemporary: cfg.Mail.QuotaTemporary}}
	defer func() {
		if err != nil {
			rt.closeAll()
		}
	}()
	mdOpts := maildir.Options{Hostname: cfg.Hostname, Logger: log, Separator: rune(cfg.Mail.Separator[0])}
	if cfg.Mail.Quota != "" {
		if mdOpts.Quota, err = delivery.ParseQuotaRule(cfg.Mail.Quota); err != nil {
			return nil, fmt.Errorf("mail.quota: %w", err)
		}
	}
	if !cfg.Sieve.Enabled {
		store := &delivery.MaildirStore{Options: mdOpts, PrepareFiles: o.server}
		rt.closers = append(rt.closers, store)
		rt.agent = &delivery.KeepAgent{Store: store}
		return rt, nil
	}
	if st == nil {
		st, err = openState(cfg.State)
		if err != nil && cfg.State.Backend == config.StateBolt && cfg.State.File == config.Default().State.File {
			// The built-in default is not usable here (an unprivileged run
			// without a configuration file): remember in memory only.
			log.Warn("state store unavailable, using memory: vacation and forward memory will not outlive this process", "err", err)
			st, err = state.NewMemory(), nil
		}
		if err != nil {
			return nil, err
		}
		rt.closers = append(rt.closers, st)
	}
	rt.state = st

	layout := scriptLayout(cfg)
	if err := layout.Validate(); err != nil {
		return nil, fmt.Errorf("[sieve]: %w", err)
	}
	cache := delivery.NewScriptCache(sieveOptions(cfg), scripts.CacheOptions{MaxScriptSize: cfg.Sieve.MaxScriptSize, Logger: log, NoWatch: !o.server})
	rt.closers = append(rt.closers, cache)

	sender := outboundSender(cfg)
	var srs *outbound.SRS
	if cfg.Redirect.SRSDomain != "" {
		srs = &outbound.SRS{Domain: cfg.Redirect.SRSDomain, Secrets: []string{cfg.Redirect.SRSSecret}}
	}
	maxUser := cfg.LMTP.MaxUserDeliveries
	if maxUser == 0 {
		maxUser = -1 // no limit
	}
	ext, err := sieveExtensions(cfg)
	if err != nil {
		return nil, err
	}
	store := &delivery.MaildirStore{Options: mdOpts, PrepareFiles: o.server}
	rt.closers = append(rt.closers, store) // closes the Maildirs it keeps open
	rt.agent, err = delivery.NewSieveAgent(delivery.SieveOptions{
		Extensions:            *ext,
		Layout:                layout,
		Scripts:               cache,
		Store:                 store,
		Autocreate:            cfg.Mail.Autocreate,
		Autosubscribe:         cfg.Mail.Autosubscribe,
		SaveToDetailMailbox:   cfg.Mail.SaveToDetailMailbox,
		RecipientDelimiter:    cfg.Mail.RecipientDelimiter,
		Reject:                delivery.RejectMode(cfg.Sieve.Reject),
		Sender:                sender,
		SRS:                   srs,
		LocalDomains:          append([]string{cfg.Hostname, cfg.Redirect.SRSDomain}, cfg.Users.Domains...),
		State:                 st,
		RedirectWindow:        cfg.Redirect.DuplicateWindow,
		VacationFromRecipient: cfg.Vacation.ReturnPath == "recipient",
		VacationAddresses:     cfg.Vacation.Addresses,
		MaxRedirects:          cfg.Sieve.MaxRedirects,
		MaxUserDeliveries:     maxUser,
		Hostname:              cfg.Hostname,
		Version:               versionString(),
		Logger:                log,
		Metrics:               o.metrics,
		VacationReply: delivery.VacationReplyOptions{
			DefaultSubject: cfg.Vacation.DefaultSubject, DefaultSubjectTemplate: cfg.Vacation.DefaultSubjectTemplate,
			ToHeaderIgnoreEnvelope: cfg.Vacation.ToHeaderIgnoreEnvelope,
		},
	})
	if err != nil {
		return nil, err
	}
	return rt, nil
}

// scriptLayout is where cfg says each user's Sieve scripts are; serve,
// deliver, check and test all use it.
func scriptLayout(cfg *config.Config) scripts.Layout {
	return scripts.Layout{
		UserScript: cfg.Sieve.UserScript, UserDir: cfg.Sieve.UserDir,
		Before: cfg.Sieve.Before, After: cfg.Sieve.After,
		Default: cfg.Sieve.Default, GlobalDir: cfg.Sieve.GlobalDir, LogFile: cfg.Sieve.UserLog,
	}
}

// sieveOptions are the compile options (limits, sub-address delimiter)
// cfg gives every script.
func sieveOptions(cfg *config.Config) sieve.Options {
	return sieve.Options{
		Limits: sieve.Limits{
			ScriptSize: int(cfg.Sieve.MaxScriptSize), Actions: cfg.Sieve.MaxActions, Redirects: cfg.Sieve.MaxRedirects,
			VacationMinPeriod: cfg.Vacation.MinPeriod, VacationMaxPeriod: cfg.Vacation.MaxPeriod,
			EditHeaderMaxSize: int(cfg.EditHeader.MaxHeaderSize),
		},
		RecipientDelimiter: cfg.Mail.RecipientDelimiter,
	}
}

// openState opens the state store [state] names.
func openState(c config.State) (state.Store, error) {
	switch c.Backend {
	case config.StateMemory:
		return state.NewMemory(), nil
	case config.StateRedis:
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		st, err := state.OpenRedis(ctx, state.RedisOptions{Addr: c.RedisAddress, Password: c.RedisPassword})
		if err != nil {
			return nil, fmt.Errorf("state.redis_address: %w", err)
		}
		return st, nil
	default:
		if err := os.MkdirAll(filepath.Dir(c.File), 0o700); err != nil {
			return nil, fmt.Errorf("state.file: %w", err)
		}
		st, err := state.OpenBolt(c.File, state.Options{})
		if err != nil {
			return nil, fmt.Errorf("state.file: %w", err)
		}
		return st, nil
	}
}

// reload reads the configuration again. A bad file is logged and the
// running configuration kept; settings that need the listeners or the
// server rebuilt are reported as needing a restart.
func reload(path string, started *config.Config, live *atomic.Pointer[runtimeState], level *slog.LevelVar, m *metrics.Metrics, log *slog.Logger) {
	cfg, err := config.Load(path)
	if err != nil {
		log.Error("reload failed, keeping the running configuration", "err", err)
		return
	}
	rt, err := buildRuntime(cfg, log, runtimeOptions{metrics: m, server: true})
	if err == nil {
		err = withChildAgent(rt, log)
	}
	if err != nil {
		log.Error("reload failed, keeping the running configuration", "config", cfg.File, "err", err)
		return
	}
	if !reflect.DeepEqual(cfg.LMTP, started.LMTP) || cfg.Hostname != started.Hostname || cfg.Log.Format != started.Log.Format {
		log.Warn("reload: changes to [lmtp], hostname and log.format take effect after a restart")
	}
	if cfg.Server.User != started.Server.User || cfg.Server.Group != started.Server.Group {
		log.Warn("reload: server.user and server.group take effect after a restart")
	}
	if cfg.Mail.QuotaTemporary != started.Mail.QuotaTemporary {
		log.Warn("reload: mail.quota_temporary takes effect after a restart")
	}
	if cfg.Metrics != started.Metrics {
		log.Warn("reload: changes to [metrics] take effect after a restart")
	}
	level.Set(cfg.Log.Level)
	old := live.Swap(rt)
	old.retire()
	log.Info("configuration reloaded", "config", cfg.File)
}

func serverOptions(cfg *config.Config, log *slog.Logger) delivery.ServerOptions {
	return delivery.ServerOptions{
		Hostname:        cfg.Hostname,
		MaxMessageBytes: cfg.LMTP.MaxMessageSize,
		MaxRecipients:   cfg.LMTP.MaxRecipients,
		MaxConnections:  cfg.LMTP.MaxConnections,
		ReadTimeout:     cfg.LMTP.Timeout,
		WriteTimeout:    cfg.LMTP.Timeout,
		AddReceived:     cfg.LMTP.AddReceived,
		SpoolMemory:     cfg.LMTP.SpoolMemory,
		SpoolDir:        cfg.LMTP.SpoolDir,
		QuotaTemporary:  cfg.Mail.QuotaTemporary,
		Logger:          log,
	}
}

func newLogger(w io.Writer, format string, level slog.Leveler) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	if format == config.FormatJSON {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

type resolverFunc func(ctx context.Context, addr string) (userdb.Recipient, error)

func (f resolverFunc) Resolve(ctx context.Context, addr string) (userdb.Recipient, error) {
	return f(ctx, addr)
}

type agentFunc func(ctx context.Context, d *delivery.Delivery) (delivery.Outcome, error)

func (f agentFunc) Deliver(ctx context.Context, d *delivery.Delivery) (delivery.Outcome, error) {
	return f(ctx, d)
}

// outboundSender is how mail sluice writes leaves ([outbound]): the
// sendmail program when one is set, else SMTP to the relay.
func outboundSender(cfg *config.Config) outbound.Sender {
	if cfg.Outbound.Sendmail != "" {
		return &outbound.SendmailSender{Path: cfg.Outbound.Sendmail, Timeout: cfg.Outbound.Timeout}
	}
	return &outbound.SMTPSender{Addr: cfg.Outbound.Relay, HeloName: cfg.Hostname, Timeout: cfg.Outbound.Timeout}
}
