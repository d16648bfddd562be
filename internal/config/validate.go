package config

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/sluice-mail/sluice/internal/address"
	"github.com/sluice-mail/sluice/internal/userdb"
)

// Validate checks the values that depend on each other or need parsing
// beyond their type. The error is an Errors whose entries name the key;
// Parse adds the file and line.
func (c *Config) Validate() error {
	var errs Errors
	bad := func(key string, format string, args ...any) {
		errs = append(errs, &Error{Key: key, Err: fmt.Errorf(format, args...)})
	}
	if c.Hostname == "" {
		bad("hostname", "cannot tell this host's name; set hostname")
	} else if _, err := address.Parse("postmaster@" + c.Hostname); err != nil {
		bad("hostname", "%q is not a valid host name", c.Hostname)
	}
	if c.Log.Format != FormatText && c.Log.Format != FormatJSON {
		bad("log.format", "%q: want %q or %q", c.Log.Format, FormatText, FormatJSON)
	}
	seen := make(map[string]bool)
	for _, l := range c.LMTP.Listen {
		if seen[l.String()] {
			bad("lmtp.listen", "%q is listed twice", l.String())
		}
		seen[l.String()] = true
	}
	if c.LMTP.Timeout <= 0 {
		bad("lmtp.timeout", "must be more than 0")
	}
	if c.LMTP.SpoolDir == "" {
		bad("lmtp.spool_dir", "must not be empty")
	}
	c.validateUsers(bad)
	if _, err := userdb.ParseLocation(c.Mail.Location); err != nil {
		bad("mail.location", "%w", err)
	}
	if strings.ContainsAny(c.Mail.RecipientDelimiter, "@\" ") {
		bad("mail.recipient_delimiter", "%q: '@', '\"' and space cannot be delimiters", c.Mail.RecipientDelimiter)
	}
	c.validateSieve(bad)
	c.validateServer(bad)
	c.validateMetrics(bad)
	var ext Errors
	if errors.As(c.ValidateExtensions(), &ext) {
		errs = append(errs, ext...)
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

func (c *Config) validateUsers(bad func(key, format string, args ...any)) {
	u := c.Users
	sources := []string{userdb.SourcePasswdFile, userdb.SourceStatic, userdb.SourceSystem}
	if !slices.Contains(sources, u.Source) {
		bad("users.source", "%q: want %s", u.Source, strings.Join(sources, ", "))
	}
	if u.LocalPartFold != userdb.FoldNone && u.LocalPartFold != userdb.FoldLower {
		bad("users.local_part_fold", "%q: want %q or %q", u.LocalPartFold, userdb.FoldNone, userdb.FoldLower)
	}
	for _, d := range u.Domains {
		if a, err := address.Parse("x@" + d); err != nil || a.Domain != d {
			bad("users.domains", "%q is not a valid domain", d)
		}
	}
	switch u.Source {
	case userdb.SourcePasswdFile:
		if u.File == "" {
			bad("users.file", "required for source %q", u.Source)
		}
	case userdb.SourceStatic:
		if len(u.Domains) == 0 {
			bad("users.domains", "required for source %q", u.Source)
		}
		if u.StaticHome == "" {
			bad("users.static_home", "required for source %q", u.Source)
		} else if _, err := userdb.NewStatic(u.StaticHome, u.StaticUID, u.StaticGID); err != nil {
			var te *userdb.TemplateError
			if errors.As(err, &te) {
				bad("users.static_home", "%q: %s", u.StaticHome, te.Reason)
			} else {
				bad("users.static_home", "%w", err)
			}
		}
	}
}
