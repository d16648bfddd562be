package delivery

import (
	"bytes"
	"context"
	"io"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/sluice-mail/sluice/internal/scripts"
	"github.com/sluice-mail/sluice/sieve"
)

// editBody is a body whose bytes must come through unchanged: an empty
// line, leading white space, a dot line, trailing spaces.
const editBody = "first line\n\n   indented\n.dot line\ntrailing  \n\tlast\n"

func editMail(headers ...string) string {
	return "From: Sender <sender@example.net>\nTo: alice@example.org\nSubject: edit me\n" +
		"Message-ID: <edit@example.net>\n" + strings.Join(append(headers, ""), "\n") + "\n" + editBody
}

// splitStored returns the header block (without the empty line) and the
// body of a stored or forwarded message with LF line endings.
func splitStored(t *testing.T, msg string) (hdr, body string) {
	t.Helper()
	msg = strings.ReplaceAll(msg, "\r\n", "\n")
	h, b, ok := strings.Cut(msg, "\n\n")
	if !ok {
		t.Fatalf("no empty line in message:\n%s", msg)
	}
	return h + "\n", b
}

// fieldNames lists the names of the fields of a header block, in order.
func fieldNames(hdr string) []string {
	var out []string
	for _, l := range strings.Split(strings.TrimSuffix(hdr, "\n"), "\n") {
		if name, _, ok := strings.Cut(l, ":"); ok && l != "" && l[0] != ' ' && l[0] != '\t' {
			out = append(out, name)
		}
	}
	return out
}

// checkSizes checks the S= and W= of a Maildir file name against its
// content.
func checkSizes(t *testing.T, m storedFile) {
	t.Helper()
	s := regexp.MustCompile(`,S=(\d+),W=(\d+)`).FindStringSubmatch(m.name)
	if s == nil {
		t.Fatalf("file name %q has no S= and W=", m.name)
	}
	lf := strings.Count(m.body, "\n") - strings.Count(m.body, "\r\n")
	if want := strconv.Itoa(len(m.body)); s[1] != want {
		t.Errorf("%s: S=%s, file has %s bytes", m.name, s[1], want)
	}
	if want := strconv.Itoa(len(m.body) + lf); s[2] != want {
		t.Errorf("%s: W=%s, want %s", m.name, s[2], want)
	}
}

func TestSieveAgentStoresEditedHeader(t *testing.T) {
	tests := []struct {
		name   string
		script string
		mail   string
		// want maps a mailbox to the field names of its copy, in order.
		want map[string][]string
	}{
		{
			name: "addheader and deleteheader then fileinto",
			script: `require ["editheader", "fileinto", "mailbox"];
addheader "X-Tag" "yes"; addheader :last "X-Last" "1"; deleteheader "Subject"; fileinto :create "F";`,
			mail: editMail(),
			want: map[string][]string{"F": {"Return-Path", "Delivered-To", "X-Tag", "From", "To", "Message-ID", "X-Last"}},
		},
		{
			name:   "implicit keep has every edit of the run",
			script: `require "editheader"; deleteheader :index 2 "X-List" ; addheader "X-Seen" "1";`,
			mail:   editMail("X-List: a", "X-List: b", "X-List: c"),
			want:   map[string][]string{"INBOX": {"Return-Path", "Delivered-To", "X-Seen", "From", "To", "Subject", "Message-ID", "X-List", "X-List"}},
		},
		{
			name: "a store has the edits made before it only",
			script: `require ["editheader", "fileinto", "mailbox", "copy"];
addheader "X-Early" "1"; fileinto :create :copy "F"; addheader "X-Late" "1";`,
			mail: editMail(),
			want: map[string][]string{
				"F":     {"Return-Path", "Delivered-To", "X-Early", "From", "To", "Subject", "Message-ID"},
				"INBOX": {"Return-Path", "Delivered-To", "X-Late", "X-Early", "From", "To", "Subject", "Message-ID"},
			},
		},
		{
			name:   "deleting the second delivered-to the script saw",
			script: `require "editheader"; deleteheader :index 2 "Delivered-To";`,
			mail:   editMail("Delivered-To: <earlier@example.org>"),
			want:   map[string][]string{"INBOX": {"Return-Path", "Delivered-To", "From", "To", "Subject", "Message-ID"}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newSieveEnv(t, nil)
			e.script("alice", tc.script)
			e.sendOne("sender@example.net", "alice@example.org", tc.mail, "250 ")
			got := e.mail("alice")
			if len(got) != len(tc.want) {
				t.Fatalf("%d copies stored, want %d", len(got), len(tc.want))
			}
			_, origBody := splitStored(t, tc.mail)
			for _, m := range got {
				hdr, body := splitStored(t, m.body)
				if names := fieldNames(hdr); !slices.Equal(names, tc.want[m.mailbox]) {
					t.Errorf("%s: fields %v, want %v\n%s", m.mailbox, names, tc.want[m.mailbox], hdr)
				}
				if body != origBody {
					t.Errorf("%s: body %q, want %q", m.mailbox, body, origBody)
				}
				checkSizes(t, m)
			}
		})
	}
}

