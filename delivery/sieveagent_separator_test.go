package delivery

import (
	"slices"
	"testing"
)

// TestSieveAgentSeparator: with Dovecot's Maildir++ separator '.', scripts
// written for Dovecot file into "Lists.Go" and land in the same folder
// (.Lists.Go) as "Lists/Go" does with the default '/'.
func TestSieveAgentSeparator(t *testing.T) {
	for _, tt := range []struct {
		sep     rune
		mailbox string
	}{
		{'/', "Lists/Go"},
		{'.', "Lists.Go"},
		{'.', "INBOX"},
	} {
		t.Run(string(tt.sep)+" "+tt.mailbox, func(t *testing.T) {
			e := newSieveEnv(t, func(o *SieveOptions) {
				o.Store = &MaildirStore{}
				o.Store.Options.Separator = tt.sep
				o.Autocreate = true
			})
			e.script("alice", `require "fileinto"; fileinto "`+tt.mailbox+`";`)
			e.sendOne("sender@example.net", "alice@example.org", testMail("sep@example.net"), "250 ")
			want := "Lists.Go"
			if tt.mailbox == "INBOX" {
				want = "INBOX"
			}
			if got := e.boxes("alice"); !slices.Equal(got, []string{want}) {
				t.Errorf("stored in %v, want [%s]", got, want)
			}
		})
	}
}
