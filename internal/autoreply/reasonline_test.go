package autoreply

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestReasonLine(t *testing.T) {
	tests := []struct{ in, want string }{
		{"I don't want your mail", "I don't want your mail"},
		{"  two\r\nlines\n\tand a tab ", "two lines and a tab"},
		{"bell\a and nul\x00 and esc\x1b[31m", "bell and nul and esc [31m"},
		{"bad utf-8 \xff\xfe here", "bad utf-8 here"},
		{"Ich bin weg — zurück am Montag", "Ich bin weg — zurück am Montag"},
		{"\u2028line separator\u00a0nbsp", "line separator nbsp"},
		{"", ""},
		{strings.Repeat("ab ", 100), strings.TrimSpace(strings.Repeat("ab ", 66)) + "..."},
	}
	for _, tc := range tests {
		got := ReasonLine(tc.in)
		if got != tc.want {
			t.Errorf("ReasonLine(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if n := utf8.RuneCountInString(got); n > 200 {
			t.Errorf("ReasonLine(%q) has %d characters", tc.in, n)
		}
	}
	long := strings.Repeat("é", 500)
	if got := ReasonLine(long); utf8.RuneCountInString(got) != 200 || !utf8.ValidString(got) {
		t.Errorf("long non-ASCII reason: %d characters", utf8.RuneCountInString(got))
	}
}
