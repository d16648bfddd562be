package delivery

import (
	"strings"
	"testing"
)

// TestSieveAgentVacationReplyOptions checks that SieveOptions.VacationReply
// reaches the built reply: the default Subject template and a To taken
// from the Sender field rather than the (rewritten) envelope sender.
func TestSieveAgentVacationReplyOptions(t *testing.T) {
	tests := []struct {
		name     string
		opts     VacationReplyOptions
		from     string
		headers  []string
		wantSubj string
		wantTo   string
	}{
		{name: "defaults", from: "sender@example.net", wantSubj: "Subject: Auto: test", wantTo: `To: "Sender" <sender@example.net>`},
		{name: "template", opts: VacationReplyOptions{DefaultSubjectTemplate: "Away: %$"}, from: "sender@example.net",
			wantSubj: "Subject: Away: test", wantTo: `To: "Sender" <sender@example.net>`},
		{name: "ignore envelope", opts: VacationReplyOptions{ToHeaderIgnoreEnvelope: true}, from: "srs0=ab=cd=example.net=sender@fwd.example.com",
			headers: []string{"Sender: Helper <helper@example.net>"}, wantSubj: "Subject: Auto: test", wantTo: `To: "Helper" <helper@example.net>`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newSieveEnv(t, func(o *SieveOptions) { o.VacationReply = tc.opts })
			e.script("alice", `require "vacation"; vacation "I am away.";`)
			e.sendOne(tc.from, "alice@example.org", testMail("vo-"+tc.name+"@example.net", tc.headers...), "250 ")
			got := e.sink.Messages()
			if len(got) != 1 {
				t.Fatalf("%d replies, want 1", len(got))
			}
			data := strings.ReplaceAll(string(got[0].Data), "\r\n", "\n")
			for _, want := range []string{tc.wantSubj, tc.wantTo} {
				if !strings.Contains(data, "\n"+want+"\n") {
					t.Errorf("reply lacks %q:\n%s", want, data)
				}
			}
		})
	}
}
