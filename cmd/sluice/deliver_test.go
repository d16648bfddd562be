package main

import (
	"strings"
	"testing"

	"github.com/emersion/go-message/textproto"
)

func TestParseLDAArgs(t *testing.T) {
	o, err := parseLDAArgs([]string{"-d", "alice", "-f", "", "-a", "orig@x.org", "-r", "final@x.org", "-m", "", "-e", "-k", "-o", "mail.location=maildir:~/M", "-o", "a.b=1", "-p", "/tmp/m"})
	if err != nil {
		t.Fatal(err)
	}
	if o.user != "alice" || !o.senderSet || o.sender != "" || o.original != "orig@x.org" || o.final != "final@x.org" ||
		!o.rejectToStderr || o.path != "/tmp/m" || o.overrides["mail.location"] != "maildir:~/M" || o.overrides["a.b"] != "1" {
		t.Errorf("parsed %+v", o)
	}
	for _, bad := range [][]string{{"-x"}, {"extra"}, {"-o", "nokey"}, {"-o", "=v"}, {"-d"}} {
		if _, err := parseLDAArgs(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestLDASender(t *testing.T) {
	hdr := func(rp string) textproto.Header {
		var h textproto.Header
		if rp != "" {
			h.Set("Return-Path", rp)
		}
		return h
	}
	tests := []struct {
		name, flag string
		set        bool
		rp, want   string
	}{
		{"flag", "a@example.org", true, "", "a@example.org"},
		{"flag in brackets", "<a@example.org>", true, "", "a@example.org"},
		{"broken flag", "a@@b", true, "", ""},
		{"no domain", "alice", true, "", ""},
		{"null", "<>", true, "", ""},
		{"header", "", false, "<rp@example.org>", "rp@example.org"},
		{"flag beats header", "a@example.org", true, "<rp@example.org>", "a@example.org"},
		{"nothing", "", false, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ldaSender(&ldaOptions{sender: tt.flag, senderSet: tt.set}, hdr(tt.rp))
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestLDAPrefixAndOneLine(t *testing.T) {
	for _, tt := range []struct{ header, want string }{
		{"Subject: x\n", "Return-Path: <a@b.org>\nDelivered-To: <cd@e.org>\n"},
		// Postfix's pipe flags R and D added them already.
		{"Return-Path: <a@b.org>\nDelivered-To: cd@E.org\nSubject: x\n", ""},
		{"Delivered-To: <cd@e.org>\r\nSubject: x\r\n", "Return-Path: <a@b.org>\n"},
		// A different sender, or one further down, is not ours.
		{"Return-Path: <other@b.org>\nSubject: x\n", "Return-Path: <a@b.org>\nDelivered-To: <cd@e.org>\n"},
		{"Subject: x\nReturn-Path: <a@b.org>\n", "Return-Path: <a@b.org>\nDelivered-To: <cd@e.org>\n"},
	} {
		if got := ldaPrefix([]byte(tt.header), "a@b.org", "c\r\n<d>@e.org"); got != tt.want {
			t.Errorf("ldaPrefix(%q) = %q, want %q", tt.header, got, tt.want)
		}
	}
	if got := oneLine("a: b\nc:  d\n"); got != "a: b; c: d;" || strings.Contains(got, "\n") {
		t.Errorf("oneLine %q", got)
	}
}
