package config

import (
	"net"
	"strconv"
)

// Metrics configures the HTTP endpoint Prometheus scrapes: /metrics (the
// counters of package metrics) and /healthz (liveness).
type Metrics struct {
	// Listen is the TCP host:port to serve on, e.g. "127.0.0.1:9154";
	// "" serves nothing.
	Listen string
}

// metricsSection is the table of Metrics.
const metricsSection = "metrics"

// metricsFields are the keys of [metrics].
var metricsFields = map[string]func(c *Config, v any) error{
	"metrics.listen": str(func(c *Config) *string { return &c.Metrics.Listen }),
}

// validateMetrics checks [metrics].
func (c *Config) validateMetrics(bad func(key, format string, args ...any)) {
	l := c.Metrics.Listen
	if l == "" {
		return
	}
	_, port, err := net.SplitHostPort(l)
	if err != nil {
		bad("metrics.listen", "%q: want host:port", l)
		return
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		bad("metrics.listen", "%q: %q is not a port number", l, port)
	}
}
