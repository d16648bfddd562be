package outbound

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// fakeSendmail writes a shell script that records its arguments and
// standard input in dir, prints stderr, and exits with status.
func fakeSendmail(t *testing.T, status int, stderr string) (path, dir string) {
	t.Helper()
	dir = t.TempDir()
	path = filepath.Join(dir, "sendmail")
	script := "#!/bin/sh\n" +
		"for a in \"$@\"; do printf '%s\\n' \"$a\"; done > '" + dir + "/args'\n" +
		"cat > '" + dir + "/stdin'\n" +
		"printf '%s' '" + stderr + "' >&2\n" +
		"exit " + strconv.Itoa(status) + "\n"
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return path, dir
}

func readLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

func TestSendmailSenderArguments(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		env      Envelope
		wantArgs []string
	}{
		{"plain", nil, Envelope{From: "alice@example.org", To: []string{"bob@example.net"}},
			[]string{"-i", "-f", "alice@example.org", "--", "bob@example.net"}},
		{"null sender", nil, Envelope{To: []string{"bob@example.net"}},
			[]string{"-i", "-f", "<>", "--", "bob@example.net"}},
		{"extra args and recipients", []string{"-C", "/etc/alt.cf"},
			Envelope{From: "a@example.org", To: []string{"b@example.net", "-oops@example.net"}},
			[]string{"-C", "/etc/alt.cf", "-i", "-f", "a@example.org", "--", "b@example.net", "-oops@example.net"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path, dir := fakeSendmail(t, 0, "")
			s := &SendmailSender{Path: path, Args: tt.args, Timeout: 10 * time.Second}
			if err := s.Send(t.Context(), tt.env, strings.NewReader(testMsg)); err != nil {
				t.Fatalf("Send: %v", err)
			}
			if got := readLines(t, filepath.Join(dir, "args")); strings.Join(got, "|") != strings.Join(tt.wantArgs, "|") {
				t.Errorf("args %q, want %q", got, tt.wantArgs)
			}
			stdin, err := os.ReadFile(filepath.Join(dir, "stdin"))
			if err != nil || string(stdin) != testMsg {
				t.Errorf("stdin %q, %v", stdin, err)
			}
		})
	}
}

func TestSendmailSenderExitCodes(t *testing.T) {
	tests := []struct {
		status       int
		wantTemp     bool
		wantEnhanced string
	}{
		{75, true, "4.3.0"},  // EX_TEMPFAIL
		{71, true, "4.3.0"},  // EX_OSERR
		{64, false, "5.3.0"}, // EX_USAGE
		{65, false, "5.6.0"}, // EX_DATAERR
		{67, false, "5.1.1"}, // EX_NOUSER
		{77, false, "5.7.0"}, // EX_NOPERM
		{78, false, "5.3.5"}, // EX_CONFIG
		{1, false, "5.3.0"},  // not a sysexits code
	}
	for _, tt := range tests {
		t.Run(strconv.Itoa(tt.status), func(t *testing.T) {
			path, _ := fakeSendmail(t, tt.status, "sendmail: something went wrong\nmore detail\n")
			s := &SendmailSender{Path: path, Timeout: 10 * time.Second}
			err := s.Send(t.Context(), Envelope{From: "a@example.org", To: []string{"b@example.net"}}, strings.NewReader(testMsg))
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("got %v, want *Error", err)
			}
			if e.Temporary != tt.wantTemp || e.ExitCode != tt.status || e.Enhanced != tt.wantEnhanced {
				t.Errorf("got Temporary=%v ExitCode=%d Enhanced=%q, want %v %d %q (%v)",
					e.Temporary, e.ExitCode, e.Enhanced, tt.wantTemp, tt.status, tt.wantEnhanced, err)
			}
			if !strings.Contains(e.Msg, "sendmail: something went wrong") || strings.Contains(e.Msg, "more detail") {
				t.Errorf("Msg should carry the first line of output: %q", e.Msg)
			}
		})
	}
}

func TestSendmailSenderMissingProgram(t *testing.T) {
	s := &SendmailSender{Path: filepath.Join(t.TempDir(), "no-sendmail")}
	err := s.Send(t.Context(), Envelope{From: "a@example.org", To: []string{"b@example.net"}}, strings.NewReader(testMsg))
	if !IsTemporary(err) || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("got %v, want temporary wrapping ErrNotExist", err)
	}
}

func TestSendmailSenderHangs(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sendmail")
	// The child sleep keeps the output pipe open after the shell is killed.
	script := "#!/bin/sh\nsleep 30\n"
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	s := &SendmailSender{Path: path, Timeout: 200 * time.Millisecond}
	err := s.Send(t.Context(), Envelope{From: "a@example.org", To: []string{"b@example.net"}}, strings.NewReader(testMsg))
	if !IsTemporary(err) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want temporary wrapping DeadlineExceeded", err)
	}
}
