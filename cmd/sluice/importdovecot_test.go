package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluice-mail/sluice/internal/config"
)

func TestImportDovecot(t *testing.T) {
	samples := filepath.Join("..", "..", "internal", "dovecotconf", "testdata")
	tests := []struct {
		name string
		args []string
		code int
		want string // in stdout
		warn string // in stderr
	}{
		{"conf.d split", []string{filepath.Join(samples, "debian")}, exitOK, `file = "/etc/dovecot/users"`, "not translated"},
		{"main file named", []string{"-domain", "example.net", filepath.Join(samples, "v24", "dovecot.conf")}, exitOK, `domains = ["example.net"]`, ""},
		{"static without domains", []string{filepath.Join(samples, "v24")}, exitOK, `# domains = ["example.org"]`, "needs editing"},
		{"missing directory", []string{filepath.Join(samples, "nope")}, exitConfig, "", "nope"},
		{"two arguments", []string{"a", "b"}, exitUsage, "", "usage"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), append([]string{"sluice", "import-dovecot"}, tc.args...), &stdout, &stderr)
			if code != tc.code {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, tc.code, stderr.String())
			}
			if !strings.Contains(stdout.String(), tc.want) {
				t.Errorf("stdout lacks %q:\n%s", tc.want, stdout.String())
			}
			if !strings.Contains(stderr.String(), tc.warn) {
				t.Errorf("stderr lacks %q:\n%s", tc.warn, stderr.String())
			}
		})
	}
}

func TestImportDovecotWritesFile(t *testing.T) {
	out := filepath.Join(t.TempDir(), "sluice.toml")
	dir := filepath.Join("..", "..", "internal", "dovecotconf", "testdata", "debian")
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"sluice", "import-dovecot", "-o", out, dir}, &stdout, &stderr); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if stdout.Len() != 0 {
		t.Errorf("stdout not empty with -o")
	}
	if _, err := config.Load(out); err != nil {
		t.Errorf("written file does not load: %v", err)
	}
	if _, err := os.Stat(out); err != nil {
		t.Fatal(err)
	}
}
