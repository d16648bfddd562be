package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/mail"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/sluice-mail/sluice/delivery"
	"github.com/sluice-mail/sluice/internal/config"
	"github.com/sluice-mail/sluice/internal/lists"
	"github.com/sluice-mail/sluice/internal/scripts"
	"github.com/sluice-mail/sluice/sieve"
)

// Defaults of "sluice test" when neither the command line nor the
// message gives an envelope; the same as Pigeonhole's sieve-test.
const (
	defaultTestSender    = "sender@example.com"
	defaultTestRecipient = "recipient@example.com"
)

// maxTestMessage bounds the message "sluice test" reads.
const maxTestMessage = 64 << 20

// Trace levels of --trace, from least to most detail.
const (
	traceActions = iota
	traceCommands
	traceTests
	traceMatching
)

var traceLevels = map[string]int{"actions": traceActions, "commands": traceCommands, "tests": traceTests, "matching": traceMatching}

// listFlag is a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

// testOptions is the parsed command line of "sluice test".
type testOptions struct {
	cfgPath, user           string
	sender, rcpt, orig      string
	trace                   int
	asJSON                  bool
	mailboxes               listFlag
	globalDir, personalDir  string
	execute                 string
	script, message         string
	senderSet, recipientSet bool
}

func runTest(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var o testOptions
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.cfgPath, "c", "", "configuration `file` (default "+defaultConfig+" when it exists)")
	fs.StringVar(&o.user, "u", "", "run the whole script chain of `user` (before, personal or default, after)")
	fs.StringVar(&o.sender, "f", "", "envelope `sender` (default: Return-Path, Sender or From of the message, else "+defaultTestSender+")")
	fs.StringVar(&o.rcpt, "r", "", "envelope `recipient` (default: the user, or Envelope-To or To of the message, else "+defaultTestRecipient+")")
	fs.StringVar(&o.orig, "a", "", "original `recipient` (default: the recipient)")
	traceName := fs.String("trace", "actions", "what to show as the script runs: actions, commands, tests or matching")
	fs.BoolVar(&o.asJSON, "json", false, "print JSON")
	fs.Var(&o.mailboxes, "mailbox", "make mailbox `name` exist for mailboxexists (repeatable)")
	fs.StringVar(&o.globalDir, "global-dir", "", "`dir` for include :global")
	fs.StringVar(&o.personalDir, "personal-dir", "", "`dir` for include :personal (default: the script's directory)")
	fs.StringVar(&o.execute, "execute", "", "carry the stores out into a scratch Maildir in `dir` and print outgoing messages")
	if err := fs.Parse(args); err != nil {
		return exitCheckUsage
	}
	lvl, ok := traceLevels[*traceName]
	if !ok {
		fmt.Fprintf(stderr, "sluice test: --trace %q: want actions, commands, tests or matching\n", *traceName)
		return exitCheckUsage
	}
	o.trace = lvl
	o.senderSet, o.recipientSet = flagSet(fs, "f"), flagSet(fs, "r")
	rest := fs.Args()
	if o.user == "" {
		if len(rest) == 0 {
			return testUsage(stderr)
		}
		o.script, rest = rest[0], rest[1:]
	}
	switch len(rest) {
	case 0:
		o.message = "-"
	case 1:
		o.message = rest[0]
	default:
		return testUsage(stderr)
	}
	return dryRun(ctx, &o, os.Stdin, stdout, stderr)
}

func testUsage(stderr io.Writer) int {
	fmt.Fprintln(stderr, "usage: sluice test [-c config] [-f sender] [-r recipient] [-a original] [--trace level] [--json] [--mailbox NAME]... [--global-dir DIR] [--execute DIR] SCRIPT [MESSAGE|-]")
	fmt.Fprintln(stderr, "       sluice test -u USER [flags] [MESSAGE|-]")
	return exitCheckUsage
}

func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// chainScript is one script of a dry run and where its includes resolve.
type chainScript struct {
	path  string
	roots scripts.IncludeRoots
}

