package config

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseServer(t *testing.T) {
	const sys = "[users]\nsource = \"system\"\n"
	c, err := Parse("s.toml", []byte(sys))
	if err != nil {
		t.Fatal(err)
	}
	if want := (Server{DeliverAsUser: true, ChildTimeout: 5 * time.Minute}); c.Server != want {
		t.Errorf("defaults: %+v, want %+v", c.Server, want)
	}
	c, err = Parse("s.toml", []byte(sys+`[server]
user = "vmail"
group = "mail"
allow_root = true
deliver_as_user = false
child_timeout = "90s"
`))
	if err != nil {
		t.Fatal(err)
	}
	want := Server{User: "vmail", Group: "mail", AllowRoot: true, ChildTimeout: 90 * time.Second}
	if c.Server != want {
		t.Errorf("parsed %+v, want %+v", c.Server, want)
	}

	tests := []struct{ name, text, want string }{
		{"group without user", "[server]\ngroup = \"mail\"\n", `s.toml:4: server.group: needs server.user`},
		{"bad user", "[server]\nuser = \"a b\"\n", `s.toml:4: server.user: "a b" is not an account name`},
		{"bad group", "[server]\nuser = \"a\"\ngroup = \"x:y\"\n", `s.toml:5: server.group: "x:y" is not a group name`},
		{"zero timeout", "[server]\nchild_timeout = \"0s\"\n", `s.toml:4: server.child_timeout: must be more than 0`},
		{"type", "[server]\nallow_root = \"yes\"\n", `s.toml:4: server.allow_root:`},
		{"unknown key", "[server]\nchroot = \"/\"\n", `s.toml:4: server.chroot: unknown key`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("s.toml", []byte(sys+tc.text))
			var es Errors
			if !errors.As(err, &es) {
				t.Fatalf("error %v, want Errors", err)
			}
			if got := es.Error(); !strings.Contains(got, tc.want) {
				t.Errorf("errors:\n%s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestServerOverride(t *testing.T) {
	c, err := ParseWithOverrides("s.toml", []byte("[users]\nsource = \"system\"\n"),
		map[string]string{"server.deliver_as_user": "false", "server.user": "nobody"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Server.DeliverAsUser || c.Server.User != "nobody" {
		t.Errorf("overrides not applied: %+v", c.Server)
	}
}
