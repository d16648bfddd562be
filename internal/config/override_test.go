package config

import (
	"errors"
	"strings"
	"testing"
)

func TestParseWithOverrides(t *testing.T) {
	const file = `hostname = "mx.example.org"

[users]
source = "system"

[mail]
location = "maildir:~/Maildir"
`
	tests := []struct {
		name      string
		overrides map[string]string
		check     func(t *testing.T, c *Config)
		wantErr   string
	}{
		{
			name:      "none",
			overrides: nil,
			check: func(t *testing.T, c *Config) {
				if c.Mail.Location != "maildir:~/Maildir" {
					t.Errorf("location = %q", c.Mail.Location)
				}
			},
		},
		{
			name:      "plain string",
			overrides: map[string]string{"mail.location": "maildir:~/Mail"},
			check: func(t *testing.T, c *Config) {
				if c.Mail.Location != "maildir:~/Mail" {
					t.Errorf("location = %q", c.Mail.Location)
				}
			},
		},
		{
			name:      "typed values and a new table",
			overrides: map[string]string{"mail.save_to_detail_mailbox": "true", "lmtp.max_recipients": "7", "log.level": `"debug"`},
			check: func(t *testing.T, c *Config) {
				if !c.Mail.SaveToDetailMailbox || c.LMTP.MaxRecipients != 7 || c.Log.Level.String() != "DEBUG" {
					t.Errorf("got %+v %+v %v", c.Mail, c.LMTP.MaxRecipients, c.Log.Level)
				}
			},
		},
		{
			name:      "top-level key",
			overrides: map[string]string{"hostname": "other.example.org"},
			check: func(t *testing.T, c *Config) {
				if c.Hostname != "other.example.org" {
					t.Errorf("hostname = %q", c.Hostname)
				}
			},
		},
		{name: "unknown key", overrides: map[string]string{"mail.nope": "1"}, wantErr: "-o: mail.nope: unknown key"},
		{name: "bad value", overrides: map[string]string{"lmtp.max_recipients": "many"}, wantErr: "-o: lmtp.max_recipients:"},
		{name: "not a table", overrides: map[string]string{"hostname.x": "1"}, wantErr: "-o: hostname.x: hostname is not a table"},
		{name: "empty element", overrides: map[string]string{"mail..x": "1"}, wantErr: "empty key element"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ParseWithOverrides("sluice.toml", []byte(file), tt.overrides)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				var es Errors
				if !errors.As(err, &es) {
					t.Errorf("err is %T, want Errors", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, c)
		})
	}
}

func TestParseWithOverridesKeepsFileLines(t *testing.T) {
	const file = "hostname = \"mx.example.org\"\n\n[lmtp]\nmax_recipients = -3\n"
	_, err := ParseWithOverrides("sluice.toml", []byte(file), map[string]string{"mail.location": "maildir:~/M"})
	if err == nil || !strings.Contains(err.Error(), "sluice.toml:4: lmtp.max_recipients") {
		t.Fatalf("err = %v, want the error at sluice.toml:4", err)
	}
}

func FuzzParseWithOverrides(f *testing.F) {
	f.Add("hostname = \"a.example\"\n", "mail.location", "maildir:~/M")
	f.Add("[users]\nsource = \"system\"\n", "users.domains", `["x.org"]`)
	f.Add("", "a.b.c", "{")
	f.Fuzz(func(t *testing.T, file, key, value string) {
		c, err := ParseWithOverrides("f.toml", []byte(file), map[string]string{key: value})
		if (c == nil) == (err == nil) {
			t.Fatalf("config %v and error %v", c, err)
		}
	})
}
