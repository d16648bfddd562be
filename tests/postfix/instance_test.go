package postfix

import (
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// waitLimit bounds every wait in these tests: for a listener, for a log
// line, for a retry. It is a safety net, never an assertion.
const waitLimit = 30 * time.Second

// Short queue timers, so that a deferred message is retried within a
// test (Postfix's defaults are minutes).
const (
	queueRunDelay = "1s"
	minBackoff    = "1s"
	maxBackoff    = "2s"
)

// postfixOptions describe one private Postfix instance.
type postfixOptions struct {
	// Transport is virtual_transport: where mail for example.org goes.
	Transport string
	// MainCF and MasterCF are extra lines for main.cf and master.cf.
	MainCF, MasterCF []string
}

// postfixInstance is one running private Postfix.
type postfixInstance struct {
	t       *testing.T
	etc     string // config_directory
	queue   string // queue_directory
	maillog string // maillog_file
	smtp    string // host:port of its smtpd
}

// shareDir makes a temporary directory that Postfix's unprivileged
// processes (and pipe(8) children) can search: t.TempDir is 0700.
func shareDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "sluice-postfix-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// startPostfix writes main.cf and master.cf for o under dir/postfix and
// starts that instance; it is stopped when the test ends.
func startPostfix(t *testing.T, dir string, o postfixOptions) *postfixInstance {
	t.Helper()
	root := filepath.Join(dir, "postfix")
	p := &postfixInstance{
		t:       t,
		etc:     filepath.Join(root, "etc"),
		queue:   filepath.Join(root, "queue"),
		maillog: filepath.Join(root, "maillog"),
	}
	data := filepath.Join(root, "data")
	for _, d := range []string{p.etc, p.queue, data} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// master(8) creates its lock file in data_directory as mail_owner.
	owner, err := user.Lookup("postfix")
	if err != nil {
		t.Skipf("no postfix user (%v): the Postfix package is not set up", err)
	}
	uid, _ := strconv.Atoi(owner.Uid)
	if err := os.Chown(data, uid, -1); err != nil {
		t.Fatal(err)
	}
	p.smtp = freePort(t)
	main := []string{
		"compatibility_level = 3.6",
		"config_directory = " + p.etc,
		"queue_directory = " + p.queue,
		"data_directory = " + data,
		"mail_owner = postfix",
		"setgid_group = postdrop",
		// Postfix ≥ 3.4 logs to a file through the postlog service; the
		// file must be under one of maillog_file_prefixes.
		"maillog_file = " + p.maillog,
		"maillog_file_prefixes = " + root,
		"myhostname = mx.postfix.test",
		"mydomain = postfix.test",
		"myorigin = $myhostname",
		"inet_interfaces = 127.0.0.1",
		"inet_protocols = ipv4",
		"mynetworks = 127.0.0.0/8",
		"mydestination =",
		"relayhost =",
		"alias_maps =",
		"alias_database =",
		"local_transport = error:5.1.1 no local delivery here",
		"default_transport = error:5.1.2 no relaying from this test",
		"virtual_mailbox_domains = example.org",
		"virtual_transport = " + o.Transport,
		"lmtp_destination_recipient_limit = 50",
		"smtputf8_enable = yes",
		"biff = no",
		"queue_run_delay = " + queueRunDelay,
		"minimal_backoff_time = " + minBackoff,
		"maximal_backoff_time = " + maxBackoff,
	}
	main = append(main, o.MainCF...)
	// The chroot column is "n" everywhere: the LMTP client must reach a
	// socket outside the queue directory.
	master := []string{
		p.smtp + " inet n - n - - smtpd",
		"pickup    unix n - n 60 1 pickup",
		"cleanup   unix n - n - 0 cleanup",
		"qmgr      unix n - n 300 1 qmgr",
		"rewrite   unix - - n - - trivial-rewrite",
		"bounce    unix - - n - 0 bounce",
		"defer     unix - - n - 0 bounce",
		"trace     unix - - n - 0 bounce",
		"verify    unix - - n - 1 verify",
		"flush     unix n - n 1000? 0 flush",
		"proxymap  unix - - n - - proxymap",
		"smtp      unix - - n - - smtp",
		"relay     unix - - n - - smtp",
		"showq     unix n - n - - showq",
		"error     unix - - n - - error",
		"retry     unix - - n - - error",
		"discard   unix - - n - - discard",
		"lmtp      unix - - n - - lmtp",
		"anvil     unix - - n - 1 anvil",
		"scache    unix - - n - 1 scache",
		"postlog   unix-dgram n - n - 1 postlogd",
	}
	master = append(master, o.MasterCF...)
	writeFile(t, filepath.Join(p.etc, "main.cf"), strings.Join(main, "\n")+"\n", 0o644)
	writeFile(t, filepath.Join(p.etc, "master.cf"), strings.Join(master, "\n")+"\n", 0o644)

	if out, err := exec.Command(postfixBin, "-c", p.etc, "start").CombinedOutput(); err != nil {
		t.Fatalf("postfix start: %v\n%s\nmaillog:\n%s", err, out, p.log())
	}
	t.Cleanup(p.stop)
	waitDial(t, "tcp", p.smtp, nil)
	return p
}

// stop stops the instance ("postfix stop" waits for its processes), and
// logs the maillog when the test failed.
func (p *postfixInstance) stop() {
	if out, err := exec.Command(postfixBin, "-c", p.etc, "stop").CombinedOutput(); err != nil {
		p.t.Errorf("postfix stop: %v\n%s", err, out)
	}
	if p.t.Failed() {
		p.t.Logf("maillog:\n%s", p.log())
	}
}

// log is the maillog so far.
func (p *postfixInstance) log() string {
	b, _ := os.ReadFile(p.maillog)
	return string(b)
}

// waitLog waits until the maillog has at least n lines matching re, and
// returns them all.
func (p *postfixInstance) waitLog(n int, re *regexp.Regexp) []string {
	p.t.Helper()
	deadline := time.Now().Add(waitLimit)
	for {
		var got []string
		for _, l := range strings.Split(p.log(), "\n") {
			if re.MatchString(l) {
				got = append(got, l)
			}
		}
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("maillog: %d line(s) matching %q, want %d", len(got), re, n)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// logLines are the maillog lines matching re now, without waiting.
func (p *postfixInstance) logLines(re *regexp.Regexp) []string {
	var got []string
	for _, l := range strings.Split(p.log(), "\n") {
		if re.MatchString(l) {
			got = append(got, l)
		}
	}
	return got
}

// queueID waits for cleanup(8) to log the message with messageID and
// returns its queue ID.
func (p *postfixInstance) queueID(messageID string) string {
	p.t.Helper()
	re := regexp.MustCompile(`postfix/cleanup\[\d+\]: ([0-9A-F]+): message-id=<` + regexp.QuoteMeta(messageID) + `>`)
	line := p.waitLog(1, re)[0]
	return re.FindStringSubmatch(line)[1]
}

// freePort returns a 127.0.0.1 address whose port was free a moment ago.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// waitDial waits until something accepts connections at addr, giving up
// early when exited (if not nil) is closed.
func waitDial(t *testing.T, network, addr string, exited <-chan struct{}) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for {
		c, err := net.Dial(network, addr)
		if err == nil {
			c.Close()
			return
		}
		select {
		case <-exited:
			t.Fatalf("the server for %s %s exited", network, addr)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("nothing accepts on %s %s: %v", network, addr, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func writeFile(t *testing.T, path, text string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), mode); err != nil {
		t.Fatal(err)
	}
}
