package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"golang.org/x/sys/unix"
)

// machine describes where the numbers were taken.
type machine struct {
	CPU     string `json:"cpu"`
	Cores   int    `json:"cores"`
	Kernel  string `json:"kernel"`
	TempDir string `json:"temp_dir"`
	FS      string `json:"filesystem"`
	Go      string `json:"go"`
	Dovecot string `json:"dovecot,omitempty"`
	Sluice  string `json:"sluice,omitempty"`
}

func describeMachine(tempDir string) machine {
	m := machine{Cores: runtime.NumCPU(), TempDir: tempDir, Go: runtime.Version(), CPU: "unknown", Kernel: "unknown", FS: "unknown"}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		m.CPU = cpuModel(b)
	}
	var u unix.Utsname
	if err := unix.Uname(&u); err == nil {
		m.Kernel = unix.ByteSliceToString(u.Sysname[:]) + " " + unix.ByteSliceToString(u.Release[:]) +
			" " + unix.ByteSliceToString(u.Machine[:])
	}
	if b, err := os.ReadFile("/proc/self/mountinfo"); err == nil {
		if p, err := filepath.EvalSymlinks(tempDir); err == nil {
			if mt, ok := mountOf(b, p); ok {
				m.FS = fmt.Sprintf("%s on %s (%s, %s)", mt.Source, mt.Point, mt.Type, mt.Options)
			}
		}
	}
	return m
}

// String is the one-line summary printed above the tables.
func (m machine) String() string {
	s := fmt.Sprintf("CPU %s, %d cores, %s, temp dir %s: %s, %s", m.CPU, m.Cores, m.Kernel, m.TempDir, m.FS, m.Go)
	for _, v := range []string{m.Dovecot, m.Sluice} {
		if v != "" {
			s += ", " + v
		}
	}
	return s
}

// cpuModel returns the first "model name" of /proc/cpuinfo.
func cpuModel(cpuinfo []byte) string {
	sc := bufio.NewScanner(bytes.NewReader(cpuinfo))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

// mount is one line of /proc/self/mountinfo.
type mount struct {
	Point, Type, Source, Options string
}

// parseMountinfo parses one line of /proc/<pid>/mountinfo (proc(5)):
// "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw".
func parseMountinfo(line string) (mount, bool) {
	pre, post, ok := strings.Cut(line, " - ")
	if !ok {
		return mount{}, false
	}
	a, b := strings.Fields(pre), strings.Fields(post)
	if len(a) < 6 || len(b) < 2 {
		return mount{}, false
	}
	return mount{Point: unescapeOctal(a[4]), Options: a[5], Type: b[0], Source: unescapeOctal(b[1])}, true
}

// unescapeOctal undoes the \ooo escapes the kernel uses for space, tab,
// newline and backslash in mount paths.
func unescapeOctal(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) && isOctal(s[i+1:i+4]) {
			b.WriteByte((s[i+1]-'0')<<6 | (s[i+2]-'0')<<3 | (s[i+3] - '0'))
			i += 3
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isOctal(s string) bool {
	if len(s) != 3 || s[0] > '3' {
		return false
	}
	for i := range 3 {
		if s[i] < '0' || s[i] > '7' {
			return false
		}
	}
	return true
}

// mountOf returns the mount holding path: the last listed mount whose
// mount point is the longest prefix of path.
func mountOf(mountinfo []byte, path string) (mount, bool) {
	var best mount
	found := false
	sc := bufio.NewScanner(bytes.NewReader(mountinfo))
	for sc.Scan() {
		m, ok := parseMountinfo(sc.Text())
		if !ok || !within(path, m.Point) {
			continue
		}
		if !found || len(m.Point) >= len(best.Point) {
			best, found = m, true
		}
	}
	return best, found
}

func within(path, dir string) bool {
	if dir == "/" {
		return strings.HasPrefix(path, "/")
	}
	return path == dir || strings.HasPrefix(path, dir+"/")
}
