package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
)

// trashSeq names the entries of a trash directory.
var trashSeq atomic.Int64

// setAside moves path (if it exists) into trash, a directory on the same
// filesystem, instead of deleting it; the trash goes with the work
// directory at the end. Deleting thousands of files between runs would
// tax the next run: ext4 without a journal does not reuse an inode
// within 60 s of its deletion (300 s while its inode table block is
// dirty), and every file created meanwhile pays for
// a search past the recently freed ones.
func setAside(trash, path string) error {
	if err := os.MkdirAll(trash, 0o755); err != nil {
		return fmt.Errorf("trash: %w", err)
	}
	err := os.Rename(path, filepath.Join(trash, strconv.FormatInt(trashSeq.Add(1), 10)))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("trash: %w", err)
	}
	return nil
}
