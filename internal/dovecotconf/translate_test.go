package dovecotconf

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/sluice-mail/sluice/internal/config"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// TestTranslateGolden translates the sample configurations in testdata
// and compares with testdata/NAME.golden.toml; the output must be a
// configuration sluice accepts.
func TestTranslateGolden(t *testing.T) {
	tests := []struct {
		name    string
		domains []string
	}{
		{"debian", nil},                  // Dovecot 2.3, Debian's conf.d split
		{"v24", []string{"example.net"}}, // Dovecot 2.4, one file, static users
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Load(os.DirFS(filepath.Join("testdata", tc.name)), "dovecot.conf", Options{Root: "/etc/dovecot"})
			if err != nil {
				t.Fatal(err)
			}
			got := Translate(c, TranslateOptions{Source: "/etc/dovecot/dovecot.conf", Domains: tc.domains}).TOML
			golden := filepath.Join("testdata", tc.name+".golden.toml")
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("output differs from %s (run with -update to accept):\n%s", golden, got)
			}
			if _, err := config.Parse(golden, []byte(got)); err != nil {
				t.Errorf("sluice does not accept the output: %v", err)
			}
		})
	}
}

// TestTranslate checks single translations from small inline files.
func TestTranslate(t *testing.T) {
	tests := []struct {
		name, conf string
		want       []string // lines the output must have
		skipped    []string // texts the untranslated list must mention
	}{
		{
			name: "passwd userdb is the system",
			conf: "userdb {\n driver = passwd\n}\nmail_location = maildir:~/Mail\n",
			want: []string{`source = "system"`, `location = "maildir:~/Mail"`},
		},
		{
			name:    "sql userdb is listed",
			conf:    "userdb {\n driver = sql\n args = /etc/dovecot/sql.conf\n}\n",
			skipped: []string{"userdb sql"},
		},
		{
			name:    "mbox is listed",
			conf:    "mail_location = mbox:~/mail:INBOX=/var/mail/%u\n",
			skipped: []string{"Maildir only"},
		},
		{
			name: "username without domain",
			conf: "auth_username_format = %n\nuserdb {\n driver = passwd-file\n args = /etc/users\n}\n",
			want: []string{`strip_domain = true`, `local_part_fold = "none"`, `file = "/etc/users"`},
		},
		{
			name:    "no sieve plugin turns sieve off",
			conf:    "mail_plugins = quota\nplugin {\n sieve = ~/.sieve\n}\n",
			want:    []string{"enabled = false", `user_script = "~/.sieve"`},
			skipped: []string{"do not load the sieve plugin"},
		},
		{
			name: "protocol lmtp wins over the top level",
			conf: "recipient_delimiter = -\nprotocol lmtp {\n recipient_delimiter = +\n mail_plugins = sieve\n}\n",
			want: []string{`recipient_delimiter = "+"`},
		},
		{
			name:    "unknown delivery setting is listed",
			conf:    "mail_plugins = sieve\nplugin {\n sieve_pipe_bin_dir = /usr/lib/sieve\n}\n",
			skipped: []string{"sieve_pipe_bin_dir"},
		},
		{
			name: "vacation subject settings",
			conf: "mail_plugins = sieve\nplugin {\n sieve_vacation_default_subject = Away\n sieve_vacation_default_subject_template = Auto: %$\n sieve_vacation_to_header_ignore_envelope = yes\n}\n",
			want: []string{`default_subject = "Away"`, `default_subject_template = "Auto: %$"`, `to_header_ignore_envelope = true`},
		},
		{
			name: "sendmail when no submission host",
			conf: "mail_plugins = sieve\nsendmail_path = /usr/sbin/sendmail -i\n",
			want: []string{`sendmail = "/usr/sbin/sendmail -i"`},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Load(fstest.MapFS{"dovecot.conf": {Data: []byte(tc.conf)}}, "dovecot.conf", Options{})
			if err != nil {
				t.Fatal(err)
			}
			tr := Translate(c, TranslateOptions{})
			lines := strings.Split(tr.TOML, "\n")
			for _, w := range tc.want {
				if !containsLine(lines, w) {
					t.Errorf("no line %q in:\n%s", w, tr.TOML)
				}
			}
			for _, s := range tc.skipped {
				found := false
				for _, n := range tr.Untranslated {
					found = found || strings.Contains(n.Text, s)
				}
				if !found {
					t.Errorf("untranslated list does not mention %q: %v", s, tr.Untranslated)
				}
			}
		})
	}
}

func containsLine(lines []string, want string) bool {
	for _, l := range lines {
		if strings.TrimSpace(l) == want {
			return true
		}
	}
	return false
}

func TestValues(t *testing.T) {
	tests := []struct {
		conv     func(string) (string, error)
		in, want string
	}{
		{sizeValue, "1M", "1MiB"},
		{sizeValue, "512 k", "512KiB"},
		{sizeValue, "2G", "2GiB"},
		{sizeValue, "100", "100"},
		{sizeValue, "3 MB", "3MiB"},
		{durationValue, "1d", "24h"},
		{durationValue, "30d", "720h"},
		{durationValue, "1 days", "24h"},
		{durationValue, "12h", "12h"},
		{durationValue, "90 secs", "90s"},
		{durationValue, "10 mins", "10m"},
		{durationValue, "2w", "336h"},
		{durationValue, "60", "1m"},
	}
	for _, tc := range tests {
		got, err := tc.conv(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("%q: got %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "x", "1 fortnight"} {
		if _, err := durationValue(bad); err == nil {
			t.Errorf("durationValue(%q): no error", bad)
		}
	}
}
