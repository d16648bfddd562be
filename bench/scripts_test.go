package main

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/sluice-mail/sluice/internal/config"
	"github.com/sluice-mail/sluice/maildir"
	"github.com/sluice-mail/sluice/sieve"
)

type envelope struct{ from, to string }

func (e envelope) From() string              { return e.from }
func (e envelope) To() string                { return e.to }
func (e envelope) OriginalRecipient() string { return "" }
func (e envelope) Auth() string              { return "" }

var _ sieve.Envelope = envelope{}

// imapFlagLetter maps IMAP system flags (RFC 3501 section 2.3.2) to
// their Maildir info letters.
var imapFlagLetter = map[string]byte{
	`\Seen`: 'S', `\Flagged`: 'F', `\Answered`: 'R', `\Deleted`: 'T', `\Draft`: 'D',
}

func letters(t *testing.T, flags []string) string {
	t.Helper()
	var b []byte
	for _, f := range flags {
		l, ok := imapFlagLetter[f]
		if !ok {
			t.Fatalf("flag %q has no Maildir letter", f)
		}
		b = append(b, l)
	}
	slices.Sort(b)
	return string(b)
}

// TestCorpusMatchesScript runs sluice's Sieve engine over one message of
// every class and checks the outcome against the class table, for the
// user script and for the many-rules script: the expectations the
// benchmark verifies against are the script's own semantics.
func TestCorpusMatchesScript(t *testing.T) {
	many, err := manyRulesScript(1000)
	if err != nil {
		t.Fatal(err)
	}
	for _, src := range []struct{ name, text string }{{"user.sieve", userScript}, {"1000-rules.sieve", many}} {
		s, err := sieve.Compile(t.Context(), src.name, []byte(src.text), sieve.Options{})
		if err != nil {
			t.Fatalf("compile %s: %v", src.name, err)
		}
		for n := range classes {
			m := newSpec(0, n, []string{"u1@example.org"}, 4*kb)
			t.Run(src.name+"/"+m.Class.Name, func(t *testing.T) {
				msg, err := sieve.ParseMessage(bytes.NewReader(m.render()))
				if err != nil {
					t.Fatal(err)
				}
				res, err := s.Run(t.Context(), &sieve.Input{Message: msg, Envelope: envelope{m.EnvFrom, m.Rcpts[0]}})
				if err != nil {
					t.Fatal(err)
				}
				var got []expect
				for _, a := range res.Actions {
					switch a := a.(type) {
					case *sieve.FileInto:
						// Both servers must take the name as it is: sluice's
						// Maildir++ refuses '.' inside a level.
						if err := maildir.ValidMailboxName(a.Mailbox); err != nil {
							t.Errorf("fileinto %q: %v", a.Mailbox, err)
						}
						got = append(got, expect{Folder: strings.ReplaceAll(a.Mailbox, "/", "."), Flags: letters(t, a.Flags)})
					case *sieve.Keep:
						got = append(got, expect{Folder: "", Flags: letters(t, a.Flags)})
					default:
						t.Fatalf("unexpected action %s", a.Kind())
					}
				}
				if res.ImplicitKeep {
					got = append(got, expect{Folder: "", Flags: letters(t, res.ImplicitKeepFlags)})
				}
				if want := m.expect(); len(got) != 1 || got[0] != want {
					t.Fatalf("script result %v, want exactly %+v", res, want)
				}
			})
		}
	}
}

func TestManyRulesScript(t *testing.T) {
	s, err := manyRulesScript(1000)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(strings.TrimLeft(stripComments(s), "\n "), "require ") {
		t.Error("require is not the first command")
	}
	if got := strings.Count(s, "topic-"); got != 1000 {
		t.Errorf("%d generated rules, want 1000", got)
	}
	end, err := requireEnd(userScript)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(s, userScript[end:]) {
		t.Error("the user script's rules do not follow the generated ones")
	}
}

func stripComments(s string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// TestSluiceConfigParses checks the generated sluice.toml against sluice's
// own configuration parser.
func TestSluiceConfigParses(t *testing.T) {
	h := testHomes(t, 2)
	s := &sluice{dir: t.TempDir(), h: h}
	cfg, err := config.Parse("sluice.toml", []byte(s.config(2424)))
	if err != nil {
		t.Fatalf("generated config: %v", err)
	}
	if len(cfg.LMTP.Listen) != 1 || cfg.LMTP.Listen[0].String() != "tcp:127.0.0.1:2424" {
		t.Errorf("listen = %v", cfg.LMTP.Listen)
	}
	if cfg.Users.File != h.PasswdFile() || cfg.Mail.Location != "maildir:~/Maildir" || cfg.Mail.SaveToDetailMailbox {
		t.Errorf("users/mail = %+v %+v", cfg.Users, cfg.Mail)
	}
	if cfg.LMTP.MaxMessageSize != 0 && cfg.LMTP.MaxMessageSize < 60*mb {
		t.Errorf("max message size %d is below the 50 MB scenario", cfg.LMTP.MaxMessageSize)
	}
}

func TestDovecotConfig(t *testing.T) {
	h := testHomes(t, 1)
	tests := []struct {
		name string
		acct account
		want []string
		not  []string
	}{
		{"root", account{Name: "sluicebench", UID: 999, GID: 995, Root: true},
			[]string{"protocols = lmtp", "mail_fsync = always", "lmtp_save_to_detail_mailbox = no",
				"mail_location = maildir:~/Maildir", "port = 2400", "mail_plugins = $mail_plugins sieve",
				"sieve = file:~/sieve;active=~/.dovecot.sieve", "first_valid_uid = 999", "args = " + h.PasswdFile()},
			[]string{"default_internal_user"}},
		{"unprivileged", account{Name: "alice", UID: 1000, GID: 1000},
			[]string{"default_internal_user = alice", "default_login_user = alice"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := &dovecot{dir: "/x", h: h, acct: tt.acct}
			conf := d.config(2400)
			for _, w := range tt.want {
				if !strings.Contains(conf, w) {
					t.Errorf("config lacks %q:\n%s", w, conf)
				}
			}
			for _, n := range tt.not {
				if strings.Contains(conf, n) {
					t.Errorf("config has %q", n)
				}
			}
		})
	}
}
