package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// errExited reports a server that ended before it was asked to.
var errExited = errors.New("server process exited")

// procOptions configure startProc.
type procOptions struct {
	Dir     string
	LogFile string // stdout and stderr are appended here
	// Cred, when set, runs the process as another user (needs root).
	Cred *syscall.Credential
}

// proc is a started server process.
type proc struct {
	cmd  *exec.Cmd
	log  *os.File
	done chan struct{}
	err  error // the Wait result, valid once done is closed
}

// startProc starts argv[0] with argv[1:]. The process gets its own
// process group so that a terminal's ^C reaches the benchmark only, which
// then stops its servers in order.
func startProc(argv []string, o procOptions) (*proc, error) {
	logf, err := os.OpenFile(o.LogFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("server log: %w", err)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = o.Dir
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Credential: o.Cred}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start %s: %w", argv[0], err)
	}
	p := &proc{cmd: cmd, log: logf, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// PID is the process id of the server (for Dovecot, of its master).
func (p *proc) PID() int { return p.cmd.Process.Pid }

// stop sends SIGTERM, waits up to grace, then kills the process group.
func (p *proc) stop(grace time.Duration) error {
	defer p.log.Close()
	select {
	case <-p.done:
		return fmt.Errorf("%w early: %v", errExited, p.err)
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-p.done:
		return nil
	case <-t.C:
		_ = syscall.Kill(-p.PID(), syscall.SIGKILL)
		<-p.done
		return fmt.Errorf("server did not stop within %v, killed", grace)
	}
}

// waitReady dials addr until the server greets with 220 (RFC 5321
// section 4.2), the process exits, or ctx ends.
func waitReady(ctx context.Context, addr string, p *proc, limit time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	var last error
	for {
		select {
		case <-p.done:
			return fmt.Errorf("%w while starting: %v", errExited, p.err)
		default:
		}
		if last = greet(ctx, addr); last == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("server at %s not ready: %w (last: %v)", addr, ctx.Err(), last)
		case <-p.done:
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func greet(ctx context.Context, addr string) error {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("dial: %w", err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(2 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return fmt.Errorf("read greeting: %w", err)
	}
	if !strings.HasPrefix(line, "220") {
		return fmt.Errorf("greeting %q", strings.TrimSpace(line))
	}
	_, _ = c.Write([]byte("QUIT\r\n"))
	return nil
}

// freePort asks the kernel for an unused TCP port on 127.0.0.1.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
