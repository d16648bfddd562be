package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// server is one LMTP implementation under test. Start launches a fresh
// process for one measured run; the caller stops it.
type server interface {
	Name() string
	Start(ctx context.Context) (p *proc, addr string, err error)
	Homes() *homes
	Version(ctx context.Context) string
}

var (
	_ server = (*dovecot)(nil)
	_ server = (*sluice)(nil)
)

// dovecot is a private Dovecot 2.3 master serving LMTP with Pigeonhole
// Sieve, configured entirely from a directory of its own: it shares no
// socket, state or log with a system Dovecot.
type dovecot struct {
	bin  string
	dir  string
	h    *homes
	acct account
	log  *slog.Logger
}

func newDovecot(bin, dir string, acct account, nusers int, log *slog.Logger) (*dovecot, error) {
	for _, d := range []string{dir, filepath.Join(dir, "run"), filepath.Join(dir, "state")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("dovecot dir: %w", err)
		}
	}
	h, err := newHomes(dir, nusers, acct)
	if err != nil {
		return nil, err
	}
	return &dovecot{bin: bin, dir: dir, h: h, acct: acct, log: log}, nil
}

func (d *dovecot) Name() string  { return "dovecot" }
func (d *dovecot) Homes() *homes { return d.h }

func (d *dovecot) Version(ctx context.Context) string {
	out, err := exec.CommandContext(ctx, d.bin, "--version").Output()
	if err != nil {
		return "unknown"
	}
	return "Dovecot " + strings.TrimSpace(string(out))
}

// config renders dovecot.conf for an LMTP listener on port.
func (d *dovecot) config(port int) string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	w("# Written by the sluice benchmark; a private instance.")
	w("instance_name = sluicebench")
	w("base_dir = %s", filepath.Join(d.dir, "run"))
	w("state_dir = %s", filepath.Join(d.dir, "state"))
	w("log_path = %s", filepath.Join(d.dir, "dovecot.log"))
	w("protocols = lmtp")
	w("listen = 127.0.0.1")
	w("ssl = no")
	if !d.acct.Root {
		// An unprivileged master runs every service as the invoking user.
		w("default_internal_user = %s", d.acct.Name)
		w("default_internal_group = %s", groupName(d.acct.GID))
		w("default_login_user = %s", d.acct.Name)
	}
	w("first_valid_uid = %d", d.acct.UID)
	w("last_valid_uid = %d", d.acct.UID)
	w("first_valid_gid = %d", d.acct.GID)
	w("last_valid_gid = %d", d.acct.GID)
	w("passdb {\n  driver = passwd-file\n  args = %s\n}", d.h.PasswdFile())
	w("userdb {\n  driver = passwd-file\n  args = %s\n}", d.h.PasswdFile())
	w("mail_location = maildir:~/Maildir")
	// sluice names folders with '/' (on disk '.', Maildir++); so does
	// this namespace, so that the script's "Lists/x" is one folder on
	// both servers.
	w("namespace inbox {\n  inbox = yes\n  separator = /\n}")
	w("mail_fsync = always")
	w("lmtp_save_to_detail_mailbox = no")
	w("lda_mailbox_autocreate = yes")
	w("postmaster_address = postmaster@%s", mailDomain)
	w("hostname = bench.%s", mailDomain)
	w("service lmtp {\n  inet_listener lmtp {\n    address = 127.0.0.1\n    port = %d\n  }\n}", port)
	w("protocol lmtp {\n  mail_plugins = $mail_plugins sieve\n}")
	w("plugin {\n  sieve = file:~/sieve;active=~/.dovecot.sieve\n}")
	return b.String()
}

func groupName(gid int) string {
	if g, err := user.LookupGroupId(strconv.Itoa(gid)); err == nil {
		return g.Name
	}
	return strconv.Itoa(gid)
}

func (d *dovecot) Start(ctx context.Context) (*proc, string, error) {
	port, err := freePort()
	if err != nil {
		return nil, "", err
	}
	conf := filepath.Join(d.dir, "dovecot.conf")
	if err := os.WriteFile(conf, []byte(d.config(port)), 0o644); err != nil {
		return nil, "", fmt.Errorf("dovecot.conf: %w", err)
	}
	p, err := startProc([]string{d.bin, "-F", "-c", conf}, procOptions{
		Dir: d.dir, LogFile: filepath.Join(d.dir, "dovecot.stderr"),
	})
	if err != nil {
		return nil, "", err
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	if err := waitReady(ctx, addr, p, 20*time.Second); err != nil {
		_ = p.stop(5 * time.Second)
		return nil, "", fmt.Errorf("dovecot: %w (see %s)", err, filepath.Join(d.dir, "dovecot.log"))
	}
	return p, addr, nil
}
