package config

import (
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func mustAbs(t *testing.T, p string) string {
	t.Helper()
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestLoadReference(t *testing.T) {
	c, err := Load("reference.toml")
	if err != nil {
		t.Fatalf("reference.toml: %v", err)
	}
	want := &Config{
		File:     "reference.toml",
		Hostname: "mail.example.org",
		Log:      Log{Level: slog.LevelInfo, Format: "text"},
		LMTP: LMTP{
			Listen: []Listener{
				{Network: "unix", Address: mustAbs(t, "var/run/lmtp")},
				{Network: "tcp", Address: "127.0.0.1:2424"},
				{Network: "unix", Address: "/var/spool/postfix/private/sluice", Mode: 0o660, Owner: "postfix", Group: "postfix"},
			},
			MaxMessageSize: 50_000_000,
			MaxRecipients:  100,
			MaxConnections: 100,
			Timeout:        5 * time.Minute,
			SpoolMemory:    1_000_000,
			SpoolDir:       "/tmp",
			AddReceived:    true,

			MaxUserDeliveries: 10,
		},
		Users: Users{
			Source: "passwd-file", File: mustAbs(t, "examples/users"), Domains: []string{"example.org"},
			StaticHome: "/var/vmail/%d/%n", StaticUID: 5000, StaticGID: 5000, LocalPartFold: "lower",
		},
		Mail: Mail{Location: "maildir:~/Maildir", RecipientDelimiter: "+", Quota: "*:storage=1G", Separator: "/"},
		Sieve: Sieve{
			Enabled: true, UserScript: "~/.dovecot.sieve", UserDir: "~/sieve",
			Before: []string{"/etc/sluice/sieve/before.d"}, After: []string{"/etc/sluice/sieve/after.sieve"},
			Default: "/etc/sluice/sieve/default.sieve", GlobalDir: "/etc/sluice/sieve/global",
			UserLog: "~/.dovecot.sieve.log", MaxScriptSize: 1 << 20, MaxActions: 32, MaxRedirects: 4, Reject: "protocol",
		},
		Outbound: Outbound{Relay: "127.0.0.1:25", Timeout: 2 * time.Minute},
		Redirect: Redirect{SRSDomain: "fwd.example.org", SRSSecret: "change me", DuplicateWindow: 12 * time.Hour},
		Vacation: Vacation{ReturnPath: "null", MinPeriod: 24 * time.Hour, MaxPeriod: 60 * 24 * time.Hour, Addresses: []string{}},
		State:    State{Backend: "bolt", File: "/var/lib/sluice/state.db"},
		Server:   Server{User: "vmail", Group: "vmail", DeliverAsUser: true, ChildTimeout: 5 * time.Minute},
	}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("got\n%+v\nwant\n%+v", c, want)
	}
}

func TestParseDefaults(t *testing.T) {
	c, err := Parse("min.toml", []byte("[users]\nsource = \"system\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	host, _ := os.Hostname()
	want := Default()
	want.File = "min.toml"
	want.Hostname = host
	want.Users.Source = "system"
	if !reflect.DeepEqual(c, want) {
		t.Errorf("got\n%+v\nwant\n%+v", c, want)
	}
}

func TestParseGood(t *testing.T) {
	tests := []struct {
		name, toml string
		check      func(t *testing.T, c *Config)
	}{
		{"listener tables", `
[users]
source = "system"
[[lmtp.listen]]
path = "/run/sluice/lmtp"
mode = "660"
[[lmtp.listen]]
address = "tcp:[::1]:24"
`, func(t *testing.T, c *Config) {
			want := []Listener{{Network: "unix", Address: "/run/sluice/lmtp", Mode: 0o660}, {Network: "tcp", Address: "[::1]:24"}}
			if !reflect.DeepEqual(c.LMTP.Listen, want) {
				t.Errorf("Listen = %+v", c.LMTP.Listen)
			}
		}},
		{"static and sizes", `
hostname = "mx.example.org"
log = { level = "DEBUG", format = "json" }
lmtp.max_message_size = "1 GiB"
lmtp.spool_memory = 0
lmtp.timeout = "90s"
[users]
source = "static"
domains = ["example.org", "bücher.example"]
static_home = "/var/vmail/%{user | domain}/%{user | username}"
[mail]
location = "maildir:~/Maildir:LAYOUT=fs:INDEX=/var/idx/%u"
recipient_delimiter = "+-"
save_to_detail_mailbox = true
`, func(t *testing.T, c *Config) {
			if c.LMTP.MaxMessageSize != 1<<30 || c.LMTP.SpoolMemory != 0 || c.LMTP.Timeout != 90*time.Second {
				t.Errorf("LMTP = %+v", c.LMTP)
			}
			if c.Log.Level != slog.LevelDebug || c.Log.Format != "json" || c.Hostname != "mx.example.org" {
				t.Errorf("Log = %+v, Hostname = %q", c.Log, c.Hostname)
			}
			o := c.UserDB(nil)
			if o.Source != "static" || o.StaticUID != -1 || o.RecipientDelimiter != "+-" || len(o.Domains) != 2 || !c.Mail.SaveToDetailMailbox {
				t.Errorf("UserDB() = %+v", o)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse("t.toml", []byte(tt.toml))
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, c)
		})
	}
}

func TestParseErrors(t *testing.T) {
	const sys = "[users]\nsource = \"system\"\n"
	tests := []struct {
		name, toml string
		want       []string
	}{
		{"syntax", "hostname = \n", []string{
			"s.toml:1: expected value but found '\\n' instead"}},
		{"unit", sys + "[lmtp]\nmax_message_size = \"50XB\"\n", []string{
			`s.toml:4: lmtp.max_message_size: "50XB": unknown unit`}},
		{"separator", sys + "[mail]\nseparator = \"::\"\n", []string{
			`s.toml:4: mail.separator: "::": want "/" or "."`}},
		{"all problems at once", `hostname = 7
[log]
level = "loud"
colour = "red"
[lmtp]
timeout = 30
max_recipients = -1
spool_memory = true
listen = ["udp:1.2.3.4:24", "tcp:localhost", "unix:", {path = "/s", mode = "999"}, {address = "tcp:h:24", owner = "x"}, {}, 5]
[users]
source = "ldap"
local_part_fold = "upper"
static_uid = "vmail"
[mail]
location = "mbox:~/mail"
[sieve]
before = ["/etc/sluice/before.sieve"]
[sieve.x]
y = 1
`, []string{
			`s.toml:1: hostname: want a string, got integer 7`,
			`s.toml:3: log.level: "loud": want debug, info, warn or error`,
			`s.toml:4: log.colour: unknown key`,
			`s.toml:6: lmtp.timeout: want a duration like "5m", got integer 30`,
			`s.toml:7: lmtp.max_recipients: -1: out of range`,
			`s.toml:8: lmtp.spool_memory: want a size like "50MB", got boolean true`,
			`s.toml:9: lmtp.listen: [0]: "udp:1.2.3.4:24": unknown network "udp" (want unix or tcp)`,
			`s.toml:9: lmtp.listen: [1]: "tcp:localhost": want tcp:HOST:PORT`,
			`s.toml:9: lmtp.listen: [2]: "unix:": empty socket path`,
			`s.toml:9: lmtp.listen: [3]: mode: "999": want octal permissions like "0660"`,
			`s.toml:9: lmtp.listen: [4]: owner: only for unix sockets`,
			`s.toml:9: lmtp.listen: [5]: a listener table needs path (a unix socket) or address`,
			`s.toml:9: lmtp.listen: [6]: want a string like "unix:PATH" or "tcp:HOST:PORT", or a table, got integer 5`,
			`s.toml:11: users.source: "ldap": want passwd-file, static, system`,
			`s.toml:12: users.local_part_fold: "upper": want "none" or "lower"`,
			`s.toml:13: users.static_uid: want a numeric id, got string "vmail"`,
			`s.toml:15: mail.location: mail location "mbox:~/mail": only maildir is supported, not "mbox"`,
			`s.toml:18: sieve.x: unknown key`,
		}},
		{"passwd-file needs a file", "[users]\nsource = \"passwd-file\"\n", []string{
			`s.toml: users.file: required for source "passwd-file"`}},
		{"static needs domains and home", "[users]\nsource = \"static\"\n", []string{
			`s.toml: users.domains: required for source "static"`,
			`s.toml: users.static_home: required for source "static"`}},
		{"static template", "[users]\nsource = \"static\"\ndomains = [\"x.org\", \"bad domain\"]\nstatic_home = \"/v/%z\"\n", []string{
			`s.toml:3: users.domains: "bad domain" is not a valid domain`,
			`s.toml:4: users.static_home: "/v/%z": unknown variable %z`}},
		{"static relative home", "[users]\nsource = \"static\"\ndomains = [\"x.org\"]\nstatic_home = \"v/%n\"\n", []string{
			`s.toml:4: users.static_home: static home "v/%n" is not an absolute path`}},
		{"mail template", sys + "[mail]\nlocation = \"maildir:%h/%{user | md5}\"\nrecipient_delimiter = \"@\"\n", []string{
			`s.toml:4: mail.location: mail location "maildir:%h/%{user | md5}": template "%h/%{user | md5}": unknown filter "md5" in %{user | md5}`,
			`s.toml:5: mail.recipient_delimiter: "@": '@', '"' and space cannot be delimiters`}},
		{"section not a table", "log = \"debug\"\n" + sys, []string{
			`s.toml:1: log: want a table, got string "debug"`}},
		{"duplicate listener", "lmtp.listen = [\"tcp:127.0.0.1:24\", \"tcp:127.0.0.1:24\"]\n" + sys, []string{
			`s.toml:1: lmtp.listen: "tcp:127.0.0.1:24" is listed twice`}},
		{"zero timeout and bad format", "lmtp.timeout = \"0s\"\nlog.format = \"xml\"\nhostname = \"bad host\"\n" + sys, []string{
			`s.toml:1: lmtp.timeout: must be more than 0`,
			`s.toml:2: log.format: "xml": want "text" or "json"`,
			`s.toml:3: hostname: "bad host" is not a valid host name`}},
		{"control character", "hostname = \"a\\u0000b\"\n" + sys, []string{
			`s.toml:1: hostname: "a\x00b": control characters are not allowed`}},
		{"array of non-strings", sys + "domains = [1]\n", []string{
			`s.toml:3: users.domains: [0]: want a string, got integer 1`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("s.toml", []byte(tt.toml))
			if err == nil {
				t.Fatal("Parse succeeded")
			}
			var es Errors
			if !errors.As(err, &es) {
				t.Fatalf("error %v is not an Errors", err)
			}
			got := strings.Split(err.Error(), "\n")
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
			var e *Error
			if !errors.As(err, &e) || e.File != "s.toml" {
				t.Errorf("errors.As(*Error) = %+v", e)
			}
		})
	}
}

func TestParseSize(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		err  string
	}{
		{"0", 0, ""},
		{"512", 512, ""},
		{"10B", 10, ""},
		{"50MB", 50_000_000, ""},
		{"50mb", 50_000_000, ""},
		{"1 GiB", 1 << 30, ""},
		{" 2 KiB ", 2048, ""},
		{"3KB", 3000, ""},
		{"1TiB", 1 << 40, ""},
		{"50XB", 0, "unknown unit"},
		{"", 0, `not a size (want e.g. "50MB")`},
		{"MB", 0, `not a size (want e.g. "50MB")`},
		{"-1", 0, `not a size (want e.g. "50MB")`},
		{"1.5MB", 0, "unknown unit"},
		{"99999999999999999999", 0, "too large"},
		{"10000000000GB", 0, "too large"},
	}
	for _, tt := range tests {
		got, err := ParseSize(tt.in)
		if tt.err != "" {
			if err == nil || err.Error() != tt.err {
				t.Errorf("ParseSize(%q) = %d, %v; want error %q", tt.in, got, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
}

func TestParseListener(t *testing.T) {
	tests := []struct {
		in   string
		want Listener
		err  string
	}{
		{"unix:/run/lmtp", Listener{Network: "unix", Address: "/run/lmtp"}, ""},
		{"unix:./var/run/lmtp", Listener{Network: "unix", Address: "./var/run/lmtp"}, ""},
		{"tcp:127.0.0.1:2424", Listener{Network: "tcp", Address: "127.0.0.1:2424"}, ""},
		{"tcp::24", Listener{Network: "tcp", Address: ":24"}, ""},
		{"tcp:[::1]:24", Listener{Network: "tcp", Address: "[::1]:24"}, ""},
		{"tcp:host:lmtp", Listener{}, `"tcp:host:lmtp": invalid port "lmtp"`},
		{"tcp:host:70000", Listener{}, `"tcp:host:70000": invalid port "70000"`},
		{"tcp:host:0", Listener{}, `"tcp:host:0": port 0`},
		{"/run/lmtp", Listener{}, `"/run/lmtp": want "unix:PATH" or "tcp:HOST:PORT"`},
	}
	for _, tt := range tests {
		got, err := ParseListener(tt.in)
		if tt.err != "" {
			if err == nil || err.Error() != tt.err {
				t.Errorf("ParseListener(%q) = %+v, %v; want error %q", tt.in, got, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseListener(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
	}
}

func TestLoadMissing(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "none.toml"))
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Load(missing) = %v, want ErrNotExist", err)
	}
}

func TestKeyLine(t *testing.T) {
	doc := "a = 1\n\n[b]\nc = 2\n  \"d.e\" = 3\n[[f]]\ng = 1\n[h]\ni = { j = 1 }\n"
	tests := []struct {
		key  []string
		want int
	}{
		{[]string{"a"}, 1}, {[]string{"b"}, 3}, {[]string{"b", "c"}, 4}, {[]string{"b", "d.e"}, 5},
		{[]string{"f"}, 6}, {[]string{"h", "i"}, 9}, {[]string{"h", "i", "j"}, 9}, {[]string{"zz"}, 0},
	}
	for _, tt := range tests {
		if got := keyLine(doc, tt.key); got != tt.want {
			t.Errorf("keyLine(%q) = %d, want %d", tt.key, got, tt.want)
		}
	}
}

func TestAbsLocation(t *testing.T) {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ in, want string }{
		{"maildir:~/Maildir", "maildir:~/Maildir"},
		{"maildir:%h/Maildir", "maildir:%h/Maildir"},
		{"maildir:/var/vmail/%d/%n", "maildir:/var/vmail/%d/%n"},
		{"maildir:./var/mail/%d/%n", "maildir:" + filepath.Join(wd, "var/mail/%d/%n")},
		{"maildir:./var/mail/%n:LAYOUT=fs", "maildir:" + filepath.Join(wd, "var/mail/%n") + ":LAYOUT=fs"},
		{"maildir:../m/%n/", "maildir:" + filepath.Join(wd, "../m/%n") + "/"},
	} {
		if got := absLocation(tc.in); got != tc.want {
			t.Errorf("absLocation(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