func TestSieveAgentDeleteHeaderOfPrefix(t *testing.T) {
	e := newSieveEnv(t, nil)
	e.script("alice", `require "editheader"; deleteheader :index 1 "Delivered-To";`)
	e.sendOne("sender@example.net", "alice@example.org", editMail("Delivered-To: <earlier@example.org>"), "250 ")
	m := e.mail("alice")[0]
	if strings.Contains(m.body, "Delivered-To: <alice@example.org>") {
		t.Errorf("the deleted Delivered-To is still there:\n%s", m.body)
	}
	if !strings.Contains(m.body, "Delivered-To: <earlier@example.org>") {
		t.Errorf("the other Delivered-To is gone:\n%s", m.body)
	}
}

func TestSieveAgentRedirectAndEdits(t *testing.T) {
	e := newSieveEnv(t, nil)
	e.script("alice", `require ["editheader", "copy"];
addheader "X-Before" "1";
redirect :copy "fwd@example.net";
deleteheader "X-Secret";
addheader "X-After" "1";`)
	mail := editMail("X-Secret: s3cret")
	e.sendOne("sender@example.net", "alice@example.org", mail, "250 ")

	fwd := e.sink.Messages()
	if len(fwd) != 1 {
		t.Fatalf("%d forwards, want 1", len(fwd))
	}
	fh, fb := splitStored(t, string(fwd[0].Data))
	if want := []string{RedirectedFromHeader, "X-Before", "From", "To", "Subject", "Message-ID", "X-Secret"}; !slices.Equal(fieldNames(fh), want) {
		t.Errorf("forwarded fields %v, want %v\n%s", fieldNames(fh), want, fh)
	}
	stored := e.mail("alice")
	if len(stored) != 1 {
		t.Fatalf("%d copies stored, want 1", len(stored))
	}
	sh, sb := splitStored(t, stored[0].body)
	if want := []string{"Return-Path", "Delivered-To", "X-After", "X-Before", "From", "To", "Subject", "Message-ID"}; !slices.Equal(fieldNames(sh), want) {
		t.Errorf("stored fields %v, want %v\n%s", fieldNames(sh), want, sh)
	}
	_, body := splitStored(t, mail)
	if sb != body || fb != body {
		t.Errorf("bodies changed: stored %q, forwarded %q, want %q", sb, fb, body)
	}
}

