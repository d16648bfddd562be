package sieve

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// compileExt compiles src with default options.
func compileExt(t *testing.T, src string) *Script {
	t.Helper()
	s, err := Compile(context.Background(), "test", []byte(src), Options{})
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	return s
}

func TestRegex(t *testing.T) {
	r := func(rest string) string { return `require ["regex", "variables", "fileinto"]; ` + rest }
	runExtCases(t, testMsg, Input{}, []extCase{
		{"header", r(`if header :regex "subject" "^Gr.*list$" { discard; }`), extYes},
		{"unanchored", r(`if header :regex "subject" "from" { discard; }`), extYes},
		{"casemap default", r(`if header :regex "subject" "FROM THE" { discard; }`), extYes},
		{"octet exact", r(`if header :regex :comparator "i;octet" "subject" "FROM THE" { discard; }`), extNo},
		{"address", r(`if address :regex :domain "to" "^example\\.(com|net)$" { discard; }`), extYes},
		{"captures", r(`if address :regex "from" "^([^.]+)\\.([^@]+)@(.*)$" { fileinto "${3}-${2}-${1}-${0}"; }`), "fileinto \"example.org-doe-john-john.doe@example.org\"\n"},
		{"unmatched group empty", r(`if header :regex "x-spam-score" "^(a)?([0-9]+)$" { fileinto "[${1}][${2}]"; }`), "fileinto \"[][7]\"\n"},
		{"longest", r(`if string :regex "xabcabc" "(a|ab)(c|bcabc)" { fileinto "${0}"; }`), "fileinto \"abcabc\"\n"},
		{"values kept on failure", r(`if string :regex "ab" "(a)" {} if string :regex "zz" "(q)" {} fileinto "${1}";`), "fileinto \"a\"\n"},
		{"variable key", r(`set "re" "^x-(s.*)$"; if string :regex "x-spam" "${re}" { fileinto "${1}"; }`), "fileinto \"spam\"\n"},
		{"invalid variable key", r(`set "re" "["; if string :regex "[" "${re}" { discard; }`), extNo},
		{"bracket backslash literal", r(`if string :regex "a\\b" "a[\\]b" { discard; }`), extYes},
		{"bracket tab not escape", r(`if string :regex "t" "^[\\t]$" { discard; }`), extYes},
		{"bracket class", r(`if string :regex "A1" "^[[:upper:]][[:digit:]]$" { discard; }`), extYes},
		{"word anchor", r(`if string :regex "the cat" "\\<cat\\>" { discard; }`), extYes},
		{"quoteregex", r(`set :quoteregex "q" "a.b*c"; if string :regex "xa.b*cx" "${q}" { fileinto "${q}"; }`), "fileinto \"a\\\\.b\\\\*c\"\n"},
		{"quoteregex no match", r(`set :quoteregex "q" "a.b"; if string :regex "axb" "${q}" { discard; }`), extNo},
	})
	for _, tt := range []struct{ name, src, want string }{
		{"numeric comparator", `require ["regex", "comparator-i;ascii-numeric"]; if header :regex :comparator "i;ascii-numeric" "a" "1" { keep; }`, "1:53: the :regex match type is not supported"},
		{"bad repetition", `require "regex"; if header :regex "from" "a(+b)" { keep; }`, "1:42: invalid :regex key 'a(+b)'"},
		{"open bracket", `require "regex"; if header :regex "from" ["ok", "x[]y"] { keep; }`, "missing closing ]"},
		{"backreference", `require "regex"; if header :regex "from" "(a)\\1" { keep; }`, "back-references"},
		{"no require", `if header :regex "from" "a" { keep; }`, "requires the 'regex' extension"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Compile(context.Background(), "", []byte(tt.src), Options{})
			var ce *CompileErrors
			if !errors.As(err, &ce) || len(ce.Errors) != 1 || !strings.Contains(ce.Errors[0].Error(), tt.want) {
				t.Errorf("err = %v, want one error containing %q", err, tt.want)
			}
		})
	}
}

func TestPosixToRE2(t *testing.T) {
	for _, tt := range []struct{ in, want, err string }{
		{`a[\]]b`, `a[\\]]b`, ""},
		{`[]a]`, `[]a]`, ""},
		{`[^]a]`, `[^]a]`, ""},
		{`[[:alpha:]\]`, `[[:alpha:]\\]`, ""},
		{`\<w\>`, `\bw\b`, ""},
		{"\\`a\\'", `\Aa\z`, ""},
		{`a\`, "", "trailing backslash"},
		{`[abc`, "", "missing closing ]"},
		{`[[:alpha]`, "", "missing closing ]"},
		{`(x)\2`, "", "back-references"},
	} {
		got, err := posixToRE2(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("posixToRE2(%q) error = %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("posixToRE2(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestRegexCacheBounded(t *testing.T) {
	for i := range regexCacheSize * 2 {
		if _, err := runtimeRegexKey(strings.Repeat("a", i%50) + string(rune('a'+i%26)) + strings.Repeat("b", i)); err != nil {
			t.Fatal(err)
		}
	}
	regexCache.Lock()
	n := len(regexCache.m)
	regexCache.Unlock()
	if n > regexCacheSize {
		t.Errorf("cache holds %d entries, max %d", n, regexCacheSize)
	}
}
