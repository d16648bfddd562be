package maildir

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path"
	"time"
)

// TmpMaxAge is the Maildir convention for abandoned files in tmp/: a file
// older than 36 hours was left by a delivery that crashed.
const TmpMaxAge = 36 * time.Hour

// CleanTmp removes regular files older than [TmpMaxAge] (by modification
// time, relative to now) from the tmp/ directory of INBOX and of every
// folder of m. Meant to run at startup or now and then; it never touches
// files a running delivery could still be writing. It returns how many
// files were removed; a removal that fails is logged and skipped.
func CleanTmp(ctx context.Context, m *Maildir, now time.Time) (int, error) {
	dirs, err := m.mailboxDirs(ctx)
	if err != nil {
		return 0, fmt.Errorf("maildir: clean tmp: %w", err)
	}
	removed := 0
	for _, dir := range dirs {
		tmp := path.Join(dir, "tmp")
		ents, err := m.fs.ReadDir(tmp)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return removed, fmt.Errorf("maildir: clean tmp: %w", err)
		}
		for _, e := range ents {
			if err := ctx.Err(); err != nil {
				return removed, err
			}
			if !e.Type().IsRegular() {
				continue
			}
			fi, err := e.Info()
			if err != nil || now.Sub(fi.ModTime()) <= TmpMaxAge {
				continue
			}
			name := path.Join(tmp, e.Name())
			if err := m.fs.Remove(name); err != nil {
				m.log.Warn("cannot remove old temporary file", slog.String("path", name), slog.Any("err", err))
				continue
			}
			removed++
		}
	}
	return removed, nil
}
