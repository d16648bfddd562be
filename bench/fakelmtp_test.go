package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/emersion/go-smtp"
)

// fakeFault makes the fake server misdeliver the first message of a
// chosen class, so that the verifier can be shown to notice.
type fakeFault int

const (
	faultNone fakeFault = iota
	faultWrongFolder
	faultNoFlags
	faultTwice
	faultLost
)

// fakeBackend is an LMTP server that files each message the way
// testdata/user.sieve would, by looking its Subject up in the corpus,
// without running any Sieve: it exercises the load generator and the
// verifier only.
type fakeBackend struct {
	homes   map[string]string // address -> home
	fault   fakeFault
	faulted atomic.Bool
	seq     atomic.Int64
}

var _ smtp.Backend = (*fakeBackend)(nil)

func (b *fakeBackend) NewSession(*smtp.Conn) (smtp.Session, error) { return &fakeSession{b: b}, nil }

type fakeSession struct {
	b     *fakeBackend
	rcpts []string
}

var _ smtp.Session = (*fakeSession)(nil)

func (s *fakeSession) Mail(string, *smtp.MailOptions) error { return nil }

func (s *fakeSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	if _, ok := s.b.homes[to]; !ok {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
	}
	s.rcpts = append(s.rcpts, to)
	return nil
}

func (s *fakeSession) Reset()        { s.rcpts = nil }
func (s *fakeSession) Logout() error { return nil }

func (s *fakeSession) Data(r io.Reader) error {
	msg, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	subject, err := headerValue(bytes.NewReader(msg), "Subject")
	if err != nil {
		return err
	}
	var c *class
	for i := range classes {
		if classes[i].Subject == subject {
			c = &classes[i]
		}
	}
	if c == nil {
		return fmt.Errorf("unknown subject %q", subject)
	}
	folder, flags, copies := c.Folder, c.Flags, 1
	if c.Name == "spam" && s.b.fault != faultNone && s.b.faulted.CompareAndSwap(false, true) {
		switch s.b.fault {
		case faultWrongFolder:
			folder = ""
		case faultNoFlags:
			flags = ""
		case faultTwice:
			copies = 2
		case faultLost:
			copies = 0
		}
	}
	for _, rcpt := range s.rcpts {
		for range copies {
			if err := s.store(s.b.homes[rcpt], folder, flags, msg); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *fakeSession) store(home, folder, flags string, msg []byte) error {
	dir := filepath.Join(home, "Maildir")
	if folder != "" {
		dir = filepath.Join(dir, "."+folder)
	}
	name := fmt.Sprintf("1.M%dP1.fake,S=%d", s.b.seq.Add(1), len(msg))
	sub := "new"
	if flags != "" {
		name += ":2," + flags
		sub = "cur"
	}
	return os.WriteFile(filepath.Join(dir, sub, name), msg, 0o600)
}

// startFake serves LMTP for h on a loopback port until the test ends.
func startFake(t *testing.T, h *homes, fault fakeFault) string {
	t.Helper()
	b := &fakeBackend{homes: map[string]string{}, fault: fault}
	for _, u := range h.Users {
		b.homes[u.Addr] = u.Home
	}
	srv := smtp.NewServer(b)
	srv.LMTP = true
	srv.Domain = "fake.example.org"
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := srv.Serve(l); err != nil && !errors.Is(err, smtp.ErrServerClosed) {
			t.Errorf("serve: %v", err)
		}
	}()
	t.Cleanup(func() {
		srv.Close()
		wg.Wait()
	})
	return l.Addr().String()
}

// testHomes lays out n users under a temporary directory, as the
// invoking user.
func testHomes(t *testing.T, n int) *homes {
	t.Helper()
	h, err := newHomes(t.TempDir(), n, account{Name: "test", UID: os.Getuid(), GID: os.Getgid()})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.reset(userScript); err != nil {
		t.Fatal(err)
	}
	return h
}

func TestLoadAndVerify(t *testing.T) {
	tests := []struct {
		name   string
		fault  fakeFault
		want   string // a substring of the verify error; "" for success
		noPipe bool
	}{
		{"all delivered as the script says", faultNone, "", false},
		{"all delivered, one command at a time", faultNone, "", true},
		{"filed into the wrong folder", faultWrongFolder, `want folder "Junk"`, false},
		{"flags missing", faultNoFlags, `flags "", want folder "Junk" flags "S"`, false},
		{"delivered twice", faultTwice, "delivered 2 times", false},
		{"lost", faultLost, "missing", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := testHomes(t, 3)
			addr := startFake(t, h, tt.fault)
			res, err := runLoad(t.Context(), loadSpec{Addr: addr, Sessions: 2, Messages: 10, Rcpts: h.Addrs(2), Size: 4 * kb, NoPipelining: tt.noPipe})
			if err != nil {
				t.Fatalf("runLoad: %v", err)
			}
			if res.Messages() != 20 || len(res.Sent) != 20 || len(res.Latencies) != 20 {
				t.Fatalf("got %d messages, %d sent, %d latencies; want 20 each", res.Messages(), len(res.Sent), len(res.Latencies))
			}
			err = verifyHomes(h, res.Sent)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("verify: %v", err)
				}
				return
			}
			if !errors.Is(err, errMisdelivered) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("verify error = %v, want errMisdelivered mentioning %q", err, tt.want)
			}
		})
	}
}

func TestVerifyNoticesStrayMessage(t *testing.T) {
	h := testHomes(t, 1)
	addr := startFake(t, h, faultNone)
	m := msgSpec{ID: "warmup", Class: classes[len(classes)-1], Rcpts: h.Addrs(1), Size: 4 * kb}
	m.EnvFrom = m.Class.EnvFrom
	if _, err := sendOne(t.Context(), addr, m, true); err != nil {
		t.Fatal(err)
	}
	if err := verifyHomes(h, nil); !errors.Is(err, errMisdelivered) || !strings.Contains(err.Error(), "unexpected") {
		t.Fatalf("verify with nothing expected = %v, want an unexpected message", err)
	}
	if err := verifyHomes(h, []msgSpec{m}); err != nil {
		t.Fatalf("verify: %v", err)
	}
}

func TestLoadFailsOnRejectedRecipient(t *testing.T) {
	h := testHomes(t, 1)
	addr := startFake(t, h, faultNone)
	for _, noPipe := range []bool{false, true} {
		_, err := runLoad(t.Context(), loadSpec{Addr: addr, Sessions: 2, Messages: 2, Rcpts: []string{"nobody@example.org"}, Size: kb, NoPipelining: noPipe})
		var er *errReply
		if !errors.As(err, &er) || er.Reply.Code != 550 || !errors.Is(err, errRejected) {
			t.Fatalf("runLoad (no pipelining: %v) to an unknown user = %v, want the 550 reply", noPipe, err)
		}
	}
}

func TestDotted(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", "\r\n.\r\n"},
		{"a\r\nb\r\n", "a\r\nb\r\n.\r\n"},
		{"a\nb", "a\r\nb\r\n.\r\n"},
		{".\r\n..x\r\n", "..\r\n...x\r\n.\r\n"},
		{"x\r\n\r\n.", "x\r\n\r\n..\r\n.\r\n"},
	} {
		if got := string(dotted([]byte(tc.in))); got != tc.want {
			t.Errorf("dotted(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
