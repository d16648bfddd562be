package config

import (
	"strings"
	"time"
)

// Server says which account the LMTP server runs as and which account
// each delivery runs as.
//
// Virtual users: the server starts as root only to bind its sockets and
// open its files, then becomes User (and Group, with no supplementary
// groups) for good; every delivery runs as that account. System users:
// the server stays root and runs each recipient who has a uid of their
// own in a child process with that user's uid, gid and groups
// (DeliverAsUser).
type Server struct {
	// User and Group are the account (names or numeric ids) the server
	// switches to after binding its sockets; "" stays as started. Group
	// defaults to User's primary group.
	User, Group string
	// AllowRoot lets deliveries run as root. Without it a server still
	// root after start-up refuses to start unless every delivery runs in
	// a child as its user (DeliverAsUser), and such a server refuses a
	// recipient without a uid of their own.
	AllowRoot bool
	// DeliverAsUser runs, in a server that is root, each recipient whose
	// uid differs from the server's in a child process as that user.
	DeliverAsUser bool
	// ChildTimeout bounds one such child; when it runs out the child is
	// killed and the recipient gets 451 4.3.0.
	ChildTimeout time.Duration
}

// serverSection is the table of Server.
const serverSection = "server"

func defaultServer(c *Config) {
	c.Server = Server{DeliverAsUser: true, ChildTimeout: 5 * time.Minute}
}

// serverFields are the keys of [server].
var serverFields = map[string]func(c *Config, v any) error{
	"server.user":            str(func(c *Config) *string { return &c.Server.User }),
	"server.group":           str(func(c *Config) *string { return &c.Server.Group }),
	"server.allow_root":      boolean(func(c *Config) *bool { return &c.Server.AllowRoot }),
	"server.deliver_as_user": boolean(func(c *Config) *bool { return &c.Server.DeliverAsUser }),
	"server.child_timeout":   duration(func(c *Config) *time.Duration { return &c.Server.ChildTimeout }),
}

// validateServer checks [server].
func (c *Config) validateServer(bad func(key, format string, args ...any)) {
	s := c.Server
	if strings.ContainsAny(s.User, ": \t") {
		bad("server.user", "%q is not an account name", s.User)
	}
	if strings.ContainsAny(s.Group, ": \t") {
		bad("server.group", "%q is not a group name", s.Group)
	}
	if s.Group != "" && s.User == "" {
		bad("server.group", "needs server.user")
	}
	if s.ChildTimeout <= 0 {
		bad("server.child_timeout", "must be more than 0")
	}
}
