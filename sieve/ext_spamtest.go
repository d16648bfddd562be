package sieve

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
)

// SpamScores is an optional add-on to Services for the spamtest,
// spamtestplus and virustest extensions (RFC 5235): it says where the
// scanners leave their verdicts. test is "spamtest" or "virustest"; nil
// means not configured, and the test then sees "0" (not tested).
type SpamScores interface {
	SpamTestConfig(test string) *SpamTestConfig
}

// SpamTestConfig describes one scanner's verdict header, like Pigeonhole's
// sieve_spamtest_* and sieve_virustest_* settings.
type SpamTestConfig struct {
	// Header is the header field holding the verdict; Pattern, when set,
	// extracts it (its first group, else the whole match).
	Header  string
	Pattern *regexp.Regexp
	// Type is SpamScore, SpamStrlen or SpamText.
	Type SpamStatusType
	// MaxHeader/MaxPattern give the score meaning "certainly spam" from
	// the message; otherwise MaxValue does (score and strlen types).
	MaxHeader  string
	MaxPattern *regexp.Regexp
	MaxValue   float64
	// Text maps verdict texts to values (text type): index i is the
	// text meaning i, 0..10 for spamtest and 0..5 for virustest.
	Text []string
}

// SpamStatusType says how a verdict is read.
type SpamStatusType int

const (
	SpamScore  SpamStatusType = iota // a decimal number, scaled by the max
	SpamStrlen                       // the length of the value ("*****")
	SpamText                         // one of the configured texts
)

// ParseSpamTestSettings builds a SpamTestConfig from Pigeonhole-style
// settings: <prefix>_status_header ("Name" or "Name:regexp"),
// <prefix>_status_type (score, strlen, text), <prefix>_max_header,
// <prefix>_max_value and <prefix>_text_value<N>. prefix is
// "sieve_spamtest" or "sieve_virustest". It returns nil, nil when no status
// header is set.
func ParseSpamTestSettings(prefix string, get func(key string) string) (*SpamTestConfig, error) {
	hdr := get(prefix + "_status_header")
	if hdr == "" {
		return nil, nil
	}
	cfg := &SpamTestConfig{}
	var err error
	if cfg.Header, cfg.Pattern, err = parseSpamHeader(hdr); err != nil {
		return nil, fmt.Errorf("%s_status_header: %w", prefix, err)
	}
	switch t := get(prefix + "_status_type"); t {
	case "", "score":
		cfg.Type = SpamScore
	case "strlen":
		cfg.Type = SpamStrlen
	case "text":
		cfg.Type = SpamText
	default:
		return nil, fmt.Errorf("%s_status_type: unknown type %q", prefix, t)
	}
	if mh := get(prefix + "_max_header"); mh != "" {
		if cfg.MaxHeader, cfg.MaxPattern, err = parseSpamHeader(mh); err != nil {
			return nil, fmt.Errorf("%s_max_header: %w", prefix, err)
		}
	} else if mv := get(prefix + "_max_value"); mv != "" {
		if cfg.MaxValue, err = strconv.ParseFloat(mv, 64); err != nil || cfg.MaxValue <= 0 {
			return nil, fmt.Errorf("%s_max_value: invalid value %q", prefix, mv)
		}
	}
	for i := 0; i <= 10; i++ {
		if v := get(prefix + "_text_value" + strconv.Itoa(i)); v != "" {
			for len(cfg.Text) <= i {
				cfg.Text = append(cfg.Text, "")
			}
			cfg.Text[i] = v
		}
	}
	return cfg, nil
}

func parseSpamHeader(s string) (string, *regexp.Regexp, error) {
	name, pat, ok := strings.Cut(s, ":")
	name = strings.TrimSpace(name)
	if !validHeaderName(name) {
		return "", nil, fmt.Errorf("invalid header name %q", name)
	}
	pat = strings.TrimLeft(pat, " \t")
	if !ok || pat == "" {
		return name, nil, nil
	}
	re, err := regexp.Compile(pat)
	if err != nil {
		return "", nil, err
	}
	return name, re, nil
}