// dryRun runs the script(s) on the message and reports. Exit 0: ran; 1: a
// script failed to compile or run (the fallback keep is reported); 2:
// usage or an unreadable input.
func dryRun(ctx context.Context, o *testOptions, stdin io.Reader, stdout, stderr io.Writer) int {
	cfg, err := loadCLIConfig(o.cfgPath, o.user != "")
	if err != nil {
		fmt.Fprintf(stderr, "sluice test: %v\n", err)
		return exitCheckUsage
	}
	raw, err := readMessage(o.message, stdin)
	if err != nil {
		fmt.Fprintf(stderr, "sluice test: %v\n", err)
		return exitCheckUsage
	}
	msg, err := sieve.ParseMessage(bytes.NewReader(raw))
	if err != nil {
		fmt.Fprintf(stderr, "sluice test: %s: %v\n", o.message, err)
		return exitCheckUsage
	}
	var chain []chainScript
	if o.user != "" {
		plan, rcpt, err := userPlan(ctx, cfg, o.user)
		if err != nil {
			fmt.Fprintf(stderr, "sluice test: %v\n", err)
			return exitCheckUsage
		}
		if !o.recipientSet {
			o.rcpt, o.recipientSet = rcpt.Address, true
		}
		roots := plan.Includes
		if o.globalDir != "" {
			roots.Global = o.globalDir
		}
		for _, s := range plan.Run() {
			chain = append(chain, chainScript{path: s.Path, roots: roots})
		}
	} else {
		roots := scripts.IncludeRoots{Personal: o.personalDir, Global: o.globalDir}
		if roots.Personal == "" {
			roots.Personal = filepath.Dir(o.script)
		}
		if roots.Global == "" {
			roots.Global = scriptLayout(cfg).GlobalDir
		}
		chain = []chainScript{{path: o.script, roots: roots}}
	}
	ext, err := sieveExtensions(cfg)
	if err != nil {
		fmt.Fprintf(stderr, "sluice test: %v\n", err)
		return exitCheckUsage
	}
	env := testEnvelope(o, msg)
	tw := stdout
	if o.asJSON {
		tw = stderr
	}
	rep, code := runChain(ctx, chain, runInput{
		msg: msg, env: env, cfg: cfg, mailboxes: o.mailboxes, trace: o.trace, traceOut: tw, ext: ext,
	})
	rep.sender = env.Sender
	if o.asJSON {
		writeJSON(stdout, rep.json())
	} else {
		for _, e := range rep.errors {
			fmt.Fprintf(stderr, "%s:%d:%d: error: %s\n", e.Script, e.Line, e.Column, e.Message)
		}
		rep.writeText(stdout)
	}
	if o.execute != "" {
		if err := execute(ctx, o.execute, rep, raw, env, cfg, stdout); err != nil {
			fmt.Fprintf(stderr, "sluice test: --execute: %v\n", err)
			return max(code, exitScriptError)
		}
	}
	return code
}

func readMessage(name string, stdin io.Reader) ([]byte, error) {
	r := stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, maxTestMessage+1))
	if err != nil {
		return nil, fmt.Errorf("reading message: %w", err)
	}
	if len(b) > maxTestMessage {
		return nil, fmt.Errorf("%s: message larger than %d bytes", name, maxTestMessage)
	}
	// The engine and the Maildir want LF line endings, like the spool.
	return bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n")), nil
}

// testEnvelope fills the envelope from the command line, else from the
// message header the way sieve-test does, else the defaults.
func testEnvelope(o *testOptions, msg sieve.Message) sieve.StaticEnvelope {
	env := sieve.StaticEnvelope{Sender: o.sender, Recipient: o.rcpt, Original: o.orig}
	if !o.senderSet {
		env.Sender = firstAddress(msg, defaultTestSender, "Return-Path", "Sender", "From")
	}
	if !o.recipientSet {
		env.Recipient = firstAddress(msg, defaultTestRecipient, "Envelope-To", "To")
	}
	env.Sender = strings.TrimSuffix(strings.TrimPrefix(env.Sender, "<"), ">")
	if env.Original == "" {
		env.Original = env.Recipient
	}
	return env
}

