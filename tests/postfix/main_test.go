package postfix

import (
	"flag"
	"fmt"
	"os"
	"testing"

	"github.com/sluice-mail/sluice/internal/testbin"
)

// postfixBin is where Debian (and Postfix's own default install) puts the
// postfix(1) command.
const postfixBin = "/usr/sbin/postfix"

// binaryEnv names a prebuilt sluice binary to test instead of building
// one, as in cmd/sluice's end-to-end tests.
const binaryEnv = "SLUICE_E2E_BINARY"

// skipReason says why no test here can run ("" when they can).
var skipReason string

// sluiceBin is the sluice binary under test, in a directory every user
// can read (Postfix's pipe(8) runs it as an unprivileged user).
var sluiceBin string

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	switch {
	case testing.Short():
		skipReason = "-short: not starting Postfix"
	case !fileExists(postfixBin):
		skipReason = postfixBin + " not found: install Postfix to run these tests (apt-get install postfix)"
	case os.Geteuid() != 0:
		skipReason = "not root: postfix(1) starts its master process as the super-user only"
	}
	if skipReason != "" {
		return m.Run()
	}
	bin, cleanup, err := testbin.Binary(binaryEnv)
	if err != nil {
		fmt.Fprintln(os.Stderr, "postfix tests:", err)
		return 1
	}
	defer cleanup()
	sluiceBin = bin
	return m.Run()
}

// needPostfix skips t unless Postfix can be started here.
func needPostfix(t *testing.T) {
	t.Helper()
	if skipReason != "" {
		t.Skip(skipReason)
	}
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
