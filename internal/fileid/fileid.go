// Package fileid reads what tells one version of a file from another
// beyond its modification time: the device and inode it lives on, and its
// status change time (ctime). Users can set a file's mtime back (touch -d,
// rsync -t, an editor that keeps it) but not its ctime, and a file
// replaced by a rename has a new inode, so comparing these catches edits
// that size and mtime alone would miss.
package fileid

import "io/fs"

// ID identifies a file and its last status change. Fields the system
// does not report are zero.
type ID struct {
	Dev   uint64
	Ino   uint64
	Ctime int64 // ns since the epoch
}

// Of returns the ID in fi, a FileInfo from os.Stat or os.Lstat.
func Of(fi fs.FileInfo) ID { return of(fi.Sys()) }
