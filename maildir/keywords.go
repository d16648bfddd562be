package maildir

import (
	"context"
	"fmt"
	"io"
	"os"
	"path"
	"strconv"
	"strings"
)

// Dovecot keeps the names of Maildir keywords in dovecot-keywords in the
// folder's directory: lines "<n> <name>" where n (0..25) is the info letter
// 'a'+n. Dovecot changes that file only while holding dovecot-uidlist.lock,
// and so does sluice. dovecot-uidlist itself is never touched: when Dovecot
// holds that lock it writes the new uidlist into the lock file, so sluice
// only ever creates the lock file empty-but-for-a-pid and removes it.
const (
	keywordsFile = "dovecot-keywords"
	uidlistLock  = "dovecot-uidlist.lock"
	maxKeywords  = 26
)

// parseKeywords reads "<n> <name>" lines. Malformed lines are ignored, as
// Dovecot does, and so is an index used twice (the first wins).
func parseKeywords(content string) [maxKeywords]string {
	var kw [maxKeywords]string
	for line := range strings.Lines(content) {
		line = strings.TrimRight(line, "\r\n")
		num, name, ok := strings.Cut(line, " ")
		if !ok || name == "" {
			continue
		}
		n, err := strconv.Atoi(num)
		if err != nil || n < 0 || n >= maxKeywords || kw[n] != "" {
			continue
		}
		kw[n] = name
	}
	return kw
}

func formatKeywords(kw [maxKeywords]string) string {
	var b strings.Builder
	for i, name := range kw {
		if name != "" {
			fmt.Fprintf(&b, "%d %s\n", i, name)
		}
	}
	return b.String()
}

// lookupKeywords maps keywords onto letters using kw; keywords not in kw are
// returned as missing. Keywords match case-insensitively.
func lookupKeywords(kw [maxKeywords]string, keywords []string) (letters []byte, missing []string) {
	for _, k := range keywords {
		found := false
		for i, name := range kw {
			if name != "" && strings.EqualFold(name, k) {
				letters = append(letters, byte('a'+i))
				found = true
				break
			}
		}
		if !found {
			missing = append(missing, k)
		}
	}
	return letters, missing
}

// keywordLetters returns the info letters for keywords in the folder at
// dir, assigning free letters to new keywords. Keywords beyond the 26
// letters are returned in dropped.
func (m *Maildir) keywordLetters(ctx context.Context, dir string, keywords []string) (letters []byte, dropped []string, err error) {
	file := path.Join(dir, keywordsFile)
	content, err := m.readSmall(file)
	if err != nil {
		return nil, nil, err
	}
	letters, missing := lookupKeywords(parseKeywords(content), keywords)
	if len(missing) == 0 {
		return letters, nil, nil
	}
	l, err := m.lock(ctx, path.Join(dir, uidlistLock))
	if err != nil {
		return nil, nil, err
	}
	defer l.release()
	if err := l.writePID(); err != nil {
		return nil, nil, fmt.Errorf("write lock: %w", err)
	}
	// Re-read under the lock: another writer may have added some.
	if content, err = m.readSmall(file); err != nil {
		return nil, nil, err
	}
	kw := parseKeywords(content)
	letters, missing = lookupKeywords(kw, keywords)
	if len(missing) == 0 {
		return letters, nil, nil
	}
	changed := false
	for _, k := range missing {
		free := -1
		for i, name := range kw {
			if name == "" {
				free = i
				break
			}
		}
		if free < 0 {
			dropped = append(dropped, k)
			continue
		}
		kw[free] = k
		letters = append(letters, byte('a'+free))
		changed = true
	}
	if changed {
		if err := m.replaceFile(dir, file, formatKeywords(kw)); err != nil {
			return nil, nil, err
		}
	}
	return letters, dropped, nil
}

// replaceFile atomically replaces name (in dir) with content: a file in
// dir/tmp/ is written, fsynced and renamed over name, then dir is fsynced.
// A crash leaves at most a file in tmp/, which CleanTmp removes later.
func (m *Maildir) replaceFile(dir, name, content string) (err error) {
	tmp := path.Join(dir, "tmp", m.uniqueName()+"."+path.Base(name))
	f, err := m.fs.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, m.opts.FileMode)
	if err != nil {
		return fmt.Errorf("create %s: %w", tmp, err)
	}
	renamed := false
	defer func() {
		if !renamed {
			m.fs.Remove(tmp)
		}
	}()
	if _, err := io.WriteString(f, content); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", tmp, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("fsync %s: %w", tmp, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close %s: %w", tmp, err)
	}
	if err := m.fs.Rename(tmp, name); err != nil {
		return fmt.Errorf("rename %s: %w", name, err)
	}
	renamed = true
	if err := m.fs.SyncDir(dir); err != nil {
		return fmt.Errorf("fsync %s: %w", dir, err)
	}
	return nil
}
