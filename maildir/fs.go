package maildir

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"
)

// FS is the set of filesystem operations the writer needs. Names are
// slash-separated and relative to the mail root ("." is the root itself).
// An implementation must never let a name, or a symlink met while resolving
// it, reach outside the mail root. Tests wrap it to inject faults.
type FS interface {
	// OpenFile opens or creates a file, like [os.OpenFile].
	OpenFile(name string, flag int, perm os.FileMode) (File, error)
	Mkdir(name string, perm os.FileMode) error
	Rename(oldname, newname string) error
	// Stat follows a final symlink (within the root); Lstat does not.
	Stat(name string) (fs.FileInfo, error)
	Lstat(name string) (fs.FileInfo, error)
	Remove(name string) error
	ReadDir(name string) ([]fs.DirEntry, error)
	// SyncDir fsyncs a directory so that entries created, renamed or
	// removed in it are durable.
	SyncDir(name string) error
}

// File is an open file of an [FS].
type File interface {
	io.Reader
	io.Writer
	io.Closer
	Sync() error
}

// rootFS is the default FS: an [os.Root], which refuses any path (including
// through symlinks) that resolves outside the directory it was opened on.
type rootFS struct {
	r *os.Root
	// dir is the root directory itself, where the system can open files
	// beneath a directory in one step (see openBeneath); nil elsewhere.
	// dirc reaches its descriptor, kept open during each use even if dir
	// is closed meanwhile.
	dir  *os.File
	dirc syscall.RawConn
}

var _ FS = rootFS{}
var _ File = (*os.File)(nil)

// NewRootFS returns the default [FS], confined to r. The caller keeps
// ownership of r and closes it after the last use. Where the FS opens
// files beneath the root in one step it holds a handle of its own on the
// root directory, released when the FS is no longer referenced; it keeps
// working after r is closed.
func NewRootFS(r *os.Root) FS { return newRootFS(r) }

func newRootFS(r *os.Root) rootFS {
	f := rootFS{r: r, dir: rootDir(r)}
	if f.dir != nil {
		if c, err := f.dir.SyscallConn(); err == nil {
			f.dirc = c
		} else {
			f.dir.Close()
			f.dir = nil
		}
	}
	return f
}

// close releases the FS's handle on the root directory (not r).
func (f rootFS) close() error {
	if f.dir == nil {
		return nil
	}
	return f.dir.Close()
}

func (f rootFS) OpenFile(name string, flag int, perm os.FileMode) (File, error) {
	fh, err := f.r.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return fh, nil
}

func (f rootFS) Mkdir(name string, perm os.FileMode) error { return f.r.Mkdir(name, perm) }
func (f rootFS) Rename(o, n string) error                  { return f.r.Rename(o, n) }
func (f rootFS) Stat(name string) (fs.FileInfo, error)     { return f.r.Stat(name) }
func (f rootFS) Lstat(name string) (fs.FileInfo, error)    { return f.r.Lstat(name) }
func (f rootFS) Remove(name string) error                  { return f.r.Remove(name) }

func (f rootFS) ReadDir(name string) ([]fs.DirEntry, error) {
	d, err := f.r.Open(name)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	return d.ReadDir(-1)
}

func (f rootFS) SyncDir(name string) error {
	d, err := f.r.Open(name)
	if err != nil {
		return err
	}
	if err := d.Sync(); err != nil {
		d.Close()
		return fmt.Errorf("fsync %s: %w", name, err)
	}
	return d.Close()
}
