package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"syscall"

	"github.com/sluice-mail/sluice/internal/config"
	"github.com/sluice-mail/sluice/internal/scripts"
	"github.com/sluice-mail/sluice/internal/userdb"
	"github.com/sluice-mail/sluice/sieve"
)

// Exit codes of check and test, like a compiler's.
const (
	exitScriptOK    = 0
	exitScriptError = 1
	exitCheckUsage  = 2
)

// maxScriptSize bounds a script read by check and test; the engine's own
// limit (sieve.Limits.ScriptSize) then reports anything smaller but still
// too large.
const maxScriptSize = 16 << 20

// diag is one error or warning about a script, at a position.
type diag struct {
	Script  string `json:"script,omitempty"`
	Line    int    `json:"line"`
	Column  int    `json:"column"`
	Message string `json:"message"`
	warning bool
}

// checkedFile is one script's entry in "check --json".
type checkedFile struct {
	Script   string `json:"script"`
	OK       bool   `json:"ok"`
	Errors   []diag `json:"errors"`
	Warnings []diag `json:"warnings"`
}

func runCheck(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("c", "", "configuration `file` (default "+defaultConfig+" when it exists)")
	user := fs.String("u", "", "check the scripts that run for `user`")
	asJSON := fs.Bool("json", false, "print JSON")
	caps := fs.Bool("capabilities", false, "list the Sieve capabilities of the engine")
	explain := fs.String("explain", "", "explain which scripts run for `user`, and why")
	personalDir := fs.String("personal-dir", "", "`dir` for include :personal (default: the script's directory)")
	globalDir := fs.String("global-dir", "", "`dir` for include :global (default: from the configuration)")
	if err := fs.Parse(args); err != nil {
		return exitCheckUsage
	}
	switch {
	case *caps:
		return printCapabilities(stdout, *asJSON)
	case *explain != "":
		return runExplain(ctx, *cfgPath, *explain, stdout, stderr)
	}
	if (*user == "") == (fs.NArg() == 0) {
		fmt.Fprintln(stderr, "usage: sluice check [-c config] [--json] [--personal-dir DIR] [--global-dir DIR] FILE... | -u USER | --explain USER | --capabilities")
		return exitCheckUsage
	}
	cfg, err := loadCLIConfig(*cfgPath, *user != "")
	if err != nil {
		fmt.Fprintf(stderr, "sluice check: %v\n", err)
		return exitCheckUsage
	}
	var files []checkedFile
	code := exitScriptOK
	if *user != "" {
		plan, _, err := userPlan(ctx, cfg, *user)
		if err != nil {
			fmt.Fprintf(stderr, "sluice check: %v\n", err)
			return exitCheckUsage
		}
		roots := plan.Includes
		if *globalDir != "" {
			roots.Global = *globalDir
		}
		for _, s := range plan.Run() {
			f, c := checkOne(ctx, s.Path, roots, sieveOptions(cfg), stderr)
			files, code = append(files, f), max(code, c)
		}
		if len(files) == 0 && !*asJSON {
			fmt.Fprintf(stdout, "%s: no Sieve script runs for this user\n", *user)
		}
	} else {
		for _, path := range fs.Args() {
			roots := scripts.IncludeRoots{Personal: *personalDir, Global: *globalDir}
			if roots.Personal == "" {
				roots.Personal = filepath.Dir(path)
			}
			if roots.Global == "" {
				roots.Global = scriptLayout(cfg).GlobalDir
			}
			f, c := checkOne(ctx, path, roots, sieveOptions(cfg), stderr)
			files, code = append(files, f), max(code, c)
		}
	}
	if *asJSON {
		writeJSON(stdout, map[string]any{"files": files})
		return code
	}
	for _, f := range files {
		all := append(append([]diag(nil), f.Errors...), f.Warnings...)
		sortDiags(all)
		for _, d := range all {
			sev := "error"
			if d.warning {
				sev = "warning"
			}
			fmt.Fprintf(stdout, "%s:%d:%d: %s: %s\n", cmp.Or(d.Script, f.Script), d.Line, d.Column, sev, d.Message)
		}
	}
	return code
}

// checkOne compiles one file. An unreadable file is reported on stderr
// and gives exitCheckUsage; compile errors give exitScriptError.
func checkOne(ctx context.Context, path string, roots scripts.IncludeRoots, opts sieve.Options, stderr io.Writer) (checkedFile, int) {
	f := checkedFile{Script: path, Errors: []diag{}, Warnings: []diag{}}
	src, err := readScript(path)
	if err != nil {
		fmt.Fprintf(stderr, "sluice check: %v\n", err)
		f.Errors = append(f.Errors, diag{Line: 0, Column: 0, Message: err.Error()})
		return f, exitCheckUsage
	}
	_, errs, warns := compileScript(ctx, path, src, roots, opts)
	f.Errors, f.Warnings = errs, warns
	f.OK = len(errs) == 0
	if !f.OK {
		return f, exitScriptError
	}
	return f, exitScriptOK
}

