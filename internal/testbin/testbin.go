// Package testbin serves the black-box tests that drive the real sluice
// binary (cmd/sluice's end-to-end tests, tests/postfix): it builds the
// binary and collects a child process's output.
package testbin

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
)

// Package is the import path of the sluice command.
const Package = "github.com/sluice-mail/sluice/cmd/sluice"

// Build builds the sluice command into bin, without -race: the binary's
// own races are covered by its packages' tests.
func Build(bin string) error {
	goTool, err := exec.LookPath("go")
	if err != nil {
		// A test binary runs on the machine that built it, so the
		// build's GOROOT is the right place to look.
		//lint:ignore SA1019 see above; "go env GOROOT" needs go on PATH
		goTool = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	out, err := exec.Command(goTool, "build", "-o", bin, Package).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%w\n%s", err, out)
	}
	return nil
}

// SyncBuffer is a bytes.Buffer that a child process's output and the test
// may use at the same time.
type SyncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns everything written so far.
func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Reset forgets everything written so far.
func (b *SyncBuffer) Reset() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.Reset()
}

// Binary returns the sluice binary the tests should drive: the one named
// by the environment variable env when it is set (a race-built or an
// installed binary), else one built into a new temporary directory that
// other users can enter (the tests run it as unprivileged users too).
// cleanup removes what Binary made.
func Binary(env string) (bin string, cleanup func(), err error) {
	if p := os.Getenv(env); p != "" {
		abs, err := filepath.Abs(p)
		return abs, func() {}, err
	}
	dir, err := os.MkdirTemp("", "sluice-bin-")
	if err != nil {
		return "", nil, err
	}
	cleanup = func() { os.RemoveAll(dir) }
	if err := os.Chmod(dir, 0o755); err != nil {
		cleanup()
		return "", nil, err
	}
	bin = filepath.Join(dir, "sluice")
	if err := Build(bin); err != nil {
		cleanup()
		return "", nil, fmt.Errorf("building sluice: %w", err)
	}
	return bin, cleanup, nil
}