func firstAddress(msg sieve.Message, def string, fields ...string) string {
	for _, f := range fields {
		for _, v := range msg.Header(f) {
			v = strings.TrimSpace(v)
			if v == "<>" {
				return ""
			}
			if a, err := mail.ParseAddress(v); err == nil {
				return a.Address
			}
			if l, err := mail.ParseAddressList(v); err == nil && len(l) > 0 {
				return l[0].Address
			}
		}
	}
	return def
}

// runInput is what every script of a chain runs with.
type runInput struct {
	msg       sieve.Message
	env       sieve.StaticEnvelope
	cfg       *config.Config
	mailboxes []string
	trace     int
	traceOut  io.Writer
	// ext are the extension settings delivery would use; nil: none.
	ext *delivery.Extensions
}

// report is the outcome of a dry run.
type report struct {
	actions      []placedAction
	implicitKeep bool
	keepFlags    []string
	errors       []diag
	// sender is the envelope sender, whom a vacation reply goes to.
	sender string
}

// placedAction is an action with the path of the script that made it.
type placedAction struct {
	sieve.Action
	script string
}

// runChain compiles and runs each script in turn, as delivery does: the
// next script runs only after a keep (implicit or explicit), and takes
// over its flags (RFC 5232 §3). A compile or run-time error stops the
// chain and falls back to keeping the message (RFC 5228 §2.10.6).
func runChain(ctx context.Context, chain []chainScript, in runInput) (*report, int) {
	rep := &report{implicitKeep: true}
	var flags []string
	for _, cs := range chain {
		src, err := readScript(cs.path)
		if err != nil {
			rep.fail(diag{Script: cs.path, Message: err.Error()})
			return rep, exitScriptError
		}
		ld := &includeLoader{roots: cs.roots}
		opts := sieveOptions(in.cfg)
		opts.Includes = ld
		s, err := sieve.Compile(ctx, cs.path, src, opts)
		if err != nil {
			var ce *sieve.CompileErrors
			if errors.As(err, &ce) {
				for _, e := range ce.Errors {
					rep.errors = append(rep.errors, diag{Script: ld.pathOf(e.Script), Line: e.Line, Column: e.Column, Message: e.Message})
				}
			} else {
				rep.errors = append(rep.errors, diag{Script: cs.path, Message: err.Error()})
			}
			rep.fail()
			return rep, exitScriptError
		}
		rctx := ctx
		if in.trace > traceActions {
			tr := &textTracer{w: in.traceOut, level: in.trace, paths: ld}
			rctx = sieve.WithTracer(ctx, tr)
			fmt.Fprintf(in.traceOut, "      ## Started executing script '%s'\n", cs.path)
		}
		res, err := s.Run(rctx, &sieve.Input{
			Message:   in.msg,
			Envelope:  in.env,
			Services:  dryServices{mailboxes: in.mailboxes, ext: in.ext, sep: rune(in.cfg.Mail.Separator[0])},
			Flags:     flags,
			Separator: rune(in.cfg.Mail.Separator[0]),
			Environment: map[string]string{
				"domain": in.cfg.Hostname,
				"host":   in.cfg.Hostname,
			},
		})
		if in.trace > traceActions {
			fmt.Fprintf(in.traceOut, "      ## Finished executing script '%s'\n", cs.path)
		}
		if err != nil {
			d := diag{Script: cs.path, Message: err.Error()}
			var re *sieve.RuntimeError
			if errors.As(err, &re) {
				d = diag{Script: ld.pathOf(re.Script), Line: re.Line, Column: re.Column, Message: re.Err.Error()}
			}
			rep.fail(d)
			return rep, exitScriptError
		}
		for _, a := range res.Actions {
			rep.actions = append(rep.actions, placedAction{Action: a, script: ld.pathOf(a.Position().Script)})
		}
		rep.implicitKeep, rep.keepFlags = res.ImplicitKeep, res.ImplicitKeepFlags
		// As delivery does: the next script runs after a keep, implicit
		// or explicit, on the message as this one left it.
		if !res.ImplicitKeep && !slices.ContainsFunc(res.Actions, isKeep) {
			break
		}
		flags = res.ImplicitKeepFlags
		if in.msg, err = res.NextMessage(in.msg); err != nil {
			rep.fail(diag{Script: cs.path, Message: err.Error()})
			return rep, exitScriptError
		}
	}
	return rep, exitScriptOK
}

