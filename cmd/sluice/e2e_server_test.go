package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
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

// waitLimit bounds every wait for the child process: start, a log line,
// exit. It is a safety net for a hung process, never an assertion.
const waitLimit = 15 * time.Second

// e2eHost is the hostname in every test configuration; it shows in the
// greeting, in Received fields and in Maildir file names.
const e2eHost = "mx.e2e.test"

// defaultUsers are the passwd-file lines of a test configuration.
var defaultUsers = []string{
	"alice@example.org::::::",
	"bob@example.org::::::",
	"carol@example.org::::::",
	"jörg@example.org::::::",
}

// e2eConfig describes one test configuration; zero fields take defaults.
type e2eConfig struct {
	// Users are passwd-file lines (default defaultUsers).
	Users []string
	// TCP adds a listener on a free 127.0.0.1 port.
	TCP bool
	// Socket is the unix socket path (default <dir>/run/lmtp).
	Socket string
	// MaxMessageSize is lmtp.max_message_size (default "1MB").
	MaxMessageSize string
	// LogFormat is log.format (default "text").
	LogFormat string
	// Location is mail.location (default "maildir:<dir>/mail/%d/%n").
	Location string
}

// e2eServer is one running "sluice serve" process and its files.
type e2eServer struct {
	t       *testing.T
	dir     string // the test's temporary directory
	cfgPath string
	users   string // passwd-file path
	socket  string // unix socket path
	tcpAddr string // "" without a TCP listener
	cfg     e2eConfig

	cmd    *exec.Cmd
	stderr *testbin.SyncBuffer
	done   chan struct{} // closed when the process has exited
	code   int           // exit code, valid after done
}

// startServer writes a configuration for c into a new temporary directory,
// starts sluice serve on it and waits until every listener accepts. The
// process is stopped with SIGTERM when the test ends, and must then exit 0;
// its stderr is logged if the test failed.
func startServer(t *testing.T, c e2eConfig) *e2eServer {
	t.Helper()
	needBinary(t)
	dir := t.TempDir()
	s := &e2eServer{t: t, dir: dir, cfg: c, stderr: &testbin.SyncBuffer{}}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("sluice stderr:\n%s", s.stderr.String())
		}
	})
	s.users = filepath.Join(dir, "users")
	users := c.Users
	if users == nil {
		users = defaultUsers
	}
	s.writeUsers(users...)
	s.socket = c.Socket
	if s.socket == "" {
		s.socket = filepath.Join(dir, "run", "lmtp")
	}
	s.cfgPath = filepath.Join(dir, "sluice.toml")

	// A free port found by the test may be taken before sluice binds
	// it; try again with another one.
	for attempt := 0; ; attempt++ {
		if c.TCP {
			s.tcpAddr = freeTCPAddr(t)
		}
		s.writeConfig(s.config(c))
		s.stderr.Reset()
		s.spawn()
		err := s.waitReady()
		if err == nil {
			break
		}
		if attempt < 3 && c.TCP && strings.Contains(s.stderr.String(), "address already in use") {
			continue
		}
		t.Fatalf("sluice did not start: %v", err) // stderr is logged by the cleanup
	}
	t.Cleanup(s.stopAndCheck)
	return s
}

// config renders the TOML configuration for c with the server's
// listeners.
func (s *e2eServer) config(c e2eConfig) string {
	return s.configFor(c, s.socket, s.tcpAddr)
}

// configFor renders the TOML configuration for c with the given unix
// socket and TCP address ("" for none).
func (s *e2eServer) configFor(c e2eConfig, socket, tcpAddr string) string {
	var listen []string
	if socket != "" {
		listen = append(listen, strconv.Quote("unix:"+socket))
	}
	if tcpAddr != "" {
		listen = append(listen, strconv.Quote("tcp:"+tcpAddr))
	}
	size := c.MaxMessageSize
	if size == "" {
		size = "1MB"
	}
	format := c.LogFormat
	if format == "" {
		format = "text"
	}
	loc := c.Location
	if loc == "" {
		loc = "maildir:" + filepath.Join(s.dir, "mail") + "/%d/%n"
	}
	spool := filepath.Join(s.dir, "spool")
	if err := os.MkdirAll(spool, 0o700); err != nil {
		s.t.Fatal(err)
	}
	// The test users have no uid of their own: when the tests run as
	// root, their deliveries run as root, which must be allowed.
	return fmt.Sprintf(`hostname = %q

[server]
allow_root = true

[log]
level = "info"
format = %q

[lmtp]
listen = [%s]
max_message_size = %q
timeout = "30s"
spool_dir = %q

[users]
source = "passwd-file"
file = %q

[mail]
location = %q
recipient_delimiter = "+"
`, e2eHost, format, strings.Join(listen, ", "), size, spool, s.users, loc)
}

