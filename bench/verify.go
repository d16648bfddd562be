package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// errMisdelivered reports messages missing, duplicated or filed with the
// wrong folder or flags.
var errMisdelivered = errors.New("messages not delivered as the script says")

// idHeader names the header field that identifies a benchmark message.
const idHeader = "X-Bench-Id"

// found is one message file in a Maildir.
type found struct {
	Folder, Flags, Path string
}

// verifyHomes checks that every message in sent is in each of its
// recipients' Maildirs exactly once, in the expected folder with the
// expected flags, and that nothing else was delivered.
func verifyHomes(h *homes, sent []msgSpec) error {
	var problems []string
	total := 0
	for _, u := range h.Users {
		want := map[string]expect{}
		for _, m := range sent {
			if slices.Contains(m.Rcpts, u.Addr) {
				want[m.ID] = m.expect()
			}
		}
		got, err := scanMaildir(filepath.Join(u.Home, "Maildir"))
		if err != nil {
			return err
		}
		p := compare(want, got)
		total += len(p)
		for _, s := range p {
			if len(problems) < 10 {
				problems = append(problems, u.Addr+": "+s)
			}
		}
	}
	if total > 0 {
		return fmt.Errorf("%w: %d problems, first:\n  %s", errMisdelivered, total, strings.Join(problems, "\n  "))
	}
	return nil
}

// compare lists the differences between the expected and the found
// messages of one user.
func compare(want map[string]expect, got map[string][]found) []string {
	var out []string
	for id, e := range want {
		fs := got[id]
		switch {
		case len(fs) == 0:
			out = append(out, fmt.Sprintf("%s: missing (want folder %q flags %q)", id, e.Folder, e.Flags))
		case len(fs) > 1:
			out = append(out, fmt.Sprintf("%s: delivered %d times", id, len(fs)))
		case fs[0].Folder != e.Folder || fs[0].Flags != e.Flags:
			out = append(out, fmt.Sprintf("%s: in folder %q flags %q, want folder %q flags %q (%s)",
				id, fs[0].Folder, fs[0].Flags, e.Folder, e.Flags, fs[0].Path))
		}
	}
	for id, fs := range got {
		if _, ok := want[id]; !ok {
			out = append(out, fmt.Sprintf("%q: unexpected message (%s)", id, fs[0].Path))
		}
	}
	slices.Sort(out)
	return out
}

// scanMaildir reads every message of a Maildir++ tree: INBOX at root and
// one ".Name" directory per folder, messages in cur/ and new/.
func scanMaildir(root string) (map[string][]found, error) {
	dirs := map[string]string{"": root}
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil, fmt.Errorf("read maildir: %w", err)
	}
	for _, e := range entries {
		if e.IsDir() && strings.HasPrefix(e.Name(), ".") && e.Name() != "." && e.Name() != ".." {
			dirs[e.Name()[1:]] = filepath.Join(root, e.Name())
		}
	}
	got := map[string][]found{}
	for folder, dir := range dirs {
		for _, sub := range []string{"new", "cur"} {
			files, err := os.ReadDir(filepath.Join(dir, sub))
			if err != nil {
				return nil, fmt.Errorf("read maildir: %w", err)
			}
			for _, f := range files {
				if !f.Type().IsRegular() {
					continue
				}
				path := filepath.Join(dir, sub, f.Name())
				id, err := messageID(path)
				if err != nil {
					return nil, err
				}
				got[id] = append(got[id], found{Folder: folder, Flags: maildirFlags(f.Name()), Path: path})
			}
		}
	}
	return got, nil
}

// maildirFlags returns the sorted flag letters of a Maildir file name:
// the letters after ":2," (the "info" part), "" when there is none.
func maildirFlags(name string) string {
	_, info, ok := strings.Cut(name, ":2,")
	if !ok {
		return ""
	}
	b := []byte(info)
	slices.Sort(b)
	return string(slices.Compact(b))
}

// messageID reads the header of the message at path and returns its
// X-Bench-Id, or "" when it has none.
func messageID(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("open message: %w", err)
	}
	defer f.Close()
	return headerValue(io.LimitReader(f, 1<<20), idHeader)
}

// headerValue returns the first value of field in the header section of
// r (RFC 5322 section 2.2), unfolded and trimmed.
func headerValue(r io.Reader, field string) (string, error) {
	br := bufio.NewReader(r)
	var cur string
	var in bool
	for {
		line, err := br.ReadString('\n')
		t := strings.TrimRight(line, "\r\n")
		if in && (strings.HasPrefix(t, " ") || strings.HasPrefix(t, "\t")) {
			cur += " " + strings.TrimSpace(t)
		} else if in {
			return strings.TrimSpace(cur), nil
		} else if name, val, ok := strings.Cut(t, ":"); ok && strings.EqualFold(strings.TrimSpace(name), field) {
			cur, in = val, true
		}
		if t == "" || err != nil {
			if in {
				return strings.TrimSpace(cur), nil
			}
			if err != nil && !errors.Is(err, io.EOF) {
				return "", fmt.Errorf("read header: %w", err)
			}
			return "", nil
		}
	}
}
