// Package systemd checks the shipped systemd unit with systemd's own
// verifier.
package systemd

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestUnitVerifies runs systemd-analyze verify on examples/systemd's
// sluice.service, with ExecStart pointed at an executable that exists
// here (the verifier checks that it does), and wants it silent.
func TestUnitVerifies(t *testing.T) {
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze is not installed (Debian package systemd)")
	}
	unit, err := os.ReadFile(filepath.Join("..", "..", "examples", "systemd", "sluice.service"))
	if err != nil {
		t.Fatal(err)
	}
	const bin = "/usr/local/bin/sluice"
	if !strings.Contains(string(unit), bin) {
		t.Fatalf("the unit no longer starts %s; update this test", bin)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "sluice.service")
	if err := os.WriteFile(path, []byte(strings.ReplaceAll(string(unit), bin, self)), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(analyze, "verify", path).CombinedOutput()
	if err != nil {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, out)
	}
	// Unknown keys and bad values are only warnings to the verifier; a
	// shipped unit has none.
	if s := strings.TrimSpace(string(out)); s != "" {
		t.Errorf("systemd-analyze verify warns:\n%s", s)
	}
}
