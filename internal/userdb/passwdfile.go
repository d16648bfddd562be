package userdb

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/sluice-mail/sluice/internal/filecache"
)

// checkInterval is how often a user database file (passwd-file, the
// system's passwd) is looked at for changes.
const checkInterval = time.Second

// PasswdFile is a Source reading a Dovecot passwd-file. The file is read
// again when it changes (see package filecache). A broken line makes lookups of
// its user fail temporarily; other users are unaffected.
type PasswdFile struct {
	path  string
	fold  func(string) string
	ids   idFiles
	log   *slog.Logger
	cache *filecache.Cache[*passwdDB]
}

// idFiles names the system files used to resolve uid/gid names.
type idFiles struct {
	passwd, group string
}

type passwdDB struct {
	users    map[string]Entry
	bad      map[string]error // users whose lines are broken
	problems []error          // every broken line, in file order
}

// PasswdFileOptions configures NewPasswdFile.
type PasswdFileOptions struct {
	// Fold normalises a user name the way lookup keys are normalised
	// (e.g. lower-casing); nil leaves names as written.
	Fold func(string) string
	// SystemPasswd and SystemGroup resolve user and group names in the
	// uid and gid fields; default "/etc/passwd" and "/etc/group".
	SystemPasswd, SystemGroup string
	Logger                    *slog.Logger
}

// NewPasswdFile reads a passwd-file. Any broken line is an error here, so
// a mistake is found at start-up; each problem is named with its line.
func NewPasswdFile(path string, opts PasswdFileOptions) (*PasswdFile, error) {
	p := &PasswdFile{
		path: path,
		fold: opts.Fold,
		ids:  idFiles{passwd: opts.SystemPasswd, group: opts.SystemGroup},
		log:  opts.Logger,
	}
	if p.fold == nil {
		p.fold = func(s string) string { return s }
	}
	if p.ids.passwd == "" {
		p.ids.passwd = "/etc/passwd"
	}
	if p.ids.group == "" {
		p.ids.group = "/etc/group"
	}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	p.cache = filecache.New(path, checkInterval, p.parse)
	db, err := p.cache.Get()
	if err != nil {
		return nil, err
	}
	if len(db.problems) > 0 {
		return nil, errors.Join(db.problems...)
	}
	return p, nil
}

// Lookup finds q.Key.
func (p *PasswdFile) Lookup(ctx context.Context, q Query) (Entry, error) {
	if err := ctx.Err(); err != nil {
		return Entry{}, err
	}
	db, err := p.cache.Get()
	if err != nil {
		return Entry{}, fmt.Errorf("passwd-file: %w", err)
	}
	if err := db.bad[q.Key]; err != nil {
		return Entry{}, err
	}
	e, ok := db.users[q.Key]
	if !ok {
		return Entry{}, ErrUnknownUser
	}
	return e, nil
}

func (p *PasswdFile) parse(data []byte) (*passwdDB, error) {
	db := &passwdDB{users: make(map[string]Entry), bad: make(map[string]error)}
	ids := &idResolver{files: p.ids}
	lineOf := make(map[string]int)
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimRight(sc.Text(), "\r")
		if trimmed := strings.TrimSpace(line); trimmed == "" || trimmed[0] == '#' {
			continue
		}
		problem := func(key string, err error) {
			err = fmt.Errorf("%s:%d: %w", p.path, n, err)
			db.problems = append(db.problems, err)
			if key != "" {
				db.bad[key] = err
			}
		}
		pe, err := ParsePasswdLine(line)
		if err != nil {
			problem("", err)
			continue
		}
		key := foldUser(pe.Name, p.fold)
		if first, dup := lineOf[key]; dup {
			problem(key, fmt.Errorf("user %q repeats line %d", pe.Name, first))
			continue
		}
		lineOf[key] = n
		uid, err := ids.resolve(pe.UID, false)
		if err != nil {
			problem(key, fmt.Errorf("uid: %w", err))
			continue
		}
		gid, err := ids.resolve(pe.GID, true)
		if err != nil {
			problem(key, fmt.Errorf("gid: %w", err))
			continue
		}
		e := Entry{User: key, Home: pe.Home, UID: uid, GID: gid, Extra: pe.Extra}
		if m, ok := e.Extra["mail"]; ok {
			if _, err := ParseLocation(m); err != nil {
				problem(key, fmt.Errorf("mail: %w", err))
				continue
			}
			e.Mail = m
			delete(e.Extra, "mail")
		}
		db.users[key] = e
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	for _, err := range db.problems {
		p.log.Warn("passwd-file: broken line", slog.String("error", err.Error()))
	}
	return db, nil
}

// foldUser normalises a user name as lookup keys are: the domain part
// lower case, the local part through fold.
func foldUser(name string, fold func(string) string) string {
	if i := strings.LastIndexByte(name, '@'); i >= 0 {
		return fold(name[:i]) + "@" + strings.ToLower(name[i+1:])
	}
	return fold(name)
}

// idResolver turns uid/gid fields into numbers, reading the system files
// only when a name has to be resolved.
type idResolver struct {
	files          idFiles
	users, groups  map[string]sysEntry
	uerr, gerr     error
	loadedU, loadG bool
}

// resolve returns -1 for an empty field.
func (r *idResolver) resolve(field string, group bool) (int, error) {
	if field == "" {
		return -1, nil
	}
	if n, err := strconv.Atoi(field); err == nil {
		if n < 0 {
			return 0, fmt.Errorf("negative id %d", n)
		}
		return n, nil
	}
	table, err := r.table(group)
	if err != nil {
		return 0, err
	}
	e, ok := table[field]
	if !ok {
		kind := "user"
		if group {
			kind = "group"
		}
		return 0, fmt.Errorf("unknown %s name %q", kind, field)
	}
	return e.id, nil
}

func (r *idResolver) table(group bool) (map[string]sysEntry, error) {
	if group {
		if !r.loadG {
			r.groups, r.gerr = readSystemFile(r.files.group, true)
			r.loadG = true
		}
		return r.groups, r.gerr
	}
	if !r.loadedU {
		r.users, r.uerr = readSystemFile(r.files.passwd, false)
		r.loadedU = true
	}
	return r.users, r.uerr
}
