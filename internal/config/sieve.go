package config

import (
	"path/filepath"
	"strings"
	"time"
)

// Sieve configures filtering (RFC 5228). Path fields may use the
// templates of mail.location (%u %n %d %h, %{user} ..., "~").
type Sieve struct {
	// Enabled runs scripts; false keeps every message into INBOX.
	Enabled bool
	// UserScript is Dovecot's "sieve", UserDir "sieve_dir", Before and
	// After "sieve_before"/"sieve_after", Default "sieve_default",
	// GlobalDir "sieve_global"; UserLog is where a user's compile errors
	// go ("" = UserScript + ".log").
	UserScript, UserDir string
	Before, After       []string
	Default, GlobalDir  string
	UserLog             string
	// MaxScriptSize, MaxActions and MaxRedirects are Dovecot's
	// sieve_max_script_size, sieve_max_actions, sieve_max_redirects.
	MaxScriptSize int64
	MaxActions    int
	MaxRedirects  int
	// Reject is "protocol" (550 5.7.1) or "mail" (a rejection notice).
	Reject string
}

// Outbound says how sluice sends the mail it originates.
type Outbound struct {
	// Relay is an SMTP host:port; Sendmail, when set, is used instead.
	Relay, Sendmail string
	Timeout         time.Duration
}

// Redirect configures Sieve redirect.
type Redirect struct {
	// SRSDomain and SRSSecret turn on the Sender Rewriting Scheme.
	SRSDomain, SRSSecret string
	// DuplicateWindow is how long a (Message-ID, target) pair is not
	// forwarded again.
	DuplicateWindow time.Duration
}

// Vacation configures Sieve vacation (RFC 5230).
type Vacation struct {
	// ReturnPath is "null" (RFC 3834 §3.3) or "recipient".
	ReturnPath           string
	MinPeriod, MaxPeriod time.Duration
	// Addresses are extra addresses every user counts as theirs.
	Addresses []string
	// DefaultSubject is the Subject of a reply without :subject to a
	// message without one; "" means "Automated reply".
	DefaultSubject string
	// DefaultSubjectTemplate is the Subject of a reply without :subject
	// to a message with one, "%$" (or "%{subject}") standing for its
	// subject; "" means "Auto: %$".
	DefaultSubjectTemplate string
	// ToHeaderIgnoreEnvelope names the original's Sender, Resent-From or
	// From in the reply's To even when it is not the envelope sender.
	ToHeaderIgnoreEnvelope bool
}

// State says where sluice remembers vacation replies, forwards and
// finished side effects.
type State struct {
	// Backend is "bolt" (a file), "redis" or "memory" (lost on restart).
	Backend                     string
	File                        string
	RedisAddress, RedisPassword string
}

// State backends.
const (
	StateBolt   = "bolt"
	StateRedis  = "redis"
	StateMemory = "memory"
)

// Reject modes.
const (
	RejectProtocol = "protocol"
	RejectMail     = "mail"
)

func defaultSieveSections(c *Config) {
	c.Sieve = Sieve{
		Enabled:       true,
		UserScript:    "~/.dovecot.sieve",
		UserDir:       "~/sieve",
		MaxScriptSize: 1 << 20,
		MaxActions:    32,
		MaxRedirects:  4,
		Reject:        RejectProtocol,
	}
	c.Outbound = Outbound{Relay: "127.0.0.1:25", Timeout: 2 * time.Minute}
	c.Redirect = Redirect{DuplicateWindow: 12 * time.Hour}
	c.Vacation = Vacation{ReturnPath: "null", MinPeriod: 24 * time.Hour, MaxPeriod: 60 * 24 * time.Hour}
	c.State = State{Backend: StateBolt, File: "/var/lib/sluice/state.db"}
	c.LMTP.MaxUserDeliveries = 10
}

// sieveSections are the tables added for filtering and its side effects.
var sieveSections = []string{"sieve", "outbound", "redirect", "vacation", "state"}

func duration(field func(*Config) *time.Duration) func(*Config, any) error {
	return func(c *Config, v any) error {
		d, err := durationValue(v)
		if err == nil {
			*field(c) = d
		}
		return err
	}
}

