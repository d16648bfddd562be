package main

// The e2e_*_test.go files drive the real sluice binary: TestMain builds it
// once, each test starts its own "sluice serve" child process with its own
// configuration, sockets and Maildirs under t.TempDir(), and talks to it
// over LMTP (RFC 2033) with go-smtp's client, a raw conversation helper,
// Python's smtplib and swaks.
//
// The binary is built without -race even when the tests run with -race:
// the child's races are covered by the packages' own tests, and a race
// build would make every start several times slower. To test another
// build (a race build, an installed binary), name it in
// $SLUICE_E2E_BINARY; a race build exits 66 after a race, which fails the
// exit status check of every test:
//
//	go build -race -o /tmp/sluice ./cmd/sluice
//	SLUICE_E2E_BINARY=/tmp/sluice go test -run E2E ./cmd/sluice

import (
	"flag"
	"fmt"
	"os"
	"testing"

	"github.com/sluice-mail/sluice/internal/testbin"
)

// sluiceBin is the path of the binary under test; "" when it was not built
// (-short), and then every end-to-end test skips.
var sluiceBin string

// binaryEnv names a prebuilt binary to test instead of building one.
const binaryEnv = "SLUICE_E2E_BINARY"

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	if testing.Short() {
		return m.Run()
	}
	bin, cleanup, err := testbin.Binary(binaryEnv)
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer cleanup()
	sluiceBin = bin
	return m.Run()
}

// needBinary skips t when the binary was not built.
func needBinary(t *testing.T) {
	t.Helper()
	if sluiceBin == "" {
		t.Skip("end-to-end tests need the sluice binary; not built with -short")
	}
}
