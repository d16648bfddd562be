// Package config reads sluice's configuration file, one TOML file
// (https://toml.io/en/v1.0.0), into plain structs.
//
// Parse and Load decode the file, fill in defaults and validate every
// value. Each problem is reported with the file, the line and the key,
// as "sluice.toml:7: lmtp.max_message_size: "50XB": unknown unit", and all
// problems of a file are reported at once. Unknown keys are errors.
//
// Relative paths in the file (listener sockets, users.file,
// lmtp.spool_dir, and a mail.location path starting with "./" or "../")
// are relative to the current working directory of the
// process reading it, and are made absolute when the file is read.
//
// reference.toml, beside this file, documents every key.
package config

import (
	"log/slog"
	"os"
	"time"

	"github.com/sluice-mail/sluice/internal/userdb"
)

// Config is the whole configuration.
type Config struct {
	// File is the path the configuration was read from ("" when built in
	// code).
	File string
	// Hostname names this host in replies and Received fields.
	Hostname string
	Log      Log
	LMTP     LMTP
	Users    Users
	Mail     Mail
	Sieve    Sieve
	Outbound Outbound
	Redirect Redirect
	Vacation Vacation
	State    State
	Server   Server
	Metrics  Metrics
	// SpamTest and VirusTest are [spamtest] and [virustest] (RFC 5235).
	SpamTest, VirusTest SpamTest
	// ExtLists is [extlists] (RFC 6134): list name → list file.
	ExtLists map[string]string
	// EditHeader is [editheader] (RFC 5293).
	EditHeader EditHeader
}

// Log configures logging.
type Log struct {
	Level  slog.Level
	Format string // "text" or "json"
}

// Log formats.
const (
	FormatText = "text"
	FormatJSON = "json"
)

// LMTP configures the LMTP server (RFC 2033).
type LMTP struct {
	Listen []Listener
	// MaxMessageSize is in bytes; 0 means no limit.
	MaxMessageSize int64
	// MaxRecipients and MaxConnections: 0 means no limit.
	MaxRecipients  int
	MaxConnections int
	// Timeout bounds each command and each read.
	Timeout time.Duration
	// SpoolMemory is how many bytes of a message are kept in memory
	// before it spills to a file in SpoolDir.
	SpoolMemory int64
	SpoolDir    string
	AddReceived bool
	// MaxUserDeliveries bounds the deliveries to one user at once
	// (Dovecot: 10); the excess gets 451 4.3.0. 0 means no limit.
	MaxUserDeliveries int
}

// Listener is one socket the LMTP server listens on.
type Listener struct {
	// Network is "unix" or "tcp".
	Network string
	// Address is a socket path (unix) or host:port (tcp).
	Address string
	// Mode, Owner and Group apply to unix sockets; zero values leave the
	// socket as created (mode from the umask, owned by the process).
	Mode         os.FileMode
	Owner, Group string
}

// String renders l in the "network:address" form of the file.
func (l Listener) String() string { return l.Network + ":" + l.Address }

// Users configures user lookup; see userdb.Options for the meaning.
type Users struct {
	Source               string
	File                 string
	Domains              []string
	StaticHome           string
	StaticUID, StaticGID int // -1: unset
	LocalPartFold        string
	StripDomain          bool
}

// Mail configures where and how mail is stored.
type Mail struct {
	// Location is a Dovecot mail_location, e.g. "maildir:~/Maildir".
	Location            string
	RecipientDelimiter  string
	SaveToDetailMailbox bool
	// Quota is the default Dovecot quota_rule ("*:storage=1G"); a user's
	// quota_rule extra field replaces it. "" means no quota.
	Quota string
	// QuotaTemporary answers over quota with 452 4.2.2 instead of 552 5.2.2.
	QuotaTemporary bool
	// Autocreate creates a missing mailbox a script files into
	// (lda_mailbox_autocreate); Autosubscribe also subscribes it.
	Autocreate, Autosubscribe bool
	// Separator is the hierarchy separator of mailbox names in scripts
	// and settings (Dovecot's namespace separator): with "/" a script
	// files into "Lists/Go", with "." into "Lists.Go"; on disk both are
	// the Maildir++ folder .Lists.Go. Default "/".
	Separator string
	// SpecialUse maps mailbox names to their special-use flags (RFC 6154,
	// space-separated), e.g. "Junk" → `\Junk`, as Dovecot's per-mailbox
	// special_use; Sieve's special-use extension (RFC 8579) reads it.
	SpecialUse map[string]string
}

// Default returns the configuration used for every key the file leaves
// out. Hostname is filled in from os.Hostname by Parse, not here.
func Default() *Config {
	c := &Config{
		Log: Log{Level: slog.LevelInfo, Format: FormatText},
		LMTP: LMTP{
			MaxMessageSize: 50 * 1000 * 1000,
			MaxRecipients:  100,
			MaxConnections: 100,
			Timeout:        5 * time.Minute,
			SpoolMemory:    1000 * 1000,
			SpoolDir:       os.TempDir(),
			AddReceived:    true,
		},
		Users: Users{
			Source:        userdb.SourcePasswdFile,
			StaticUID:     -1,
			StaticGID:     -1,
			LocalPartFold: userdb.FoldLower,
		},
		Mail: Mail{
			Location:           "maildir:~/Maildir",
			RecipientDelimiter: "+",
			Separator:          "/",
		},
	}
	defaultSieveSections(c)
	defaultServer(c)
	return c
}

// UserDB returns the options for userdb.NewResolver.
func (c *Config) UserDB(log *slog.Logger) userdb.Options {
	return userdb.Options{
		Source:             c.Users.Source,
		File:               c.Users.File,
		Domains:            c.Users.Domains,
		StaticHome:         c.Users.StaticHome,
		StaticUID:          c.Users.StaticUID,
		StaticGID:          c.Users.StaticGID,
		LocalPartFold:      c.Users.LocalPartFold,
		StripDomain:        c.Users.StripDomain,
		MailLocation:       c.Mail.Location,
		RecipientDelimiter: c.Mail.RecipientDelimiter,
		Logger:             log,
	}
}
