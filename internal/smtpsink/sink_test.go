package smtpsink

import (
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// send delivers one message over a plain connection.
func send(t *testing.T, addr, from string, to []string, r io.Reader) error {
	t.Helper()
	c, err := smtp.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.SendMail(from, to, r)
}

func TestSinkRecords(t *testing.T) {
	s := Start(t)
	err := send(t, s.Addr(), "a@example.org", []string{"b@example.net", "c@example.net"},
		strings.NewReader("Subject: x\r\n\r\nbody\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	msgs, ok := s.WaitFor(1, 5*time.Second)
	if !ok {
		t.Fatal("no message")
	}
	m := msgs[0]
	if m.From != "a@example.org" || strings.Join(m.To, ",") != "b@example.net,c@example.net" ||
		string(m.Data) != "Subject: x\r\n\r\nbody\r\n" || m.UTF8 {
		t.Errorf("got %+v", m)
	}
	if s.Connections() != 1 {
		t.Errorf("Connections = %d", s.Connections())
	}
}

func TestSinkRefuses(t *testing.T) {
	tests := []struct {
		name  string
		opt   Option
		rcpts []string
		code  int
	}{
		{"hello", Refuse(StageHello, 421), []string{"b@example.net"}, 421},
		{"mail", Refuse(StageMail, 451), []string{"b@example.net"}, 451},
		{"rcpt", Refuse(StageRcpt, 550), []string{"b@example.net"}, 550},
		{"one rcpt", RefuseRcpt(552, "B@example.net"), []string{"b@example.net"}, 552},
		{"data", Refuse(StageData, 554), []string{"b@example.net"}, 554},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := Start(t, tt.opt)
			err := send(t, s.Addr(), "a@example.org", tt.rcpts, strings.NewReader("x\r\n"))
			var se *smtp.SMTPError
			if !errors.As(err, &se) || se.Code != tt.code {
				t.Fatalf("got %v, want code %d", err, tt.code)
			}
			if n := len(s.Messages()); n != 0 {
				t.Errorf("%d messages recorded", n)
			}
		})
	}
}

func TestSinkWaitForTimesOut(t *testing.T) {
	s := Start(t)
	if msgs, ok := s.WaitFor(1, 10*time.Millisecond); ok || msgs != nil {
		t.Errorf("WaitFor on an idle sink = %v, %v", msgs, ok)
	}
}
