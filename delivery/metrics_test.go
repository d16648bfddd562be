package delivery

import (
	"bufio"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sluice-mail/sluice/internal/metrics"
	"github.com/sluice-mail/sluice/internal/smtpsink"
)

// scrape fetches /metrics from h and returns every sample by its series
// as written ("name{label="value",...}").
func scrape(t *testing.T, h http.Handler) map[string]float64 {
	t.Helper()
	srv := httptest.NewServer(h)
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %s", resp.Status)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			t.Fatalf("bad exposition line %q", line)
		}
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("bad value in %q: %v", line, err)
		}
		out[line[:i]] = v
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestServerMetrics(t *testing.T) {
	m := metrics.New()
	// Forwarding fails for now: a redirect defers its recipient.
	sink := smtpsink.Start(t, smtpsink.Refuse(smtpsink.StageData, 451))
	e := newSieveEnvSink(t, sink, func(o *SieveOptions) { o.Metrics = m })
	e.ts = startServer(t, "tcp", ServerOptions{Metrics: m}, e.res, e.agent)

	e.script("bob", `require "reject"; reject "not wanted";`)
	e.script("carol", `redirect "elsewhere@example.net";`)
	e.script("dave", `discard;`)
	e.script("erin", `require "fileinto"; fileinto "Unterminated`)
	e.script("frank", `require ["fileinto", "mailbox"]; fileinto :create "Box";`)

	rcpts := []string{"alice@example.org", "bob@example.org", "carol@example.org", "dave@example.org", "erin@example.org", "frank@example.org"}
	replies := e.send("sender@example.net", rcpts, testMail("metrics@example.net"))
	for i, want := range []string{"250 ", "550 ", "451 ", "250 ", "250 ", "250 "} {
		if !strings.HasPrefix(replies[i], want) {
			t.Fatalf("reply for %s: %q, want %q...", rcpts[i], replies[i], want)
		}
	}

	// A session still open counts; the one above has ended, or soon will.
	open := e.ts.lhlo(t)
	waitGauge(t, m, 1)
	open.send("QUIT")
	open.expect("221 ")
	waitGauge(t, m, 0)

	got := scrape(t, m.Handler())
	want := map[string]float64{
		`sluice_deliveries_total{outcome="stored",reply_class="2xx"}`:    3,
		`sluice_deliveries_total{outcome="rejected",reply_class="5xx"}`:  1,
		`sluice_deliveries_total{outcome="deferred",reply_class="4xx"}`:  1,
		`sluice_deliveries_total{outcome="discarded",reply_class="2xx"}`: 1,
		`sluice_deliveries_total{outcome="failed",reply_class="5xx"}`:    0,
		`sluice_delivery_duration_seconds_count`:                         6,
		`sluice_sieve_actions_total{action="implicit-keep"}`:             2, // alice (no script), erin (compile error)
		`sluice_sieve_actions_total{action="fileinto"}`:                  1,
		`sluice_sieve_actions_total{action="reject"}`:                    1,
		`sluice_sieve_actions_total{action="discard"}`:                   1,
		`sluice_sieve_actions_total{action="redirect"}`:                  0, // not sent
		`sluice_sieve_compile_errors_total`:                              1,
		`sluice_redirects_total{result="failed"}`:                        1,
		`sluice_redirects_total{result="sent"}`:                          0,
		`sluice_lmtp_sessions_open`:                                      0,
	}
	for series, v := range want {
		if g, ok := got[series]; !ok || g != v {
			t.Errorf("%s = %v (present %v), want %v", series, g, ok, v)
		}
	}
}

// waitGauge waits until sluice_lmtp_sessions_open is n: a session ends
// on the server after the client saw the reply to QUIT.
func waitGauge(t *testing.T, m *metrics.Metrics, n float64) {
	t.Helper()
	const series = "sluice_lmtp_sessions_open"
	for range 500 {
		if scrape(t, m.Handler())[series] == n {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("%s never reached %v", series, n)
}

func TestMetricsHealthz(t *testing.T) {
	srv := httptest.NewServer(metrics.New().Handler())
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || strings.TrimSpace(string(b)) != "ok" {
		t.Errorf("GET /healthz: %s %q", resp.Status, b)
	}
}

func TestOutcomeLabel(t *testing.T) {
	tests := []struct {
		name string
		out  Outcome
		err  error
		want string
	}{
		{"stored", Outcome{Stored: []Stored{{Mailbox: "INBOX"}}}, nil, metrics.OutcomeStored},
		{"discarded", Outcome{Discarded: true}, nil, metrics.OutcomeDiscarded},
		{"forwarded only", Outcome{}, nil, metrics.Other},
		{"rejected", Outcome{}, &RejectError{Reason: "no"}, metrics.OutcomeRejected},
		{"temporary", Outcome{}, &TempError{Reason: "later"}, metrics.OutcomeDeferred},
		{"unknown error is temporary", Outcome{}, io.ErrUnexpectedEOF, metrics.OutcomeDeferred},
		{"over quota", Outcome{}, &QuotaError{}, metrics.OutcomeFailed},
	}
	var p ReplyPolicy
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rep := savedReply("x")
			if tc.err != nil {
				rep = p.Reply(tc.err)
			}
			if got := outcomeLabel(tc.out, tc.err, rep); got != tc.want {
				t.Errorf("outcomeLabel = %q, want %q (reply %d)", got, tc.want, rep.Code)
			}
		})
	}
}
