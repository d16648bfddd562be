package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/sluice-mail/sluice/internal/config"
	"github.com/sluice-mail/sluice/internal/dovecotconf"
)

// defaultDovecotDir is where import-dovecot looks without an argument.
const defaultDovecotDir = "/etc/dovecot"

// domainList collects repeated -domain flags.
type domainList []string

func (d *domainList) String() string { return strings.Join(*d, ",") }
func (d *domainList) Set(v string) error {
	*d = append(*d, strings.ToLower(strings.TrimSpace(v)))
	return nil
}

// runImportDovecot is "sluice import-dovecot [DIR|FILE]": it reads
// Dovecot's configuration (DIR/dovecot.conf and what it includes) and
// prints the delivery part of it as a sluice configuration, listing what
// it could not translate at the top.
func runImportDovecot(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("import-dovecot", flag.ContinueOnError)
	fs.SetOutput(stderr)
	outPath := fs.String("o", "", "write the configuration to `file` instead of standard output")
	var domains domainList
	fs.Var(&domains, "domain", "a `domain` for users.domains (repeatable; required with a static userdb)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: sluice import-dovecot [-o file] [-domain example.org]... [DIR|FILE]\n\nDIR defaults to %s; FILE names the main file (default dovecot.conf).\n", defaultDovecotDir)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if fs.NArg() > 1 {
		fs.Usage()
		return exitUsage
	}
	dir, file := defaultDovecotDir, "dovecot.conf"
	if fs.NArg() == 1 {
		dir = fs.Arg(0)
		if st, err := os.Stat(dir); err == nil && !st.IsDir() {
			dir, file = filepath.Dir(dir), filepath.Base(dir)
		}
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		fmt.Fprintf(stderr, "sluice import-dovecot: %v\n", err)
		return exitUsage
	}
	c, err := dovecotconf.Load(os.DirFS(dir), file, dovecotconf.Options{Root: dir})
	if err != nil {
		fmt.Fprintf(stderr, "sluice import-dovecot: %s: %v\n", dir, err)
		return exitConfig
	}
	tr := dovecotconf.Translate(c, dovecotconf.TranslateOptions{Source: filepath.Join(dir, file), Domains: domains})

	name := *outPath
	if name == "" {
		name = "<stdout>"
	}
	if _, err := config.Parse(name, []byte(tr.TOML)); err != nil {
		fmt.Fprintf(stderr, "sluice import-dovecot: the result needs editing before sluice accepts it:\n%v\n", err)
	}
	if len(tr.Untranslated) > 0 {
		fmt.Fprintf(stderr, "sluice import-dovecot: %d setting(s) not translated: see the comments at the top\n", len(tr.Untranslated))
	}
	if *outPath == "" {
		if _, err := io.WriteString(stdout, tr.TOML); err != nil {
			return exitTempFail
		}
		return exitOK
	}
	if err := os.WriteFile(*outPath, []byte(tr.TOML), 0o640); err != nil {
		fmt.Fprintf(stderr, "sluice import-dovecot: %v\n", err)
		return exitTempFail
	}
	return exitOK
}