// The spamtest test belongs to extSpamtestTest, which has no capability of
// its own: "spamtest" and "spamtestplus" both enable it (spamtestplus
// adds :percent, RFC 5235 §3.2).
var (
	extSpamtest     = &extension{name: "spamtest"}
	extSpamtestplus = &extension{name: "spamtestplus"}
	extSpamtestTest = &extension{
		tests: []*commandSpec{{
			name:       "spamtest",
			positional: []argKind{argString},
			tags:       []tagSpec{{name: "percent"}},
			groups:     []string{groupComparator, groupMatchType},
			check:      checkSpamtest,
			eval:       evalSpamtest("spamtest"),
		}},
	}
	extVirustest = &extension{
		name: "virustest",
		tests: []*commandSpec{{
			name:       "virustest",
			positional: []argKind{argString},
			groups:     []string{groupComparator, groupMatchType},
			eval:       evalSpamtest("virustest"),
		}},
	}
)

func checkSpamtest(c *checker, n *node) {
	if !c.required["spamtest"] && !c.required["spamtestplus"] {
		c.errorf(n.pos, "test 'spamtest' requires the 'spamtest' extension (missing require)")
		return
	}
	if n.has("percent") && !c.required["spamtestplus"] {
		c.errorf(n.pos, "the spamtest test only accepts the :percent argument when the spamtestplus extension is active")
	}
}

// evalSpamtest matches the scanner's verdict, scaled to RFC 5235's range,
// against the key. The comparator defaults to i;ascii-casemap as for every
// test (RFC 5228 §2.7.3); scripts comparing with :value should name
// i;ascii-numeric, as RFC 5235's examples do.
func evalSpamtest(test string) func(e *exec, n *node) (bool, error) {
	return func(e *exec, n *node) (bool, error) {
		var cfg *SpamTestConfig
		if s, ok := e.services().(SpamScores); ok {
			cfg = s.SpamTestConfig(test)
		}
		v := spamValue(e.msg, cfg, test == "virustest", n.has("percent"))
		return e.matchKeys(n, []string{v}, n.args[0]), nil
	}
}

// spamValue computes the test's value: "0" when not tested or not
// understood, else 1..10 for spamtest, 1..5 for virustest, 0..100 with
// :percent (RFC 5235 §§3.1-3.3).
func spamValue(msg Message, cfg *SpamTestConfig, virus, percent bool) string {
	if cfg == nil || cfg.Header == "" {
		return "0"
	}
	raw, ok := spamHeader(msg, cfg.Header, cfg.Pattern)
	if !ok {
		return "0"
	}
	var status, maxv float64
	switch cfg.Type {
	case SpamText:
		maxv = 10
		if virus {
			maxv = 5
		}
		found := false
		for i, t := range cfg.Text {
			if t != "" && strings.EqualFold(strings.TrimSpace(raw), t) {
				status, found = float64(i), true
				break
			}
		}
		if !found {
			return "0"
		}
	default:
		maxv = cfg.MaxValue
		if cfg.MaxHeader != "" {
			mraw, ok := spamHeader(msg, cfg.MaxHeader, cfg.MaxPattern)
			if !ok {
				return "0"
			}
			if maxv, ok = parseDecimal(mraw); !ok {
				return "0"
			}
		}
		if cfg.Type == SpamStrlen {
			status = float64(len(strings.TrimSpace(raw)))
		} else if status, ok = parseDecimal(raw); !ok {
			return "0"
		}
	}
	if maxv <= 0 || math.IsNaN(status) {
		return "0"
	}
	ratio := min(max(status/maxv, 0), 1)
	// The small epsilon keeps 0.29*100 from rounding down to 28.
	switch {
	case percent:
		return strconv.Itoa(int(ratio*100 + 0.001))
	case virus:
		return strconv.Itoa(int(ratio*4 + 1.001))
	}
	return strconv.Itoa(int(ratio*9 + 1.001))
}

// spamHeader reads the first value of a header and applies the pattern.
func spamHeader(msg Message, name string, re *regexp.Regexp) (string, bool) {
	vals := msg.Header(name)
	if len(vals) == 0 {
		return "", false
	}
	v := strings.TrimSpace(decodeHeader(vals[0]))
	if re == nil {
		return v, true
	}
	m := re.FindStringSubmatch(v)
	switch {
	case m == nil:
		return "", false
	case len(m) > 1:
		return m[1], true
	}
	return m[0], true
}

// parseDecimal reads a leading decimal number such as "-1.6" or ".01".
func parseDecimal(s string) (float64, bool) {
	s = strings.TrimSpace(s)
	i := 0
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		i++
	}
	digits := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
		digits++
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			digits++
		}
	}
	if digits == 0 {
		return 0, false
	}
	f, err := strconv.ParseFloat(strings.TrimSuffix(s[:i], "."), 64)
	return f, err == nil
}