// sieveFields are the keys of sieveSections and the filtering keys of
// [mail] and [lmtp].
var sieveFields = map[string]func(c *Config, v any) error{
	"sieve.enabled":         boolean(func(c *Config) *bool { return &c.Sieve.Enabled }),
	"sieve.user_script":     str(func(c *Config) *string { return &c.Sieve.UserScript }),
	"sieve.user_dir":        str(func(c *Config) *string { return &c.Sieve.UserDir }),
	"sieve.before":          strList(func(c *Config) *[]string { return &c.Sieve.Before }),
	"sieve.after":           strList(func(c *Config) *[]string { return &c.Sieve.After }),
	"sieve.default":         str(func(c *Config) *string { return &c.Sieve.Default }),
	"sieve.global_dir":      str(func(c *Config) *string { return &c.Sieve.GlobalDir }),
	"sieve.user_log":        str(func(c *Config) *string { return &c.Sieve.UserLog }),
	"sieve.max_script_size": size(func(c *Config) *int64 { return &c.Sieve.MaxScriptSize }),
	"sieve.max_actions":     count(func(c *Config) *int { return &c.Sieve.MaxActions }),
	"sieve.max_redirects":   count(func(c *Config) *int { return &c.Sieve.MaxRedirects }),
	"sieve.reject":          str(func(c *Config) *string { return &c.Sieve.Reject }),

	"outbound.relay":    str(func(c *Config) *string { return &c.Outbound.Relay }),
	"outbound.sendmail": str(func(c *Config) *string { return &c.Outbound.Sendmail }),
	"outbound.timeout":  duration(func(c *Config) *time.Duration { return &c.Outbound.Timeout }),

	"redirect.srs_domain":       str(func(c *Config) *string { return &c.Redirect.SRSDomain }),
	"redirect.srs_secret":       str(func(c *Config) *string { return &c.Redirect.SRSSecret }),
	"redirect.duplicate_window": duration(func(c *Config) *time.Duration { return &c.Redirect.DuplicateWindow }),

	"vacation.return_path": str(func(c *Config) *string { return &c.Vacation.ReturnPath }),
	"vacation.min_period":  duration(func(c *Config) *time.Duration { return &c.Vacation.MinPeriod }),
	"vacation.max_period":  duration(func(c *Config) *time.Duration { return &c.Vacation.MaxPeriod }),
	"vacation.addresses":   strList(func(c *Config) *[]string { return &c.Vacation.Addresses }),

	"vacation.default_subject":           str(func(c *Config) *string { return &c.Vacation.DefaultSubject }),
	"vacation.default_subject_template":  str(func(c *Config) *string { return &c.Vacation.DefaultSubjectTemplate }),
	"vacation.to_header_ignore_envelope": boolean(func(c *Config) *bool { return &c.Vacation.ToHeaderIgnoreEnvelope }),

	"state.backend":        str(func(c *Config) *string { return &c.State.Backend }),
	"state.file":           str(func(c *Config) *string { return &c.State.File }),
	"state.redis_address":  str(func(c *Config) *string { return &c.State.RedisAddress }),
	"state.redis_password": str(func(c *Config) *string { return &c.State.RedisPassword }),

	"mail.quota":           str(func(c *Config) *string { return &c.Mail.Quota }),
	"mail.quota_temporary": boolean(func(c *Config) *bool { return &c.Mail.QuotaTemporary }),
	"mail.autocreate":      boolean(func(c *Config) *bool { return &c.Mail.Autocreate }),
	"mail.autosubscribe":   boolean(func(c *Config) *bool { return &c.Mail.Autosubscribe }),
	"mail.separator":       str(func(c *Config) *string { return &c.Mail.Separator }),

	"lmtp.max_user_deliveries": count(func(c *Config) *int { return &c.LMTP.MaxUserDeliveries }),
}

// validateSieve checks the filtering sections.
func (c *Config) validateSieve(bad func(key, format string, args ...any)) {
	if sep := c.Mail.Separator; len(sep) != 1 || !strings.ContainsAny(sep, "/.") {
		// Both are what Dovecot setups use; Maildir++ keeps '.' on disk.
		bad("mail.separator", "%q: want \"/\" or \".\"", sep)
	}
	s := c.Sieve
	if s.Reject != RejectProtocol && s.Reject != RejectMail {
		bad("sieve.reject", "%q: want %q or %q", s.Reject, RejectProtocol, RejectMail)
	}
	if s.Enabled && s.UserScript == "" {
		bad("sieve.user_script", "must not be empty")
	}
	if c.Outbound.Relay == "" && c.Outbound.Sendmail == "" {
		bad("outbound.relay", "set outbound.relay or outbound.sendmail")
	}
	if c.Outbound.Timeout <= 0 {
		bad("outbound.timeout", "must be more than 0")
	}
	if (c.Redirect.SRSDomain == "") != (c.Redirect.SRSSecret == "") {
		bad("redirect.srs_secret", "srs_domain and srs_secret go together")
	}
	if c.Redirect.DuplicateWindow <= 0 {
		bad("redirect.duplicate_window", "must be more than 0")
	}
	if c.Vacation.ReturnPath != "null" && c.Vacation.ReturnPath != "recipient" {
		bad("vacation.return_path", "%q: want \"null\" or \"recipient\"", c.Vacation.ReturnPath)
	}
	if c.Vacation.MinPeriod > c.Vacation.MaxPeriod {
		bad("vacation.min_period", "%s is more than vacation.max_period (%s)", c.Vacation.MinPeriod, c.Vacation.MaxPeriod)
	}
	switch c.State.Backend {
	case StateBolt:
		if c.State.File == "" {
			bad("state.file", "required for backend %q", StateBolt)
		}
	case StateRedis:
		if c.State.RedisAddress == "" {
			bad("state.redis_address", "required for backend %q", StateRedis)
		}
	case StateMemory:
	default:
		bad("state.backend", "%q: want %q, %q or %q", c.State.Backend, StateBolt, StateRedis, StateMemory)
	}
}

// absSievePaths makes the relative paths of the filtering sections
// absolute; templates ("~", "%h") are left for each user.
func (p *parser) absSievePaths() {
	rel := func(path *string) {
		if strings.HasPrefix(*path, "./") || strings.HasPrefix(*path, "../") {
			if a, err := filepath.Abs(*path); err == nil {
				*path = a
			}
		}
	}
	s := &p.c.Sieve
	for _, f := range []*string{&s.UserScript, &s.UserDir, &s.Default, &s.GlobalDir, &s.UserLog, &p.c.State.File} {
		rel(f)
	}
	for i := range s.Before {
		rel(&s.Before[i])
	}
	for i := range s.After {
		rel(&s.After[i])
	}
	if f := &p.c.State.File; *f != "" && !filepath.IsAbs(*f) {
		if a, err := filepath.Abs(*f); err == nil {
			*f = a
		}
	}
}
