package config

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Size units: B, and KB MB GB TB in powers of 1000 (SI), KiB MiB GiB TiB in
// powers of 1024 (IEC 80000-13). Units are case-insensitive.
var sizeUnits = map[string]int64{
	"":    1,
	"b":   1,
	"kb":  1000,
	"mb":  1000 * 1000,
	"gb":  1000 * 1000 * 1000,
	"tb":  1000 * 1000 * 1000 * 1000,
	"kib": 1 << 10,
	"mib": 1 << 20,
	"gib": 1 << 30,
	"tib": 1 << 40,
}

// ParseSize parses a byte size: "50MB", "1 GiB", "512", "0".
func ParseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	i := strings.IndexFunc(t, func(r rune) bool { return r < '0' || r > '9' })
	if i < 0 {
		i = len(t)
	}
	num, unit := t[:i], strings.TrimSpace(t[i:])
	if num == "" {
		return 0, errors.New("not a size (want e.g. \"50MB\")")
	}
	mult, ok := sizeUnits[strings.ToLower(unit)]
	if !ok {
		return 0, errors.New("unknown unit")
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n > math.MaxInt64/mult {
		return 0, errors.New("too large")
	}
	return n * mult, nil
}

// sizeValue accepts a string with a unit or an integer number of bytes.
func sizeValue(v any) (int64, error) {
	switch v := v.(type) {
	case int64:
		if v < 0 {
			return 0, fmt.Errorf("%d: negative size", v)
		}
		return v, nil
	case string:
		n, err := ParseSize(v)
		if err != nil {
			return 0, fmt.Errorf("%q: %w", v, err)
		}
		return n, nil
	}
	return 0, wantType("a size like \"50MB\"", v)
}

// durationValue accepts a Go duration string: "30s", "5m", "1h30m".
func durationValue(v any) (time.Duration, error) {
	s, ok := v.(string)
	if !ok {
		return 0, wantType("a duration like \"5m\"", v)
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q: not a duration (want e.g. \"30s\", \"5m\")", s)
	}
	if d < 0 {
		return 0, fmt.Errorf("%q: negative duration", s)
	}
	return d, nil
}

// listenerValue parses one lmtp.listen entry: "unix:PATH", "tcp:HOST:PORT"
// or a table {path|address, mode, owner, group}.
func listenerValue(v any) (Listener, error) {
	switch v := v.(type) {
	case string:
		return ParseListener(v)
	case map[string]any:
		return listenerTable(v)
	}
	return Listener{}, wantType("a string like \"unix:PATH\" or \"tcp:HOST:PORT\", or a table", v)
}

// ParseListener parses "unix:PATH" or "tcp:HOST:PORT".
func ParseListener(s string) (Listener, error) {
	network, addr, ok := strings.Cut(s, ":")
	if !ok {
		return Listener{}, fmt.Errorf("%q: want \"unix:PATH\" or \"tcp:HOST:PORT\"", s)
	}
	switch network {
	case "unix":
		if addr == "" {
			return Listener{}, fmt.Errorf("%q: empty socket path", s)
		}
	case "tcp":
		_, port, err := net.SplitHostPort(addr)
		if err != nil {
			return Listener{}, fmt.Errorf("%q: want tcp:HOST:PORT", s)
		}
		if n, err := strconv.ParseUint(port, 10, 16); err != nil || port[0] == '+' {
			return Listener{}, fmt.Errorf("%q: invalid port %q", s, port)
		} else if n == 0 {
			return Listener{}, fmt.Errorf("%q: port 0", s)
		}
	default:
		return Listener{}, fmt.Errorf("%q: unknown network %q (want unix or tcp)", s, network)
	}
	return Listener{Network: network, Address: addr}, nil
}

func listenerTable(t map[string]any) (Listener, error) {
	var l Listener
	path, hasPath := t["path"]
	addr, hasAddr := t["address"]
	switch {
	case hasPath && hasAddr:
		return l, errors.New("give either path or address, not both")
	case hasPath:
		s, ok := path.(string)
		if !ok {
			return l, fmt.Errorf("path: %w", wantType("a string", path))
		}
		if s == "" {
			return l, errors.New("path: empty socket path")
		}
		l = Listener{Network: "unix", Address: s}
	case hasAddr:
		s, ok := addr.(string)
		if !ok {
			return l, fmt.Errorf("address: %w", wantType("a string", addr))
		}
		var err error
		if l, err = ParseListener(s); err != nil {
			return l, fmt.Errorf("address: %w", err)
		}
	default:
		return l, errors.New("a listener table needs path (a unix socket) or address")
	}
	for _, k := range slices.Sorted(maps.Keys(t)) {
		v := t[k]
		switch k {
		case "path", "address":
		case "mode", "owner", "group":
			if l.Network != "unix" {
				return l, fmt.Errorf("%s: only for unix sockets", k)
			}
			s, ok := v.(string)
			if !ok {
				return l, fmt.Errorf("%s: %w", k, wantType("a string", v))
			}
			switch k {
			case "mode":
				m, err := strconv.ParseUint(s, 8, 32)
				if err != nil || m > 0o777 {
					return l, fmt.Errorf("mode: %q: want octal permissions like \"0660\"", s)
				}
				l.Mode = os.FileMode(m)
			case "owner":
				l.Owner = s
			case "group":
				l.Group = s
			}
		default:
			return l, fmt.Errorf("%s: unknown key", k)
		}
	}
	return l, nil
}

// wantType describes a value of the wrong TOML type.
func wantType(want string, got any) error {
	return fmt.Errorf("want %s, got %s", want, describe(got))
}

func describe(v any) string {
	switch v := v.(type) {
	case string:
		return fmt.Sprintf("string %q", v)
	case int64:
		return fmt.Sprintf("integer %d", v)
	case float64:
		return fmt.Sprintf("float %v", v)
	case bool:
		return fmt.Sprintf("boolean %v", v)
	case []any, []map[string]any:
		return "an array"
	case map[string]any:
		return "a table"
	case nil:
		return "nothing"
	}
	return fmt.Sprintf("a %T", v) // dates and times
}

// isPrintable reports whether s holds no control characters.
func isPrintable(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return unicode.IsControl(r) }) < 0
}
