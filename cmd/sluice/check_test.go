package main

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/sluice-mail/sluice/sieve"
)

var update = flag.Bool("update", false, "rewrite the golden files of check and test")

// scriptDir holds one script per capability (and a few more); check and
// test golden files are made from them.
const scriptDir = "testdata/test"

// runCLI runs one sluice command line in-process.
func runCLI(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), append([]string{"sluice"}, args...), &out, &errb)
	return out.String(), errb.String(), code
}

// golden compares got with the file, or rewrites it with -update.
func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs (run with -update to accept):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// testScripts lists the scripts in scriptDir, by base name.
func testScripts(t *testing.T) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(scriptDir, "*.sieve"))
	if err != nil || len(m) == 0 {
		t.Fatalf("no scripts in %s: %v", scriptDir, err)
	}
	return m
}

// TestScriptsCoverCapabilities makes sure every capability the engine
// lists has a script (named after it, ';' as '_') in the golden set.
func TestScriptsCoverCapabilities(t *testing.T) {
	var names []string
	for _, p := range testScripts(t) {
		names = append(names, strings.TrimSuffix(filepath.Base(p), ".sieve"))
	}
	for _, c := range sieve.Capabilities() {
		if !slices.Contains(names, strings.ReplaceAll(c, ";", "_")) {
			t.Errorf("no script for capability %q in %s", c, scriptDir)
		}
	}
}

func TestCheckGolden(t *testing.T) {
	for _, p := range testScripts(t) {
		base := strings.TrimSuffix(filepath.Base(p), ".sieve")
		t.Run(base, func(t *testing.T) {
			for _, format := range []string{"txt", "json"} {
				args := []string{"check", "-c", "testdata/check/sluice.toml", "--personal-dir", scriptDir + "/inc"}
				if format == "json" {
					args = append(args, "--json")
				}
				out, errOut, code := runCLI(t, append(args, p)...)
				wantCode := exitScriptOK
				if strings.HasPrefix(base, "error-compile") {
					wantCode = exitScriptError
				}
				if code != wantCode {
					t.Errorf("%s: exit %d, want %d; stderr %q", format, code, wantCode, errOut)
				}
				golden(t, filepath.Join("testdata/check", base+"."+format), out)
			}
		})
	}
}

func TestCheckExitCodes(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
	}{
		{"no arguments", []string{"check"}, exitCheckUsage},
		{"bad flag", []string{"check", "--nope"}, exitCheckUsage},
		{"unreadable file", []string{"check", "-c", "testdata/check/sluice.toml", "testdata/check/missing.sieve"}, exitCheckUsage},
		{"a directory", []string{"check", "-c", "testdata/check/sluice.toml", "testdata"}, exitCheckUsage},
		{"ok and broken", []string{"check", "-c", "testdata/check/sluice.toml", scriptDir + "/fileinto.sieve", scriptDir + "/error-compile.sieve"}, exitScriptError},
		{"warnings only", []string{"check", "-c", "testdata/check/sluice.toml", scriptDir + "/warning-only.sieve"}, exitScriptOK},
		{"bad config", []string{"check", "-c", "testdata/check/missing.toml", scriptDir + "/fileinto.sieve"}, exitCheckUsage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, errOut, code := runCLI(t, tt.args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d; stderr %q", code, tt.code, errOut)
			}
		})
	}
}

func TestCheckCapabilities(t *testing.T) {
	out, _, code := runCLI(t, "check", "--capabilities")
	if code != 0 || out != strings.Join(sieve.Capabilities(), "\n")+"\n" {
		t.Errorf("exit %d, output %q", code, out)
	}
	out, _, _ = runCLI(t, "check", "--capabilities", "--json")
	if !strings.Contains(out, `"capabilities": [`) || !strings.Contains(out, `"fileinto"`) {
		t.Errorf("json output %q", out)
	}
}

