package delivery

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sluice-mail/sluice/internal/lists"
	"github.com/sluice-mail/sluice/internal/scripts"
	"github.com/sluice-mail/sluice/sieve"
)

var _ ExternalLists = (*lists.Files)(nil)

// makeMailbox creates a Maildir++ folder of user.
func (e *sieveEnv) makeMailbox(user, name string) {
	e.t.Helper()
	for _, sub := range []string{"cur", "new", "tmp"} {
		if err := os.MkdirAll(filepath.Join(e.root(user), "."+name, sub), 0o700); err != nil {
			e.t.Fatal(err)
		}
	}
}

// deliverCase is one message through one script with some Extensions.
type deliverCase struct {
	name    string
	script  string
	headers []string
	boxes   []string // where copies are stored, sorted
}

func runDeliverCases(t *testing.T, ext Extensions, prepare func(e *sieveEnv), tests []deliverCase) {
	t.Helper()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newSieveEnv(t, func(o *SieveOptions) { o.Extensions = ext })
			if prepare != nil {
				prepare(e)
			}
			e.script("alice", tc.script)
			e.sendOne("sender@example.net", "alice@example.org", testMail("m1@example.net", tc.headers...), "250 ")
			if got := e.boxes("alice"); !slices.Equal(got, tc.boxes) {
				t.Errorf("stored in %v, want %v", got, tc.boxes)
			}
		})
	}
}

func TestSieveAgentSpamTest(t *testing.T) {
	ext := Extensions{
		SpamTest: &sieve.SpamTestConfig{
			Header: "X-Spam-Score", Pattern: regexp.MustCompile(`([[:digit:]]+\.[[:digit:]]*)`),
			Type: sieve.SpamScore, MaxValue: 10,
		},
		VirusTest: &sieve.SpamTestConfig{
			Header: "X-Virus-Scan", Type: sieve.SpamText,
			Text: []string{"", "clean", "", "", "", "infected"},
		},
	}
	const junkAt7 = `require ["spamtest", "relational", "comparator-i;ascii-numeric", "fileinto", "mailbox"];
if spamtest :value "ge" :comparator "i;ascii-numeric" "7" { fileinto :create "Junk"; }`
	const percent = `require ["spamtestplus", "relational", "comparator-i;ascii-numeric", "fileinto", "mailbox"];
if spamtest :percent :value "ge" :comparator "i;ascii-numeric" "75" { fileinto :create "Junk"; }
elsif spamtest :percent :value "eq" :comparator "i;ascii-numeric" "0" { fileinto :create "Untested"; }`
	const virus = `require ["virustest", "relational", "comparator-i;ascii-numeric", "fileinto", "mailbox"];
if virustest :value "eq" :comparator "i;ascii-numeric" "5" { fileinto :create "Quarantine"; }
elsif virustest :value "eq" :comparator "i;ascii-numeric" "0" { fileinto :create "Unscanned"; }`
	runDeliverCases(t, ext, nil, []deliverCase{
		{name: "score 7.5 of 10 is junk", script: junkAt7, headers: []string{"X-Spam-Score: 7.5"}, boxes: []string{"Junk"}},
		{name: "score 2.0 of 10 is kept", script: junkAt7, headers: []string{"X-Spam-Score: 2.0"}, boxes: []string{"INBOX"}},
		{name: "no score is kept", script: junkAt7, boxes: []string{"INBOX"}},
		{name: "percent 75", script: percent, headers: []string{"X-Spam-Score: 7.5"}, boxes: []string{"Junk"}},
		{name: "percent 74", script: percent, headers: []string{"X-Spam-Score: 7.4"}, boxes: []string{"INBOX"}},
		{name: "percent untested", script: percent, boxes: []string{"Untested"}},
		{name: "virus infected", script: virus, headers: []string{"X-Virus-Scan: Infected"}, boxes: []string{"Quarantine"}},
		{name: "virus clean", script: virus, headers: []string{"X-Virus-Scan: clean"}, boxes: []string{"INBOX"}},
		{name: "virus unscanned", script: virus, boxes: []string{"Unscanned"}},
	})
}

func TestSieveAgentSpamTestUnconfigured(t *testing.T) {
	runDeliverCases(t, Extensions{}, nil, []deliverCase{{
		name: "not tested",
		script: `require ["spamtest", "relational", "comparator-i;ascii-numeric", "fileinto", "mailbox"];
if spamtest :value "eq" :comparator "i;ascii-numeric" "0" { fileinto :create "Untested"; }`,
		headers: []string{"X-Spam-Score: 9.9"}, boxes: []string{"Untested"},
	}})
}

