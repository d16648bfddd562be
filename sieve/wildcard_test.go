package sieve

import (
	"context"
	"slices"
	"strings"
	"testing"
)

// refWildcardMatch is the straightforward :matches matcher the compiled
// pattern must agree with: it parses the pattern on every call and works
// on the text as runes. It returns every match value (no limit) and ok.
func refWildcardMatch(pattern, text string, fold func(rune) rune, step func() bool) ([]string, bool) {
	type tok struct {
		kind byte
		r    rune
	}
	var pat []tok
	esc := false
	for _, r := range pattern {
		switch {
		case esc:
			pat = append(pat, tok{'l', r})
			esc = false
		case r == '\\':
			esc = true
		case r == '*' || r == '?':
			pat = append(pat, tok{kind: byte(r)})
		default:
			pat = append(pat, tok{'l', r})
		}
	}
	txt := []rune(text)
	pos := make([]int, len(pat))
	p, t := 0, 0
	starP, starT := -1, 0
	for t < len(txt) || p < len(pat) {
		if p < len(pat) {
			switch tk := pat[p]; tk.kind {
			case '*':
				pos[p] = t
				starP, starT = p, t
				p++
				continue
			case '?':
				if t < len(txt) {
					pos[p] = t
					p++
					t++
					continue
				}
			default:
				if t < len(txt) && fold(txt[t]) == fold(tk.r) {
					pos[p] = t
					p++
					t++
					continue
				}
			}
		}
		if starP >= 0 && starT < len(txt) {
			step()
			starT++
			p, t = starP+1, starT
			continue
		}
		return nil, false
	}
	caps := []string{text}
	for i, tk := range pat {
		switch tk.kind {
		case '?':
			caps = append(caps, string(txt[pos[i]]))
		case '*':
			end := len(txt)
			if i+1 < len(pat) {
				end = pos[i+1]
			}
			caps = append(caps, string(txt[pos[i]:end]))
		}
	}
	return caps, true
}

// wildcardComparators are the comparators :matches accepts.
var wildcardComparators = []*comparator{cmpOctet, cmpASCIICasemap, cmpUnicodeCasemap}

// compareWithReference matches text against key with the compiled pattern
// and with refWildcardMatch, and reports any difference in the result, the
// match values (in full and cut to a limit) or the number of steps.
func compareWithReference(t *testing.T, key, text string, cmp *comparator) {
	t.Helper()
	refSteps := 0
	wantCaps, wantOK := refWildcardMatch(key, text, cmp.foldRune, func() bool { refSteps++; return true })

	steps := 0
	p := compilePattern(key, cmp.foldRune)
	var buf [4]int // small, so that long patterns take the allocating path
	at := p.positions(buf[:])
	ok := p.match(text, func() bool { steps++; return true }, at)
	if ok != wantOK || steps != refSteps {
		t.Fatalf("%s: %q :matches %q = %v in %d steps, want %v in %d steps", cmp.name, text, key, ok, steps, wantOK, refSteps)
	}
	if !ok {
		return
	}
	if caps := p.appendCaptures(nil, text, at, len(wantCaps)+1); !slices.Equal(caps, wantCaps) {
		t.Fatalf("%s: %q :matches %q captures %q, want %q", cmp.name, text, key, caps, wantCaps)
	}
	// The limit cuts the list like setMatch does (RFC 5229 §3.2), and the
	// values are appended after what dst holds.
	for _, max := range []int{1, 2, 3} {
		want := wantCaps[:min(max, len(wantCaps))]
		caps := p.appendCaptures([]string{"old"}, text, at, max)
		if caps[0] != "old" || !slices.Equal(caps[1:], want) {
			t.Fatalf("%s: %q :matches %q captures %q with max %d, want old then %q", cmp.name, text, key, caps, max, want)
		}
	}
}

