package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"log/syslog"
	"os"
	"os/user"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/BurntSushi/toml"
	"github.com/emersion/go-message/textproto"

	"github.com/sluice-mail/sluice/delivery"
	"github.com/sluice-mail/sluice/internal/address"
	"github.com/sluice-mail/sluice/internal/autoreply"
	"github.com/sluice-mail/sluice/internal/config"
	"github.com/sluice-mail/sluice/internal/outbound"
	"github.com/sluice-mail/sluice/internal/userdb"
)

// Exit code of a message rejected with -e (sysexits EX_NOPERM), as
// dovecot-lda.
const exitNoPerm = 77

// ldaOptions is the dovecot-lda compatible command line of "sluice deliver".
type ldaOptions struct {
	user, original, final, sender, mailbox, path, cfgPath string
	senderSet, rejectToStderr                             bool
	overrides                                             map[string]string
}

// overrideFlag collects -o key=value.
type overrideFlag map[string]string

func (o overrideFlag) String() string { return "" }
func (o overrideFlag) Set(v string) error {
	k, val, ok := strings.Cut(v, "=")
	if !ok || strings.TrimSpace(k) == "" {
		return fmt.Errorf("-o %q: want key=value", v)
	}
	o[strings.TrimSpace(k)] = val
	return nil
}

