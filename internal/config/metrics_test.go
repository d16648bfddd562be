package config

import (
	"errors"
	"strings"
	"testing"
)

func TestParseMetrics(t *testing.T) {
	const sys = "[users]\nsource = \"system\"\n"
	tests := []struct {
		name    string
		file    string
		listen  string
		wantErr string // "" for none; else a substring of the error
	}{
		{name: "default off", file: sys, listen: ""},
		{name: "loopback", file: sys + "[metrics]\nlisten = \"127.0.0.1:9154\"\n", listen: "127.0.0.1:9154"},
		{name: "ipv6 any port", file: sys + "[metrics]\nlisten = \"[::1]:0\"\n", listen: "[::1]:0"},
		{name: "all interfaces", file: sys + "[metrics]\nlisten = \":9154\"\n", listen: ":9154"},
		{name: "explicitly off", file: sys + "[metrics]\nlisten = \"\"\n", listen: ""},
		{name: "no port", file: sys + "[metrics]\nlisten = \"127.0.0.1\"\n", wantErr: "s.toml:4: metrics.listen: \"127.0.0.1\": want host:port"},
		{name: "bad port", file: sys + "[metrics]\nlisten = \"127.0.0.1:99999\"\n", wantErr: "metrics.listen: \"127.0.0.1:99999\": \"99999\" is not a port number"},
		{name: "named port", file: sys + "[metrics]\nlisten = \"localhost:http\"\n", wantErr: "is not a port number"},
		{name: "wrong type", file: sys + "[metrics]\nlisten = 9154\n", wantErr: "metrics.listen"},
		{name: "unknown key", file: sys + "[metrics]\npath = \"/m\"\n", wantErr: "metrics.path: unknown key"},
		{name: "not a table", file: sys + "metrics = 1\n", wantErr: "metrics"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse("s.toml", []byte(tc.file))
			if tc.wantErr != "" {
				var es Errors
				if err == nil || !errors.As(err, &es) || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want an Errors containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Metrics.Listen != tc.listen {
				t.Errorf("metrics.listen = %q, want %q", c.Metrics.Listen, tc.listen)
			}
		})
	}
}
