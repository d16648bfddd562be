package metrics

import (
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/sluice-mail/sluice/internal/autoreply"
)

// scrape fetches /metrics from h and returns the exposition text.
func scrape(t *testing.T, h http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(h)
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %s\n%s", resp.Status, body)
	}
	return string(body)
}

// sample returns the value text of the series named exactly series
// ("name{labels}") in an exposition, and whether it is there.
func sample(text, series string) (string, bool) {
	for line := range strings.Lines(text) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), series+" "); ok {
			return v, true
		}
	}
	return "", false
}

func TestSeriesExistAtZero(t *testing.T) {
	m := New()
	text := scrape(t, m.Handler())
	var series []string
	for _, o := range outcomes {
		for _, c := range replyClasses {
			series = append(series, `sluice_deliveries_total{outcome="`+o+`",reply_class="`+c+`"}`)
		}
	}
	for _, a := range actions {
		series = append(series, `sluice_sieve_actions_total{action="`+a+`"}`)
	}
	for _, r := range vacationReasons {
		series = append(series, `sluice_vacation_suppressed_total{reason="`+r+`"}`)
	}
	for _, r := range redirectResults {
		series = append(series, `sluice_redirects_total{result="`+r+`"}`)
	}
	series = append(series,
		"sluice_sieve_compile_errors_total",
		"sluice_vacation_sent_total",
		"sluice_lmtp_sessions_open",
		"sluice_delivery_duration_seconds_count",
		`sluice_delivery_duration_seconds_bucket{le="0.001"}`,
		`sluice_delivery_duration_seconds_bucket{le="30"}`,
	)
	for _, s := range series {
		if v, ok := sample(text, s); !ok || v != "0" {
			t.Errorf("%s = %q (present %v), want 0", s, v, ok)
		}
	}
	for _, family := range []string{"go_goroutines", "process_start_time_seconds"} {
		if !strings.Contains(text, "\n"+family+" ") {
			t.Errorf("exposition lacks %s", family)
		}
	}
}

func TestRecordAndScrape(t *testing.T) {
	m := New()
	m.Delivery(OutcomeStored, Reply2xx)
	m.Delivery(OutcomeStored, ReplyClass(250))
	m.Delivery(OutcomeDeferred, ReplyClass(451))
	m.Delivery(OutcomeRejected, Reply5xx)
	m.Delivery("exploded", "7xx")
	m.Delivery(OutcomeFailed, "7xx")
	m.Action(ActionFileInto)
	m.Action(ActionFileInto)
	m.Action(ActionImplicitKeep)
	m.Action("setflag")
	m.CompileError()
	m.VacationSuppressed(autoreply.ReasonList.String())
	m.VacationSuppressed("duplicate")
	m.VacationSuppressed("full moon")
	m.VacationSent()
	m.VacationSent()
	m.Redirect(RedirectSent)
	m.Redirect(RedirectDuplicate)
	m.Redirect("lost")
	m.SessionOpened()
	m.SessionOpened()
	m.SessionClosed()
	m.ObserveDelivery(time.Second / 2048) // 0.00048828125s
	m.ObserveDelivery(time.Second / 256)  // 0.00390625s
	m.ObserveDelivery(2 * time.Second)
	m.ObserveDelivery(64 * time.Second) // beyond the last bucket

	text := scrape(t, m.Handler())
	tests := []struct {
		series, want string
	}{
		{`sluice_deliveries_total{outcome="stored",reply_class="2xx"}`, "2"},
		{`sluice_deliveries_total{outcome="deferred",reply_class="4xx"}`, "1"},
		{`sluice_deliveries_total{outcome="rejected",reply_class="5xx"}`, "1"},
		{`sluice_deliveries_total{outcome="other",reply_class="other"}`, "1"},
		{`sluice_deliveries_total{outcome="failed",reply_class="other"}`, "1"},
		{`sluice_deliveries_total{outcome="failed",reply_class="5xx"}`, "0"},
		{`sluice_sieve_actions_total{action="fileinto"}`, "2"},
		{`sluice_sieve_actions_total{action="implicit-keep"}`, "1"},
		{`sluice_sieve_actions_total{action="other"}`, "1"},
		{`sluice_sieve_actions_total{action="keep"}`, "0"},
		{`sluice_sieve_compile_errors_total`, "1"},
		{`sluice_vacation_suppressed_total{reason="list"}`, "1"},
		{`sluice_vacation_suppressed_total{reason="duplicate"}`, "1"},
		{`sluice_vacation_suppressed_total{reason="other"}`, "1"},
		{`sluice_vacation_sent_total`, "2"},
		{`sluice_redirects_total{result="sent"}`, "1"},
		{`sluice_redirects_total{result="duplicate"}`, "1"},
		{`sluice_redirects_total{result="other"}`, "1"},
		{`sluice_lmtp_sessions_open`, "1"},
		{`sluice_delivery_duration_seconds_bucket{le="0.001"}`, "1"},
		{`sluice_delivery_duration_seconds_bucket{le="0.005"}`, "2"},
		{`sluice_delivery_duration_seconds_bucket{le="2.5"}`, "3"},
		{`sluice_delivery_duration_seconds_bucket{le="30"}`, "3"},
		{`sluice_delivery_duration_seconds_bucket{le="+Inf"}`, "4"},
		{`sluice_delivery_duration_seconds_count`, "4"},
	}
	for _, tt := range tests {
		if got, ok := sample(text, tt.series); !ok || got != tt.want {
			t.Errorf("%s = %q (present %v), want %s", tt.series, got, ok, tt.want)
		}
	}
	sum, _ := sample(text, "sluice_delivery_duration_seconds_sum")
	if f, err := strconv.ParseFloat(sum, 64); err != nil || math.Abs(f-66.00439453125) > 1e-6 {
		t.Errorf("duration sum %q (%v), want 66.00439453125", sum, err)
	}
	// No series beyond the declared ones appeared.
	if strings.Contains(text, "exploded") || strings.Contains(text, "setflag") || strings.Contains(text, "full moon") {
		t.Error("an unknown label value made its own series")
	}
}