func parseLDAArgs(args []string) (*ldaOptions, error) {
	o := &ldaOptions{overrides: map[string]string{}}
	fs := flag.NewFlagSet("deliver", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&o.user, "d", "", "deliver to `user` (default: the invoking user)")
	fs.StringVar(&o.original, "a", "", "original recipient `address`")
	fs.StringVar(&o.final, "r", "", "final recipient `address`")
	fs.StringVar(&o.sender, "f", "", "envelope `sender`")
	fs.StringVar(&o.mailbox, "m", "", "default `mailbox` instead of INBOX")
	fs.StringVar(&o.path, "p", "", "read the message from `file` instead of stdin")
	fs.BoolVar(&o.rejectToStderr, "e", false, "on reject, print the reason and exit 77 instead of mailing a notice")
	fs.Bool("k", false, "keep the environment (accepted for compatibility)")
	fs.StringVar(&o.cfgPath, "c", "", "configuration `file`")
	fs.Var(overrideFlag(o.overrides), "o", "override a configuration `key=value` (repeatable)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	o.senderSet = flagSet(fs, "f")
	return o, nil
}

// runDeliver is "sluice deliver", a dovecot-lda drop-in: one message
// from stdin (or -p), one user, the same agent as serve. Every non-zero
// exit prints exactly one line on stderr, which Postfix copies into the
// bounce; the exit code comes from the runtime's delivery.ReplyPolicy.
func runDeliver(ctx context.Context, args []string, _, stderr io.Writer) int {
	if len(args) == 1 && args[0] == childFlag {
		return runDeliverChild(ctx, stderr) // a server's delivery child (privileges.go)
	}
	o, err := parseLDAArgs(args)
	if err != nil {
		return fail(stderr, exitUsage, "usage: %v (sluice deliver [-c config] [-o key=value]... [-d user] [-f sender] [-a address] [-r address] [-m mailbox] [-p file] [-e] [-k])", err)
	}
	who := o.user
	if who == "" {
		who, err = invokingUser()
		if err != nil {
			return fail(stderr, exitTempFail, "cannot tell the invoking user: %v", err)
		}
	}
	cfg, home, err := ldaConfig(o)
	if err != nil {
		// dovecot-lda: a configuration error is temporary (EX_TEMPFAIL),
		// so mail waits in the queue while the administrator fixes it.
		return fail(stderr, exitTempFail, "%s", oneLine(err.Error()))
	}
	if home && o.user != "" {
		// Without a configuration every name is the invoking user, whose
		// Maildir would take another user's mail.
		self, err := invokingUser()
		if local, _, _ := strings.Cut(o.user, "@"); err != nil || local != self {
			return fail(stderr, exitTempFail, "%s: no configuration file, so sluice delivers only for the invoking user", o.user)
		}
	}
	if home && !strings.Contains(who, "@") {
		who += "@" + homeDomain
	}
	log := ldaLogger(cfg)
	policy := delivery.ReplyPolicy{QuotaTemporary: cfg.Mail.QuotaTemporary}
	res, err := userdb.NewResolver(cfg.UserDB(log))
	if err != nil {
		return fail(stderr, exitTempFail, "%s: %s", cfg.File, oneLine(err.Error()))
	}
	rcpt, err := res.Resolve(ctx, who)
	if err != nil {
		return fail(stderr, policy.ExitCode(err), "%s: %s", who, oneLine(err.Error()))
	}
	if os.Geteuid() == 0 && rcpt.UID < 0 && !home && !cfg.Server.AllowRoot {
		// As the server does: with no uid the copy would be written by
		// and as root. Root's own mail (uid 0) stays allowed.
		return fail(stderr, exitTempFail, "%s: %v", who, delivery.ErrRootDelivery)
	}
	if err := dropPrivileges(rcpt.UID, rcpt.GID); err != nil {
		return fail(stderr, exitTempFail, "%s: %v", who, err)
	}
	// The rest (state store, scripts, Maildir) is opened as the user, so
	// that what it creates belongs to the user.
	rt, err := buildRuntime(cfg, log, runtimeOptions{noResolver: true})
	if err != nil {
		return fail(stderr, exitTempFail, "%s: %s", cfg.File, oneLine(err.Error()))
	}
	if c, ok := any(rt).(io.Closer); ok {
		defer c.Close()
	}
	in := io.Reader(os.Stdin)
	if o.path != "" {
		f, err := os.Open(o.path)
		if err != nil {
			return fail(stderr, exitTempFail, "%s: reading message: %v", who, err)
		}
		defer f.Close()
		in = f
	}
	// Spool once (memory, then an unlinked temporary file), CRLF -> LF,
	// like the LMTP path.
	spool, err := delivery.NewSpool(in, delivery.SpoolOptions{Memory: cfg.LMTP.SpoolMemory, Dir: cfg.LMTP.SpoolDir, MaxBytes: cfg.LMTP.MaxMessageSize})
	if err != nil {
		return fail(stderr, policy.ExitCode(err), "%s: %s", who, oneLine(err.Error()))
	}
	defer spool.Close()
	rawHeader, hdr := readSpoolHeader(spool)

	sender := ldaSender(o, hdr)
	final := o.final
	if final == "" {
		final = rcpt.Address
		if final == "" || !strings.Contains(final, "@") && strings.Contains(who, "@") {
			final = who
		}
	}
	id := ldaSessionID()
	d := &delivery.Delivery{
		SessionID:         id,
		Sender:            sender,
		Recipient:         rcpt,
		OriginalRecipient: o.original,
		RemoteAddr:        "local",
		LHLO:              "lda",
		UTF8:              true,
		Message:           delivery.NewMessage(ldaPrefix(rawHeader, sender, final), spool, hdr),
		DefaultMailbox:    o.mailbox, // -m; "" (also -m "") means INBOX
	}
	out, err := deliverSafely(ctx, rt.agent, d)
	var rej *delivery.RejectError
	switch {
	case err == nil && out.Reject != "":
		rej = &delivery.RejectError{Reason: out.Reject}
	case errors.As(err, &rej):
	case err != nil:
		log.Warn("delivery failed", "user", rcpt.User, "session", id, "err", err)
		return fail(stderr, policy.ExitCode(err), "%s: %s", who, oneLine(err.Error()))
	default:
		log.Info("delivered", "user", rcpt.User, "session", id, "stored", len(out.Stored), "discarded", out.Discarded)
		return exitOK
	}
	if o.rejectToStderr {
		return fail(stderr, exitNoPerm, "%s", oneLine(orDefault(rej.Reason, "Message rejected")))
	}
	// Dovecot's LDA answers a Sieve reject with a rejection notice to the
	// sender (RFC 5429 §2.1.1), never to the null sender.
	if err := sendRejection(ctx, rawHeader, sender, final, rej.Reason, cfg); err != nil {
		return fail(stderr, exitTempFail, "%s: sending the rejection notice failed: %s", who, oneLine(err.Error()))
	}
	log.Info("rejected", "user", rcpt.User, "session", id, "reason", rej.Reason)
	return exitOK
}

// fail prints the one stderr line of a failed run and returns code.
func fail(stderr io.Writer, code int, format string, args ...any) int {
	fmt.Fprintf(stderr, "sluice: "+format+"\n", args...)
	return code
}

// oneLine folds a possibly multi-line message into one line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", "; ")), " ")
}

