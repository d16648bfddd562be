package autoreply

import (
	"bufio"
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-message"
	gomail "github.com/emersion/go-message/mail"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// fixedOptions gives builders a fixed clock, host and Message-ID.
func fixedOptions() BuildOptions {
	return BuildOptions{
		Now:      func() time.Time { return time.Date(2026, 3, 2, 10, 4, 5, 0, time.FixedZone("", 3600)) },
		Hostname: "mx.example.org",
		NewID:    func() string { return "k3j5h7g9f1d2s4a6" },
	}
}

// lf turns a readable test message into CRLF bytes.
func lf(s string) []byte {
	return []byte(strings.ReplaceAll(strings.TrimPrefix(s, "\n"), "\n", "\r\n"))
}

func mustOriginal(t testing.TB, raw, from, to string) *Original {
	t.Helper()
	o, err := NewOriginal(lf(raw), from, to)
	if err != nil {
		t.Fatalf("NewOriginal: %v", err)
	}
	return o
}

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the built message:\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// checkWellFormed checks CRLF line endings and line lengths.
func checkWellFormed(t *testing.T, data []byte) {
	t.Helper()
	if !bytes.HasSuffix(data, []byte("\r\n")) {
		t.Errorf("message does not end with CRLF")
	}
	for i, line := range bytes.Split(data, []byte("\r\n")) {
		if bytes.ContainsAny(line, "\r\n") {
			t.Errorf("line %d has a bare CR or LF: %q", i+1, line)
		}
		if len(line) > 998 {
			t.Errorf("line %d is %d octets long", i+1, len(line))
		}
	}
}

// parseBack reads a built message with go-message.
func parseBack(t *testing.T, data []byte) (gomail.Header, *message.Entity) {
	t.Helper()
	e, err := message.Read(bufio.NewReader(bytes.NewReader(data)))
	if err != nil {
		t.Fatalf("go-message cannot read the built message: %v\n%s", err, data)
	}
	return gomail.Header{Header: e.Header}, e
}

func headerText(t *testing.T, h gomail.Header, key string) string {
	t.Helper()
	v, err := h.Text(key)
	if err != nil {
		t.Fatalf("%s: %v", key, err)
	}
	return v
}
