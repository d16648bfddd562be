package main

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
)

// wantDeliveryLog is what the one log line of a recipient's delivery must
// say (REFERENCE.md, Observability).
type wantDeliveryLog struct {
	session, msgid, from, rcpt, user, mailbox string
	size                                      int64
	reply                                     string
}

// sendForLog delivers one message to alice and bob+x and returns what
// their log lines must hold, from the replies and the stored files.
func sendForLog(t *testing.T, s *e2eServer) []wantDeliveryLog {
	t.Helper()
	msg := testMessage("log line", "log-line@e2e.test")
	cv, _ := s.lhlo(t)
	cv.cmd("MAIL FROM:<sender@example.net>", 250)
	cv.cmd("RCPT TO:<nobody@example.org>", 550)
	cv.cmd("RCPT TO:<alice@example.org>", 250)
	cv.cmd("RCPT TO:<bob+x@example.org>", 250)
	cv.cmd("DATA", 354)
	cv.write(dotStuff(msg))
	var want []wantDeliveryLog
	for _, d := range []struct{ user, rcpt string }{{"alice", "alice@example.org"}, {"bob", "bob+x@example.org"}} {
		r := cv.expect(250, "<"+d.rcpt+">", "Saved")
		// "2.0.0 <rcpt> <session> Saved"
		f := strings.Fields(r.Lines[0])
		if len(f) != 4 {
			t.Fatalf("reply %q: want \"2.0.0 <rcpt> <session> Saved\"", r)
		}
		m := takeOne(t, s.mailDir(d.user, "example.org"))
		want = append(want, wantDeliveryLog{
			session: f[2], msgid: "log-line@e2e.test", from: "sender@example.net",
			rcpt: d.rcpt, user: d.user + "@example.org", mailbox: "INBOX",
			// The logged reply leaves out the "<rcpt> " that go-smtp puts
			// in front on the wire; rcpt is its own field.
			size: int64(len(m.Data)), reply: "250 " + f[0] + " " + f[2] + " " + f[3],
		})
	}
	cv.cmd("QUIT", 221)
	return want
}

// checkDeliveryRecord compares one parsed log record with w.
func checkDeliveryRecord(t *testing.T, rec map[string]string, w wantDeliveryLog) {
	t.Helper()
	for k, v := range map[string]string{
		"session": w.session, "msgid": w.msgid, "from": w.from, "rcpt": w.rcpt,
		"user": w.user, "mailbox": w.mailbox, "size": strconv.FormatInt(w.size, 10), "reply": w.reply,
	} {
		if got, ok := rec[k]; !ok || got != v {
			t.Errorf("delivery log for %s: %s=%q, want %q (record %v)", w.rcpt, k, got, v, rec)
		}
	}
}

// findDelivery returns the delivery records for rcpt among recs.
func findDelivery(recs []map[string]string, rcpt string) []map[string]string {
	var out []map[string]string
	for _, r := range recs {
		if r["msg"] == "delivery" && r["rcpt"] == rcpt {
			out = append(out, r)
		}
	}
	return out
}

// TestE2ELogText checks the per-recipient delivery line in the default
// text format.
func TestE2ELogText(t *testing.T) {
	t.Parallel()
	s := startServer(t, e2eConfig{})
	want := sendForLog(t, s)
	var recs []map[string]string
	for _, line := range s.waitLog("msg=delivery", len(want)) {
		rec, err := parseLogfmt(line)
		if err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		recs = append(recs, rec)
	}
	for _, w := range want {
		got := findDelivery(recs, w.rcpt)
		if len(got) != 1 {
			t.Fatalf("%d delivery lines for %s, want 1:\n%s", len(got), w.rcpt, s.stderr.String())
		}
		checkDeliveryRecord(t, got[0], w)
	}
	refused := s.waitLog("recipient refused", 1)
	if rec, err := parseLogfmt(refused[0]); err != nil || rec["rcpt"] != "nobody@example.org" ||
		!strings.HasPrefix(rec["reply"], "550 5.1.1 ") || rec["session"] != want[0].session {
		t.Errorf("refused recipient log line %q (%v): want rcpt, session and the 550 5.1.1 reply", refused[0], err)
	}
}

// TestE2ELogJSON checks that with format = "json" every line on stderr is
// a JSON object, from start to exit, and that the delivery records hold
// the same fields.
func TestE2ELogJSON(t *testing.T) {
	t.Parallel()
	s := startServer(t, e2eConfig{LogFormat: "json"})
	want := sendForLog(t, s)
	s.waitLog(`"msg":"delivery"`, len(want))
	if code := s.stop(); code != 0 {
		t.Fatalf("exit status %d, want 0", code)
	}

	var recs []map[string]string
	for line := range strings.Lines(s.stderr.String()) {
		var obj map[string]any
		if err := json.Unmarshal([]byte(line), &obj); err != nil {
			t.Errorf("stderr line is not a JSON object: %q: %v", line, err)
			continue
		}
		rec := make(map[string]string, len(obj))
		for k, v := range obj {
			rec[k] = fmt.Sprint(v)
		}
		if v, ok := obj["size"].(float64); ok {
			rec["size"] = strconv.FormatInt(int64(v), 10)
		}
		recs = append(recs, rec)
	}
	for _, w := range want {
		got := findDelivery(recs, w.rcpt)
		if len(got) != 1 {
			t.Fatalf("%d delivery records for %s, want 1", len(got), w.rcpt)
		}
		checkDeliveryRecord(t, got[0], w)
	}
	var msgs []string
	for _, r := range recs {
		msgs = append(msgs, r["msg"])
	}
	for _, m := range []string{"sluice started", "recipient refused", "sluice stopped"} {
		if !strings.Contains(strings.Join(msgs, "\n"), m) {
			t.Errorf("no JSON record %q among %q", m, msgs)
		}
	}
}

// parseLogfmt parses one line of slog's text handler: key=value pairs
// separated by spaces, a value quoted with Go syntax when needed.
func parseLogfmt(line string) (map[string]string, error) {
	rec := make(map[string]string)
	rest := strings.TrimSpace(line)
	for rest != "" {
		key, after, ok := strings.Cut(rest, "=")
		if !ok || key == "" || strings.ContainsAny(key, " \"") {
			return nil, fmt.Errorf("no key=value at %q", rest)
		}
		var val string
		if strings.HasPrefix(after, `"`) {
			q, err := strconv.QuotedPrefix(after)
			if err != nil {
				return nil, fmt.Errorf("key %s: %w", key, err)
			}
			val, _ = strconv.Unquote(q)
			after = after[len(q):]
		} else {
			val, after, _ = strings.Cut(after, " ")
			after = " " + after
		}
		if after != "" && after[0] != ' ' {
			return nil, fmt.Errorf("key %s: junk after value: %q", key, after)
		}
		rec[key] = val
		rest = strings.TrimLeft(after, " ")
	}
	return rec, nil
}
