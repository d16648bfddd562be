package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// memStats are the memory figures of a server's process tree, in bytes.
type memStats struct {
	// TreePeak is the largest sum of VmRSS over the server and all its
	// descendants seen by the sampler (Dovecot runs one lmtp process per
	// connection besides its master, auth, log, ...).
	TreePeak int64
	// MaxHWM is the largest VmHWM (the kernel's own peak RSS) of any one
	// process of the tree; for sluice, the peak of sluice itself.
	MaxHWM int64
}

// rssSampler polls /proc for the process tree rooted at pid.
type rssSampler struct {
	pid  int
	stop chan struct{}
	done chan struct{}

	mu sync.Mutex
	m  memStats
}

func startRSSSampler(pid int, every time.Duration) *rssSampler {
	s := &rssSampler{pid: pid, stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			s.sample()
			select {
			case <-s.stop:
				return
			case <-t.C:
			}
		}
	}()
	return s
}

// Stop takes a last sample (while the server is still running) and
// returns the peaks.
func (s *rssSampler) Stop() memStats {
	close(s.stop)
	<-s.done
	s.sample()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.m
}

func (s *rssSampler) sample() {
	var sum int64
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, pid := range processTree(s.pid) {
		st, err := readStatus(pid)
		if err != nil {
			continue // the process ended between listing and reading
		}
		sum += st.RSS
		s.m.MaxHWM = max(s.m.MaxHWM, st.HWM)
	}
	s.m.TreePeak = max(s.m.TreePeak, sum)
}

// processTree returns pid and all its descendants, from
// /proc/<pid>/task/<tid>/children.
func processTree(pid int) []int {
	out := []int{pid}
	for i := 0; i < len(out); i++ {
		tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", out[i]))
		for _, t := range tasks {
			b, err := os.ReadFile(t)
			if err != nil {
				continue
			}
			for _, f := range strings.Fields(string(b)) {
				if c, err := strconv.Atoi(f); err == nil {
					out = append(out, c)
				}
			}
		}
	}
	return out
}

// procStatus holds the fields of /proc/<pid>/status the benchmark uses.
type procStatus struct {
	RSS, HWM int64 // bytes
}

func readStatus(pid int) (procStatus, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return procStatus{}, fmt.Errorf("status of %d: %w", pid, err)
	}
	return parseStatus(b)
}

// parseStatus reads VmRSS and VmHWM (proc(5): "VmHWM: 1234 kB") from the
// text of /proc/<pid>/status.
func parseStatus(b []byte) (procStatus, error) {
	var st procStatus
	var found int
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		key, val, ok := strings.Cut(sc.Text(), ":")
		if !ok || (key != "VmRSS" && key != "VmHWM") {
			continue
		}
		f := strings.Fields(val)
		if len(f) != 2 || f[1] != "kB" {
			return st, fmt.Errorf("%s: malformed value %q", key, val)
		}
		n, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil || n < 0 || n > 1<<40 {
			return st, fmt.Errorf("%s: malformed value %q", key, val)
		}
		if key == "VmRSS" {
			st.RSS = n * 1024
		} else {
			st.HWM = n * 1024
		}
		found++
	}
	if err := sc.Err(); err != nil {
		return st, fmt.Errorf("status: %w", err)
	}
	if found == 0 {
		// Kernel threads and zombies have no Vm* lines.
		return st, fmt.Errorf("status: no VmRSS/VmHWM")
	}
	return st, nil
}
