package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"
)

// rawResult is the machine's durable-write rate: how many 4 KB files per
// second can be written to tmp/, fsynced, renamed into new/ and made
// durable by an fsync of new/ — the least any Maildir delivery does.
type rawResult struct {
	Writers int     `json:"writers"`
	Ops     int     `json:"ops"`
	PerSec  float64 `json:"per_sec"`
}

// rawDurableRate performs ops such writes with the given number of
// concurrent writers, all in one Maildir-like directory under dir, and
// removes the directory afterwards.
func rawDurableRate(ctx context.Context, dir string, writers, ops int) (rawResult, error) {
	root, err := os.MkdirTemp(dir, "raw-")
	if err != nil {
		return rawResult{}, fmt.Errorf("raw rate: %w", err)
	}
	defer setAside(filepath.Join(dir, "trash"), root)
	for _, sub := range []string{"tmp", "new"} {
		if err := os.Mkdir(filepath.Join(root, sub), 0o700); err != nil {
			return rawResult{}, fmt.Errorf("raw rate: %w", err)
		}
	}
	payload := make([]byte, 4096)
	for i := range payload {
		payload[i] = fillerLine[i%len(fillerLine)]
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	start := time.Now()
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				n := next.Add(1)
				if n > int64(ops) || ctx.Err() != nil {
					return
				}
				if err := durableWrite(root, fmt.Sprintf("%d.w%d.n%d", start.Unix(), w, n), payload); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	close(errs)
	if err := <-errs; err != nil {
		return rawResult{}, err
	}
	if err := ctx.Err(); err != nil {
		return rawResult{}, fmt.Errorf("raw rate: %w", err)
	}
	return rawResult{Writers: writers, Ops: ops, PerSec: float64(ops) / elapsed.Seconds()}, nil
}

// durableWrite is one Maildir delivery without the mail server: write,
// fsync the file, rename into new/, fsync new/.
func durableWrite(root, name string, payload []byte) error {
	tmp := filepath.Join(root, "tmp", name)
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("raw write: %w", err)
	}
	if _, err := f.Write(payload); err != nil {
		f.Close()
		return fmt.Errorf("raw write: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("raw fsync: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("raw close: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(root, "new", name)); err != nil {
		return fmt.Errorf("raw rename: %w", err)
	}
	d, err := os.Open(filepath.Join(root, "new"))
	if err != nil {
		return fmt.Errorf("raw open dir: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("raw fsync dir: %w", err)
	}
	return nil
}