// writeConfig replaces the configuration file atomically.
func (s *e2eServer) writeConfig(text string) {
	s.t.Helper()
	writeFileAtomic(s.t, s.cfgPath, text)
}

// writeUsers replaces the passwd-file atomically.
func (s *e2eServer) writeUsers(lines ...string) {
	s.t.Helper()
	writeFileAtomic(s.t, s.users, strings.Join(lines, "\n")+"\n")
}

func writeFileAtomic(t *testing.T, path, text string) {
	t.Helper()
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// mailDir is where the default mail location puts user@domain's Maildir.
func (s *e2eServer) mailDir(user, domain string) string {
	return filepath.Join(s.dir, "mail", domain, user)
}

func (s *e2eServer) spawn() {
	s.t.Helper()
	cmd := exec.Command(sluiceBin, "serve", "-c", s.cfgPath)
	cmd.Dir = s.dir
	cmd.Stderr = s.stderr
	if err := cmd.Start(); err != nil {
		s.t.Fatalf("starting sluice: %v", err)
	}
	s.cmd = cmd
	s.done = make(chan struct{})
	go func() {
		_ = cmd.Wait()
		s.code = cmd.ProcessState.ExitCode()
		close(s.done)
	}()
}

// waitReady waits until the process has logged that it started and every
// listener accepts a connection.
func (s *e2eServer) waitReady() error {
	deadline := time.Now().Add(waitLimit)
	for {
		select {
		case <-s.done:
			return fmt.Errorf("exited with status %d", s.code)
		default:
		}
		if strings.Contains(s.stderr.String(), "sluice started") && s.accepts() {
			return nil
		}
		if time.Now().After(deadline) {
			_ = s.cmd.Process.Kill()
			<-s.done
			return errors.New("timed out")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (s *e2eServer) accepts() bool {
	for _, a := range [][2]string{{"unix", s.socket}, {"tcp", s.tcpAddr}} {
		if a[1] == "" {
			continue
		}
		if !greets(a[0], a[1]) {
			return false
		}
	}
	return true
}

// greets reports whether a server at addr sends its 220 greeting; it then
// says QUIT, so that the probe is an ordinary short session.
func greets(network, addr string) bool {
	c, err := net.DialTimeout(network, addr, time.Second)
	if err != nil {
		return false
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(waitLimit))
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "220 ") {
		return false
	}
	_, _ = c.Write([]byte("QUIT\r\n"))
	_, _ = io.Copy(io.Discard, c)
	return true
}

// pid is the process id of the running sluice.
func (s *e2eServer) pid() int { return s.cmd.Process.Pid }

// signal sends sig to the process.
func (s *e2eServer) signal(sig os.Signal) {
	s.t.Helper()
	if err := s.cmd.Process.Signal(sig); err != nil {
		s.t.Fatalf("signal %v: %v", sig, err)
	}
}

// wait waits for the process to exit and returns its exit code.
func (s *e2eServer) wait() int {
	s.t.Helper()
	select {
	case <-s.done:
		return s.code
	case <-time.After(waitLimit):
		_ = s.cmd.Process.Kill()
		<-s.done
		s.t.Fatalf("sluice did not exit within %v", waitLimit)
		return -1
	}
}

// stop sends SIGTERM and returns the exit code.
func (s *e2eServer) stop() int {
	s.t.Helper()
	s.signal(syscall.SIGTERM)
	return s.wait()
}

// stopAndCheck sends SIGTERM (unless the process is already gone) and
// checks that it exits 0.
func (s *e2eServer) stopAndCheck() {
	select {
	case <-s.done:
	default:
		_ = s.cmd.Process.Signal(syscall.SIGTERM)
	}
	select {
	case <-s.done:
	case <-time.After(waitLimit):
		_ = s.cmd.Process.Kill()
		<-s.done
		s.t.Errorf("sluice did not exit within %v of SIGTERM", waitLimit)
		return
	}
	if s.code != 0 {
		s.t.Errorf("sluice exited with status %d, want 0", s.code)
	}
}

// waitLog waits until stderr holds at least n lines containing substr and
// returns those lines.
func (s *e2eServer) waitLog(substr string, n int) []string {
	s.t.Helper()
	deadline := time.Now().Add(waitLimit)
	for {
		lines := grepLines(s.stderr.String(), substr)
		if len(lines) >= n {
			return lines
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("no %d log line(s) containing %q within %v", n, substr, waitLimit)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func grepLines(text, substr string) []string {
	var out []string
	for line := range strings.Lines(text) {
		if strings.Contains(line, substr) {
			out = append(out, strings.TrimRight(line, "\n"))
		}
	}
	return out
}

// freeTCPAddr returns a 127.0.0.1 address nobody listened on a moment ago.
func freeTCPAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}