// userFixture writes a passwd-file configuration with one user, alice,
// whose home is a temp dir, and returns the config path and the home.
func userFixture(t *testing.T) (cfgPath, home string) {
	t.Helper()
	dir := t.TempDir()
	home = filepath.Join(dir, "home", "alice")
	for _, d := range []string{home, filepath.Join(dir, "global"), filepath.Join(home, "sieve")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	users := "alice@example.org::::" + "::" + "\n"
	users = "alice@example.org:{PLAIN}x:" + uidString() + ":" + gidString() + "::" + home + "::\n"
	writeFile(t, filepath.Join(dir, "users"), users)
	cfgPath = filepath.Join(dir, "sluice.toml")
	writeFile(t, cfgPath, `hostname = "mail.example.org"
[users]
source = "passwd-file"
file = "`+filepath.Join(dir, "users")+`"
[mail]
location = "maildir:~/Maildir"
`)
	return cfgPath, home
}

func uidString() string { return itoa(os.Getuid()) }
func gidString() string { return itoa(os.Getgid()) }

func itoa(n int) string {
	var b []byte
	if n == 0 {
		return "0"
	}
	for n > 0 {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
	}
	return string(b)
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestCheckUserAndExplain(t *testing.T) {
	cfg, home := userFixture(t)
	// No script yet: nothing to check, and explain says so.
	out, errOut, code := runCLI(t, "check", "-c", cfg, "-u", "alice@example.org")
	if code != 0 || !strings.Contains(out, "no Sieve script runs") {
		t.Errorf("no script: exit %d, out %q, err %q", code, out, errOut)
	}
	out, _, code = runCLI(t, "doctor", "-c", cfg, "alice@example.org")
	for _, want := range []string{"config: " + cfg, "user: alice@example.org", "home: " + home, "mail root: " + home + "/Maildir", "no personal script at " + home + "/.dovecot.sieve", "no script runs"} {
		if !strings.Contains(out, want) {
			t.Errorf("doctor output lacks %q:\n%s", want, out)
		}
	}
	if code != 0 {
		t.Errorf("doctor exit %d", code)
	}

	// A broken personal script, through Dovecot's symlink.
	writeFile(t, filepath.Join(home, "sieve", "main.sieve"), "require \"fileinto\";\nfileinto 3;\n")
	if err := os.Symlink("sieve/main.sieve", filepath.Join(home, ".dovecot.sieve")); err != nil {
		t.Fatal(err)
	}
	out, _, code = runCLI(t, "check", "-c", cfg, "-u", "alice@example.org")
	if code != exitScriptError || !strings.Contains(out, home+"/.dovecot.sieve:2:10: error:") {
		t.Errorf("broken script: exit %d, out %q", code, out)
	}
	out, _, code = runCLI(t, "check", "-c", cfg, "--explain", "alice@example.org")
	for _, want := range []string{"personal: personal script " + home + "/.dovecot.sieve -> " + home + "/sieve/main.sieve", "DOES NOT COMPILE", "error log: " + home + "/.dovecot.sieve.log"} {
		if !strings.Contains(out, want) {
			t.Errorf("explain output lacks %q:\n%s", want, out)
		}
	}
	if code != exitScriptError {
		t.Errorf("explain exit %d, want %d", code, exitScriptError)
	}

	// Unknown user.
	out, _, code = runCLI(t, "doctor", "-c", cfg, "bob@example.org")
	if code != exitCheckUsage || !strings.Contains(out, "lookup failed") {
		t.Errorf("unknown user: exit %d, out %q", code, out)
	}
}

// TestCheckRefusesFIFO checks that a FIFO in the place of a script or of
// an included script is refused at once instead of blocking the check.
func TestCheckRefusesFIFO(t *testing.T) {
	dir := t.TempDir()
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo.sieve"), 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	writeFile(t, filepath.Join(dir, "main.sieve"), "require \"include\";\ninclude :personal \"fifo\";\n")
	_, errOut, code := runCLI(t, "check", "-c", "testdata/check/sluice.toml", filepath.Join(dir, "fifo.sieve"))
	if code != exitCheckUsage || !strings.Contains(errOut, "not a regular file") {
		t.Errorf("FIFO script: exit %d, stderr %q", code, errOut)
	}
	out, _, code := runCLI(t, "check", "-c", "testdata/check/sluice.toml", filepath.Join(dir, "main.sieve"))
	if code != exitScriptError || !strings.Contains(out, "not a regular file") {
		t.Errorf("FIFO include: exit %d, out %q", code, out)
	}
}
