package scripts

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// resolver resolves symlinks like filepath.EvalSymlinks for the duration of
// one planning. It remembers each answer and each lstat it made, so that a
// directory looked at for several purposes is examined once, and it starts
// paths inside the user's home from the home's remembered resolution (see
// homeCache) rather than from the root. Everything below the home is
// examined afresh by every resolver: a user switching a symlink, or
// creating or removing ~/sieve, is seen at the next planning.
//
// A nil *resolver remembers nothing and calls filepath.EvalSymlinks.
type resolver struct {
	homes *homeCache // nil: the home is resolved like any other path
	home  string     // clean absolute home, "" when the user has none

	homeLooked bool
	homeReal   string // "" when the home could not be resolved

	memo map[string]evalResult
	lst  map[string]lstatResult
}

type evalResult struct {
	path string
	err  error
}

type lstatResult struct {
	fi  fs.FileInfo
	err error
}

// maxLinks is how many symlinks one resolution follows, as in
// filepath.EvalSymlinks.
const maxLinks = 255

// newResolver returns a resolver for a planning for a user with home
// (may be ""), taking the home's resolution from homes (may be nil).
func newResolver(homes *homeCache, home string) *resolver {
	r := &resolver{homes: homes, memo: make(map[string]evalResult), lst: make(map[string]lstatResult)}
	if home != "" && filepath.IsAbs(home) {
		if h := filepath.Clean(home); h != "/" {
			r.home = h
		}
	}
	return r
}

// eval returns p with all symlinks resolved, or the error that stopped the
// resolution (one for which missing is true when a component does not
// exist).
func (r *resolver) eval(p string) (string, error) {
	if r == nil || !filepath.IsAbs(p) {
		return filepath.EvalSymlinks(p)
	}
	if res, ok := r.memo[p]; ok {
		return res.path, res.err
	}
	res, err := r.walk(p)
	r.memo[p] = evalResult{res, err}
	return res, err
}

// lstat is os.Lstat, remembered for the planning.
func (r *resolver) lstat(p string) (fs.FileInfo, error) {
	if r == nil {
		return os.Lstat(p)
	}
	if res, ok := r.lst[p]; ok {
		return res.fi, res.err
	}
	fi, err := os.Lstat(p)
	r.lst[p] = lstatResult{fi, err}
	return fi, err
}

// start returns where the resolution of the absolute path p begins: the
// resolved home and the rest of p when p starts with the home's
// components, else the root and p.
func (r *resolver) start(p string) (dest, rest string) {
	if r.homes == nil || r.home == "" || !strings.HasPrefix(p, r.home) || (len(p) > len(r.home) && p[len(r.home)] != '/') {
		return "/", p
	}
	if !r.homeLooked {
		r.homeLooked = true
		r.homeReal, _ = r.homes.resolve(r.home)
	}
	if r.homeReal == "" {
		return "/", p
	}
	return r.homeReal, p[len(r.home):]
}

// walk resolves the absolute path p one component at a time, the way
// filepath.EvalSymlinks does: ".." applies to the resolved directory so
// far, a relative link replaces the last component, an absolute one
// restarts from the root (or from the home).
func (r *resolver) walk(p string) (string, error) {
	dest, rest := r.start(p)
	links := 0
	for start, end := 0, 0; start < len(rest); start = end {
		for start < len(rest) && rest[start] == '/' {
			start++
		}
		end = start
		for end < len(rest) && rest[end] != '/' {
			end++
		}
		switch comp := rest[start:end]; comp {
		case "":
			continue // trailing slashes
		case ".":
			continue
		case "..":
			dest = filepath.Dir(dest)
			continue
		default:
			dest = filepath.Join(dest, comp)
		}
		fi, err := r.lstat(dest)
		if err != nil {
			return "", err
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			if !fi.IsDir() && end < len(rest) {
				return "", &fs.PathError{Op: "lstat", Path: dest + rest[end:], Err: syscall.ENOTDIR}
			}
			continue
		}
		if links++; links > maxLinks {
			return "", &fs.PathError{Op: "resolve", Path: dest, Err: syscall.ELOOP}
		}
		link, err := os.Readlink(dest)
		if err != nil {
			return "", err
		}
		if filepath.IsAbs(link) {
			dest, rest = r.start(link + rest[end:])
		} else {
			dest, rest = filepath.Dir(dest), link+rest[end:]
		}
		end = 0
	}
	return filepath.Clean(dest), nil
}

// within reports whether path lies inside one of roots (compared after
// resolving symlinks in the roots themselves; a root that cannot be
// resolved is compared by name). path is already resolved.
func within(r *resolver, path string, roots []string) bool {
	for _, root := range roots {
		if root == "" {
			continue
		}
		if rr, err := r.eval(root); err == nil {
			root = rr
		}
		if lexWithin(path, root) {
			return true
		}
	}
	return false
}

// confined reports whether dir may serve as a root for the user's scripts:
// a directory lexically inside the user's home must not lead outside it
// through a symlink (~/sieve -> /etc would otherwise let a user point the
// delivery agent at any file). Directories outside the home were configured
// by the administrator and are trusted. A directory that does not exist yet
// is judged by its name.
func confined(r *resolver, home, dir string) bool {
	if home == "" || !lexWithin(dir, home) {
		return true
	}
	res, err := r.eval(dir)
	if err != nil {
		return true
	}
	rh, err := r.eval(home)
	if err != nil {
		rh = home
	}
	return lexWithin(res, rh)
}

func lexWithin(path, root string) bool {
	rel, err := filepath.Rel(root, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, "../") && !filepath.IsAbs(rel)
}