// TestExpositionFormat compares whole families with the text format
// through testutil, HELP and TYPE lines included.
func TestExpositionFormat(t *testing.T) {
	m := New()
	m.Redirect(RedirectSent)
	m.Redirect(RedirectFailed)
	m.CompileError()
	m.SessionOpened()
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	const want = `
# HELP sluice_redirects_total Redirects, by result.
# TYPE sluice_redirects_total counter
sluice_redirects_total{result="duplicate"} 0
sluice_redirects_total{result="failed"} 1
sluice_redirects_total{result="limit"} 0
sluice_redirects_total{result="loop"} 0
sluice_redirects_total{result="other"} 0
sluice_redirects_total{result="sent"} 1
# HELP sluice_sieve_compile_errors_total Sieve scripts that failed to compile.
# TYPE sluice_sieve_compile_errors_total counter
sluice_sieve_compile_errors_total 1
# HELP sluice_lmtp_sessions_open LMTP sessions currently open.
# TYPE sluice_lmtp_sessions_open gauge
sluice_lmtp_sessions_open 1
`
	err := testutil.ScrapeAndCompare(srv.URL+"/metrics", strings.NewReader(want),
		"sluice_redirects_total", "sluice_sieve_compile_errors_total", "sluice_lmtp_sessions_open")
	if err != nil {
		t.Error(err)
	}
}

func TestMetricNamesLint(t *testing.T) {
	m := New()
	names := []string{
		"sluice_deliveries_total", "sluice_sieve_actions_total", "sluice_sieve_compile_errors_total",
		"sluice_vacation_suppressed_total", "sluice_vacation_sent_total", "sluice_redirects_total",
		"sluice_delivery_duration_seconds", "sluice_lmtp_sessions_open",
	}
	problems, err := testutil.GatherAndLint(m.Registry(), names...)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("%s: %s", p.Metric, p.Text)
	}
	if n, err := testutil.GatherAndCount(m.Registry(), names...); err != nil || n == 0 {
		t.Errorf("GatherAndCount: %d, %v", n, err)
	}
}

// TestVacationReasonsMatchAutoreply keeps the pre-declared reason label
// values in step with the reasons the autoreply package reports.
func TestVacationReasonsMatchAutoreply(t *testing.T) {
	for _, r := range autoreply.Reasons() {
		if !slices.Contains(vacationReasons, r.String()) {
			t.Errorf("reason %q is not a pre-declared label value", r)
		}
	}
}

func TestReplyClass(t *testing.T) {
	tests := []struct {
		code int
		want string
	}{
		{250, Reply2xx}, {200, Reply2xx}, {299, Reply2xx},
		{421, Reply4xx}, {451, Reply4xx}, {452, Reply4xx},
		{550, Reply5xx}, {554, Reply5xx},
		{354, Other}, {0, Other}, {-250, Other}, {999, Other},
	}
	for _, tt := range tests {
		if got := ReplyClass(tt.code); got != tt.want {
			t.Errorf("ReplyClass(%d) = %q, want %q", tt.code, got, tt.want)
		}
	}
}

// TestNilMetrics: a nil *Metrics records nothing and does not panic.
func TestNilMetrics(t *testing.T) {
	var m *Metrics
	m.Delivery(OutcomeStored, Reply2xx)
	m.Action(ActionKeep)
	m.CompileError()
	m.VacationSuppressed("list")
	m.VacationSent()
	m.Redirect(RedirectSent)
	m.ObserveDelivery(time.Millisecond)
	m.SessionOpened()
	m.SessionClosed()
	if m.Registry() != nil {
		t.Error("Registry of nil Metrics is not nil")
	}
	if text := scrape(t, m.Handler()); strings.Contains(text, "sluice_") {
		t.Errorf("nil Metrics exposes series:\n%s", text)
	}
	if code, body := get(t, m.Handler(), "/healthz"); code != http.StatusOK || body != "ok\n" {
		t.Errorf("healthz on nil Metrics: %d %q", code, body)
	}
}

func TestRecordingDoesNotAllocate(t *testing.T) {
	m := New()
	allocs := testing.AllocsPerRun(100, func() {
		m.Delivery(OutcomeStored, Reply2xx)
		m.Delivery("unknown", "unknown")
		m.Action(ActionRedirect)
		m.Action("unknown")
		m.VacationSuppressed("list")
		m.Redirect(RedirectSent)
		m.ObserveDelivery(3 * time.Millisecond)
		m.SessionOpened()
		m.SessionClosed()
	})
	if allocs != 0 {
		t.Errorf("recording allocates %v times per run, want 0", allocs)
	}
}

func TestConcurrentRecording(t *testing.T) {
	m := New()
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			for range 20 {
				m.Delivery(OutcomeStored, Reply2xx)
				m.SessionOpened()
				m.SessionClosed()
			}
		})
	}
	wg.Wait()
	text := scrape(t, m.Handler())
	if v, _ := sample(text, `sluice_deliveries_total{outcome="stored",reply_class="2xx"}`); v != "1000" {
		t.Errorf("stored/2xx = %s, want 1000", v)
	}
	if v, _ := sample(text, "sluice_lmtp_sessions_open"); v != "0" {
		t.Errorf("sessions open = %s, want 0", v)
	}
}
