package sieve

import (
	"strings"
	"testing"
	"time"
)

// SpamTestConfig lets the conformance harness feed Pigeonhole's
// sieve_spamtest_* and sieve_virustest_* settings (test_config_set) to the
// spamtest and virustest tests.
func (s *suite) SpamTestConfig(test string) *SpamTestConfig {
	cfg, err := ParseSpamTestSettings("sieve_"+test, func(k string) string { return s.config[k] })
	if err != nil {
		return nil
	}
	return cfg
}

var _ SpamScores = (*suite)(nil)

// spamSettings is a SpamScores made of Pigeonhole-style settings.
type spamSettings map[string]string

func (spamSettings) Now() time.Time { return time.Unix(0, 0) }
func (s spamSettings) SpamTestConfig(test string) *SpamTestConfig {
	cfg, err := ParseSpamTestSettings("sieve_"+test, func(k string) string { return s[k] })
	if err != nil {
		panic(err)
	}
	return cfg
}

func TestSpamValue(t *testing.T) {
	score := spamSettings{
		"sieve_spamtest_status_header": `X-Spam: [a-zA-Z]+, score=(-?[0-9]+.[0-9]+)`,
		"sieve_spamtest_max_header":    `X-Spam: [a-zA-Z]+, score=-?[0-9]+.[0-9]+ required=(-?[0-9]+.[0-9]+)`,
		"sieve_spamtest_status_type":   "score",
	}
	strlen := spamSettings{
		"sieve_spamtest_status_header": "X-Spam-Level",
		"sieve_spamtest_status_type":   "strlen",
		"sieve_spamtest_max_value":     "8",
	}
	text := spamSettings{
		"sieve_virustest_status_header": `X-Virus:Found to be (.+)\.`,
		"sieve_virustest_status_type":   "text",
		"sieve_virustest_text_value1":   "clean",
		"sieve_virustest_text_value5":   "infected",
	}
	plus := spamSettings{
		"sieve_spamtest_status_header": "X-Spam-Score",
		"sieve_spamtest_max_value":     "1",
	}
	tests := []struct {
		name   string
		svc    Services
		header string
		test   string
		want   string
	}{
		{"not configured", nil, "X-Spam: Yes, score=9.0 required=5.0", "spamtest", "0"},
		{"no header", score, "X-Other: 1", "spamtest", "0"},
		{"pattern mismatch", score, "X-Spam: ???", "spamtest", "0"},
		{"subzero", score, "X-Spam: No, score=-1.6 required=5.0", "spamtest", "1"},
		{"low", score, "X-Spam: No, score=1.0 required=5.0", "spamtest", "2"},
		{"high", score, "X-Spam: No, score=4.0 required=5.0", "spamtest", "8"},
		{"max", score, "X-Spam: Yes, score=5.0 required=5.0", "spamtest", "10"},
		{"past max", score, "X-Spam: Yes, score=7.6 required=5.0", "spamtest", "10"},
		{"strlen empty", strlen, "X-Spam-Level: ", "spamtest", "1"},
		{"strlen 7", strlen, "X-Spam-Level: sssssss", "spamtest", "8"},
		{"strlen past", strlen, "X-Spam-Level: ssssssssssssss", "spamtest", "10"},
		{"virus clean", text, "X-Virus: Found to be clean.", "virustest", "1"},
		{"virus infected", text, "X-Virus: Found to be infected.", "virustest", "5"},
		{"virus unknown text", text, "X-Virus: Found to be harmless.", "virustest", "0"},
		{"percent .00", plus, "X-Spam-Score: .00", "spamtest :percent", "0"},
		{"percent .29", plus, "X-Spam-Score: .29", "spamtest :percent", "29"},
		{"percent 1.01", plus, "X-Spam-Score: 1.01", "spamtest :percent", "100"},
		{"not a number", plus, "X-Spam-Score: high", "spamtest :percent", "0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg := "From: a@example.org\r\n" + tt.header + "\r\n\r\nx\r\n"
			src := `require ["spamtestplus", "virustest", "variables", "fileinto"]; if ` + tt.test + ` :matches "*" { fileinto "${0}"; }`
			res, err := ext4Run(t, src, msg, tt.svc)
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Actions) != 1 {
				t.Fatalf("result: %s", res)
			}
			if got := res.Actions[0].(*FileInto).Mailbox; got != tt.want {
				t.Errorf("value = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestSpamtestRelational(t *testing.T) {
	svc := spamSettings{"sieve_spamtest_status_header": "X-Spam-Score", "sieve_spamtest_max_value": "10"}
	src := `require ["spamtest", "relational", "comparator-i;ascii-numeric"];
if spamtest :value "ge" :comparator "i;ascii-numeric" "8" { discard; }`
	res, err := ext4Run(t, src, "X-Spam-Score: 9.5\r\n\r\n", svc)
	if err != nil {
		t.Fatal(err)
	}
	if res.ImplicitKeep {
		t.Errorf("spamtest 9.5/10 not >= 8: %s", res)
	}
}

func TestSpamtestErrors(t *testing.T) {
	for src, want := range map[string]string{
		`require "spamtest"; if spamtest 3 {}`:                                      "expects a string",
		`require "virustest"; if virustest 3 {}`:                                    "expects a string",
		`require "spamtest"; if spamtest :percent "3" {}`:                           "only accepts the :percent argument when the spamtestplus",
		`require "virustest"; if spamtest "3" {}`:                                   "requires the 'spamtest' extension",
		`if virustest "3" {}`:                                                       "requires the 'virustest' extension",
		`require "spamtest"; if spamtest :matches :comparator "i;ascii-casemap" {}`: "requires 1 positional",
	} {
		if got := ext4CompileErr(t, src); !strings.Contains(got, want) {
			t.Errorf("%s: error = %q, want %q", src, got, want)
		}
	}
}

func TestParseSpamTestSettings(t *testing.T) {
	for _, bad := range []map[string]string{
		{"p_status_header": "Bad Name"},
		{"p_status_header": "X:(", "p_status_type": "score"},
		{"p_status_header": "X", "p_status_type": "colour"},
		{"p_status_header": "X", "p_max_value": "-1"},
	} {
		if _, err := ParseSpamTestSettings("p", func(k string) string { return bad[k] }); err == nil {
			t.Errorf("%v: no error", bad)
		}
	}
	cfg, err := ParseSpamTestSettings("p", func(string) string { return "" })
	if cfg != nil || err != nil {
		t.Errorf("unset: %v, %v", cfg, err)
	}
}
