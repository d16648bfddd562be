//go:build !linux

package maildir

import (
	"fmt"
	"os"
)

var _ TempFS = rootFS{}

// rootDir is not needed here: every open goes through the os.Root.
func rootDir(*os.Root) *os.File { return nil }

// OpenTemp is not available here: the writer uses tmp/ and rename.
func (f rootFS) OpenTemp(dir string, perm os.FileMode) (File, error) {
	return nil, fmt.Errorf("open %s: %w", dir, ErrTempUnsupported)
}

// Link is never reached, since OpenTemp always fails.
func (f rootFS) Link(file File, newname string) (Dir, error) {
	return nil, fmt.Errorf("link %s: %w", newname, ErrTempUnsupported)
}
