package main

import (
	"bufio"
	"io"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sluice-mail/sluice/internal/testbin"
)

// startMetricsServer is startServer with [metrics] listen on a free port;
// it returns the server and the metrics address.
func startMetricsServer(t *testing.T) (*e2eServer, string) {
	t.Helper()
	needBinary(t)
	dir := t.TempDir()
	s := &e2eServer{t: t, dir: dir, stderr: &testbin.SyncBuffer{}}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("sluice stderr:\n%s", s.stderr.String())
		}
	})
	s.users = filepath.Join(dir, "users")
	s.writeUsers(defaultUsers...)
	s.socket = filepath.Join(dir, "run", "lmtp")
	s.cfgPath = filepath.Join(dir, "sluice.toml")
	// A free port found here may be taken before sluice binds it: then
	// sluice exits, and another port is tried.
	for attempt := 0; ; attempt++ {
		addr := freeTCPAddr(t)
		s.writeConfig(s.config(s.cfg) + "\n[metrics]\nlisten = " + strconv.Quote(addr) + "\n")
		s.stderr.Reset()
		s.spawn()
		err := s.waitReady()
		if err == nil {
			err = waitHTTP("http://" + addr + "/healthz")
		}
		if err == nil {
			t.Cleanup(s.stopAndCheck)
			return s, addr
		}
		if attempt < 3 && strings.Contains(s.stderr.String(), "address already in use") {
			_ = s.cmd.Process.Kill()
			<-s.done
			continue
		}
		t.Fatalf("sluice did not start: %v", err)
	}
}

// waitHTTP waits until url answers at all.
func waitHTTP(url string) error {
	deadline := time.Now().Add(waitLimit)
	for {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return err
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// get fetches url and returns the status code and body.
func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// sumSeries adds up the samples of the series named name (any labels).
func sumSeries(t *testing.T, exposition, name string) float64 {
	t.Helper()
	var sum float64
	sc := bufio.NewScanner(strings.NewReader(exposition))
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, name+"{") && !strings.HasPrefix(line, name+" ") {
			continue
		}
		v, err := strconv.ParseFloat(line[strings.LastIndexByte(line, ' ')+1:], 64)
		if err != nil {
			t.Fatalf("bad sample %q", line)
		}
		sum += v
	}
	return sum
}

func TestE2EMetrics(t *testing.T) {
	t.Parallel()
	s, addr := startMetricsServer(t)
	base := "http://" + addr

	if code, body := get(t, base+"/healthz"); code != http.StatusOK || strings.TrimSpace(body) != "ok" {
		t.Errorf("GET /healthz: %d %q", code, body)
	}
	code, body := get(t, base+"/metrics")
	if code != http.StatusOK {
		t.Fatalf("GET /metrics: %d", code)
	}
	for _, name := range []string{
		"sluice_deliveries_total", "sluice_delivery_duration_seconds_bucket", "sluice_lmtp_sessions_open",
		"sluice_sieve_actions_total", "sluice_sieve_compile_errors_total", "sluice_vacation_suppressed_total",
		"sluice_vacation_sent_total", "sluice_redirects_total",
	} {
		if !strings.Contains(body, "\n"+name) {
			t.Errorf("/metrics lacks %s", name)
		}
	}

	deliver(t, s, "alice@example.org", testMessage("counted", "m1@e2e.test"))
	_, body = get(t, base+"/metrics")
	if n := sumSeries(t, body, "sluice_deliveries_total"); n != 1 {
		t.Errorf("sluice_deliveries_total sums to %v after one delivery, want 1", n)
	}

	// The counters survive a reload.
	s.signal(syscall.SIGHUP)
	s.waitLog("configuration reloaded", 1)
	deliver(t, s, "bob@example.org", testMessage("counted again", "m2@e2e.test"))
	_, body = get(t, base+"/metrics")
	if n := sumSeries(t, body, "sluice_deliveries_total"); n != 2 {
		t.Errorf("sluice_deliveries_total sums to %v after a reload and another delivery, want 2", n)
	}
	if n := sumSeries(t, body, "sluice_delivery_duration_seconds_count"); n != 2 {
		t.Errorf("sluice_delivery_duration_seconds_count = %v, want 2", n)
	}
}
