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
	"reflect"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/sluice-mail/sluice/delivery"
	"github.com/sluice-mail/sluice/internal/config"
	"github.com/sluice-mail/sluice/internal/userdb"
	"github.com/sluice-mail/sluice/maildir"
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
	rt, err := newRuntime(cfg, log)
	if err != nil {
		fmt.Fprintf(stderr, "sluice serve: %s: %v\n", cfg.File, err)
		return exitConfig
	}
	var live atomic.Pointer[runtimeState]
	live.Store(rt)

	srv, err := delivery.NewServer(serverOptions(cfg, log), resolverFunc(func(ctx context.Context, addr string) (userdb.Recipient, error) {
		return live.Load().resolver.Resolve(ctx, addr)
	}), agentFunc(func(ctx context.Context, d *delivery.Delivery) (delivery.Outcome, error) {
		return live.Load().agent.Deliver(ctx, d)
	}))
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

	serveCtx, stopServing := context.WithCancel(context.Background())
	defer stopServing()
	var wg sync.WaitGroup
	errc := make(chan error, len(lns))
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
			reload(*cfgPath, cfg, &live, level, log)
		}
	}
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, delivery.ErrServerClosed) {
		log.Warn("shutdown cut connections short", "err", err)
	}
	stopServing()
	wg.Wait()
	log.Info("sluice stopped")
	return code
}

// runtimeState is what a SIGHUP replaces: everything built from the
// configuration that does not need the listeners rebound.
type runtimeState struct {
	cfg      *config.Config
	resolver delivery.Resolver
	agent    delivery.Agent
}

func newRuntime(cfg *config.Config, log *slog.Logger) (*runtimeState, error) {
	res, err := userdb.NewResolver(cfg.UserDB(log))
	if err != nil {
		return nil, err
	}
	store := &delivery.MaildirStore{Options: maildir.Options{Hostname: cfg.Hostname, Logger: log}}
	return &runtimeState{cfg: cfg, resolver: res, agent: &delivery.KeepAgent{Store: store}}, nil
}

// reload reads the configuration again. A bad file is logged and the
// running configuration kept; settings that need the listeners or the
// server rebuilt are reported as needing a restart.
func reload(path string, started *config.Config, live *atomic.Pointer[runtimeState], level *slog.LevelVar, log *slog.Logger) {
	cfg, err := config.Load(path)
	if err != nil {
		log.Error("reload failed, keeping the running configuration", "err", err)
		return
	}
	rt, err := newRuntime(cfg, log)
	if err != nil {
		log.Error("reload failed, keeping the running configuration", "config", cfg.File, "err", err)
		return
	}
	if !reflect.DeepEqual(cfg.LMTP, started.LMTP) || cfg.Hostname != started.Hostname || cfg.Log.Format != started.Log.Format {
		log.Warn("reload: changes to [lmtp], hostname and log.format take effect after a restart")
	}
	level.Set(cfg.Log.Level)
	live.Store(rt)
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
