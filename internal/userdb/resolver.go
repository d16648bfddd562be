package userdb

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/sluice-mail/sluice/internal/address"
)

// Source names for Options.Source.
const (
	SourcePasswdFile = "passwd-file"
	SourceStatic     = "static"
	SourceSystem     = "system"
)

// Local part folding for Options.LocalPartFold.
const (
	FoldNone  = "none"
	FoldLower = "lower"
)

// Options configures NewResolver.
type Options struct {
	// Source is SourcePasswdFile, SourceStatic or SourceSystem.
	Source string
	// File is the passwd-file (SourcePasswdFile), or the passwd file of
	// SourceSystem (default SystemPasswd).
	File string
	// Domains, when not empty, are the only domains served; an address
	// without a domain passes. SourceStatic needs at least one.
	Domains []string
	// StaticHome, StaticUID and StaticGID describe SourceStatic users
	// (-1: unset).
	StaticHome           string
	StaticUID, StaticGID int
	// LocalPartFold is FoldLower (default) or FoldNone.
	LocalPartFold string
	// StripDomain looks users up by their local part alone.
	StripDomain bool
	// MailLocation is the Dovecot mail location used unless a user has a
	// "mail" extra field; default "maildir:~/Maildir".
	MailLocation string
	// RecipientDelimiter is the set of characters separating a +detail.
	RecipientDelimiter string
	// SystemPasswd and SystemGroup resolve names in passwd-file uid/gid
	// fields; default "/etc/passwd" and "/etc/group".
	SystemPasswd, SystemGroup string
	Logger                    *slog.Logger
}

// Directory resolves recipients against a Source.
//
// The lookup key is the full address "user@domain" after folding and
// removing the +detail, as Dovecot's default auth_username_format=%Lu
// does. With StripDomain, or for an address without a domain, the key is
// the user part alone. The system source always looks up the user part.
type Directory struct {
	src      Source
	opts     Options
	domains  map[string]bool
	location Location
	log      *slog.Logger
}

var _ Resolver = (*Directory)(nil)

// NewResolver builds the Source named in opts and checks the mail
// location; every mistake in opts is reported here rather than at
// delivery.
func NewResolver(opts Options) (*Directory, error) {
	d := &Directory{opts: opts, log: opts.Logger, domains: make(map[string]bool)}
	if d.log == nil {
		d.log = slog.New(slog.DiscardHandler)
	}
	switch opts.LocalPartFold {
	case "", FoldLower:
		d.opts.LocalPartFold = FoldLower
	case FoldNone:
	default:
		return nil, fmt.Errorf("local part fold %q: want %q or %q", opts.LocalPartFold, FoldNone, FoldLower)
	}
	for _, dom := range opts.Domains {
		d.domains[strings.ToLower(dom)] = true
	}
	if d.opts.MailLocation == "" {
		d.opts.MailLocation = "maildir:~/Maildir"
	}
	loc, err := ParseLocation(d.opts.MailLocation)
	if err != nil {
		return nil, err
	}
	for _, o := range loc.Ignored {
		d.log.Warn("mail location option ignored", slog.String("option", o), slog.String("location", d.opts.MailLocation))
	}
	d.location = loc

	switch opts.Source {
	case SourcePasswdFile:
		if opts.File == "" {
			return nil, errors.New("passwd-file: no file given")
		}
		d.src, err = NewPasswdFile(opts.File, PasswdFileOptions{
			Fold:         d.foldLocal,
			SystemPasswd: opts.SystemPasswd,
			SystemGroup:  opts.SystemGroup,
			Logger:       d.log,
		})
	case SourceStatic:
		if len(opts.Domains) == 0 {
			return nil, errors.New("static: no domains given")
		}
		d.src, err = NewStatic(opts.StaticHome, opts.StaticUID, opts.StaticGID)
	case SourceSystem:
		path := opts.File
		if path == "" {
			path = opts.SystemPasswd
		}
		d.src, err = NewSystem(path)
	default:
		return nil, fmt.Errorf("unknown user source %q", opts.Source)
	}
	if err != nil {
		return nil, err
	}
	return d, nil
}

func (d *Directory) foldLocal(s string) string {
	if d.opts.LocalPartFold == FoldLower {
		return strings.ToLower(s)
	}
	return s
}

// Resolve maps an RCPT TO address to a user. Errors wrap ErrBadAddress
// (bad syntax) or ErrUnknownUser (no such user), both permanent; any other
// error is temporary, including a mail location that does not expand to an
// absolute path (an administrator's mistake must not bounce mail).
func (d *Directory) Resolve(ctx context.Context, addr string) (Recipient, error) {
	if err := ctx.Err(); err != nil {
		return Recipient{}, err
	}
	a, err := address.Parse(addr)
	if err != nil {
		return Recipient{}, fmt.Errorf("%w: %w", ErrBadAddress, err)
	}
	if a.IsNull() {
		return Recipient{}, fmt.Errorf("%w: null address", ErrBadAddress)
	}
	local := d.foldLocal(a.Local)
	domain := strings.ToLower(a.Domain)
	user, detail := address.Split(local, d.opts.RecipientDelimiter)
	if user == "" {
		// "+lists@example.org": there is no user part to strip down to.
		user, detail = local, ""
	}
	if domain != "" && len(d.domains) > 0 && !d.domains[domain] {
		return Recipient{}, fmt.Errorf("<%s>: domain not served: %w", addr, ErrUnknownUser)
	}
	q := Query{Key: user, Local: user, Domain: domain}
	if domain != "" && !d.opts.StripDomain {
		q.Key = user + "@" + domain
	}
	e, err := d.src.Lookup(ctx, q)
	if errors.Is(err, ErrUnknownUser) {
		return Recipient{}, fmt.Errorf("<%s>: %w", addr, err)
	}
	if err != nil {
		return Recipient{}, fmt.Errorf("<%s>: user lookup: %w", addr, err)
	}
	loc := d.location
	if e.Mail != "" {
		if loc, err = ParseLocation(e.Mail); err != nil {
			return Recipient{}, fmt.Errorf("<%s>: user %q: %w", addr, e.User, err)
		}
	}
	root, err := loc.Expand(Vars{User: e.User, Home: e.Home})
	if errors.Is(err, ErrUnsafeValue) {
		// A name like "../x" cannot be given a mailbox: no such user.
		return Recipient{}, fmt.Errorf("<%s>: %w: %w", addr, ErrUnknownUser, err)
	}
	if err != nil {
		return Recipient{}, fmt.Errorf("<%s>: user %q: %w", addr, e.User, err)
	}
	r := Recipient{
		Address:    addr,
		User:       e.User,
		Local:      user,
		Domain:     domain,
		Detail:     detail,
		Home:       e.Home,
		UID:        e.UID,
		GID:        e.GID,
		MailRoot:   root,
		MailLayout: loc.Layout,
		Extra:      e.Extra,
	}
	d.log.DebugContext(ctx, "user resolved", slog.String("rcpt", addr), slog.String("user", r.User), slog.String("mail", root))
	return r, nil
}
