package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestEndToEnd runs the whole benchmark briefly against real servers. It
// starts processes and, as root, creates the sluicebench account, so it
// runs only when SLUICE_BENCH_E2E names the servers ("dovecot" or
// "dovecot,sluice").
func TestEndToEnd(t *testing.T) {
	servers := os.Getenv("SLUICE_BENCH_E2E")
	if servers == "" {
		t.Skip("set SLUICE_BENCH_E2E=dovecot[,sluice] to run against real servers")
	}
	// The mail account must be able to reach the work directory.
	tmp := t.TempDir()
	for d := tmp; d != os.TempDir() && d != "/"; d = filepath.Dir(d) {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	var out, errOut bytes.Buffer
	code := run(t.Context(), []string{"-servers", servers, "-rounds", "1", "-messages", "3",
		"-raw-ops", "8", "-scenarios", "4k-5rcpt-1s,1000-rules", "-tmp", tmp}, &out, &errOut)
	t.Log(errOut.String())
	if code != exitOK {
		t.Fatalf("exit %d:\n%s", code, out.String())
	}
	for _, name := range strings.Split(servers, ",") {
		if !strings.Contains(out.String(), "| "+name+" |") {
			t.Errorf("no %s row in:\n%s", name, out.String())
		}
	}
}
