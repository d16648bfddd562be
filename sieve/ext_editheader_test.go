package sieve

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-message/mail"
)

const editMsg = "X-A: one\r\n" +
	"Received: from a by b\r\n" +
	"X-B: two\r\n" +
	"Subject: Frop!\r\n" +
	"X-A: three\r\n" +
	"Auto-Submitted: no\r\n" +
	"X-A: =?UTF-8?Q?f=C3=BCnf?=\r\n" +
	"\r\n" +
	"Body.\r\n"

func TestEditheaderVisibleToLaterTests(t *testing.T) {
	const req = `require ["editheader", "variables", "relational", "comparator-i;ascii-numeric", "index", "date"]; `
	runExtCases(t, editMsg, Input{}, []extCase{
		{"added seen by header", req + `addheader "X-New" "hello"; if header "x-new" "hello" { discard; }`, extYes},
		{"added seen by exists", req + `addheader "X-New" "hello"; if exists "X-New" { discard; }`, extYes},
		{"added seen by address", req + `addheader "Reply-To" "Someone <s@example.net>"; if address :domain "reply-to" "example.net" { discard; }`, extYes},
		{"added first is first", req + `addheader "X-A" "zero"; if header :index 1 "x-a" "zero" { discard; }`, extYes},
		{"added last is last", req + `addheader :last "X-A" "six"; if header :index 1 :last "x-a" "six" { discard; }`, extYes},
		{"added twice: newest on top", req + `addheader "X-N" "1"; addheader "X-N" "2"; if header :index 1 "x-n" "2" { discard; }`, extYes},
		{"added date seen by date test", req + `addheader "Date" "Mon, 21 Nov 2011 05:25:26 +0200"; if date :zone "+0200" "date" "year" "2011" { discard; }`, extYes},
		{"deleted gone", req + `deleteheader "x-a"; if exists "x-a" { keep; } else { discard; }`, extYes},
		{"deleted count", req + `deleteheader "x-b"; if header :count "eq" :comparator "i;ascii-numeric" "x-a" "3" { discard; }`, extYes},
		{"delete by value", req + `deleteheader "x-a" "three"; if header :count "eq" :comparator "i;ascii-numeric" "x-a" "2" { discard; }`, extYes},
		{"delete by decoded value", req + `deleteheader :contains "x-a" "fünf"; if header :contains "x-a" "fünf" { keep; } else { discard; }`, extYes},
		{"delete :matches", req + `deleteheader :matches "x-a" "t*"; if header :is "x-a" "three" { keep; } else { discard; }`, extYes},
		{"delete :index", req + `deleteheader :index 2 "x-a"; if allof(header :index 1 "x-a" "one", header :index 2 "x-a" "fünf") { discard; }`, extYes},
		{"delete :index :last", req + `deleteheader :index 1 :last "x-a"; if header :index 1 :last "x-a" "three" { discard; }`, extYes},
		{"delete :index beyond", req + `deleteheader :index 9 "x-a"; if header :count "eq" :comparator "i;ascii-numeric" "x-a" "3" { discard; }`, extYes},
		{"delete :index and value: no match", req + `deleteheader :index 1 "x-a" "three"; if header :count "eq" :comparator "i;ascii-numeric" "x-a" "3" { discard; }`, extYes},
		{"delete added", req + `addheader "X-N" "1"; addheader :last "X-N" "2"; deleteheader :index 2 "x-n"; if header :count "eq" :comparator "i;ascii-numeric" "x-n" "1" { discard; }`, extYes},
		{"received protected", req + `deleteheader "received"; if exists "received" { discard; }`, extYes},
		{"auto-submitted not deleted", req + `deleteheader "auto-submitted"; if exists "auto-submitted" { discard; }`, extYes},
		{"received can be added", req + `addheader "Received" "by sieve"; if header :index 1 "received" "by sieve" { discard; }`, extYes},
		{"non-ASCII round trip", req + `addheader "X-U" "Это тест!"; if header "x-u" "Это тест!" { discard; }`, extYes},
		{"control character kept", `require ["editheader", "encoded-character"]; addheader "X-C" "Ring ${hex:07}!"; if header "x-c" "Ring ${hex:07}!" { discard; }`, extYes},
		{"newline before space unfolds", req + "addheader \"X-F\" \"a\r\n b\"; if header \"x-f\" \"a b\" { discard; }", extYes},
		{"bare newline is a space", req + "addheader \"X-F\" \"a\nb\"; if header \"x-f\" \"a b\" { discard; }", extYes},
		{"size grows", req + `if size :over 140 { keep; } addheader "X-Size" "0123456789"; if size :over 140 { discard; }`, extYes},
	})
}

