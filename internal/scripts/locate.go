package scripts

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
)

// Kind says why a script is in a Plan.
type Kind int

// Script kinds, in the order they run.
const (
	KindBefore   Kind = iota // administrator script run first
	KindPersonal             // the user's active script
	KindDefault              // run instead when the user has no script
	KindAfter                // administrator script run last
)

func (k Kind) String() string {
	switch k {
	case KindBefore:
		return "before"
	case KindPersonal:
		return "personal"
	case KindDefault:
		return "default"
	case KindAfter:
		return "after"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Script is one entry of a Plan.
type Script struct {
	Kind Kind
	// Path is the configured path: what Cache.Get should be given. For the
	// personal script it may be a symlink; Target then names the file it
	// resolves to.
	Path   string
	Target string
	// Exists reports whether the file is there. Entries that do not exist
	// are kept in the plan only to explain it.
	Exists bool
	// Err is set when the script exists but must not run, e.g. a personal
	// symlink leading outside the user's directories (ErrOutsideRoot) or a
	// directory where a file was expected (ErrNotRegular). A caller treats
	// it like a script that fails to compile: keep the message and log.
	Err error
	// Reason explains the entry in one line, for logs and "check --explain".
	Reason string
}

// Runnable reports whether the script is to be compiled and run.
func (s Script) Runnable() bool { return s.Exists && s.Err == nil }

// Plan is the ordered list of scripts for one user.
type Plan struct {
	User    User
	Scripts []Script
	// Includes are the directories this user's includes resolve in.
	Includes IncludeRoots
	// UserLog is where the user's compile errors go ("" when the user has
	// no home for it).
	UserLog string
	// Notes explain anything else noteworthy about the plan.
	Notes []string
}

// Run returns the scripts to run, in order.
func (p Plan) Run() []Script {
	var out []Script
	for _, s := range p.Scripts {
		if s.Runnable() {
			out = append(out, s)
		}
	}
	return out
}

// Explain returns one line per entry saying what will run and why.
func (p Plan) Explain() []string {
	out := make([]string, 0, len(p.Scripts)+len(p.Notes))
	for _, s := range p.Scripts {
		out = append(out, s.Kind.String()+": "+s.Reason)
	}
	for _, n := range p.Notes {
		out = append(out, "note: "+n)
	}
	return out
}

// Chain computes the scripts that run for u: the Before scripts, then the
// personal script or, when the user has none, the Default script, then the
// After scripts.
//
// A missing script is normal and only explained. A script that exists but
// cannot be examined or opened (permissions, I/O, symlink loops) fails the
// whole chain with a *TempError, so the message is retried rather than filed
// without its filter.
//
// The personal script may be a symlink (Dovecot's ~/.dovecot.sieve pointing
// at ~/sieve/<active>.sieve). Its final target must lie inside the user's
// home, the UserDir, or the directory the administrator configured for
// UserScript (which allows e.g. UserScript "/var/sieve/%u.sieve" with
// targets beside it); anything else is listed with Err wrapping
// ErrOutsideRoot, because a user must not make the delivery agent read files
// it could not read itself. A plain file is likewise judged by where it
// really lies, so a directory symlinked out of the home does not widen it.
// A dangling symlink counts as "no personal script", as in Pigeonhole.
//
// Where the user's home directory itself leads (symlinks in the home's path,
// which belong to the administrator) is remembered across calls for up to
// 5 s; everything below the home is examined at every call, so a user's
// change of a symlink or of ~/sieve shows in the very next plan.
func (l Layout) Chain(ctx context.Context, u User) (Plan, error) {
	p := Plan{User: u}
	var err error
	// The same directories (the home, above all) are looked at several
	// times while planning; once is enough. Where the home itself leads
	// is remembered across plannings (see homeCache).
	ev := newResolver(homes, u.Home)
	if l.GlobalDir != "" {
		if p.Includes.Global, err = u.Expand(l.GlobalDir); err != nil {
			return Plan{}, fmt.Errorf("global include dir: %w", err)
		}
	}
	if dir, err := u.Expand(l.userDir()); err == nil {
		if confined(ev, u.Home, dir) {
			p.Includes.Personal = dir
		} else {
			p.Notes = append(p.Notes, fmt.Sprintf("personal include directory %s leads outside %s: include :personal disabled", dir, u.Home))
		}
	}
	for _, b := range l.Before {
		if err := p.addAdmin(ctx, KindBefore, u, b); err != nil {
			return Plan{}, err
		}
	}
	personal, err := l.personal(ctx, ev, u, p.Includes.Personal)
	if err != nil {
		return Plan{}, err
	}
	p.Scripts = append(p.Scripts, personal)
	if personal.Exists {
		p.UserLog, _ = l.logPath(u, personal.Path)
	} else if l.Default != "" {
		def, err := defaultScript(u, l.Default, personal.Reason)
		if err != nil {
			return Plan{}, err
		}
		p.Scripts = append(p.Scripts, def)
	}
	for _, a := range l.After {
		if err := p.addAdmin(ctx, KindAfter, u, a); err != nil {
			return Plan{}, err
		}
	}
	return p, ctx.Err()
}

func (l Layout) logPath(u User, script string) (string, error) {
	if l.LogFile != "" {
		return u.Expand(l.LogFile)
	}
	return script + ".log", nil
}

// missing reports whether err means "nothing there": the file or a parent
// directory does not exist.
func missing(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR)
}

// personal examines the user's own script.
func (l Layout) personal(ctx context.Context, ev *resolver, u User, userDir string) (Script, error) {
	s := Script{Kind: KindPersonal}
	path, err := u.Expand(l.userScript())
	if err != nil {
		if errors.Is(err, ErrNoHome) {
			s.Reason = "no personal script: user has no home directory"
			return s, nil
		}
		return s, fmt.Errorf("personal script: %w", err)
	}
	s.Path = path
	if err := ctx.Err(); err != nil {
		return s, err
	}
	var roots []string
	for _, r := range []string{u.Home, userDir, filepath.Dir(path)} {
		if r != "" && confined(ev, u.Home, r) {
			roots = append(roots, r)
		}
	}
	// The usual case: a plain file in a directory that is itself allowed
	// (~/.dovecot.sieve). One open that refuses to follow a symlink in the
	// last component examines and checks it; a symlink (ELOOP) takes the
	// general way below.
	if dir, err := ev.eval(filepath.Dir(path)); err == nil && within(ev, filepath.Join(dir, filepath.Base(path)), roots) {
		err := checkReadable(path, true)
		switch {
		case err == nil:
			s.Exists = true
			s.Reason = "personal script " + path
			return s, nil
		case missing(err):
			s.Reason = "no personal script at " + path
			return s, nil
		case errors.Is(err, ErrNotRegular):
			s.Exists = true
			s.Err = fmt.Errorf("personal script %s: %w", path, err)
			s.Reason = s.Err.Error() + ": not run"
			return s, nil
		case !errors.Is(err, syscall.ELOOP):
			return s, &TempError{Op: "open personal script", Path: path, Err: err}
		}
	}
	lst, err := ev.lstat(path)
	switch {
	case missing(err):
		s.Reason = "no personal script at " + path
		return s, nil
	case err != nil:
		return s, &TempError{Op: "examine personal script", Path: path, Err: err}
	}
	// Both a symlink's target and a file whose directory is reached
	// through a symlink must resolve into one of the roots.
	target, err := ev.eval(path)
	switch {
	case missing(err) && lst.Mode()&fs.ModeSymlink != 0:
		link, _ := os.Readlink(path)
		s.Reason = fmt.Sprintf("no personal script: %s is a symlink to missing %s", path, link)
		return s, nil
	case missing(err):
		s.Reason = "no personal script at " + path // removed meanwhile
		return s, nil
	case err != nil:
		return s, &TempError{Op: "resolve personal script", Path: path, Err: err}
	}
	if lst.Mode()&fs.ModeSymlink != 0 {
		s.Target = target
	}
	s.Exists = true
	if !within(ev, target, roots) {
		s.Err = fmt.Errorf("personal script %s resolves to %s: %w", path, target, ErrOutsideRoot)
		s.Reason = s.Err.Error() + ": not run"
		return s, nil
	}
	if err := checkReadable(target, false); err != nil {
		if errors.Is(err, ErrNotRegular) {
			s.Err = fmt.Errorf("personal script %s: %w", target, err)
			s.Reason = s.Err.Error() + ": not run"
			return s, nil
		}
		return s, &TempError{Op: "open personal script", Path: target, Err: err}
	}
	s.Reason = "personal script " + path
	if s.Target != "" {
		s.Reason += " -> " + s.Target
	}
	return s, nil
}

func defaultScript(u User, tmpl, why string) (Script, error) {
	s := Script{Kind: KindDefault}
	path, err := u.Expand(tmpl)
	if err != nil {
		return s, fmt.Errorf("default script: %w", err)
	}
	s.Path = path
	err = checkReadable(path, false)
	switch {
	case err == nil:
		s.Exists = true
		s.Reason = why + ": using default " + path
	case missing(err):
		s.Reason = why + ": default " + path + " does not exist either"
	case errors.Is(err, ErrNotRegular):
		return s, fmt.Errorf("default script %s: %w", path, err)
	default:
		return s, &TempError{Op: "open default script", Path: path, Err: err}
	}
	return s, nil
}

// addAdmin appends a before/after entry: a file, or a directory's *.sieve
// files in name order. A missing entry is explained and skipped; one that
// exists but cannot be read fails with a *TempError, since running the user's
// script without the administrator's would file mail wrongly.
func (p *Plan) addAdmin(ctx context.Context, kind Kind, u User, tmpl string) error {
	tmpl = strings.TrimPrefix(tmpl, "file:")
	path, err := u.Expand(tmpl)
	if err != nil {
		return fmt.Errorf("%s script: %w", kind, err)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	// One open and fstat tell a readable file from a directory.
	fd, err := sysOpen(path, false)
	switch {
	case missing(err):
		p.Scripts = append(p.Scripts, Script{Kind: kind, Path: path, Reason: path + " does not exist: skipped"})
		return nil
	case err != nil:
		return &TempError{Op: "open " + kind.String() + " script", Path: path, Err: err}
	}
	st, err := sysFstat(fd, path)
	sysClose(fd)
	switch {
	case err != nil:
		return &TempError{Op: "examine " + kind.String() + " script", Path: path, Err: err}
	case isRegular(&st):
		p.Scripts = append(p.Scripts, Script{Kind: kind, Path: path, Exists: true, Reason: path})
		return nil
	case !isDir(&st):
		return &TempError{Op: "open " + kind.String() + " script", Path: path, Err: ErrNotRegular}
	}
	ents, err := os.ReadDir(path)
	if err != nil {
		return &TempError{Op: "list " + kind.String() + " scripts", Path: path, Err: err}
	}
	var names []string
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ScriptExt) && !strings.HasPrefix(e.Name(), ".") {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	if len(names) == 0 {
		p.Scripts = append(p.Scripts, Script{Kind: kind, Path: path, Reason: "no *" + ScriptExt + " files in " + path})
	}
	for _, n := range names {
		f := filepath.Join(path, n)
		err := checkReadable(f, false)
		switch {
		case err == nil:
			p.Scripts = append(p.Scripts, Script{Kind: kind, Path: f, Exists: true, Reason: f + " (from " + path + ")"})
		case missing(err):
			p.Scripts = append(p.Scripts, Script{Kind: kind, Path: f, Reason: f + " vanished: skipped"})
		case errors.Is(err, ErrNotRegular):
			p.Scripts = append(p.Scripts, Script{Kind: kind, Path: f, Reason: f + " is not a regular file: skipped"})
		default:
			return &TempError{Op: "open " + kind.String() + " script", Path: f, Err: err}
		}
	}
	return nil
}
