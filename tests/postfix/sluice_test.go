package postfix

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sluice-mail/sluice/internal/testbin"
)

// domain is the one domain the tests' sluice serves.
const domain = "example.org"

// Local parts of the test users: alice has a Sieve script filing list
// mail into "Lists", bob's Maildir is made to fail, carol sends the
// messages (and gets the bounces), dave has no script.
var localParts = []string{"alice", "bob", "carol", "dave"}

// aliceScript files the tests' messages into a folder, so a delivery
// shows whether Sieve ran.
const aliceScript = `require ["fileinto"];
if header :contains "subject" "[lists]" {
  fileinto "Lists";
}
`

// sluiceSetup is the configuration and the files of one sluice under
// dir: users with homes, Maildirs under dir/mail/<domain>/<user>.
type sluiceSetup struct {
	t      *testing.T
	dir    string
	config string // the TOML file
	mail   string // dir/mail
}

// newSluiceSetup writes the users, their homes and alice's script, and
// a configuration listening on listen (TOML array items, as written in
// lmtp.listen).
func newSluiceSetup(t *testing.T, dir string, listen ...string) *sluiceSetup {
	t.Helper()
	s := &sluiceSetup{t: t, dir: dir, config: filepath.Join(dir, "sluice.toml"), mail: filepath.Join(dir, "mail")}
	var users []string
	for _, u := range localParts {
		home := filepath.Join(dir, "home", u)
		if err := os.MkdirAll(home, 0o755); err != nil {
			t.Fatal(err)
		}
		// user:password:uid:gid:gecos:home:shell:extra_fields
		users = append(users, u+"@"+domain+":::::"+home+"::")
	}
	writeFile(t, filepath.Join(dir, "home", "alice", ".dovecot.sieve"), aliceScript, 0o644)
	// The folder exists beforehand, so that fileinto needs neither
	// :create (RFC 5490) nor autocreate.
	for _, sub := range []string{"cur", "new", "tmp"} {
		if err := os.MkdirAll(filepath.Join(s.maildir("alice"), ".Lists", sub), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	usersFile := filepath.Join(dir, "users")
	writeFile(t, usersFile, strings.Join(users, "\n")+"\n", 0o644)
	// The users have no uid of their own: as root, the LMTP server
	// delivers as root, which must be allowed.
	writeFile(t, s.config, `hostname = "mx.sluice.test"

[server]
allow_root = true

[log]
level = "debug"

[lmtp]
listen = [`+strings.Join(listen, ", ")+`]
timeout = "30s"

[users]
source = "passwd-file"
file = `+strconv.Quote(usersFile)+`

[mail]
location = `+strconv.Quote("maildir:"+s.mail+"/%d/%n")+`
recipient_delimiter = "+"

[state]
backend = "memory"
`, 0o644)
	return s
}

// maildir is the Maildir root of a local part.
func (s *sluiceSetup) maildir(local string) string {
	return filepath.Join(s.mail, domain, local)
}

// chownAll gives the mail and home trees to uid (pipe(8) runs sluice
// deliver as an unprivileged user).
func (s *sluiceSetup) chownAll(uid, gid int) {
	s.t.Helper()
	for _, root := range []string{s.mail, filepath.Join(s.dir, "home")} {
		err := filepath.Walk(root, func(path string, _ os.FileInfo, err error) error {
			if err != nil {
				return err
			}
			return os.Lchown(path, uid, gid)
		})
		if err != nil {
			s.t.Fatal(err)
		}
	}
}

// serve starts "sluice serve" on the configuration and waits until it
// accepts on addr (network "unix" or "tcp"); it is stopped with SIGTERM
// when the test ends and must then exit 0.
func (s *sluiceSetup) serve(network, addr string) {
	s.t.Helper()
	var stderr testbin.SyncBuffer
	cmd := exec.Command(sluiceBin, "serve", "-c", s.config)
	cmd.Stderr = &stderr
	cmd.Stdout = &stderr
	if err := cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	var waitErr error
	exited := make(chan struct{})
	go func() { waitErr = cmd.Wait(); close(exited) }()
	s.t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
			if err := waitErr; err != nil {
				s.t.Errorf("sluice serve exited: %v", err)
			}
		case <-time.After(waitLimit):
			cmd.Process.Kill()
			s.t.Errorf("sluice serve did not stop after SIGTERM")
		}
		if s.t.Failed() {
			s.t.Logf("sluice log:\n%s", stderr.String())
		}
	})
	waitDial(s.t, network, addr, exited)
}

// messages are the file names of the messages in a Maildir folder's new/
// ("" for INBOX, ".Lists" for a folder).
func (s *sluiceSetup) messages(local, folder string) []string {
	s.t.Helper()
	entries, err := os.ReadDir(filepath.Join(s.maildir(local), folder, "new"))
	if err != nil && !os.IsNotExist(err) {
		s.t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, filepath.Join(s.maildir(local), folder, "new", e.Name()))
	}
	return names
}