// readScript reads a script file, refusing anything but a regular file.
func readScript(path string) ([]byte, error) {
	return readRegular(os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0))
}

// readRegular reads the file fh, opened with O_NONBLOCK (so that a FIFO
// in a script's place cannot block the open), if it is a regular file.
func readRegular(fh *os.File, err error) ([]byte, error) {
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, &fs.PathError{Op: "read", Path: fh.Name(), Err: scripts.ErrNotRegular}
	}
	return io.ReadAll(io.LimitReader(fh, maxScriptSize))
}

// compileScript compiles src with includes resolved in roots. Diagnostics
// in an included script carry the include's path in Script; those of the
// script itself leave it empty.
func compileScript(ctx context.Context, path string, src []byte, roots scripts.IncludeRoots, opts sieve.Options) (*sieve.Script, []diag, []diag) {
	ld := &includeLoader{roots: roots}
	opts.Includes = ld
	s, err := sieve.Compile(ctx, path, src, opts)
	errs, warns := []diag{}, []diag{}
	conv := func(e *sieve.CompileError, warning bool) diag {
		d := diag{Line: e.Line, Column: e.Column, Message: e.Message, warning: warning}
		if e.Script != path {
			d.Script = ld.pathOf(e.Script)
		}
		return d
	}
	var ce *sieve.CompileErrors
	switch {
	case errors.As(err, &ce):
		for _, e := range ce.Errors {
			errs = append(errs, conv(e, false))
		}
	case err != nil:
		errs = append(errs, diag{Line: 1, Column: 1, Message: err.Error()})
	}
	if s != nil {
		for _, w := range s.Warnings() {
			warns = append(warns, conv(w, true))
		}
	}
	sortDiags(errs)
	sortDiags(warns)
	return s, errs, warns
}

// sortDiags orders diagnostics by script (the main one first), line and
// column, as compilers print them.
func sortDiags(ds []diag) {
	slices.SortStableFunc(ds, func(a, b diag) int {
		return cmp.Or(cmp.Compare(a.Script, b.Script), cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column))
	})
}

// includeLoader reads included scripts (RFC 6609) from the include roots,
// remembering the path behind each name for messages.
type includeLoader struct {
	roots scripts.IncludeRoots
	mu    sync.Mutex
	paths map[string]string
}

var _ sieve.ScriptLoader = (*includeLoader)(nil)

func (l *includeLoader) Load(ctx context.Context, loc sieve.Location, name string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	dir, file, err := l.roots.Path(loc == sieve.LocationGlobal, name)
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dir, file)
	l.mu.Lock()
	if l.paths == nil {
		l.paths = map[string]string{}
	}
	l.paths[name] = path
	l.mu.Unlock()
	src, err := scripts.ReadInRoot(dir, file, maxScriptSize)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, unwrapPathErr(err))
	}
	return src, nil
}

func unwrapPathErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func (l *includeLoader) pathOf(name string) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if p, ok := l.paths[name]; ok {
		return p
	}
	return name
}

func printCapabilities(w io.Writer, asJSON bool) int {
	caps := sieve.Capabilities()
	if asJSON {
		writeJSON(w, map[string]any{"capabilities": caps})
		return exitScriptOK
	}
	for _, c := range caps {
		fmt.Fprintln(w, c)
	}
	return exitScriptOK
}

func writeJSON(w io.Writer, v any) {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// loadCLIConfig loads the configuration for check and test: the named
// file, or defaultConfig when it exists, or the built-in defaults. need
// says a configuration file is required (a user lookup).
func loadCLIConfig(path string, need bool) (*config.Config, error) {
	if path == "" {
		if _, err := os.Stat(defaultConfig); err != nil && !need {
			cfg := config.Default()
			return cfg, nil
		}
		path = defaultConfig
	}
	return config.Load(path)
}

// userPlan looks user up and computes the scripts that run for them.
func userPlan(ctx context.Context, cfg *config.Config, user string) (scripts.Plan, userdb.Recipient, error) {
	res, err := userdb.NewResolver(cfg.UserDB(slog.New(slog.DiscardHandler)))
	if err != nil {
		return scripts.Plan{}, userdb.Recipient{}, fmt.Errorf("%s: %w", cfg.File, err)
	}
	rcpt, err := res.Resolve(ctx, user)
	if err != nil {
		return scripts.Plan{}, userdb.Recipient{}, fmt.Errorf("user %s: %w", user, err)
	}
	plan, err := scriptLayout(cfg).Chain(ctx, scriptUser(rcpt))
	return plan, rcpt, err
}

func scriptUser(r userdb.Recipient) scripts.User {
	return scripts.User{Name: r.User, Local: r.Local, Domain: r.Domain, Home: r.Home}
}
