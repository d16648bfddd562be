package delivery

import (
	"strings"
	"testing"

	"github.com/sluice-mail/sluice/internal/smtpsink"
)

// relayBack plays the MTA: every message the agent sent out since the last
// call is delivered again over LMTP to its recipients (all local here),
// as Postfix would after a redirect or a vacation reply. It returns how
// many messages it re-injected.
func (e *sieveEnv) relayBack(seen *int) int {
	e.t.Helper()
	msgs := e.sink.Messages()
	n := 0
	for _, m := range msgs[*seen:] {
		body := strings.ReplaceAll(string(m.Data), "\r\n", "\n")
		e.send(m.From, m.To, body)
		n++
	}
	*seen = len(msgs)
	return n
}

// TestRedirectLoopBetweenUsersStops: alice forwards to bob and bob to
// alice. The X-Sieve-Redirected-From guard stops the loop the first time
// a message comes back to a user who already forwarded it: that user
// keeps it instead. A bounded number of hops, one stored copy.
func TestRedirectLoopBetweenUsersStops(t *testing.T) {
	e := newSieveEnvSink(t, smtpsink.Start(t), nil)
	e.script("alice", `redirect "bob@example.org";`)
	e.script("bob", `redirect "alice@example.org";`)

	e.sendOne("sender@example.net", "alice@example.org", testMail("loop-1@example.net"), "250 ")
	seen, hops := 0, 0
	for hops < 10 {
		n := e.relayBack(&seen)
		if n == 0 {
			break
		}
		hops += n
	}
	if hops != 2 {
		t.Errorf("%d forwards, want 2 (alice -> bob -> alice, then kept)", hops)
	}
	if got := e.boxes("alice"); len(got) != 1 || got[0] != "INBOX" {
		t.Errorf("alice has %v, want the looped message kept once in INBOX", got)
	}
	if got := e.boxes("bob"); len(got) != 0 {
		t.Errorf("bob has %v, want nothing (he forwarded it)", got)
	}
}

// TestVacationStormBetweenUsersStops: alice and bob are both away and
// write to each other. Each gets one vacation reply at most, and no reply
// answers a reply (RFC 3834: Auto-Submitted messages are not answered).
func TestVacationStormBetweenUsersStops(t *testing.T) {
	e := newSieveEnvSink(t, smtpsink.Start(t), nil)
	vac := `require "vacation"; vacation :addresses ["%s"] "I am away.";`
	e.script("alice", strings.Replace(vac, "%s", "alice@example.org", 1))
	e.script("bob", strings.Replace(vac, "%s", "bob@example.org", 1))

	msg := "From: bob@example.org\nTo: alice@example.org\nSubject: lunch?\nMessage-ID: <storm-1@example.org>\n\nlunch?\n"
	e.sendOne("bob@example.org", "alice@example.org", msg, "250 ")
	seen, sent := 0, 0
	for range 10 {
		n := e.relayBack(&seen)
		if n == 0 {
			break
		}
		sent += n
	}
	if sent != 1 {
		t.Fatalf("%d automatic messages went out, want exactly 1 (alice's reply to bob)", sent)
	}
	if got := e.sink.Messages()[0].Data; !strings.Contains(string(got), "Auto-Submitted: auto-replied") {
		t.Errorf("the reply is not marked Auto-Submitted:\n%s", got)
	}
	// bob got alice's reply in his INBOX and did not answer it.
	if got := e.boxes("bob"); len(got) != 1 {
		t.Errorf("bob has %v, want alice's reply once", got)
	}
}
