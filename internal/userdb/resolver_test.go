package userdb

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"reflect"
	"strings"
	"testing"
)

// testLogger routes logs to t.Log.
func testLogger(t *testing.T) *slog.Logger {
	t.Helper()
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type tWriter struct{ t *testing.T }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(string(bytes.TrimRight(p, "\n")))
	return len(p), nil
}

func passwdOptions(t *testing.T) Options {
	t.Helper()
	return Options{
		Source:             SourcePasswdFile,
		File:               "testdata/users",
		SystemPasswd:       "testdata/passwd",
		SystemGroup:        "testdata/group",
		RecipientDelimiter: "+",
		Logger:             testLogger(t),
	}
}

func newTestResolver(t *testing.T, opts Options) *Directory {
	t.Helper()
	d, err := NewResolver(opts)
	if err != nil {
		t.Fatalf("NewResolver: %v", err)
	}
	return d
}

func TestResolve(t *testing.T) {
	pw := passwdOptions(t)
	pwPlusMinus := pw
	pwPlusMinus.RecipientDelimiter = "+-"
	pwNoFold := pw
	pwNoFold.LocalPartFold = FoldNone
	pwStrip := pw
	pwStrip.StripDomain = true
	pwDomains := pw
	pwDomains.Domains = []string{"Example.ORG"}
	pwVirtual := pw
	pwVirtual.MailLocation = "maildir:/var/vmail/%{user | domain}/%{user | username}:LAYOUT=fs"
	static := Options{
		Source: SourceStatic, Domains: []string{"example.org", "Example.NET"},
		StaticHome: "/var/vmail/%d/%n", StaticUID: 5000, StaticGID: 5001,
		MailLocation: "maildir:%h/Maildir", RecipientDelimiter: "+-",
	}
	system := Options{Source: SourceSystem, File: "testdata/passwd", RecipientDelimiter: "+"}

	tests := []struct {
		name string
		opts Options
		addr string
		want Recipient
	}{
		{"plain", pw, "alice@example.org", Recipient{User: "alice@example.org", Local: "alice", Domain: "example.org",
			Home: "/home/alice", UID: 1000, GID: 1000, MailRoot: "/home/alice/Maildir", MailLayout: LayoutMaildirPP}},
		{"folded", pw, "ALICE+Lists@EXAMPLE.org", Recipient{User: "alice@example.org", Local: "alice", Domain: "example.org",
			Detail: "lists", Home: "/home/alice", UID: 1000, GID: 1000, MailRoot: "/home/alice/Maildir", MailLayout: LayoutMaildirPP}},
		{"detail kept in case when not folded", pwNoFold, "alice+Lists@Example.org", Recipient{User: "alice@example.org", Local: "alice",
			Domain: "example.org", Detail: "Lists", Home: "/home/alice", UID: 1000, GID: 1000, MailRoot: "/home/alice/Maildir", MailLayout: LayoutMaildirPP}},
		{"minus delimiter", pwPlusMinus, "alice-work+x@example.org", Recipient{User: "alice@example.org", Local: "alice",
			Domain: "example.org", Detail: "work+x", Home: "/home/alice", UID: 1000, GID: 1000, MailRoot: "/home/alice/Maildir", MailLayout: LayoutMaildirPP}},
		{"per-user mail location", pw, "bob@example.org", Recipient{User: "bob@example.org", Local: "bob", Domain: "example.org",
			Home: "/var/vmail/example.org/bob", UID: 5000, GID: 8, MailRoot: "/var/vmail/example.org/bob/Mail", MailLayout: LayoutFS,
			Extra: map[string]string{"quota_rule": "*:storage=1G"}}},
		{"quoted local part", pw, `"alice"@example.org`, Recipient{User: "alice@example.org", Local: "alice", Domain: "example.org",
			Home: "/home/alice", UID: 1000, GID: 1000, MailRoot: "/home/alice/Maildir", MailLayout: LayoutMaildirPP}},
		{"SMTPUTF8", pw, "JÖRG+x@example.org", Recipient{User: "jörg@example.org", Local: "jörg", Domain: "example.org", Detail: "x",
			Home: "/var/vmail/example.org/jörg", UID: 5000, GID: 5000, MailRoot: "/var/vmail/example.org/jörg/Maildir", MailLayout: LayoutMaildirPP}},
		{"bare user name", pw, "carol", Recipient{User: "carol", Local: "carol", Home: "/var/vmail/carol", UID: 5000, GID: 5000,
			MailRoot: "/var/vmail/carol/Maildir", MailLayout: LayoutMaildirPP}},
		{"strip domain", pwStrip, "Carol+x@elsewhere.example", Recipient{User: "carol", Local: "carol", Domain: "elsewhere.example",
			Detail: "x", Home: "/var/vmail/carol", UID: 5000, GID: 5000, MailRoot: "/var/vmail/carol/Maildir", MailLayout: LayoutMaildirPP}},
		{"domain filter", pwDomains, "alice@Example.Org", Recipient{User: "alice@example.org", Local: "alice", Domain: "example.org",
			Home: "/home/alice", UID: 1000, GID: 1000, MailRoot: "/home/alice/Maildir", MailLayout: LayoutMaildirPP}},
		{"2.4 location", pwVirtual, "alice@example.org", Recipient{User: "alice@example.org", Local: "alice", Domain: "example.org",
			Home: "/home/alice", UID: 1000, GID: 1000, MailRoot: "/var/vmail/example.org/alice", MailLayout: LayoutFS}},
		{"static", static, "Any.One-x@EXAMPLE.NET", Recipient{User: "any.one@example.net", Local: "any.one", Domain: "example.net",
			Detail: "x", Home: "/var/vmail/example.net/any.one", UID: 5000, GID: 5001,
			MailRoot: "/var/vmail/example.net/any.one/Maildir", MailLayout: LayoutMaildirPP}},
		{"static SMTPUTF8", static, "用户@example.org", Recipient{User: "用户@example.org", Local: "用户", Domain: "example.org",
			Home: "/var/vmail/example.org/用户", UID: 5000, GID: 5001, MailRoot: "/var/vmail/example.org/用户/Maildir", MailLayout: LayoutMaildirPP}},
		{"system", system, "Alice+x@host.example", Recipient{User: "alice", Local: "alice", Domain: "host.example", Detail: "x",
			Home: "/home/alice", UID: 1000, GID: 1000, MailRoot: "/home/alice/Maildir", MailLayout: LayoutMaildirPP}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newTestResolver(t, tt.opts)
			got, err := d.Resolve(context.Background(), tt.addr)
			if err != nil {
				t.Fatalf("Resolve(%q): %v", tt.addr, err)
			}
			tt.want.Address = tt.addr
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Resolve(%q) =\n%+v\nwant\n%+v", tt.addr, got, tt.want)
			}
		})
	}
}

