package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"time"
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

// afterDeletion is how long a run waits after the previous run deleted
// its work directory: ext4 without a journal reuses no freed inode for
// 60 s, and until then every file created in the block group searches
// past them, which would slow the first minute of this run.
const afterDeletion = 65 * time.Second

// deletionStamp is the file in the temp directory whose modification time
// says when the last run deleted its work directory.
func deletionStamp(tmp string) string { return filepath.Join(tmp, ".sluice-bench-deleted") }

// removeWorkDir deletes a run's work directory and records when.
func removeWorkDir(tmp, base string) error {
	err := os.RemoveAll(base)
	if werr := os.WriteFile(deletionStamp(tmp), nil, 0o644); werr != nil {
		err = errors.Join(err, werr)
	}
	return err
}

// waitAfterDeletion waits until afterDeletion has passed since a previous
// run deleted its work directory in tmp.
func waitAfterDeletion(ctx context.Context, tmp string, log *slog.Logger) error {
	fi, err := os.Stat(deletionStamp(tmp))
	if err != nil {
		return nil
	}
	wait := min(time.Until(fi.ModTime().Add(afterDeletion)), afterDeletion) // a stamp from the future waits no longer
	return sleepFor(ctx, wait, log, "waiting for the previous run's deleted files to settle (see bench/README.md)")
}

// sleepFor waits for d, saying so, unless d is not positive or ctx ends.
func sleepFor(ctx context.Context, d time.Duration, log *slog.Logger, msg string) error {
	if d <= 0 {
		return nil
	}
	log.Info(msg, "wait", d.Round(time.Second))
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
