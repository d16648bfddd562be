package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/sluice-mail/sluice/internal/userdb"
)

// runDoctor is "sluice doctor USER", the same as "sluice check --explain USER".
func runDoctor(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("doctor", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("c", "", "configuration `file` (default "+defaultConfig+")")
	if err := fs.Parse(args); err != nil {
		return exitCheckUsage
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "usage: sluice doctor [-c config] USER")
		return exitCheckUsage
	}
	return runExplain(ctx, *cfgPath, fs.Arg(0), stdout, stderr)
}

// runExplain answers "why is my script not running?": the configuration,
// the user lookup, each script of the plan with why it is there, whether
// it exists, is readable and compiles, the user's error log and where
// mail would be stored. It exits 1 when a script that would run does not
// compile or cannot be read, 2 when the user cannot be looked up.
func runExplain(ctx context.Context, cfgPath, user string, stdout, stderr io.Writer) int {
	cfg, err := loadCLIConfig(cfgPath, true)
	if err != nil {
		fmt.Fprintf(stderr, "sluice check: %v\n", err)
		return exitCheckUsage
	}
	w := &errWriter{w: stdout}
	w.printf("config: %s\n", cfg.File)
	plan, rcpt, err := userPlan(ctx, cfg, user)
	if err != nil {
		w.printf("user %s: lookup failed: %v\n", user, err)
		if errors.Is(err, userdb.ErrUnknownUser) {
			w.printf("  the user database (%s %s) has no such user: mail to it is refused\n", cfg.Users.Source, cfg.Users.File)
		}
		return exitCheckUsage
	}
	w.printf("user: %s (looked up as %s)\n", rcpt.User, user)
	w.printf("  home: %s\n", orNone(rcpt.Home))
	w.printf("  mail root: %s\n", orNone(rcpt.MailRoot))
	w.printf("  mail layout: %s\n", orDefault(rcpt.MailLayout, "maildir++"))
	w.printf("  uid/gid: %s/%s\n", idString(rcpt.UID), idString(rcpt.GID))
	if rcpt.Detail != "" {
		w.printf("  detail: %s\n", rcpt.Detail)
	}
	w.printf("includes: personal %s, global %s\n", orNone(plan.Includes.Personal), orNone(plan.Includes.Global))
	w.printf("scripts, in the order they would run:\n")
	code := exitScriptOK
	n := 0
	for _, s := range plan.Scripts {
		w.printf("  %s: %s\n", s.Kind, s.Reason)
		switch {
		case !s.Exists:
			w.printf("      not run: missing\n")
			continue
		case s.Err != nil:
			w.printf("      not run: %v (the message is kept as if the script failed)\n", s.Err)
			code = exitScriptError
			continue
		}
		n++
		src, err := readScript(s.Path)
		if err != nil {
			w.printf("      #%d: not readable by %s: %v\n", n, whoAmI(), err)
			code = exitScriptError
			continue
		}
		_, errs, warns := compileScript(ctx, s.Path, src, plan.Includes, sieveOptions(cfg))
		if len(errs) == 0 {
			w.printf("      #%d: exists, readable, compiles (%d warning(s))\n", n, len(warns))
		} else {
			w.printf("      #%d: DOES NOT COMPILE: the message is kept into INBOX and the error logged\n", n)
			code = exitScriptError
		}
		for _, d := range append(errs, warns...) {
			sev := "error"
			if d.warning {
				sev = "warning"
			}
			w.printf("         %s:%d:%d: %s: %s\n", orDefault(d.Script, s.Path), d.Line, d.Column, sev, d.Message)
		}
	}
	if n == 0 {
		w.printf("  => no script runs: every message is kept into INBOX\n")
	}
	for _, line := range plan.Explain() {
		if strings.HasPrefix(line, "note: ") {
			w.printf("%s\n", line)
		}
	}
	w.printf("error log: %s\n", orNone(plan.UserLog))
	if rcpt.MailRoot != "" {
		w.printf("mail is stored under: %s (INBOX unless a script files it elsewhere)\n", rcpt.MailRoot)
	}
	if w.err != nil {
		return exitCheckUsage
	}
	return code
}

// errWriter remembers the first write error.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) printf(format string, args ...any) {
	if e.err == nil {
		_, e.err = fmt.Fprintf(e.w, format, args...)
	}
}

func orNone(s string) string { return orDefault(s, "(none)") }

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func idString(id int) string {
	if id < 0 {
		return "(unset)"
	}
	return fmt.Sprint(id)
}

func whoAmI() string {
	return fmt.Sprintf("uid %d", os.Geteuid())
}
