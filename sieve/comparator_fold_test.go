package sieve

import (
	"strings"
	"testing"
)

// foldCases are inputs where an octet-wise ASCII fold can go wrong: the
// octets next to the letter ranges, non-ASCII letters that must not fold,
// invalid UTF-8, overlapping prefixes and lengths around the key's.
var foldCases = []struct{ s, sub string }{
	{"", ""},
	{"", "a"},
	{"a", ""},
	{"abc", "abc"},
	{"ABC", "abc"},
	{"abc", "ABC"},
	{"xAbCx", "aBc"},
	{"ab", "abc"},
	{"aaab", "aab"},
	{"AaAaB", "aab"},
	{"@[`{", "@[`{"},
	{"@", "`"},
	{"[", "{"},
	{"Z", "z"},
	{"z", "Z"},
	{"É", "é"},
	{"é", "É"},
	{"GRÜSSE", "grü"},
	{"Grüße from the list", "FROM THE"},
	{"\u212a", "k"}, // Kelvin sign is not ASCII K
	{"k", "\u212a"},
	{"\xff\xfeA", "\xfea"},
	{"\xc3", "\xc3\xa9"},
	{"\xc3\xa9", "\xc3"},
	{"a\x00b", "A\x00B"},
	{"a\x00b", "a\x00c"},
	{"Re: [ticket-7 1234] printer on fire", "TICKET-7"},
	{"Re: [ticket-7 1234] printer on fire", "fire!"},
	{strings.Repeat("a", 300) + "b", strings.Repeat("A", 30) + "B"},
	{strings.Repeat("a", 300), strings.Repeat("A", 30) + "B"},
}

func TestContainsFoldASCII(t *testing.T) {
	for _, tt := range foldCases {
		for _, c := range [][2]string{{tt.s, tt.sub}, {tt.sub, tt.s}} {
			want := strings.Contains(asciiLower(c[0]), asciiLower(c[1]))
			if got := containsFoldASCII(c[0], c[1]); got != want {
				t.Errorf("containsFoldASCII(%q, %q) = %v, want %v", c[0], c[1], got, want)
			}
		}
	}
}

func TestCompareFoldASCII(t *testing.T) {
	for _, tt := range foldCases {
		for _, c := range [][2]string{{tt.s, tt.sub}, {tt.sub, tt.s}, {tt.s, tt.s}} {
			want := strings.Compare(asciiLower(c[0]), asciiLower(c[1]))
			if got := compareFoldASCII(c[0], c[1]); got != want {
				t.Errorf("compareFoldASCII(%q, %q) = %d, want %d", c[0], c[1], got, want)
			}
		}
	}
}

// TestContainsASCIICasemapLongValue checks the :contains path for values
// too long to search in place gives the same answers.
func TestContainsASCIICasemapLongValue(t *testing.T) {
	long := strings.Repeat("x", shortValue) + "Needle"
	m := &matchSpec{typ: mtContains, cmp: cmpASCIICasemap}
	e := &exec{s: &Script{limits: Limits{}.withDefaults()}}
	tests := []struct {
		value, key string
		want       bool
	}{
		{long, "NEEDLE", true},
		{long, "needles", false},
		{long[:shortValue], "xX", true},
		{long[:shortValue] + "É", "é", false},
	}
	for _, tt := range tests {
		if got := mtContains.match(e, m, []string{tt.value}, []string{tt.key}); got != tt.want {
			t.Errorf(":contains %q in a value of %d octets = %v, want %v", tt.key, len(tt.value), got, tt.want)
		}
	}
}

// FuzzFoldASCII compares the in-place i;ascii-casemap helpers with the
// straightforward lower-then-compare on any bytes.
func FuzzFoldASCII(f *testing.F) {
	for _, tt := range foldCases {
		f.Add(tt.s, tt.sub)
	}
	f.Fuzz(func(t *testing.T, s, sub string) {
		if got, want := containsFoldASCII(s, sub), strings.Contains(asciiLower(s), asciiLower(sub)); got != want {
			t.Errorf("containsFoldASCII(%q, %q) = %v, want %v", s, sub, got, want)
		}
		if got, want := compareFoldASCII(s, sub), strings.Compare(asciiLower(s), asciiLower(sub)); got != want {
			t.Errorf("compareFoldASCII(%q, %q) = %d, want %d", s, sub, got, want)
		}
	})
}