// wildcardCases are tricky pattern/text pairs, each tried with every
// comparator; they are also the fuzz seeds.
var wildcardCases = []struct{ key, text string }{
	{"", ""},
	{"", "a"},
	{"*", ""},
	{"?", ""},
	{"*", "anything at all"},
	{"a*b", "aXXb"},
	{"a*b", "aXXbc"},
	{"*<*.lists.example.org>", "Foo List <foo.lists.example.org>"},
	{"*<*.lists.example.org>", "<a.b.lists.EXAMPLE.org>"},
	{"[alert] *", "[ALERT] disk full"},
	{"*[ticket-7*]*", "Re: [ticket-7 1234] printer on fire"},
	{"*<*@*>", `"Doe, John" <john.doe@example.org>`},
	// Consecutive and mixed wildcards, each with its own capture.
	{"**", "abc"},
	{"***", ""},
	{"*?*", "abc"},
	{"?*?", "ab"},
	{"?*?", "a"},
	{"*?", "xyz"},
	{"??", "abc"},
	{"*a*a*a*b", "aaaaaaaaaaaaaaaaaaac"},
	{"*a*a*a*b", "aaaaaaaaaaaaaaaaaaab"},
	{"*x*", "xxxx"},
	// Escapes: "\" makes the next character literal, a trailing one
	// is dropped.
	{`\*`, "*"},
	{`\*`, "a"},
	{`\?`, "?"},
	{`\?`, "b"},
	{`\\`, `\`},
	{`a\`, "a"},
	{`\a\b`, "ab"},
	{`*\**`, "a*b"},
	{`*\\*`, `a\b`},
	// Case: ASCII, then characters i;ascii-casemap leaves alone but
	// i;unicode-casemap folds.
	{"HELLO*", "hello world"},
	{"é*", "ÉCOLE"},
	{"Gr??e*", "Grüße from the list"},
	{"*ß", "STRASSE"},
	{"*ß", "GROẞ"},
	{"k", "\u212a"}, // KELVIN SIGN
	{"ſ", "S"},      // LATIN SMALL LETTER LONG S
	{"σ", "ς"},
	{"?", "é"},
	{"?", "😀"},
	{"*?*", "日本語"},
	{"日*語", "日本語"},
	// Invalid UTF-8: each bad byte is one character U+FFFD, in the
	// pattern as in the text, and captured as U+FFFD.
	{"?", "\xff"},
	{"??", "\xe2\x82"},
	{"?", "\xe2\x82"},
	{"*", "a\xffb"},
	{"a?b", "a\xffb"},
	{"a*b", "a\xc0\xafb"},
	{"\xff", "\xfe"},
	{"\xff", "\uFFFD"},
	{"\uFFFD", "\x80"},
	{"*\xff*", "x\xc0y"},
	{"?", "\xed\xa0\x80"},
	{"???", "\xed\xa0\x80"},
	{`\` + "\xff", "\xff"},
	{"*", "\xf0\x9f\x98"},
	// Longer than the position buffers.
	{strings.Repeat("?", 70) + "*", strings.Repeat("x", 80)},
	{strings.Repeat("*a", 40), strings.Repeat("a", 45)},
}

func TestPatternMatchesReference(t *testing.T) {
	for _, tc := range wildcardCases {
		for _, cmp := range wildcardComparators {
			compareWithReference(t, tc.key, tc.text, cmp)
		}
	}
}

func FuzzPatternMatchesReference(f *testing.F) {
	for _, tc := range wildcardCases {
		for i := range wildcardComparators {
			f.Add(tc.key, tc.text, uint8(i))
		}
	}
	f.Fuzz(func(t *testing.T, key, text string, cmp uint8) {
		// Bound the backtracking: it is quadratic in the worst case.
		if len(key) > 64 || len(text) > 256 {
			return
		}
		compareWithReference(t, key, text, wildcardComparators[int(cmp)%len(wildcardComparators)])
	})
}

func TestPatternMatchAllocs(t *testing.T) {
	p := compilePattern("*<*.lists.example.org>", cmpASCIICasemap.foldRune)
	text := "Foo List <foo.lists.example.org>"
	var buf [64]int
	var dst []string
	allocs := testing.AllocsPerRun(100, func() {
		at := p.positions(buf[:])
		if !p.match(text, func() bool { return true }, at) {
			t.Fatal("no match")
		}
		dst = p.appendCaptures(dst[:0], text, at, 32)
	})
	if allocs != 0 {
		t.Errorf("match and captures into a reused slice: %v allocations, want 0", allocs)
	}
	if want := []string{text, "Foo List ", "foo"}; !slices.Equal(dst, want) {
		t.Errorf("captures %q, want %q", dst, want)
	}
}

// TestMatchesKeys checks that constant :matches keys are compiled with the
// script, for the test's comparator, and that keys built from variables
// are compiled when the test runs.
func TestMatchesKeys(t *testing.T) {
	src := `require ["variables", "fileinto", "comparator-i;unicode-casemap"];
if header :matches :comparator "i;unicode-casemap" "subject" ["nope*", "GRÜSSE*"] { fileinto "const"; }
set "pat" "*<*@*>";
if header :matches "from" "${pat}" { fileinto "${3}.${2}"; }
if header :matches "subject" ["x", "${pat}"] { fileinto "never"; }
`
	s, err := Compile(context.Background(), "keys", []byte(src), Options{})
	if err != nil {
		t.Fatal(err)
	}
	m := s.prog[0].tests[0].match
	for _, key := range []string{"nope*", "GRÜSSE*"} {
		p, ok := m.keyData[key].(*pattern)
		if !ok {
			t.Fatalf("key %q not compiled with the script: %#v", key, m.keyData)
		}
		if p.toks[len(p.toks)-2].r != cmpUnicodeCasemap.foldRune('E') {
			t.Errorf("key %q compiled without the comparator's fold", key)
		}
	}
	if got := s.prog[2].tests[0].match.keyData; len(got) != 0 {
		t.Errorf("variable key compiled with the script: %v", got)
	}
	if got := s.prog[3].tests[0].match.keyData; len(got) != 1 || got["x"] == nil {
		t.Errorf("mixed keys: compiled %v, want only \"x\"", got)
	}
	got := runScript(t, src, "From: \"Doe, John\" <john.doe@example.org>\r\nSubject: grüsse\r\n\r\n").String()
	if want := "fileinto \"const\"\nfileinto \"example.org.john.doe\"\n"; got != want {
		t.Errorf("result:\n%s\nwant:\n%s", got, want)
	}
}
