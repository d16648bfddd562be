//go:build !linux && !openbsd && !darwin && !freebsd && !netbsd

package fileid

// of knows no more than size and mtime here.
func of(any) ID { return ID{} }
