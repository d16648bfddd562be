package postfix

import (
	"net/smtp"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// The three ways Postfix hands mail to sluice.
const (
	viaLMTPUnix = "lmtp-unix" // virtual_transport = lmtp:unix:PATH
	viaLMTPTCP  = "lmtp-tcp"  // virtual_transport = lmtp:inet:HOST:PORT
	viaPipe     = "pipe"      // a pipe(8) transport running sluice deliver
)

func TestPostfixLMTPUnix(t *testing.T) { runScenario(t, viaLMTPUnix) }
func TestPostfixLMTPTCP(t *testing.T)  { runScenario(t, viaLMTPTCP) }
func TestPostfixPipe(t *testing.T)     { runScenario(t, viaPipe) }

// runScenario sends one message from carol to alice, dave, an unknown
// user and bob (whose Maildir root is a regular file) through a private
// Postfix, and follows each recipient in Postfix's log:
//
//   - alice: status=sent, filed into "Lists" by her Sieve script (or
//     INBOX when the binary under test does not run Sieve scripts);
//   - dave: status=sent into INBOX;
//   - the unknown user: status=bounced, and the non-delivery
//     notification (RFC 3464) is delivered to carol, through sluice;
//   - bob: status=deferred (sluice answers 4xx / exits 75), then, once
//     the fault is gone, status=sent exactly once.
//
// Every stored copy carries its own Delivered-To.
func runScenario(t *testing.T, via string) {
	needPostfix(t)
	t.Parallel()
	dir := shareDir(t)
	var (
		s *sluiceSetup
		o postfixOptions
	)
	switch via {
	case viaLMTPUnix:
		sock := filepath.Join(dir, "run", "lmtp")
		if err := os.MkdirAll(filepath.Dir(sock), 0o755); err != nil {
			t.Fatal(err)
		}
		// Postfix's lmtp(8) runs as mail_owner: the socket must be
		// writable by it.
		s = newSluiceSetup(t, dir, `{ path = `+strconv.Quote(sock)+`, mode = "0666" }`)
		s.serve("unix", sock)
		o.Transport = "lmtp:unix:" + sock
	case viaLMTPTCP:
		addr := freePort(t)
		s = newSluiceSetup(t, dir, strconv.Quote("tcp:"+addr))
		s.serve("tcp", addr)
		o.Transport = "lmtp:inet:" + addr
	case viaPipe:
		needDeliver(t)
		s = newSluiceSetup(t, dir)
		nobody, err := user.Lookup("nobody")
		if err != nil {
			t.Skipf("no user nobody for pipe(8): %v", err)
		}
		uid, _ := strconv.Atoi(nobody.Uid)
		gid, _ := strconv.Atoi(nobody.Gid)
		if err := os.MkdirAll(filepath.Join(s.mail, domain), 0o755); err != nil {
			t.Fatal(err)
		}
		s.chownAll(uid, gid)
		o.Transport = "sluice"
		// One recipient per pipe(8) run: ${user} names one.
		o.MainCF = []string{"sluice_destination_recipient_limit = 1"}
		o.MasterCF = []string{
			"sluice unix - n n - - pipe",
			"  flags=DRhu user=nobody argv=" + sluiceBin + " deliver -c " + s.config +
				" -f ${sender} -a ${original_recipient} -d ${user}@${nexthop}",
		}
	}
	// Make bob's delivery fail temporarily: his Maildir root is a
	// regular file.
	bobRoot := s.maildir("bob")
	writeFile(t, bobRoot, "not a directory\n", 0o644)
	p := startPostfix(t, dir, o)

	msgID := via + "@client.test"
	sendMail(t, p.smtp, "carol@"+domain,
		[]string{"alice@" + domain, "dave@" + domain, "nobody@" + domain, "bob@" + domain},
		"From: Carol <carol@example.org>\r\n"+
			"To: alice@example.org, dave@example.org, nobody@example.org, bob@example.org\r\n"+
			"Subject: [lists] through Postfix ("+via+")\r\n"+
			"Message-ID: <"+msgID+">\r\n"+
			"\r\n"+
			"Hello from Postfix.\r\n")
	qid := p.queueID(msgID)
	status := func(rcpt, st string) *regexp.Regexp {
		return regexp.MustCompile(`: ` + qid + `: to=<` + regexp.QuoteMeta(rcpt) + `>.*status=` + st + ` `)
	}

	// Stored at once.
	for _, rcpt := range []string{"alice@" + domain, "dave@" + domain} {
		t.Logf("maillog: %s", p.waitLog(1, status(rcpt, "sent"))[0])
	}
	// Unknown: bounced, and the notice reaches carol.
	t.Logf("maillog: %s", p.waitLog(1, status("nobody@"+domain, "bounced"))[0])
	ndrRE := regexp.MustCompile(`: ` + qid + `: sender non-delivery notification: ([0-9A-F]+)`)
	ndr := ndrRE.FindStringSubmatch(p.waitLog(1, ndrRE)[0])[1]
	ndrSent := regexp.MustCompile(`: ` + ndr + `: to=<carol@` + domain + `>.*status=sent `)
	t.Logf("maillog: %s", p.waitLog(1, ndrSent)[0])
	// Temporary failure: deferred, then sent once the fault is gone.
	t.Logf("maillog: %s", p.waitLog(1, status("bob@"+domain, "deferred"))[0])
	if err := os.Remove(bobRoot); err != nil {
		t.Fatal(err)
	}
	t.Logf("maillog: %s", p.waitLog(1, status("bob@"+domain, "sent"))[0])
	p.waitLog(1, regexp.MustCompile(`: `+qid+`: removed`))
	for _, rcpt := range []string{"alice", "bob", "dave"} {
		if n := len(p.logLines(status(rcpt+"@"+domain, "sent"))); n != 1 {
			t.Errorf("%s: %d status=sent lines, want 1", rcpt, n)
		}
	}

	// What is on disk: one copy each, in the right folder.
	filed, inbox := s.messages("alice", ".Lists"), s.messages("alice", "")
	switch {
	case len(filed) == 1 && len(inbox) == 0:
		t.Logf("alice: filed into Lists by her Sieve script")
	case len(filed) == 0 && len(inbox) == 1:
		t.Logf("alice: in INBOX: this sluice does not run Sieve scripts on this path")
	default:
		t.Errorf("alice: %d message(s) in Lists and %d in INBOX, want one copy", len(filed), len(inbox))
	}
	copies := map[string][]string{
		"alice": append(filed, inbox...),
		"bob":   s.messages("bob", ""),
		"dave":  s.messages("dave", ""),
		"carol": s.messages("carol", ""),
	}
	for local, files := range copies {
		if len(files) != 1 {
			t.Errorf("%s: %d message(s) stored, want 1: %q", local, len(files), files)
			continue
		}
		checkCopy(t, files[0], local+"@"+domain)
	}
	if len(copies["carol"]) == 1 {
		b, _ := os.ReadFile(copies["carol"][0])
		if !strings.Contains(string(b), "nobody@"+domain) || !regexp.MustCompile(`Content-Type: message/(global-)?delivery-status`).Match(b) {
			t.Errorf("carol's message is not the non-delivery notification for nobody@%s:\n%s", domain, b)
		}
	}
}

// checkCopy checks that the stored message file has a Delivered-To
// naming rcpt and keeps the message's own Message-ID.
func checkCopy(t *testing.T, file, rcpt string) {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	header, _, _ := strings.Cut(strings.ReplaceAll(string(b), "\r\n", "\n"), "\n\n")
	var delivered []string
	for _, l := range strings.Split(header, "\n") {
		if name, value, ok := strings.Cut(l, ":"); ok && strings.EqualFold(name, "Delivered-To") {
			delivered = append(delivered, strings.Trim(strings.TrimSpace(value), "<>"))
		}
	}
	if len(delivered) == 0 || delivered[0] != rcpt {
		t.Errorf("%s: Delivered-To %q, want %s first:\n%s", file, delivered, rcpt, header)
	}
	if len(delivered) > 1 {
		t.Logf("%s: %d Delivered-To fields (the MTA added its own)", filepath.Base(file), len(delivered))
	}
	for _, d := range delivered {
		if d != rcpt {
			t.Errorf("%s: Delivered-To %q names another recipient", file, d)
		}
	}
}

// sendMail submits one message over SMTP.
func sendMail(t *testing.T, addr, from string, to []string, msg string) {
	t.Helper()
	if err := smtp.SendMail(addr, nil, from, to, []byte(msg)); err != nil {
		t.Fatalf("SMTP to Postfix: %v", err)
	}
}

// needDeliver skips t when the binary under test has no deliver command.
func needDeliver(t *testing.T) {
	t.Helper()
	out, _ := exec.Command(sluiceBin, "help").CombinedOutput()
	if !regexp.MustCompile(`(?m)^\s+deliver\s`).Match(out) {
		t.Skip("sluice deliver not available yet")
	}
}