func TestResolveErrors(t *testing.T) {
	pw := passwdOptions(t)
	pwNoFold := pw
	pwNoFold.LocalPartFold = FoldNone
	pwDomains := pw
	pwDomains.Domains = []string{"example.org"}
	static := Options{Source: SourceStatic, Domains: []string{"example.org"}, StaticHome: "/var/vmail/%d/%n", StaticUID: -1, StaticGID: -1}
	staticLoc := static
	staticLoc.MailLocation = "maildir:/var/vmail/%u"
	staticLoc.StaticHome = "/var/vmail"
	system := Options{Source: SourceSystem, File: "testdata/passwd"}
	const (
		bad = iota
		unknown
		temporary
	)
	tests := []struct {
		name string
		opts Options
		addr string
		kind int
	}{
		{"syntax", pw, "alice@@example.org", bad},
		{"null", pw, "", bad},
		{"control char", pw, "al\x00ice@example.org", bad},
		{"unknown", pw, "nobody@example.org", unknown},
		{"empty user part is not split off", pw, "+carol", unknown},
		{"no fold", pwNoFold, "Alice@example.org", unknown},
		{"domain not served", pwDomains, "alice@example.net", unknown},
		{"qualified name, bare entry", pw, "carol@example.org", unknown},
		{"no home for ~", pw, "dave@example.org", temporary},
		{"relative home", pw, "rel@example.org", temporary},
		{"static other domain", static, "a@example.net", unknown},
		{"static bare name", static, "alice", unknown},
		{"static dot-dot", static, `".."@example.org`, unknown},
		{"static slash", static, `"../../etc"@example.org`, unknown},
		{"static slash in location", staticLoc, `"a/b"@example.org`, unknown},
		{"system unknown", system, "nobody@x.org", unknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newTestResolver(t, tt.opts)
			_, err := d.Resolve(context.Background(), tt.addr)
			if err == nil {
				t.Fatalf("Resolve(%q) succeeded", tt.addr)
			}
			isBad, isUnknown := errors.Is(err, ErrBadAddress), errors.Is(err, ErrUnknownUser)
			switch {
			case tt.kind == bad && (!isBad || isUnknown),
				tt.kind == unknown && (!isUnknown || isBad),
				tt.kind == temporary && (isBad || isUnknown):
				t.Errorf("Resolve(%q) = %v (bad=%v unknown=%v), want kind %d", tt.addr, err, isBad, isUnknown, tt.kind)
			}
		})
	}
	d := newTestResolver(t, pw)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := d.Resolve(ctx, "alice@example.org"); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: %v", err)
	}
	_, err := d.Resolve(context.Background(), "nobody@example.org")
	if want := "<nobody@example.org>: user doesn't exist"; err == nil || err.Error() != want {
		t.Errorf("error text = %v, want %q", err, want)
	}
}

func TestNewResolverErrors(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		want string
	}{
		{"no source", Options{}, `unknown user source ""`},
		{"no file", Options{Source: SourcePasswdFile}, "passwd-file: no file given"},
		{"missing file", Options{Source: SourcePasswdFile, File: "testdata/nonexistent"}, "no such file"},
		{"bad fold", Options{Source: SourceSystem, LocalPartFold: "upper"}, `local part fold "upper"`},
		{"bad location", Options{Source: SourceSystem, File: "testdata/passwd", MailLocation: "mbox:~/mail"}, "only maildir is supported"},
		{"static without domains", Options{Source: SourceStatic, StaticHome: "/v/%n"}, "static: no domains given"},
		{"static bad home", Options{Source: SourceStatic, Domains: []string{"x"}, StaticHome: "/v/%{user | md5}"}, `unknown filter "md5"`},
	}
	for _, tt := range tests {
		_, err := NewResolver(tt.opts)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: NewResolver = %v, want %q", tt.name, err, tt.want)
		}
	}
}
