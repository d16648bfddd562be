package dovecotconf

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

// errValue is wrapped by the errors of values that cannot be converted.
var errValue = errors.New("cannot convert")

// boolValue reads Dovecot's yes/no.
func boolValue(v string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "yes", "true", "y", "1":
		return true, nil
	case "no", "false", "n", "0", "":
		return false, nil
	}
	return false, fmt.Errorf("%q: want yes or no: %w", v, errValue)
}

// splitNumber splits "10 M" or "10M" into 10 and "m".
func splitNumber(v string) (int64, string, error) {
	v = strings.TrimSpace(v)
	i := strings.IndexFunc(v, func(r rune) bool { return !unicode.IsDigit(r) })
	if i < 0 {
		i = len(v)
	}
	n, err := strconv.ParseInt(v[:i], 10, 64)
	if err != nil {
		return 0, "", fmt.Errorf("%q: not a number: %w", v, errValue)
	}
	return n, strings.ToLower(strings.TrimSpace(v[i:])), nil
}

// sizeValue turns a Dovecot size ("1M", "512 k", "2G", "100"; powers of
// 1024) into the sluice form ("1MiB"; a bare number is bytes).
func sizeValue(v string) (string, error) {
	n, unit, err := splitNumber(v)
	if err != nil {
		return "", err
	}
	switch strings.TrimSuffix(unit, "b") {
	case "":
		return strconv.FormatInt(n, 10), nil
	case "k":
		return fmt.Sprintf("%dKiB", n), nil
	case "m":
		return fmt.Sprintf("%dMiB", n), nil
	case "g":
		return fmt.Sprintf("%dGiB", n), nil
	case "t":
		return fmt.Sprintf("%dTiB", n), nil
	}
	return "", fmt.Errorf("%q: unknown size unit: %w", v, errValue)
}

// durationValue turns a Dovecot time ("1d", "12 hours", "30 secs", "2w";
// a bare number is seconds) into a Go duration string ("24h").
func durationValue(v string) (string, error) {
	n, unit, err := splitNumber(v)
	if err != nil {
		return "", err
	}
	var secs int64
	switch {
	case unit == "" || strings.HasPrefix(unit, "s"):
		secs = n
	case unit == "ms" || strings.HasPrefix(unit, "msec") || strings.HasPrefix(unit, "milli"):
		return fmt.Sprintf("%dms", n), nil
	case strings.HasPrefix(unit, "m"): // m, min, mins, minute(s)
		secs = n * 60
	case strings.HasPrefix(unit, "h"):
		secs = n * 3600
	case strings.HasPrefix(unit, "d"):
		secs = n * 86400
	case strings.HasPrefix(unit, "w"):
		secs = n * 7 * 86400
	default:
		return "", fmt.Errorf("%q: unknown time unit: %w", v, errValue)
	}
	switch {
	case secs%3600 == 0:
		return fmt.Sprintf("%dh", secs/3600), nil
	case secs%60 == 0:
		return fmt.Sprintf("%dm", secs/60), nil
	}
	return fmt.Sprintf("%ds", secs), nil
}

// tomlString quotes s as a TOML basic string.
func tomlString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\u%04X`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// tomlList renders a TOML array of strings.
func tomlList(items []string) string {
	q := make([]string, len(items))
	for i, s := range items {
		q[i] = tomlString(s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}
