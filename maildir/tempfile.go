package maildir

import (
	"errors"
	"os"
)

// TempFS is an optional part of an [FS]: a file created with no name,
// written and fsynced, then given its name in one step (Linux's O_TMPFILE
// and linkat). The writer then makes no directory entry in tmp/ for a
// message: no rename, no fsync of tmp/ through the parent, nothing left
// behind by a crash, and concurrent deliveries do not contend for tmp/.
// Readers still never see a partial message, and a message is durable at
// the same point as with tmp/ and rename: file fsynced, then named, then
// its directory fsynced.
//
// An FS without it, or whose OpenTemp fails with [ErrTempUnsupported],
// gets the classic Maildir protocol: create in tmp/, fsync, rename.
type TempFS interface {
	// OpenTemp creates an unnamed, readable and writable file on the
	// filesystem of directory dir.
	OpenTemp(dir string, perm os.FileMode) (File, error)
	// Link gives f, a file from OpenTemp, the name newname. It fails if
	// newname exists, and with ErrTempUnsupported when the system offers
	// no way to name an unnamed file (then the caller copies it). On
	// success it returns the directory of newname, open, for the caller
	// to fsync and close.
	Link(f File, newname string) (Dir, error)
}

// Dir is an open directory: Sync makes the entries created in it durable.
type Dir interface {
	Sync() error
	Close() error
}

// ErrTempUnsupported is wrapped by [TempFS] methods when the filesystem or
// the system cannot create or name unnamed files.
var ErrTempUnsupported = errors.New("unnamed temporary files not supported")
