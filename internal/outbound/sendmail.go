package outbound

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"time"
)

// SendmailSender runs the MTA's sendmail program. The zero value runs
// /usr/sbin/sendmail.
type SendmailSender struct {
	// Path is the program (default "/usr/sbin/sendmail").
	Path string
	// Args are extra arguments put before sluice's own ("-i -f ... --").
	Args []string
	// Timeout bounds the program's run (default 2 minutes); it is killed
	// when the time is up.
	Timeout time.Duration
}

var _ Sender = (*SendmailSender)(nil)

// Send implements Sender. The null sender is passed as "-f <>", which
// Postfix, Exim and Sendmail all read as the empty reverse-path.
func (s *SendmailSender) Send(ctx context.Context, env Envelope, msg io.Reader) error {
	if err := env.validate(); err != nil {
		return err
	}
	path := s.Path
	if path == "" {
		path = "/usr/sbin/sendmail"
	}
	timeout := s.Timeout
	if timeout <= 0 {
		timeout = defaultSMTPTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	from := env.From
	if from == "" {
		from = "<>"
	}
	// -i: a line with a single dot does not end the message.
	// "--" ends the options, so a recipient starting with '-' stays a
	// recipient.
	args := append(slices.Clone(s.Args), "-i", "-f", from, "--")
	args = append(args, env.To...)
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Stdin = msg
	out := &limitedBuffer{max: 4096}
	cmd.Stdout = out
	cmd.Stderr = out
	// A killed sendmail's children may keep the output pipes open; do not
	// wait for them beyond this.
	cmd.WaitDelay = 2 * time.Second

	err := cmd.Run()
	if err == nil {
		return nil
	}
	detail := out.firstLine()
	if ctxErr := ctx.Err(); ctxErr != nil {
		return &Error{Temporary: true, Enhanced: "4.4.2",
			Msg: fmt.Sprintf("%s: %v", path, ctxErr), Err: errors.Join(ctxErr, err)}
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		// Could not run it at all (missing, not executable): a
		// configuration problem the administrator can fix.
		return &Error{Temporary: true, Enhanced: "4.3.5", Msg: fmt.Sprintf("run %s: %v", path, err), Err: err}
	}
	code := ee.ExitCode()
	if code < 0 {
		return &Error{Temporary: true, Enhanced: "4.3.0",
			Msg: fmt.Sprintf("%s: %v", path, ee.ProcessState), Err: err}
	}
	return exitError(path, code, detail, err)
}

// sysexit describes a sysexits(3) status as a delivery outcome, following
// how Postfix treats the exit status of commands it delivers to: only
// EX_OSERR and EX_TEMPFAIL are worth retrying.
type sysexit struct {
	temporary bool
	enhanced  string
	text      string
}

var sysexits = map[int]sysexit{
	64: {false, "5.3.0", "command line usage error (EX_USAGE)"},
	65: {false, "5.6.0", "message data format error (EX_DATAERR)"},
	66: {false, "5.3.0", "cannot open input (EX_NOINPUT)"},
	67: {false, "5.1.1", "unknown user (EX_NOUSER)"},
	68: {false, "5.1.2", "unknown host (EX_NOHOST)"},
	69: {false, "5.3.0", "service unavailable (EX_UNAVAILABLE)"},
	70: {false, "5.3.0", "internal software error (EX_SOFTWARE)"},
	71: {true, "4.3.0", "operating system error (EX_OSERR)"},
	72: {false, "5.3.0", "system file missing (EX_OSFILE)"},
	73: {false, "5.2.0", "cannot create output file (EX_CANTCREAT)"},
	74: {false, "5.3.0", "I/O error (EX_IOERR)"},
	75: {true, "4.3.0", "temporary failure (EX_TEMPFAIL)"},
	76: {false, "5.5.0", "remote protocol error (EX_PROTOCOL)"},
	77: {false, "5.7.0", "permission denied (EX_NOPERM)"},
	78: {false, "5.3.5", "configuration error (EX_CONFIG)"},
}

func exitError(path string, code int, detail string, err error) *Error {
	se, ok := sysexits[code]
	if !ok {
		se = sysexit{false, "5.3.0", "failed"}
	}
	msg := fmt.Sprintf("%s exited with status %d: %s", path, code, se.text)
	if detail != "" {
		msg += ": " + detail
	}
	return &Error{Temporary: se.temporary, Enhanced: se.enhanced, Msg: msg, ExitCode: code, Err: err}
}

// limitedBuffer keeps the first max bytes written to it.
type limitedBuffer struct {
	mu  sync.Mutex
	max int
	buf bytes.Buffer
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if room := b.max - b.buf.Len(); room > 0 {
		b.buf.Write(p[:min(room, len(p))])
	}
	return len(p), nil
}

// firstLine returns the first non-empty line of output, trimmed.
func (b *limitedBuffer) firstLine() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, l := range strings.Split(b.buf.String(), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			return l
		}
	}
	return ""
}