func TestEditheaderSize(t *testing.T) {
	base := int64(len(editMsg))
	cases := []struct {
		name string
		src  string
		want int64
	}{
		{"add", `addheader "X-Some-Header" "Header content";`, base + int64(len("X-Some-Header: Header content\r\n"))},
		{"delete", `deleteheader "x-b";`, base - int64(len("X-B: two\r\n"))},
		{"add and delete it", `addheader "X-N" "v"; deleteheader "x-n";`, base},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			s := mustCompile(t, `require "editheader"; `+tt.src)
			m := mustMessage(t, editMsg)
			e := newTestExec(t, s, m)
			if got := e.msg.Size(); got != tt.want {
				t.Errorf("size %d, want %d", got, tt.want)
			}
		})
	}
}

// newTestExec runs s on m and returns the finished run's state.
func newTestExec(t *testing.T, s *Script, m Message) *exec {
	t.Helper()
	e := &exec{ctx: context.Background(), s: s, in: &Input{}, msg: m, env: StaticEnvelope{},
		vars: map[string]string{}, implicitKeep: true, state: map[string]any{}, delim: "+"}
	if err := e.runBlock(s.prog); err != nil {
		t.Fatalf("run: %v", err)
	}
	return e
}

func mustCompile(t testing.TB, src string) *Script {
	t.Helper()
	s, err := Compile(context.Background(), "test", []byte(src), Options{})
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	return s
}

