package metrics

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// get sends a request for path to h and returns the status and body.
func get(t *testing.T, h http.Handler, path string) (int, string) {
	t.Helper()
	return do(t, h, http.MethodGet, path)
}

func do(t *testing.T, h http.Handler, method, path string) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
	return rec.Code, rec.Body.String()
}

func TestHandlerRoutes(t *testing.T) {
	h := New().Handler()
	tests := []struct {
		method, path string
		code         int
		body         string // substring
	}{
		{http.MethodGet, "/healthz", http.StatusOK, "ok\n"},
		{http.MethodHead, "/healthz", http.StatusOK, ""},
		{http.MethodPost, "/healthz", http.StatusMethodNotAllowed, ""},
		{http.MethodGet, "/metrics", http.StatusOK, "# TYPE sluice_deliveries_total counter"},
		{http.MethodPost, "/metrics", http.StatusMethodNotAllowed, ""},
		{http.MethodGet, "/", http.StatusNotFound, ""},
		{http.MethodGet, "/debug/pprof/", http.StatusNotFound, ""},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			code, body := do(t, h, tt.method, tt.path)
			if code != tt.code {
				t.Errorf("status %d, want %d", code, tt.code)
			}
			if !strings.Contains(body, tt.body) {
				t.Errorf("body lacks %q:\n%.300s", tt.body, body)
			}
		})
	}
}

// waitServe waits for a Serve call's result; the generous bound only
// catches a server that never stops.
func waitServe(t *testing.T, errc <-chan error) error {
	t.Helper()
	select {
	case err := <-errc:
		return err
	case <-time.After(30 * time.Second):
		t.Fatal("Serve did not return after its context was cancelled")
		return nil
	}
}

func TestServeStopsOnCancel(t *testing.T) {
	m := New()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- m.serve(ctx, ln) }()

	url := "http://" + ln.Addr().String()
	resp, err := http.Get(url + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(body) != "ok\n" {
		t.Fatalf("healthz: %s %q", resp.Status, body)
	}
	m.SessionOpened()
	resp, err = http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if v, _ := sample(string(body), "sluice_lmtp_sessions_open"); v != "1" {
		t.Errorf("sessions open over HTTP = %q, want 1", v)
	}

	cancel()
	if err := waitServe(t, errc); err != nil {
		t.Errorf("Serve after cancel: %v, want nil", err)
	}
	if c, err := net.Dial("tcp", ln.Addr().String()); err == nil {
		c.Close()
		t.Error("listener still accepts connections after shutdown")
	}
}

// TestServeAddr runs Serve with a context cancelled before and while it
// runs; both end in a clean shutdown.
func TestServeAddr(t *testing.T) {
	tests := []struct {
		name      string
		m         *Metrics
		preCancel bool
	}{
		{"cancelled while serving", New(), false},
		{"cancelled before", New(), true},
		{"nil metrics", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(t.Context())
			if tt.preCancel {
				cancel()
			}
			errc := make(chan error, 1)
			go func() { errc <- tt.m.Serve(ctx, "127.0.0.1:0") }()
			cancel()
			if err := waitServe(t, errc); err != nil {
				t.Errorf("Serve after cancel: %v, want nil", err)
			}
		})
	}
}

func TestServeListenError(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	// The port is taken.
	err = New().Serve(t.Context(), ln.Addr().String())
	var opErr *net.OpError
	if !errors.As(err, &opErr) {
		t.Errorf("Serve on a busy port: %v, want a *net.OpError", err)
	}
}

func TestServeListenerFailure(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln.Close() // Serve's Accept fails at once
	errc := make(chan error, 1)
	go func() { errc <- New().serve(t.Context(), ln) }()
	if err := waitServe(t, errc); err == nil {
		t.Error("serve on a closed listener returned nil")
	}
}
