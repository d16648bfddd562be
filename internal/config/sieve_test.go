package config

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseSieveSections(t *testing.T) {
	const sys = "[users]\nsource = \"system\"\n"
	c, err := Parse("s.toml", []byte(sys+`[sieve]
before = ["./admin/before.sieve"]
reject = "mail"
[outbound]
sendmail = "/usr/sbin/sendmail"
timeout = "30s"
[redirect]
srs_domain = "fwd.example.org"
srs_secret = "x"
[vacation]
return_path = "recipient"
default_subject = "Away"
default_subject_template = "Re: %$ (away)"
to_header_ignore_envelope = true
[state]
file = "var/state.db"
[mail]
quota = "*:messages=10"
autocreate = true
[lmtp]
max_user_deliveries = 3
`))
	if err != nil {
		t.Fatal(err)
	}
	if c.Sieve.Reject != RejectMail || c.Outbound.Timeout != 30*time.Second || c.Vacation.ReturnPath != "recipient" ||
		c.Mail.Quota != "*:messages=10" || !c.Mail.Autocreate || c.LMTP.MaxUserDeliveries != 3 || c.Redirect.SRSDomain != "fwd.example.org" {
		t.Errorf("parsed %+v", c)
	}
	if v := c.Vacation; v.DefaultSubject != "Away" || v.DefaultSubjectTemplate != "Re: %$ (away)" || !v.ToHeaderIgnoreEnvelope {
		t.Errorf("vacation subject settings: %+v", v)
	}
	if c.Sieve.Before[0] != mustAbs(t, "admin/before.sieve") || c.State.File != mustAbs(t, "var/state.db") {
		t.Errorf("relative paths not made absolute: %q, %q", c.Sieve.Before[0], c.State.File)
	}
	if c.Sieve.UserScript != "~/.dovecot.sieve" {
		t.Errorf("templates must stay: %q", c.Sieve.UserScript)
	}

	tests := []struct{ name, text, want string }{
		{"reject mode", "[sieve]\nreject = \"bounce\"\n", `s.toml:4: sieve.reject: "bounce": want "protocol" or "mail"`},
		{"state backend", "[state]\nbackend = \"sql\"\n", `s.toml:4: state.backend: "sql": want "bolt", "redis" or "memory"`},
		{"redis address", "[state]\nbackend = \"redis\"\n", `s.toml: state.redis_address: required for backend "redis"`},
		{"srs half", "[redirect]\nsrs_domain = \"f.example\"\n", `s.toml: redirect.srs_secret: srs_domain and srs_secret go together`},
		{"return path", "[vacation]\nreturn_path = \"me\"\n", `s.toml:4: vacation.return_path: "me": want "null" or "recipient"`},
		{"periods", "[vacation]\nmin_period = \"48h\"\nmax_period = \"24h\"\n", `s.toml:4: vacation.min_period: 48h0m0s is more than vacation.max_period (24h0m0s)`},
		{"ignore envelope type", "[vacation]\nto_header_ignore_envelope = \"yes\"\n", `s.toml:4: vacation.to_header_ignore_envelope: want true or false`},
		{"no outbound", "[outbound]\nrelay = \"\"\n", `s.toml:4: outbound.relay: set outbound.relay or outbound.sendmail`},
		{"unknown key", "[sieve]\nfrob = 1\n", `s.toml:4: sieve.frob: unknown key`},
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