func mustMessage(t testing.TB, msg string) Message {
	t.Helper()
	m, err := ParseMessage(strings.NewReader(msg))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestEditheaderResult(t *testing.T) {
	res := runScript(t, `require "editheader";
		addheader "X-Top" "first";
		addheader :last "X-End" "Это тест, and it is long enough to need folding when it is written out";
		deleteheader :index 2 "x-a";
		deleteheader "x-b";
		keep;`, editMsg)
	if res.HeaderEdits == nil {
		t.Fatal("no HeaderEdits")
	}
	hdr, body, _ := strings.Cut(editMsg, "\r\n\r\n")
	got := res.HeaderEdits.Apply([]byte(hdr + "\r\n"))
	want := "X-Top: first\r\n" +
		"X-A: one\r\n" +
		"Received: from a by b\r\n" +
		"Subject: Frop!\r\n" +
		"Auto-Submitted: no\r\n" +
		"X-A: =?UTF-8?Q?f=C3=BCnf?=\r\n"
	if !strings.HasPrefix(string(got), want) {
		t.Fatalf("Apply:\n%s\nwant prefix:\n%s", got, want)
	}
	for _, line := range strings.Split(strings.TrimSuffix(string(got), "\r\n"), "\r\n") {
		if len(line) > maxLine {
			t.Errorf("line not folded (%d octets): %q", len(line), line)
		}
	}
	// The stored message parses back, with the edits.
	full := append(got, "\r\n"+body...)
	r, err := mail.CreateReader(bytes.NewReader(full))
	if err != nil {
		t.Fatal(err)
	}
	end, err := r.Header.Text("X-End")
	if err != nil || end != "Это тест, and it is long enough to need folding when it is written out" {
		t.Errorf("X-End = %q, %v", end, err)
	}
	if r.Header.Get("X-B") != "" || len(r.Header.Values("X-A")) != 2 {
		t.Errorf("deletions not applied: %q", full)
	}
}

func TestEditheaderApplyLF(t *testing.T) {
	h := &HeaderEdits{
		Prepend: []HeaderField{newHeaderField("X-New", "v")},
		Deleted: map[string][]int{"x-a": {0}},
	}
	got := string(h.Apply([]byte("X-A: a\n folded\nX-A: b\nNoColonLine\n")))
	want := "X-New: v\nX-A: b\nNoColonLine\n"
	if got != want {
		t.Errorf("Apply = %q, want %q", got, want)
	}
	if got := string((*HeaderEdits)(nil).Apply([]byte("A: b\r\n"))); got != "A: b\r\n" {
		t.Errorf("nil Apply = %q", got)
	}
}

func TestEditheaderNoEdits(t *testing.T) {
	res := runScript(t, `require "editheader"; deleteheader "x-none"; keep;`, editMsg)
	if res.HeaderEdits != nil {
		t.Errorf("HeaderEdits = %+v, want nil", res.HeaderEdits)
	}
}

// A chain of scripts sees the edits of the earlier ones (Pigeonhole's
// sieve_before / personal / sieve_after).
func TestEditheaderNextMessage(t *testing.T) {
	ctx := context.Background()
	m := mustMessage(t, editMsg)
	for _, src := range []string{
		`require "editheader"; addheader "X-Before" "before"; deleteheader :index 1 "x-a";`,
		`require "editheader"; if not header "x-before" "before" { stop; } addheader :last "X-Personal" "p";`,
	} {
		res, err := mustCompile(t, src).Run(ctx, &Input{Message: m})
		if err != nil {
			t.Fatal(err)
		}
		if m, err = res.NextMessage(m); err != nil {
			t.Fatal(err)
		}
	}
	if got := m.Header("X-Personal"); len(got) != 1 {
		t.Errorf("X-Personal = %q: the second script did not see X-Before", got)
	}
	if got := m.Header("X-A"); len(got) != 2 || got[0] != "three" {
		t.Errorf("X-A = %q", got)
	}
	want := int64(len(editMsg) + len("X-Before: before\r\n") + len("X-Personal: p\r\n") - len("X-A: one\r\n"))
	if m.Size() != want {
		t.Errorf("size %d, want %d", m.Size(), want)
	}
}

type editConfigServices struct{ cfg EditHeaderConfig }

func (editConfigServices) Now() time.Time                       { return time.Unix(0, 0) }
func (s editConfigServices) EditHeaderConfig() EditHeaderConfig { return s.cfg }

var _ EditHeaderSettings = editConfigServices{}

func TestEditheaderConfig(t *testing.T) {
	in := Input{Services: editConfigServices{EditHeaderConfig{
		Protected:    []string{"X-B", "Subject"},
		ForbidAdd:    []string{"X-NoAdd"},
		ForbidDelete: []string{"X-A"},
	}}}
	runExtCases(t, editMsg, in, []extCase{
		{"protected not deleted", `require "editheader"; deleteheader "x-b"; if exists "x-b" { discard; }`, extYes},
		{"protected not added", `require "editheader"; addheader "X-B" "new"; if header "x-b" "new" { keep; } else { discard; }`, extYes},
		{"subject never protected", `require "editheader"; deleteheader "subject"; if not exists "subject" { discard; }`, extYes},
		{"forbid add", `require "editheader"; addheader "X-NoAdd" "v"; if not exists "x-noadd" { discard; }`, extYes},
		{"forbid delete", `require "editheader"; deleteheader "x-a"; if exists "x-a" { discard; }`, extYes},
	})
}

func TestEditheaderErrors(t *testing.T) {
	compileErrs := []struct{ name, src, want string }{
		{"bad name", `addheader "X-field:" "v";`, "field name 'X-field:' is invalid"},
		{"space in name", `deleteheader "X field";`, "field name 'X field' is invalid"},
		{"NUL value", `require "encoded-character"; addheader "X" "a${hex:00}b";`, "is invalid"},
		{"last without index", `deleteheader :last "x";`, "requires :index"},
		{"index zero", `deleteheader :index 0 "x";`, "1 or more"},
		{"field list", `deleteheader ["a", "b"] "v";`, "single string"},
	}
	for _, tt := range compileErrs {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Compile(context.Background(), "t", []byte(`require "editheader"; `+tt.src), Options{})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
	runErrs := []struct{ name, src, want string }{
		{"bad name at run time", `set "h" "X-field:"; addheader "${h}" "v";`, "is invalid"},
		{"too large", `set "v" "${x}"; addheader "X" "${big}";`, "too large"},
	}
	big := strings.Repeat("A", defaultMaxHeaderSize+1)
	for _, tt := range runErrs {
		t.Run(tt.name, func(t *testing.T) {
			src := `require ["editheader", "variables"]; set "big" "` + big + `"; ` + tt.src
			s, err := Compile(context.Background(), "t", []byte(src), Options{Limits: Limits{VariableSize: 1 << 16}})
			if err != nil {
				t.Fatal(err)
			}
			_, err = s.Run(context.Background(), &Input{Message: mustMessage(t, editMsg)})
			var re *RuntimeError
			if !errors.As(err, &re) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want a runtime error with %q", err, tt.want)
			}
		})
	}
}

func TestFoldField(t *testing.T) {
	cases := []struct{ name, value string }{
		{"short", "v"},
		{"long words", strings.Repeat("word ", 40)},
		{"one long token", strings.Repeat("x", 120)},
		{"tabs and spaces", "a\t b  c" + strings.Repeat(" d", 50)},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			v := strings.TrimSpace(tt.value)
			raw := string(foldField("X-Name", v))
			if got := strings.ReplaceAll(raw, "\r\n", ""); got != "X-Name: "+v {
				t.Errorf("unfolded %q, want %q", got, "X-Name: "+v)
			}
			for _, l := range strings.Split(raw, "\r\n") {
				if strings.TrimSpace(l) == "" {
					t.Errorf("empty folded line in %q", raw)
				}
			}
		})
	}
}