func TestSieveAgentReplaceAndEnclose(t *testing.T) {
	t.Run("replace is stored, redirect sends the original", func(t *testing.T) {
		e := newSieveEnv(t, nil)
		e.script("alice", `require ["replace", "copy"];
redirect :copy "fwd@example.net";
replace :subject "Replaced" "This is the new body.";`)
		e.sendOne("sender@example.net", "alice@example.org", editMail(), "250 ")
		stored := e.mail("alice")
		if len(stored) != 1 {
			t.Fatalf("%d copies stored, want 1", len(stored))
		}
		hdr, body := splitStored(t, stored[0].body)
		if !strings.Contains(body, "This is the new body.") || strings.Contains(body, "first line") {
			t.Errorf("stored body is not the replacement: %q", body)
		}
		for _, want := range []string{"Subject: Replaced", "Original-Subject: edit me", "Delivered-To: <alice@example.org>", "Content-Type: text/plain;"} {
			if !strings.Contains(hdr, want) {
				t.Errorf("stored header lacks %q:\n%s", want, hdr)
			}
		}
		if strings.Contains(stored[0].body, "\r") {
			t.Errorf("stored copy has CR line endings")
		}
		checkSizes(t, stored[0])
		fwd := e.sink.Messages()
		if len(fwd) != 1 {
			t.Fatalf("%d forwards, want 1", len(fwd))
		}
		fh, fb := splitStored(t, string(fwd[0].Data))
		if !strings.Contains(fh, "Subject: edit me\n") || fb != editBody {
			t.Errorf("forward is not the original message:\n%s", fwd[0].Data)
		}
	})
	t.Run("enclose stores the original as message/rfc822", func(t *testing.T) {
		e := newSieveEnv(t, nil)
		e.script("alice", `require ["enclose", "editheader"]; addheader "X-Flagged" "1"; enclose :subject "Wrapped" "See the attached message.";`)
		e.sendOne("sender@example.net", "alice@example.org", editMail(), "250 ")
		stored := e.mail("alice")
		if len(stored) != 1 {
			t.Fatalf("%d copies stored, want 1", len(stored))
		}
		msg := stored[0].body
		hdr, body := splitStored(t, msg)
		if !strings.Contains(hdr, "Subject: Wrapped\n") || !strings.Contains(hdr, "multipart/mixed") {
			t.Errorf("outer header:\n%s", hdr)
		}
		inner := strings.Index(body, "Content-Type: message/rfc822\n\n")
		if inner < 0 {
			t.Fatalf("no message/rfc822 part:\n%s", body)
		}
		part := body[inner:]
		for _, want := range []string{"X-Flagged: 1\n", "Subject: edit me\n", editBody} {
			if !strings.Contains(part, want) {
				t.Errorf("enclosed message lacks %q:\n%s", want, part)
			}
		}
		checkSizes(t, stored[0])
	})
}

func TestSieveAgentChainSeesEdits(t *testing.T) {
	var dir string
	e := newSieveEnv(t, func(o *SieveOptions) {
		dir = filepath.Join(t.TempDir(), "admin")
		o.Layout = scripts.Layout{Before: []string{filepath.Join(dir, "before.sieve")}, After: []string{filepath.Join(dir, "after.sieve")}}
	})
	writeFile(t, filepath.Join(dir, "before.sieve"), `require "editheader"; addheader "X-Spam-Flag" "YES"; deleteheader "X-Internal";`)
	writeFile(t, filepath.Join(dir, "after.sieve"), `require "editheader"; addheader :last "X-After" "1";`)
	e.script("alice", `require ["editheader", "fileinto", "mailbox"];
if header :is "X-Spam-Flag" "YES" { addheader "X-User" "saw it"; }
if exists "X-Internal" { addheader "X-User-Bad" "1"; }`)
	e.sendOne("sender@example.net", "alice@example.org", editMail("X-Internal: 1", "X-Internal: 2"), "250 ")
	stored := e.mail("alice")
	if len(stored) != 1 {
		t.Fatalf("%d copies stored, want 1", len(stored))
	}
	hdr, body := splitStored(t, stored[0].body)
	want := []string{"Return-Path", "Delivered-To", "X-User", "X-Spam-Flag", "From", "To", "Subject", "Message-ID", "X-After"}
	if names := fieldNames(hdr); !slices.Equal(names, want) {
		t.Errorf("fields %v, want %v\n%s", names, want, hdr)
	}
	if body != editBody {
		t.Errorf("body %q, want %q", body, editBody)
	}
}