func deliverSafely(ctx context.Context, a delivery.Agent, d *delivery.Delivery) (out delivery.Outcome, err error) {
	defer func() {
		if p := recover(); p != nil {
			out, err = delivery.Outcome{}, fmt.Errorf("internal error: %v\n%s", p, debug.Stack())
		}
	}()
	return a.Deliver(ctx, d)
}

// invokingUser is $USER, or the passwd name of the real uid.
func invokingUser() (string, error) {
	if u := os.Getenv("USER"); u != "" {
		return u, nil
	}
	u, err := user.LookupId(fmt.Sprint(os.Getuid()))
	if err != nil {
		return "", err
	}
	return u.Username, nil
}

// homeDomain is the domain of the home-server configuration's only user.
const homeDomain = "localhost"

// homeConfig is the configuration used when there is no file at all: the
// home-server case, where a user's own MTA or fetchmail runs sluice to
// deliver into $HOME/Maildir as that user. Every name is the invoking
// user, whose home is $HOME (the system passwd entry when it is unset).
func homeConfig() ([]byte, error) {
	users := map[string]any{"source": "system"}
	if home := os.Getenv("HOME"); strings.HasPrefix(home, "/") {
		users = map[string]any{
			"source":      "static",
			"domains":     []string{homeDomain},
			"static_home": strings.ReplaceAll(home, "%", "%%"),
			"static_uid":  os.Getuid(),
			"static_gid":  os.Getgid(),
		}
	}
	var b bytes.Buffer
	err := toml.NewEncoder(&b).Encode(map[string]any{
		"users": users,
		"mail":  map[string]any{"location": "maildir:~/Maildir"},
	})
	return b.Bytes(), err
}

// ldaConfig reads -c, else defaultConfig when it exists, else the
// homeConfig (home reports that case), applying the -o overrides.
func ldaConfig(o *ldaOptions) (cfg *config.Config, home bool, err error) {
	path := o.cfgPath
	if path == "" {
		if _, err := os.Stat(defaultConfig); err == nil {
			path = defaultConfig
		}
	}
	if path == "" {
		data, err := homeConfig()
		if err != nil {
			return nil, false, err
		}
		cfg, err := config.ParseWithOverrides("(built-in home configuration)", data, o.overrides)
		return cfg, cfg != nil && cfg.Users.Source == "static", err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, false, err
	}
	cfg, err = config.ParseWithOverrides(path, data, o.overrides)
	return cfg, false, err
}

// ldaLogger logs to syslog, as dovecot-lda does: stderr is reserved for
// the one line an MTA copies into a bounce. Without a syslog daemon the
// log is dropped.
func ldaLogger(cfg *config.Config) *slog.Logger {
	w, err := syslog.New(syslog.LOG_MAIL|syslog.LOG_INFO, "sluice")
	if err != nil {
		return slog.New(slog.DiscardHandler)
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: cfg.Log.Level}))
}

// dropPrivileges makes a root process the mail user before anything is
// written, so every file belongs to the user: uid, gid (the passwd
// primary group when unset) and the groups /etc/group lists the user in
// (privileges.go). Other processes run as whoever invoked them.
func dropPrivileges(uid, gid int) error {
	if os.Geteuid() != 0 || uid <= 0 {
		return nil
	}
	cred, _, err := userCredential(uid, gid, "")
	if err != nil {
		return err
	}
	groups := make([]int, len(cred.Groups))
	for i, g := range cred.Groups {
		groups[i] = int(g)
	}
	if err := syscall.Setgroups(groups); err != nil {
		return fmt.Errorf("setgroups: %w", err)
	}
	if err := syscall.Setgid(int(cred.Gid)); err != nil {
		return fmt.Errorf("setgid %d: %w", cred.Gid, err)
	}
	if err := syscall.Setuid(uid); err != nil {
		return fmt.Errorf("setuid %d: %w", uid, err)
	}
	return nil
}

