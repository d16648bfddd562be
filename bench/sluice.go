package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// sluice is the sluice LMTP server started from a binary with a TOML
// configuration equivalent to the private Dovecot's: same users file,
// same homes, same mail location, the same script at ~/.dovecot.sieve,
// and fsync before every reply (sluice's only mode).
type sluice struct {
	bin  string
	dir  string
	h    *homes
	acct account
	log  *slog.Logger
}

func newSluice(bin, dir string, acct account, nusers int, log *slog.Logger) (*sluice, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("sluice dir: %w", err)
	}
	if err := acct.mkdir(filepath.Join(dir, "spool")); err != nil {
		return nil, err
	}
	h, err := newHomes(dir, nusers, acct)
	if err != nil {
		return nil, err
	}
	return &sluice{bin: bin, dir: dir, h: h, acct: acct, log: log}, nil
}

// buildSluice builds ./cmd/sluice of the module at root into dir/bin.
func buildSluice(ctx context.Context, root, dir string) (string, error) {
	out := filepath.Join(dir, "bin", "sluice")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, "./cmd/sluice")
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/sluice: %w\n%s", err, strings.TrimSpace(string(b)))
	}
	return out, nil
}

func (s *sluice) Name() string  { return "sluice" }
func (s *sluice) Homes() *homes { return s.h }

func (s *sluice) Version(ctx context.Context) string {
	out, err := exec.CommandContext(ctx, s.bin, "version").Output()
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(string(out))
}

// config renders sluice.toml (see internal/config/reference.toml) for an
// LMTP listener on port.
func (s *sluice) config(port int) string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	w("# Written by the sluice benchmark.")
	w("hostname = %q", "bench."+mailDomain)
	w("\n[log]\nlevel = \"info\"\nformat = \"text\"")
	w("\n[lmtp]")
	w("listen = [%q]", "tcp:127.0.0.1:"+strconv.Itoa(port))
	// The large scenario sends 50 MB plus headers; Dovecot has no limit.
	w("max_message_size = \"200MB\"")
	w("max_recipients = 100")
	w("max_connections = 100")
	w("spool_dir = %q", filepath.Join(s.dir, "spool"))
	w("\n[users]\nsource = \"passwd-file\"")
	w("file = %q", s.h.PasswdFile())
	w("domains = [%q]", mailDomain)
	w("\n[mail]\nlocation = \"maildir:~/Maildir\"\nsave_to_detail_mailbox = false")
	return b.String()
}

func (s *sluice) Start(ctx context.Context) (*proc, string, error) {
	port, err := freePort()
	if err != nil {
		return nil, "", err
	}
	conf := filepath.Join(s.dir, "sluice.toml")
	if err := os.WriteFile(conf, []byte(s.config(port)), 0o644); err != nil {
		return nil, "", fmt.Errorf("sluice.toml: %w", err)
	}
	o := procOptions{Dir: s.dir, LogFile: filepath.Join(s.dir, "sluice.log")}
	if s.acct.Root {
		// Deliver as the mail account, as Dovecot's lmtp processes do.
		o.Cred = &syscall.Credential{Uid: uint32(s.acct.UID), Gid: uint32(s.acct.GID)}
	}
	p, err := startProc([]string{s.bin, "serve", "-c", conf}, o)
	if err != nil {
		return nil, "", err
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	if err := waitReady(ctx, addr, p, 20*time.Second); err != nil {
		_ = p.stop(5 * time.Second)
		return nil, "", fmt.Errorf("sluice: %w (see %s)", err, o.LogFile)
	}
	return p, addr, nil
}