func TestSieveAgentChainReplacedThenEdited(t *testing.T) {
	var dir string
	e := newSieveEnv(t, func(o *SieveOptions) {
		dir = filepath.Join(t.TempDir(), "admin")
		o.Layout = scripts.Layout{Before: []string{filepath.Join(dir, "before.sieve")}}
	})
	writeFile(t, filepath.Join(dir, "before.sieve"), `require ["replace", "copy"]; redirect :copy "fwd@example.net"; replace "short";`)
	e.script("alice", `require ["editheader", "body", "copy"];
if body :contains "short" { addheader "X-Saw-Replacement" "1"; }
redirect :copy "fwd2@example.net";`)
	e.sendOne("sender@example.net", "alice@example.org", editMail(), "250 ")
	stored := e.mail("alice")
	if len(stored) != 1 {
		t.Fatalf("%d copies stored, want 1", len(stored))
	}
	hdr, body := splitStored(t, stored[0].body)
	if !strings.Contains(hdr, "X-Saw-Replacement: 1\n") || !strings.Contains(body, "short") {
		t.Errorf("stored copy:\n%s", stored[0].body)
	}
	if got := strings.Count(hdr, "Delivered-To:"); got != 1 {
		t.Errorf("%d Delivered-To fields, want 1:\n%s", got, hdr)
	}
	for _, m := range e.sink.Messages() {
		if _, b := splitStored(t, string(m.Data)); b != editBody {
			t.Errorf("forward to %v is not the original body: %q", m.To, b)
		}
	}
}