// maxLDAHeader bounds the header read from the spool.
const maxLDAHeader = 256 << 10

func readSpoolHeader(sp *delivery.Spool) ([]byte, textproto.Header) {
	raw, _ := io.ReadAll(io.LimitReader(sp.Reader(), maxLDAHeader))
	if i := bytes.Index(raw, []byte("\n\n")); i >= 0 {
		raw = raw[:i+2]
	}
	h, err := textproto.ReadHeader(bufio.NewReader(bytes.NewReader(raw)))
	if err != nil {
		return raw, textproto.Header{}
	}
	return raw, h
}

// ldaSender is -f, else the message's Return-Path; an address that does
// not parse becomes the null sender, as in dovecot-lda.
func ldaSender(o *ldaOptions, hdr textproto.Header) string {
	s := o.sender
	if !o.senderSet {
		s = hdr.Get("Return-Path")
	}
	s = strings.TrimSpace(s)
	s = strings.TrimSuffix(strings.TrimPrefix(s, "<"), ">")
	if s == "" {
		return ""
	}
	a, err := address.Parse(s)
	if err != nil || a.Domain == "" {
		return ""
	}
	return s
}

// ldaPrefix is the Return-Path and Delivered-To of the copy (RFC 5321
// §4.4; Delivered-To as Postfix and Dovecot write it). An MTA that pipes
// mail in often added the same fields already (Postfix's pipe flags R
// and D): a field identical to one at the top of the message is not
// added twice.
func ldaPrefix(rawHeader []byte, sender, rcpt string) string {
	returnPath := "<" + headerSafe(sender) + ">"
	deliveredTo := "<" + headerSafe(rcpt) + ">"
	var haveRP, haveDT bool
	for _, f := range leadingTraceFields(rawHeader) {
		v := strings.TrimSpace(f[1])
		switch strings.ToLower(f[0]) {
		case "return-path":
			haveRP = haveRP || v == returnPath
		case "delivered-to":
			haveDT = haveDT || strings.EqualFold(strings.Trim(v, "<>"), strings.Trim(deliveredTo, "<>"))
		}
	}
	var b strings.Builder
	if !haveRP {
		b.WriteString("Return-Path: " + returnPath + "\n")
	}
	if !haveDT {
		b.WriteString("Delivered-To: " + deliveredTo + "\n")
	}
	return b.String()
}

// leadingTraceFields returns the Return-Path and Delivered-To fields at the
// very top of a header, as name/value pairs, stopping at the first other
// field.
func leadingTraceFields(raw []byte) [][2]string {
	var out [][2]string
	for len(raw) > 0 {
		line := raw
		if i := bytes.IndexByte(raw, '\n'); i >= 0 {
			line, raw = raw[:i], raw[i+1:]
		} else {
			raw = nil
		}
		name, value, ok := strings.Cut(strings.TrimRight(string(line), "\r"), ":")
		if !ok || (!strings.EqualFold(name, "Return-Path") && !strings.EqualFold(name, "Delivered-To")) {
			break
		}
		out = append(out, [2]string{name, value})
	}
	return out
}

func headerSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == '<' || r == '>' {
			return -1
		}
		return r
	}, s)
}

func ldaSessionID() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return "lda-" + hex.EncodeToString(b[:])
}

// sendRejection mails the rejection notice of a Sieve reject through the
// local sendmail program, as dovecot-lda does. A null sender gets none.
func sendRejection(ctx context.Context, rawHeader []byte, sender, rcpt, reason string, cfg *config.Config) error {
	if sender == "" {
		return nil
	}
	orig, err := autoreply.NewOriginal(rawHeader, sender, rcpt)
	if err != nil {
		return nil // RFC 3834: no automatic message about a header we cannot read
	}
	out, err := autoreply.BuildRejection(orig, reason, autoreply.BuildOptions{Hostname: cfg.Hostname})
	if errors.Is(err, autoreply.ErrNullSender) {
		return nil
	}
	if err != nil {
		return err
	}
	return outboundSender(cfg).Send(ctx, outbound.Envelope{From: out.MailFrom, To: out.RcptTo}, bytes.NewReader(out.Data))
}
