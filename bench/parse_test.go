package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestMaildirFlags(t *testing.T) {
	tests := []struct{ name, want string }{
		{"1795966892.M82195P12622.vm,S=242,W=253:2,S", "S"},
		{"1.M1P1.host,S=10:2,SF", "FS"},
		{"1.M1P1.host,S=10:2,", ""},
		{"1.M1P1.host,S=10", ""},
		{"1.M1P1.host:2,FFS", "FS"},
	}
	for _, tt := range tests {
		if got := maildirFlags(tt.name); got != tt.want {
			t.Errorf("maildirFlags(%q) = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestHeaderValue(t *testing.T) {
	tests := []struct{ name, msg, field, want string }{
		{"plain", "A: 1\r\nX-Bench-Id: s1-m2\r\n\r\nX-Bench-Id: body\r\n", "x-bench-id", "s1-m2"},
		{"folded", "X-Bench-Id: s1\r\n\t-m2\r\nB: 2\r\n\r\n", "X-Bench-Id", "s1 -m2"},
		{"absent, body ignored", "A: 1\r\n\r\nX-Bench-Id: x\r\n", "X-Bench-Id", ""},
		{"last line, no newline", "X-Bench-Id: e", "X-Bench-Id", "e"},
		{"LF only", "Subject: hi\nX: y\n\n", "Subject", "hi"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := headerValue(strings.NewReader(tt.msg), tt.field)
			if err != nil || got != tt.want {
				t.Fatalf("headerValue = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestParseStatus(t *testing.T) {
	good := "Name:\tsluice\nVmPeak:\t  1000 kB\nVmHWM:\t    2048 kB\nVmRSS:\t    1024 kB\nThreads:\t5\n"
	st, err := parseStatus([]byte(good))
	if err != nil || st.HWM != 2048*1024 || st.RSS != 1024*1024 {
		t.Fatalf("parseStatus = %+v, %v", st, err)
	}
	for _, bad := range []string{"Name: kworker\nState: I\n", "VmRSS: 12 MB\n", "VmHWM: -1 kB\n", "VmRSS: x kB\n"} {
		if _, err := parseStatus([]byte(bad)); err == nil {
			t.Errorf("parseStatus(%q) succeeded", bad)
		}
	}
}

func TestReadStatusSelf(t *testing.T) {
	st, err := readStatus(os.Getpid())
	if err != nil || st.RSS <= 0 || st.HWM < st.RSS {
		t.Fatalf("readStatus(self) = %+v, %v", st, err)
	}
	if tree := processTree(os.Getpid()); len(tree) == 0 || tree[0] != os.Getpid() {
		t.Fatalf("processTree(self) = %v", tree)
	}
}

const mountinfo = `22 27 0:21 / /proc rw,relatime - proc proc rw
27 1 254:0 / / rw,relatime - ext4 /dev/vda rw
40 27 0:35 / /tmp rw,nosuid - tmpfs tmpfs rw,size=100k
41 40 0:36 / /tmp/my\040dir rw - xfs /dev/sdb1 rw
garbage line
`

func TestMountOf(t *testing.T) {
	tests := []struct{ path, point, typ string }{
		{"/home/x", "/", "ext4"},
		{"/tmp/sluice-bench-1", "/tmp", "tmpfs"},
		{"/tmpfoo", "/", "ext4"},
		{"/tmp/my dir/a", "/tmp/my dir", "xfs"},
		{"/proc", "/proc", "proc"},
	}
	for _, tt := range tests {
		m, ok := mountOf([]byte(mountinfo), tt.path)
		if !ok || m.Point != tt.point || m.Type != tt.typ {
			t.Errorf("mountOf(%q) = %+v, %v; want %s %s", tt.path, m, ok, tt.point, tt.typ)
		}
	}
}

func TestCPUModel(t *testing.T) {
	info := "processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 7B13\n"
	if got := cpuModel([]byte(info)); got != "AMD EPYC 7B13" {
		t.Errorf("cpuModel = %q", got)
	}
	if got := cpuModel(nil); got != "unknown" {
		t.Errorf("cpuModel(nil) = %q", got)
	}
}

func TestPercentileMedian(t *testing.T) {
	var ds []time.Duration
	for i := 1; i <= 100; i++ {
		ds = append(ds, time.Duration(101-i)*time.Millisecond)
	}
	tests := []struct {
		p    float64
		want time.Duration
	}{{50, 50 * time.Millisecond}, {99, 99 * time.Millisecond}, {100, 100 * time.Millisecond}, {0.1, time.Millisecond}}
	for _, tt := range tests {
		if got := percentile(ds, tt.p); got != tt.want {
			t.Errorf("percentile(%v) = %v, want %v", tt.p, got, tt.want)
		}
	}
	if percentile(nil, 50) != 0 || median(nil) != 0 {
		t.Error("empty input must give 0")
	}
	if got := median([]float64{3, 1, 2}); got != 2 {
		t.Errorf("median odd = %v", got)
	}
	if got := median([]float64{4, 1, 2, 3}); got != 2.5 {
		t.Errorf("median even = %v", got)
	}
}

func TestSelectScenarios(t *testing.T) {
	all, err := selectScenarios("all", 3)
	if err != nil || len(all) != 6 {
		t.Fatalf("all = %d, %v", len(all), err)
	}
	two, err := selectScenarios("50m-5rcpt, 1000-rules", 3)
	if err != nil || len(two) != 2 || two[0].Messages != 3 || two[0].SluiceHWMLimit != 64<<20 || two[1].Rules != 1000 {
		t.Fatalf("selection = %+v, %v", two, err)
	}
	if _, err := selectScenarios("4k-1rcpt-1s,nope", 1); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Fatalf("unknown scenario error = %v", err)
	}
}

func TestParseFlags(t *testing.T) {
	var out bytes.Buffer
	tests := []struct {
		args []string
		ok   bool
	}{
		{[]string{"-rounds", "1", "-messages", "5", "-json", "-keep", "-scenarios", "4k-1rcpt-1s"}, true},
		{[]string{"-servers", "dovecot"}, true},
		{[]string{"-servers", "postfix"}, false},
		{[]string{"-rounds", "0"}, false},
		{[]string{"extra"}, false},
	}
	for _, tt := range tests {
		if _, err := parseFlags(tt.args, &out); (err == nil) != tt.ok {
			t.Errorf("parseFlags(%q) error = %v, want ok=%v", tt.args, err, tt.ok)
		}
	}
}

func TestCheckRequirements(t *testing.T) {
	dir := t.TempDir()
	present := filepath.Join(dir, "present")
	if err := os.WriteFile(present, nil, 0o755); err != nil {
		t.Fatal(err)
	}
	paths, err := checkRequirements([]requirement{{What: "x", Paths: []string{filepath.Join(dir, "no"), present}, Package: "px"}})
	if err != nil || paths[0] != present {
		t.Fatalf("found %v, %v", paths, err)
	}
	_, err = checkRequirements([]requirement{
		{What: "lmtp", Paths: []string{filepath.Join(dir, "lmtp")}, Package: "dovecot-lmtpd"},
		{What: "sieve", Paths: []string{"no-such-program-sluicebench"}, Package: "dovecot-sieve"},
	})
	if !errors.Is(err, errMissing) || !strings.Contains(err.Error(), "apt-get install -y dovecot-lmtpd dovecot-sieve") {
		t.Fatalf("missing error = %v", err)
	}
}

func TestRawDurableRate(t *testing.T) {
	for _, w := range []int{1, 8} {
		res, err := rawDurableRate(t.Context(), t.TempDir(), w, 16)
		if err != nil || res.Writers != w || res.Ops != 16 || res.PerSec <= 0 {
			t.Fatalf("rawDurableRate(%d) = %+v, %v", w, res, err)
		}
	}
}

func TestRenderDeterministic(t *testing.T) {
	a := newSpec(3, 5, []string{"u1@example.org"}, 4*kb)
	b := newSpec(3, 5, []string{"u1@example.org"}, 4*kb)
	ra, rb := a.render(), b.render()
	if !bytes.Equal(ra, rb) {
		t.Fatal("render is not deterministic")
	}
	if len(ra) < 4*kb-len(fillerLine) || len(ra) > 4*kb+100 {
		t.Errorf("size %d, want about %d", len(ra), 4*kb)
	}
	if id, _ := headerValue(bytes.NewReader(ra), idHeader); id != "s3-m5" {
		t.Errorf("id = %q", id)
	}
	if bytes.Contains(ra, []byte("\n.")) {
		t.Error("message has a line starting with a dot")
	}
}

func TestReportMarkdown(t *testing.T) {
	sc := allScenarios(1)[4]
	r := &report{Rounds: 1, Raw: []rawResult{{Writers: 1, Ops: 10, PerSec: 500}}}
	mk := func(name string, rate float64, hwm int64) serverSummary {
		res := runResult{MsgsPerSec: rate, DelPerSec: 5 * rate, P50: time.Millisecond, P99: 2 * time.Millisecond,
			First: 3 * time.Millisecond, Mem: memStats{TreePeak: hwm, MaxHWM: hwm}}
		return serverSummary{Server: name, Rounds: []runResult{res}, Median: medianOf([]runResult{res})}
	}
	r.Scenarios = []scenarioReport{{Scenario: sc, Servers: []serverSummary{mk("dovecot", 10, 100<<20), mk("sluice", 20, 80<<20)}}}
	var b bytes.Buffer
	r.writeMarkdown(&b)
	for _, want := range []string{"| sluice/dovecot | 2.00× | 2.00× |", "limit 64.0 MiB: EXCEEDED", "| 1 | 10 | 500 |"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, b.String())
		}
	}
	b.Reset()
	if err := r.writeJSON(&b); err != nil || !strings.Contains(b.String(), `"messages_per_sec": 20`) {
		t.Errorf("json = %v\n%s", err, b.String())
	}
}

func FuzzParseStatus(f *testing.F) {
	f.Add([]byte("VmHWM:\t 10 kB\nVmRSS:\t 5 kB\n"))
	f.Add([]byte("VmRSS: 99999999999999999999 kB\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		st, err := parseStatus(b)
		if err == nil && (st.RSS < 0 || st.HWM < 0) {
			t.Fatalf("negative size %+v", st)
		}
	})
}

func FuzzParseMountinfo(f *testing.F) {
	for _, l := range strings.Split(mountinfo, "\n") {
		f.Add(l)
	}
	f.Add(`1 2 3 / /a\1 o - t s o`)
	f.Fuzz(func(t *testing.T, line string) {
		m, ok := parseMountinfo(line)
		if ok && m.Type == "" {
			t.Fatalf("empty type from %q", line)
		}
	})
}

func FuzzHeaderValue(f *testing.F) {
	f.Add("X-Bench-Id: a\r\n\tb\r\n\r\n")
	f.Add("X-Bench-Id:")
	f.Fuzz(func(t *testing.T, msg string) {
		v, err := headerValue(strings.NewReader(msg), idHeader)
		if err != nil {
			t.Fatal(err)
		}
		if v != strings.TrimSpace(v) {
			t.Fatalf("untrimmed %q", v)
		}
	})
}

func FuzzMaildirFlags(f *testing.F) {
	f.Add("1.M1P1.h,S=1:2,SF")
	f.Fuzz(func(t *testing.T, name string) {
		got := maildirFlags(name)
		_, info, _ := strings.Cut(name, ":2,")
		for i := range len(got) {
			if (i > 0 && got[i-1] >= got[i]) || !strings.Contains(info, got[i:i+1]) {
				t.Fatalf("maildirFlags(%q) = %q: not sorted, unique letters of %q", name, got, info)
			}
		}
	})
}

func Example_maildirFlags() {
	// Dovecot and sluice both put IMAP flags after ":2," in the file name.
	fmt.Println(maildirFlags("1795966892.M82195P12622.mx,S=242,W=253:2,SF"))
	fmt.Println(newSpec(0, 2, []string{"u1@example.org"}, 4*kb).expect())
	// Output:
	// FS
	// {Junk S}
}

func TestCheckReachable(t *testing.T) {
	open := t.TempDir()
	closed := filepath.Join(open, "closed")
	if err := os.Mkdir(closed, 0o700); err != nil {
		t.Fatal(err)
	}
	inner := filepath.Join(closed, "work")
	if err := os.Mkdir(inner, 0o755); err != nil {
		t.Fatal(err)
	}
	a := account{Name: "sluicebench", Root: true}
	if err := a.checkReachable(inner); !errors.Is(err, errUnreachable) || !strings.Contains(err.Error(), closed) {
		t.Fatalf("checkReachable(%s) = %v, want errUnreachable naming %s", inner, err, closed)
	}
	if err := (account{}).checkReachable(inner); err != nil {
		t.Fatalf("unprivileged run: %v", err)
	}
}

func TestWaitAfterDeletion(t *testing.T) {
	tmp := t.TempDir()
	log := slog.New(slog.DiscardHandler)
	// No previous run: no wait.
	if err := waitAfterDeletion(t.Context(), tmp, log); err != nil {
		t.Fatal(err)
	}
	base := filepath.Join(tmp, "sluice-bench-1")
	if err := os.MkdirAll(filepath.Join(base, "a", "b"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := removeWorkDir(tmp, base); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(base); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("work dir still there: %v", err)
	}
	// Just deleted: the wait lasts until the context ends.
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := waitAfterDeletion(ctx, tmp, log); !errors.Is(err, context.Canceled) {
		t.Errorf("wait right after a deletion = %v, want it to wait (and see the cancellation)", err)
	}
	// Long ago: no wait.
	old := time.Now().Add(-2 * afterDeletion)
	if err := os.Chtimes(deletionStamp(tmp), old, old); err != nil {
		t.Fatal(err)
	}
	if err := waitAfterDeletion(ctx, tmp, log); err != nil {
		t.Errorf("wait long after a deletion = %v, want none", err)
	}
}
