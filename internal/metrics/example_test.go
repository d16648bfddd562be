package metrics_test

import (
	"fmt"
	"io"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/sluice-mail/sluice/internal/metrics"
)

// The delivery side records each recipient's outcome; Prometheus scrapes
// /metrics.
func Example() {
	m := metrics.New()

	m.SessionOpened()
	m.Action(metrics.ActionFileInto)
	m.Delivery(metrics.OutcomeStored, metrics.ReplyClass(250))
	m.ObserveDelivery(12 * time.Millisecond)
	m.SessionClosed()

	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	for line := range strings.Lines(string(body)) {
		if strings.HasPrefix(line, `sluice_deliveries_total{outcome="stored"`) ||
			strings.HasPrefix(line, `sluice_sieve_actions_total{action="fileinto"}`) ||
			strings.HasPrefix(line, "sluice_delivery_duration_seconds_count") {
			fmt.Print(line)
		}
	}
	// Output:
	// sluice_deliveries_total{outcome="stored",reply_class="2xx"} 1
	// sluice_deliveries_total{outcome="stored",reply_class="4xx"} 0
	// sluice_deliveries_total{outcome="stored",reply_class="5xx"} 0
	// sluice_deliveries_total{outcome="stored",reply_class="other"} 0
	// sluice_delivery_duration_seconds_count 1
	// sluice_sieve_actions_total{action="fileinto"} 1
}

// A nil *Metrics stands in when metrics are turned off.
func Example_disabled() {
	var m *metrics.Metrics // metrics not configured
	m.Delivery(metrics.OutcomeDeferred, metrics.Reply4xx)
	fmt.Println("recorded nothing, no panic")
	// Output:
	// recorded nothing, no panic
}