// TestSieveAgentEditStreamsBody delivers a large message whose header a
// script edits and checks, loosely, that its body was not read into
// memory.
func TestSieveAgentEditStreamsBody(t *testing.T) {
	if testing.Short() {
		t.Skip("large message")
	}
	const bodySize = 5 << 20
	e := newSieveEnv(t, nil)
	e.script("alice", `require ["editheader", "fileinto", "mailbox"]; addheader "X-Big" "1"; fileinto :create "Big";`)
	rcpt, err := e.res.Resolve(context.Background(), "alice@example.org")
	if err != nil {
		t.Fatal(err)
	}
	line := bytes.Repeat([]byte("0123456789abcdef"), 4)
	line = append(line, '\n')
	src := io.MultiReader(strings.NewReader("Subject: big\nMessage-ID: <big@example.net>\n\n"),
		io.LimitReader(&repeatReader{b: line}, bodySize))
	sp, err := NewSpool(src, SpoolOptions{Memory: -1, Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer sp.Close()
	d := &Delivery{
		SessionID: "big", Sender: "sender@example.net", Recipient: rcpt,
		Message: NewMessage("Return-Path: <sender@example.net>\nDelivered-To: <alice@example.org>\n", sp, readHeader(sp.Reader())),
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	out, err := e.agent.Deliver(context.Background(), d)
	runtime.ReadMemStats(&after)
	if err != nil || len(out.Stored) != 1 {
		t.Fatalf("Deliver: %v, %+v", err, out)
	}
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("allocated %d bytes for a %d-byte body", alloc, bodySize)
	if alloc > bodySize/2 {
		t.Errorf("delivering a %d-byte body allocated %d bytes: the body was copied", bodySize, alloc)
	}
	if want := sp.Size() + int64(len("X-Big: 1\n")) + int64(len(d.Message.prefix)); out.Stored[0].Size != want {
		t.Errorf("stored %d bytes, want %d", out.Stored[0].Size, want)
	}
}

type repeatReader struct {
	b   []byte
	off int
}

func (r *repeatReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		c := copy(p[n:], r.b[r.off:])
		n += c
		r.off = (r.off + c) % len(r.b)
	}
	return n, nil
}

func TestApplyEdits(t *testing.T) {
	prefix := "Return-Path: <s@x>\nDelivered-To: <a@x>\nReceived: from x\n\tby y\n"
	hdr := "Received: from z\nDelivered-To: <b@x>\nSubject: s\n"
	add := func(name, value string) sieve.HeaderField {
		return sieve.HeaderField{Name: name, Value: value, Raw: []byte(name + ": " + value)}
	}
	tests := []struct {
		name        string
		edits       []*sieve.HeaderEdits
		wantPrefix  string
		wantHeader  string
		emptyHeader bool
	}{
		{name: "none", wantPrefix: prefix, wantHeader: hdr},
		{
			name:       "added fields go below the prefix",
			edits:      []*sieve.HeaderEdits{{Prepend: []sieve.HeaderField{add("X-A", "1")}, Append: []sieve.HeaderField{add("X-Z", "9")}}},
			wantPrefix: prefix, wantHeader: "X-A: 1\n" + hdr + "X-Z: 9\n",
		},
		{
			name:       "deletions split between prefix and header",
			edits:      []*sieve.HeaderEdits{{Deleted: map[string][]int{"delivered-to": {0, 1}, "received": {1}}}},
			wantPrefix: "Return-Path: <s@x>\nReceived: from x\n\tby y\n", wantHeader: "Subject: s\n",
		},
		{
			name: "edits apply in turn",
			edits: []*sieve.HeaderEdits{
				{Prepend: []sieve.HeaderField{add("Delivered-To", "<c@x>")}},
				{Deleted: map[string][]int{"delivered-to": {1, 2}}},
			},
			// The script saw <c@x>, <a@x> (prefix), <b@x>.
			wantPrefix: "Return-Path: <s@x>\nReceived: from x\n\tby y\n",
			wantHeader: "Delivered-To: <c@x>\nReceived: from z\nSubject: s\n",
		},
		{
			name: "deleting a field an earlier script added",
			edits: []*sieve.HeaderEdits{
				{Prepend: []sieve.HeaderField{add("Delivered-To", "<c@x>")}},
				{Deleted: map[string][]int{"delivered-to": {0}}},
				{Deleted: map[string][]int{"delivered-to": {0}}},
			},
			wantPrefix: "Return-Path: <s@x>\nReceived: from x\n\tby y\n",
			wantHeader: hdr,
		},
		{
			name:        "empty header gets LF endings",
			edits:       []*sieve.HeaderEdits{{Prepend: []sieve.HeaderField{{Name: "X-F", Raw: []byte("X-F: a\r\n b")}}}},
			wantPrefix:  prefix,
			wantHeader:  "X-F: a\n b\n",
			emptyHeader: true,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := hdr
			if tc.emptyHeader {
				h = ""
			}
			p, got := applyEdits(tc.edits, []byte(prefix), []byte(h))
			if string(p) != tc.wantPrefix || string(got) != tc.wantHeader {
				t.Errorf("got prefix %q header %q\nwant prefix %q header %q", p, got, tc.wantPrefix, tc.wantHeader)
			}
		})
	}
}

func TestSplitMessage(t *testing.T) {
	tests := []struct{ in, hdr, rest string }{
		{"A: 1\n\nbody", "A: 1\n", "\nbody"},
		{"\nbody", "", "\nbody"},
		{"A: 1\n", "A: 1\n", ""},
	}
	for _, tc := range tests {
		h, r := splitMessage([]byte(tc.in))
		if string(h) != tc.hdr || string(r) != tc.rest {
			t.Errorf("splitMessage(%q) = %q, %q; want %q, %q", tc.in, h, r, tc.hdr, tc.rest)
		}
	}
}

// FuzzApplyEdits checks, for any header, that applying no edit changes
// nothing, that splitMessage loses no byte, and that deleting every field
// of a name the script saw removes it from both parts.
func FuzzApplyEdits(f *testing.F) {
	f.Add("Return-Path: <a@b>\nDelivered-To: <c@d>\n", "Subject: x\nDelivered-To: <e@f>\n\tcont\n", "delivered-to")
	f.Add("", "", "x")
	f.Add("Received: a\n b\n", " lead\nX: 1\nX: 2\n", "x")
	f.Fuzz(func(t *testing.T, prefix, hdr, name string) {
		p, h := applyEdits(nil, []byte(prefix), []byte(hdr))
		if string(p) != prefix || string(h) != hdr {
			t.Fatalf("no edit changed the header")
		}
		msg := []byte(prefix + hdr + "\nbody")
		sh, rest := splitMessage(msg)
		if string(sh)+string(rest) != string(msg) {
			t.Fatalf("splitMessage lost bytes")
		}
		name = strings.ToLower(name)
		if !sieve.ValidHeaderName(name) {
			return
		}
		n := fieldCounts([]byte(prefix))[name] + fieldCounts([]byte(hdr))[name]
		all := make([]int, n)
		for i := range all {
			all[i] = i
		}
		p, h = applyEdits([]*sieve.HeaderEdits{{Deleted: map[string][]int{name: all}}}, []byte(prefix), []byte(hdr))
		if c := fieldCounts(p)[name] + fieldCounts(h)[name]; c != 0 && n > 0 && !strings.ContainsAny(prefix+hdr, "\r") {
			t.Fatalf("%d fields named %q left of %d", c, name, n)
		}
	})
}
