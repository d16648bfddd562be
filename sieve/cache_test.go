package sieve

import (
	"context"
	"strings"
	"sync"
	"testing"
)

const cacheMsg = "From: Ann <ann@example.org>\r\n" +
	"X-A: one\r\n" +
	"X-B: two\r\n" +
	"X-A: three\r\n" +
	"Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=\r\n" +
	"MIME-Version: 1.0\r\n" +
	"Content-Type: multipart/mixed; boundary=\"b\"\r\n" +
	"\r\n" +
	"--b\r\n" +
	"Content-Type: text/plain\r\n" +
	"X-A: part\r\n" +
	"\r\n" +
	"Hello.\r\n" +
	"--b--\r\n"

// TestRunCacheFollowsHeaderChanges reads header fields, changes the
// header, and reads them again: the run's cache of values by field name
// must never show the header as it was (RFC 5293 §6, RFC 5703 §4).
func TestRunCacheFollowsHeaderChanges(t *testing.T) {
	const req = `require ["editheader", "relational", "comparator-i;ascii-numeric", "index", "mime", "foreverypart", "variables"]; `
	runExtCases(t, cacheMsg, Input{}, []extCase{
		{"header then addheader", req + `if header :is "x-a" "one" { addheader "X-A" "new"; } if header :index 1 "x-a" "new" { discard; }`, extYes},
		{"count then deleteheader", req + `if header :count "eq" :comparator "i;ascii-numeric" "x-a" "2" { deleteheader :index 1 "x-a"; }
			if header :count "eq" :comparator "i;ascii-numeric" "x-a" "1" { discard; }`, extYes},
		{"exists then deleteheader", req + `if exists "x-b" { deleteheader "x-b"; } if not exists "x-b" { discard; }`, extYes},
		{"address then addheader", req + `if not address :is "reply-to" "r@example.net" { addheader "Reply-To" "R <r@example.net>"; }
			if address :is "reply-to" "r@example.net" { discard; }`, extYes},
		{"address then deleteheader", req + `if address :is "from" "ann@example.org" { deleteheader "from"; } if not address :all :contains "from" "" { discard; }`, extYes},
		{"decoded then addheader", req + `if header :is "subject" "Grüße" { addheader :last "Subject" "Tschüss"; }
			if header :is :index 2 "subject" "Tschüss" { discard; }`, extYes},
		{"two names after one", req + `if header :is "x-a" "one" { addheader "X-A" "new"; }
			if allof (header :is ["x-a", "x-b"] "two", header :count "eq" :comparator "i;ascii-numeric" "x-a" "3",
			          header :is ["x-a", "subject"] "Grüße", header :count "eq" :comparator "i;ascii-numeric" ["x-a", "x-b"] "4") { discard; }`, extYes},
		{"mime part then top", req + `if header :contains "content-type" "multipart" {
			if header :mime :anychild :is "x-a" "part" {
				if allof (header :contains "content-type" "multipart", header :is :index 2 "x-a" "three") { discard; } } }`, extYes},
		{"foreverypart then top", req + `foreverypart { if header :mime :is "x-a" "part" { set "seen" "yes"; } }
			if allof (string "${seen}" "yes", header :is :index 1 "x-a" "one") { discard; }`, extYes},
	})
}

// mutatingTracer writes over every slice it is given, which a Tracer
// must not do; the run must not depend on it.
type mutatingTracer struct{ matches []string }

func (*mutatingTracer) Command(Pos, string)    {}
func (*mutatingTracer) Test(Pos, string, bool) {}
func (m *mutatingTracer) Match(_ Pos, _, _ string, values, keys []string, _ bool) {
	m.matches = append(m.matches, strings.Join(values, ",")+" ~ "+strings.Join(keys, ","))
	for i := range values {
		values[i] = "mangled"
	}
	for i := range keys {
		keys[i] = "mangled"
	}
}

// TestTracerCannotChangeRun checks that the values and keys handed to a
// Tracer are copies of the ones the run shares with its cache and the
// compiled script.
func TestTracerCannotChangeRun(t *testing.T) {
	s := mustCompile(t, `if header :is "x-a" "mangled" { discard; } if header :is "x-a" "one" { keep; } if address :is "from" "ann@example.org" { keep; }`)
	msg := mustMessage(t, cacheMsg)
	for i := range 2 {
		tr := &mutatingTracer{}
		res, err := s.Run(WithTracer(context.Background(), tr), &Input{Message: msg})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := res.String(), "keep \n"; got != want {
			t.Errorf("run %d: result %q, want %q", i, got, want)
		}
		want := []string{"one,three ~ mangled", "one,three ~ one", "ann@example.org ~ ann@example.org"}
		if strings.Join(tr.matches, "\n") != strings.Join(want, "\n") {
			t.Errorf("run %d: tracer saw\n%s\nwant\n%s", i, strings.Join(tr.matches, "\n"), strings.Join(want, "\n"))
		}
	}
}

// TestRunsShareScript runs one script from several goroutines: the
// constant lists they share are only read (run with -race).
func TestRunsShareScript(t *testing.T) {
	s := mustCompile(t, manyRulesScript(50)+`if header :contains ["x-b", "x-a"] ["TWO", "x"] { discard; }`)
	var wg sync.WaitGroup
	for range 4 {
		msg := mustMessage(t, cacheMsg)
		wg.Go(func() {
			for range 20 {
				res, err := s.Run(context.Background(), &Input{Message: msg})
				if err != nil {
					t.Error(err)
					return
				}
				if got := res.String(); got != extYes {
					t.Errorf("result %q, want %q", got, extYes)
					return
				}
			}
		})
	}
	wg.Wait()
}