func TestSieveAgentExtLists(t *testing.T) {
	dir := t.TempDir()
	vip := filepath.Join(dir, "vip.txt")
	if err := os.WriteFile(vip, []byte("# VIPs\nBoss@Example.ORG\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ls, err := lists.New(map[string]string{"tag:example.org,2026:vip": vip})
	if err != nil {
		t.Fatal(err)
	}
	e := newSieveEnv(t, func(o *SieveOptions) { o.Extensions.Lists = ls })
	e.script("alice", `require ["extlists", "fileinto", "mailbox"];
if not valid_ext_list "tag:example.org,2026:vip" { fileinto :create "NoList"; stop; }
if valid_ext_list ["tag:example.org,2026:vip", ":addrbook:default"] { fileinto :create "Wrong"; stop; }
if address :list "from" "tag:example.org,2026:vip" { fileinto :create "VIP"; }`)
	boss := "From: The Boss <boss@example.org>\nTo: alice@example.org\nSubject: s\nMessage-ID: <%s>\n\nhi\n"
	e.sendOne("boss@example.org", "alice@example.org", strings.Replace(boss, "%s", "m1@x", 1), "250 ")
	e.sendOne("sender@example.net", "alice@example.org", testMail("m2@x"), "250 ")
	if got := e.boxes("alice"); !slices.Equal(got, []string{"INBOX", "VIP"}) {
		t.Fatalf("stored in %v, want [INBOX VIP]", got)
	}
	// The list file is read again when it changes.
	if err := os.WriteFile(vip, []byte("boss@example.org\nsender@example.net\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(time.Hour)
	if err := os.Chtimes(vip, later, later); err != nil {
		t.Fatal(err)
	}
	e.sendOne("sender@example.net", "alice@example.org", testMail("m3@x"), "250 ")
	if got := e.boxes("alice"); !slices.Equal(got, []string{"INBOX", "VIP", "VIP"}) {
		t.Errorf("after the list changed: stored in %v, want [INBOX VIP VIP]", got)
	}
	// An unreadable list is a run-time error: the message is kept.
	if err := os.Remove(vip); err != nil {
		t.Fatal(err)
	}
	e.sendOne("sender@example.net", "alice@example.org", testMail("m4@x"), "250 ")
	if got := e.boxes("alice"); !slices.Equal(got, []string{"INBOX", "INBOX", "VIP", "VIP"}) {
		t.Errorf("with the list file gone: stored in %v, want another INBOX copy", got)
	}
}

func TestSieveAgentEditHeader(t *testing.T) {
	long := strings.Repeat("x", 3000)
	tests := []struct {
		name       string
		ext        sieve.EditHeaderConfig
		compileMax int
		script     string
		want       []string // header lines the stored copy must hold
		wantNot    []string // and must not
	}{
		{
			name:   "protected field neither added nor deleted",
			ext:    sieve.EditHeaderConfig{Protected: []string{"X-Verified"}},
			script: `require "editheader"; addheader "X-Verified" "yes"; deleteheader "X-Verified"; addheader "X-Other" "1";`,
			want:   []string{"X-Verified: original", "X-Other: 1"}, wantNot: []string{"X-Verified: yes"},
		},
		{
			name:   "forbid add and forbid delete",
			ext:    sieve.EditHeaderConfig{ForbidAdd: []string{"X-Spam-Score"}, ForbidDelete: []string{"X-Verified"}},
			script: `require "editheader"; addheader "X-Spam-Score" "0.0"; deleteheader "X-Verified"; deleteheader "X-Spam-Flag";`,
			want:   []string{"X-Verified: original"}, wantNot: []string{"X-Spam-Score", "X-Spam-Flag"},
		},
		{
			name:       "larger max header size at compile and run time",
			ext:        sieve.EditHeaderConfig{MaxHeaderSize: 4096},
			compileMax: 4096,
			script:     `require "editheader"; addheader "X-Long" "` + long + `";`,
			want:       []string{"X-Long:", long}, // folded after the name
		},
		{
			name:   "default max header size refuses the script, the message is kept",
			script: `require "editheader"; addheader "X-Long" "` + long + `";`,
			want:   []string{"X-Verified: original"}, wantNot: []string{"X-Long"},
		},
		{
			name:   "smaller run-time size fails the run, the message is kept",
			ext:    sieve.EditHeaderConfig{MaxHeaderSize: 10},
			script: `require ["editheader", "variables"]; set "v" "0123456789abc"; addheader "X-Long" "${v}";`,
			want:   []string{"X-Verified: original"}, wantNot: []string{"X-Long"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newSieveEnv(t, func(o *SieveOptions) {
				o.Extensions.EditHeader = tc.ext
				cache := NewScriptCache(sieve.Options{Limits: sieve.Limits{EditHeaderMaxSize: tc.compileMax}}, scripts.CacheOptions{Logger: testLogger(t)})
				t.Cleanup(func() { cache.Close() })
				o.Scripts = cache
			})
			e.script("alice", tc.script)
			e.sendOne("sender@example.net", "alice@example.org",
				testMail("m1@x", "X-Verified: original", "X-Spam-Flag: YES"), "250 ")
			m := e.mail("alice")
			if len(m) != 1 || m[0].mailbox != "INBOX" {
				t.Fatalf("stored %v, want one INBOX copy", m)
			}
			hdr, _, _ := strings.Cut(m[0].body, "\n\n")
			for _, w := range tc.want {
				if !strings.Contains(hdr, w) {
					t.Errorf("header lacks %q:\n%s", w, hdr)
				}
			}
			for _, w := range tc.wantNot {
				if strings.Contains(hdr, w) {
					t.Errorf("header holds %q:\n%s", w, hdr)
				}
			}
		})
	}
}

func TestSieveAgentSpecialUse(t *testing.T) {
	ext := Extensions{SpecialUse: map[string][]string{"Junk": {`\Junk`}, "Sent": {`\Sent`, `\Archive`}}}
	withJunk := func(e *sieveEnv) { e.makeMailbox("alice", "Junk") }
	runDeliverCases(t, ext, withJunk, []deliverCase{
		{name: "fileinto the special-use mailbox", script: `require ["fileinto", "special-use"]; fileinto :specialuse "\\Junk" "Spam";`, boxes: []string{"Junk"}},
		{name: "flags compare in any case", script: `require ["fileinto", "special-use"]; fileinto :specialuse "\\junk" "Spam";`, boxes: []string{"Junk"}},
		{name: "no mailbox has the use: the named one", script: `require ["fileinto", "special-use", "mailbox"]; fileinto :specialuse "\\Trash" :create "Bin";`, boxes: []string{"Bin"}},
		{name: "configured mailbox missing: the named one", script: `require ["fileinto", "special-use", "mailbox"]; fileinto :specialuse "\\Sent" :create "Outbox";`, boxes: []string{"Outbox"}},
		{name: "configured mailbox missing, named one too: INBOX", script: `require ["fileinto", "special-use"]; fileinto :specialuse "\\Sent" "Outbox";`, boxes: []string{"INBOX"}},
		{
			name: "specialuse_exists",
			script: `require ["fileinto", "special-use", "mailbox"];
if allof (specialuse_exists "\\Junk", specialuse_exists "Junk" "\\Junk", not specialuse_exists "Spam" "\\Junk",
          not specialuse_exists "\\Sent", not specialuse_exists ["\\Junk", "\\Trash"]) { fileinto :create "Yes"; }`,
			boxes: []string{"Yes"},
		},
	})
	runDeliverCases(t, Extensions{}, withJunk, []deliverCase{
		{name: "unconfigured: the named mailbox", script: `require ["fileinto", "special-use", "mailbox"]; fileinto :specialuse "\\Junk" :create "Spam";`, boxes: []string{"Spam"}},
		{name: "unconfigured: nothing exists", script: `require ["fileinto", "special-use", "mailbox"]; if not specialuse_exists "\\Junk" { fileinto :create "No"; }`, boxes: []string{"No"}},
	})
}

func TestExtensionsNil(t *testing.T) {
	var x *Extensions
	ctx := context.Background()
	if x.SpamTestConfig("spamtest") != nil || len(x.EditHeaderConfig().Protected) != 0 {
		t.Error("nil Extensions configures something")
	}
	if in, err := x.Contains(ctx, "l", "v"); in || err != nil {
		t.Errorf("Contains = %v, %v", in, err)
	}
	if ok, err := x.SpecialUseExistsIn(ctx, nil, "", []string{`\Junk`}); ok || err != nil {
		t.Errorf("SpecialUseExistsIn = %v, %v", ok, err)
	}
}