// An action carries the edits made before it (as Pigeonhole does): the
// redirect forwards the added field, the later fileinto stores without it.
func TestEditheaderEditsFor(t *testing.T) {
	res := runScript(t, `require ["editheader", "fileinto"];
		fileinto "Before";
		addheader "X-Some-Header" "Header content";
		redirect "frop@example.com";
		deleteheader "X-Some-Header";
		fileinto "After";`, editMsg)
	want := map[string]int{"Before": 0, "frop@example.com": 1, "After": 0}
	for _, a := range res.Actions {
		var key string
		switch a := a.(type) {
		case *FileInto:
			key = a.Mailbox
		case *Redirect:
			key = a.Address
		}
		h := res.EditsFor(a)
		got := 0
		if h != nil {
			got = len(h.Prepend)
		}
		if got != want[key] {
			t.Errorf("%s %s: %d added fields, want %d", a.Kind(), key, got, want[key])
		}
	}
	if res.HeaderEdits != nil {
		t.Errorf("final HeaderEdits = %+v, want nil", res.HeaderEdits)
	}
}

// Runs never change the Message they are given, even one that carries
// edits of an earlier script: runs can share it.
func TestEditheaderInputUnchanged(t *testing.T) {
	first, err := mustCompile(t, `require "editheader"; addheader "X-One" "1";`).Run(context.Background(), &Input{Message: mustMessage(t, editMsg)})
	if err != nil {
		t.Fatal(err)
	}
	in, err := first.NextMessage(mustMessage(t, editMsg))
	if err != nil {
		t.Fatal(err)
	}
	size := in.Size()
	s := mustCompile(t, `require "editheader"; addheader "X-Two" "2"; deleteheader "x-one";`)
	done := make(chan error, 4)
	for range 4 {
		go func() {
			res, err := s.Run(context.Background(), &Input{Message: in})
			if err == nil && (res.HeaderEdits == nil || len(res.HeaderEdits.Prepend) != 1) {
				err = errors.New("wrong edits")
			}
			done <- err
		}()
	}
	for range 4 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	if in.Size() != size || len(in.Header("X-One")) != 1 || len(in.Header("X-Two")) != 0 {
		t.Errorf("input changed: size %d (was %d), X-One %q, X-Two %q", in.Size(), size, in.Header("X-One"), in.Header("X-Two"))
	}
}

// TestEditheaderSizeLimit checks Limits.EditHeaderMaxSize (Pigeonhole's
// sieve_editheader_max_header_size): a constant value over it is refused
// at compile time, a computed one when the action runs.
func TestEditheaderSizeLimit(t *testing.T) {
	val := strings.Repeat("A", 1500)
	cases := []struct {
		name       string
		max        int
		src        string
		compileErr bool
		runErr     bool
	}{
		{"constant under default", 0, `addheader "X" "` + val + `";`, false, false},
		{"constant over limit", 1024, `addheader "X" "` + val + `";`, true, false},
		{"constant at limit", 1500, `addheader "X" "` + val + `";`, false, false},
		{"variable over limit", 1024, `set "v" "` + val + `"; addheader "X" "${v}";`, false, true},
		{"variable under limit", 2000, `set "v" "` + val + `"; addheader "X" "${v}";`, false, false},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			src := `require ["editheader", "variables"]; ` + tt.src
			s, err := Compile(context.Background(), "t", []byte(src), Options{Limits: Limits{EditHeaderMaxSize: tt.max}})
			if tt.compileErr {
				if err == nil || !strings.Contains(err.Error(), "too large") {
					t.Fatalf("err = %v, want a compile error about the size", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			_, err = s.Run(context.Background(), &Input{Message: mustMessage(t, editMsg)})
			var re *RuntimeError
			if got := errors.As(err, &re); got != tt.runErr {
				t.Errorf("err = %v, want run-time error %t", err, tt.runErr)
			}
		})
	}
}
