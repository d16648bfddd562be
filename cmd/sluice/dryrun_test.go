package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// dryRunGolden renders one run of "sluice test" for a golden file.
func dryRunGolden(t *testing.T, args ...string) string {
	t.Helper()
	out, errOut, code := runCLI(t, append([]string{"test", "-c", "testdata/check/sluice.toml", "--personal-dir", scriptDir + "/inc"}, args...)...)
	return fmt.Sprintf("%s--- stderr\n%s--- exit %d\n", out, errOut, code)
}

func TestDryRunGolden(t *testing.T) {
	msg := filepath.Join(scriptDir, "message.eml")
	for _, p := range testScripts(t) {
		base := strings.TrimSuffix(filepath.Base(p), ".sieve")
		t.Run(base, func(t *testing.T) {
			txt := dryRunGolden(t, p, msg)
			golden(t, filepath.Join("testdata/test", base+".txt"), txt)
			golden(t, filepath.Join("testdata/test", base+".json"), dryRunGolden(t, "--json", p, msg))
			wantExit := "--- exit 0\n"
			if strings.HasPrefix(base, "error-") {
				wantExit = "--- exit 1\n"
			}
			if !strings.HasSuffix(txt, wantExit) {
				t.Errorf("want %q", wantExit)
			}
		})
	}
}

func TestDryRunTraceGolden(t *testing.T) {
	msg := filepath.Join(scriptDir, "message.eml")
	for _, level := range []string{"commands", "tests", "matching"} {
		t.Run(level, func(t *testing.T) {
			got := dryRunGolden(t, "--trace", level, filepath.Join(scriptDir, "variables.sieve"), msg)
			golden(t, filepath.Join("testdata/test", "trace-"+level+".trace"), got)
		})
	}
}

func TestDryRunEnvelope(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "env.sieve")
	writeFile(t, script, `require ["envelope", "variables", "fileinto"];
if envelope :matches "from" "*" { set "f" "${1}"; }
if envelope :matches "to" "*" { set "t" "${1}"; }
fileinto "F-${f}-T-${t}";
`)
	bare := filepath.Join(dir, "bare.eml")
	writeFile(t, bare, "Subject: x\n\nbody\n")
	headers := filepath.Join(dir, "headers.eml")
	writeFile(t, headers, "Return-Path: <rp@x.org>\nSender: s@x.org\nFrom: f@x.org\nTo: to@x.org\nSubject: x\n\nbody\n")
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"defaults", []string{script, bare}, "F-sender@example.com-T-recipient@example.com"},
		{"from the header", []string{script, headers}, "F-rp@x.org-T-to@x.org"},
		{"command line", []string{"-f", "a@b.org", "-r", "c@d.org", script, headers}, "F-a@b.org-T-c@d.org"},
		{"null sender", []string{"-f", "", script, headers}, "F--T-to@x.org"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errOut, code := runCLI(t, append([]string{"test", "-c", "testdata/check/sluice.toml"}, tt.args...)...)
			if code != 0 || !strings.Contains(out, "store message in folder: "+tt.want) {
				t.Errorf("exit %d, out %q, err %q; want %q", code, out, errOut, tt.want)
			}
		})
	}
}

func TestDryRunMailboxAndExecute(t *testing.T) {
	msg := filepath.Join(scriptDir, "message.eml")
	script := filepath.Join(scriptDir, "mailbox.sieve")
	out, _, _ := runCLI(t, "test", "-c", "testdata/check/sluice.toml", script, msg)
	if !strings.Contains(out, "folder: Other") {
		t.Errorf("without --mailbox: %q", out)
	}
	out, _, _ = runCLI(t, "test", "-c", "testdata/check/sluice.toml", "--mailbox", "Lists", script, msg)
	if !strings.Contains(out, "folder: Lists/Go") {
		t.Errorf("with --mailbox Lists: %q", out)
	}

	dir := t.TempDir()
	out, errOut, code := runCLI(t, "test", "-c", "testdata/check/sluice.toml", "--execute", dir, filepath.Join(scriptDir, "copy.sieve"), msg)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"stored into Archive:", "stored into INBOX:", "--- redirect: MAIL FROM:<sender@example.com> RCPT TO:<archive@example.org>"} {
		if !strings.Contains(out, want) {
			t.Errorf("--execute output lacks %q:\n%s", want, out)
		}
	}
	for _, sub := range []string{"new", ".Archive/new"} {
		ents, err := os.ReadDir(filepath.Join(dir, sub))
		if err != nil || len(ents) != 1 {
			t.Errorf("%s: %d files, %v", sub, len(ents), err)
		}
	}
	out, _, _ = runCLI(t, "test", "-c", "testdata/check/sluice.toml", "--execute", t.TempDir(), filepath.Join(scriptDir, "vacation.sieve"), msg)
	if !strings.Contains(out, "--- vacation reply: MAIL FROM:<> RCPT TO:<sender@example.com>") || !strings.Contains(out, "Subject: Out of office") {
		t.Errorf("vacation --execute:\n%s", out)
	}
}

func TestDryRunUsage(t *testing.T) {
	tests := [][]string{
		{"test"},
		{"test", "--trace", "everything", "a.sieve"},
		{"test", "a.sieve", "b.eml", "c"},
		{"test", "-c", "testdata/check/sluice.toml", "missing.sieve", filepath.Join(scriptDir, "message.eml")},
	}
	for _, args := range tests {
		_, _, code := runCLI(t, args...)
		if code != exitCheckUsage && !(args[len(args)-1] == filepath.Join(scriptDir, "message.eml") && code == exitScriptError) {
			t.Errorf("%q: exit %d", args, code)
		}
	}
}

func TestDryRunUserChain(t *testing.T) {
	cfg, home := userFixture(t)
	writeFile(t, filepath.Join(home, ".dovecot.sieve"), "require [\"imap4flags\"];\naddflag \"personal\";\n")
	msg := filepath.Join(scriptDir, "message.eml")
	out, errOut, code := runCLI(t, "test", "-c", cfg, "-u", "alice@example.org", "--json", msg)
	if code != 0 || !strings.Contains(out, `"flags": [
        "personal"
      ],
      "implicit": true`) {
		t.Errorf("exit %d, out %s, err %s", code, out, errOut)
	}
}

// TestDryRunChainAfterEdit checks that -u follows the chain as delivery
// does: after an explicit keep the next script runs, on the message as
// the previous one edited it.
func TestDryRunChainAfterEdit(t *testing.T) {
	cfg, home := userFixture(t)
	before := filepath.Join(filepath.Dir(cfg), "before.sieve")
	writeFile(t, before, "require \"editheader\";\naddheader \"X-Tag\" \"yes\";\nkeep;\n")
	writeFile(t, filepath.Join(home, ".dovecot.sieve"), "require \"fileinto\";\nif header :is \"X-Tag\" \"yes\" { fileinto \"Tagged\"; } else { fileinto \"Untagged\"; }\n")
	msg := filepath.Join(scriptDir, "message.eml")
	text, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, cfg, string(text)+"[sieve]\nbefore = [\""+before+"\"]\n")
	out, errOut, code := runCLI(t, "test", "-c", cfg, "-u", "alice@example.org", msg)
	if code != 0 || !strings.Contains(out, "Tagged") || strings.Contains(out, "Untagged") {
		t.Errorf("exit %d, out %s, err %s", code, out, errOut)
	}
}