func isKeep(a sieve.Action) bool { _, ok := a.(*sieve.Keep); return ok }

// fail records errors and falls back to keeping the message alone.
func (r *report) fail(ds ...diag) {
	r.errors = append(r.errors, ds...)
	r.actions = nil
	r.implicitKeep, r.keepFlags = true, nil
}

// dryServices answers the engine's questions without touching any
// mailbox; the extension settings are the configuration's, as in
// delivery.
type dryServices struct {
	mailboxes []string
	ext       *delivery.Extensions
	sep       rune // hierarchy separator
}

var (
	_ sieve.Services           = dryServices{}
	_ sieve.MailboxChecker     = dryServices{}
	_ sieve.SpamScores         = dryServices{}
	_ sieve.EditHeaderSettings = dryServices{}
	_ delivery.ExternalLists   = dryServices{}
	_ sieve.SpecialUseChecker  = dryServices{}
)

func (s dryServices) SpamTestConfig(test string) *sieve.SpamTestConfig {
	return s.ext.SpamTestConfig(test)
}

func (s dryServices) EditHeaderConfig() sieve.EditHeaderConfig { return s.ext.EditHeaderConfig() }

func (s dryServices) Contains(ctx context.Context, list, value string) (bool, error) {
	return s.ext.Contains(ctx, list, value)
}

func (s dryServices) ListExists(ctx context.Context, list string) (bool, error) {
	return s.ext.ListExists(ctx, list)
}

// SpecialUseExists counts INBOX and the --mailbox names as existing.
func (s dryServices) SpecialUseExists(ctx context.Context, mailbox string, flags []string) (bool, error) {
	return s.ext.SpecialUseExistsIn(ctx, s, mailbox, flags)
}

// sieveExtensions builds the extension settings of cfg ([spamtest],
// [virustest], [extlists], [editheader], mail.special_use); serve,
// deliver and test share them.
func sieveExtensions(cfg *config.Config) (*delivery.Extensions, error) {
	x := &delivery.Extensions{
		EditHeader: sieve.EditHeaderConfig{
			Protected: cfg.EditHeader.Protected, ForbidAdd: cfg.EditHeader.ForbidAdd, ForbidDelete: cfg.EditHeader.ForbidDelete,
			MaxHeaderSize: int(cfg.EditHeader.MaxHeaderSize),
		},
		SpecialUse: cfg.Mail.SpecialUseFlags(),
		Separator:  rune(cfg.Mail.Separator[0]),
	}
	var err error
	if x.SpamTest, err = cfg.SpamTest.Sieve("spamtest"); err != nil {
		return nil, fmt.Errorf("[spamtest]: %w", err)
	}
	if x.VirusTest, err = cfg.VirusTest.Sieve("virustest"); err != nil {
		return nil, fmt.Errorf("[virustest]: %w", err)
	}
	if len(cfg.ExtLists) > 0 {
		if x.Lists, err = lists.New(cfg.ExtLists); err != nil {
			return nil, fmt.Errorf("[extlists]: %w", err)
		}
	}
	return x, nil
}

func (dryServices) Now() time.Time { return time.Now() }

// MailboxExists is true for INBOX and the --mailbox names (RFC 5490 §3.1).
func (s dryServices) MailboxExists(_ context.Context, name string) (bool, error) {
	if sieve.CanonicalMailbox(name, s.sep) == "INBOX" {
		return true, nil
	}
	for _, m := range s.mailboxes {
		if sieve.CanonicalMailbox(m, s.sep) == sieve.CanonicalMailbox(name, s.sep) {
			return true, nil
		}
	}
	return false, nil
}
