package main

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/sluice-mail/sluice/internal/config"
)

func TestCheckRootDeliveries(t *testing.T) {
	const system, static = "source = \"system\"", "source = \"static\"\ndomains = [\"example.org\"]\nstatic_home = \"/v/%n\""
	tests := []struct {
		name, server, users string
		euid                int
		want                string // "" = allowed
	}{
		{"not root", "deliver_as_user = false", system, 1000, ""},
		{"system users as root", "", system, 0, ""},
		{"children off", "deliver_as_user = false", system, 0, "deliveries would run as root"},
		{"children off, allowed", "deliver_as_user = false\nallow_root = true", system, 0, ""},
		{"static without uid", "", static, 0, "static_uid"},
		{"static with uid", "", static + "\nstatic_uid = 5000", 0, ""},
		{"static without uid, allowed", "allow_root = true", static, 0, ""},
		{"user is root", "user = \"root\"", system, 0, "is root"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := config.Parse("t.toml", []byte("[server]\n"+tc.server+"\n[users]\n"+tc.users+"\n"))
			if err != nil {
				t.Fatal(err)
			}
			err = checkRootDeliveries(cfg, tc.euid)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("error %v, want one saying %q", err, tc.want)
			}
		})
	}
}

// TestChildSetupRoundTrip checks that the configuration a child gets as
// JSON is the server's.
func TestChildSetupRoundTrip(t *testing.T) {
	cfg, err := config.Load("../../internal/config/reference.toml")
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	got := new(config.Config)
	if err := json.Unmarshal(b, got); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, cfg) {
		t.Errorf("round trip:\n got %+v\nwant %+v", got, cfg)
	}
}

func TestServerAccount(t *testing.T) {
	tests := []struct {
		name     string
		s        config.Server
		ok       bool
		uid, gid int
		err      string
	}{
		{"unset", config.Server{}, false, 0, 0, ""},
		{"root by name", config.Server{User: "root"}, true, 0, 0, ""},
		{"numeric without entry", config.Server{User: "54321", Group: "54322"}, true, 54321, 54322, ""},
		{"unknown", config.Server{User: "no-such-account-sluice"}, false, 0, 0, "server.user"},
		{"unknown group", config.Server{User: "root", Group: "no-such-group-sluice"}, false, 0, 0, "server.group"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, ok, err := serverAccount(tc.s)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Errorf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || ok != tc.ok || a.uid != tc.uid || a.gid != tc.gid {
				t.Errorf("got %+v %v %v, want uid %d gid %d ok %v", a, ok, err, tc.uid, tc.gid, tc.ok)
			}
		})
	}
}

func TestUserCredential(t *testing.T) {
	c, name, err := userCredential(0, -1, "fallback")
	if err != nil {
		t.Fatal(err)
	}
	if name != "root" || c.Uid != 0 || c.Gid != 0 || len(c.Groups) == 0 || c.Groups[0] != 0 {
		t.Errorf("root: %+v %q", c, name)
	}
	// A uid without a passwd entry keeps the given gid and no other group.
	c, name, err = userCredential(54321, 54322, "virt")
	if err != nil {
		t.Fatal(err)
	}
	if name != "virt" || c.Uid != 54321 || c.Gid != 54322 || !reflect.DeepEqual(c.Groups, []uint32{54322}) {
		t.Errorf("no entry: %+v %q", c, name)
	}
	if _, _, err := userCredential(54321, -1, "virt"); err == nil {
		t.Error("no gid and no entry: want an error")
	}
}
