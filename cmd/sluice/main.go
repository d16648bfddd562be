// Command sluice is a Sieve-filtering local delivery agent: an LMTP server
// (RFC 2033) and a dovecot-lda compatible command-line delivery agent that
// run each recipient's Sieve script and store mail into Maildir.
//
// Usage:
//
//	sluice serve   -c sluice.toml        run the LMTP server
//	sluice deliver [-d user] [-f sender] deliver one message from stdin
//	                                     (dovecot-lda compatible; also run
//	                                     as "dovecot-lda")
//	sluice check   FILE... | -u USER     check Sieve scripts
//	sluice check   --explain USER        why a user's scripts run or not
//	                                     (alias: sluice doctor USER)
//	sluice test    SCRIPT [MESSAGE]      dry-run a script on a message
//	sluice version                       print the version
//
// This package only wires the other packages together.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
)

// Exit codes (sysexits.h), shared by every subcommand.
const (
	exitOK       = 0
	exitUsage    = 64
	exitNoUser   = 67
	exitSoftware = 70
	exitConfig   = 78
	exitTempFail = 75
)

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) int
}

func commands() []command {
	return []command{
		{"serve", "run the LMTP server", runServe},
		{"deliver", "deliver one message from stdin (dovecot-lda compatible)", runDeliver},
		{"check", "check Sieve scripts, or explain a user's (--explain)", runCheck},
		{"doctor", "explain why a user's scripts run or not (check --explain)", runDoctor},
		{"test", "dry-run a Sieve script on a message", runTest},
		{"import-dovecot", "translate a Dovecot configuration into sluice's", runImportDovecot},
		{"version", "print the version and exit", runVersion},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, argv []string, stdout, stderr io.Writer) int {
	if filepath.Base(argv[0]) == "dovecot-lda" {
		return runDeliver(ctx, argv[1:], stdout, stderr)
	}
	args := argv[1:]
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		usage(stdout)
		return exitOK
	case "-V", "--version":
		args[0] = "version"
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(ctx, args[1:], stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "sluice: unknown command %q (try 'sluice help')\n", args[0])
	return exitUsage
}

func usage(w io.Writer) {
	fmt.Fprintf(w, "usage: %s <command> [flags]\n\ncommands:\n", filepath.Base(os.Args[0]))
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, "\nRun 'sluice <command> -h' for the flags of a command.\n")
}
