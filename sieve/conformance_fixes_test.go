package sieve

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// These tests pin the places where sluice's compiler was changed to report
// errors as Pigeonhole does: one error per bad command or argument, every
// syntax error of a script rather than the first, and Pigeonhole's lexical
// and variable limits.

// compileErrs compiles src and returns its errors (nil when it compiles).
func compileErrs(t *testing.T, src string, opts Options) *CompileErrors {
	t.Helper()
	_, err := Compile(context.Background(), "test", []byte(src), opts)
	if err == nil {
		return nil
	}
	var ce *CompileErrors
	if !errors.As(err, &ce) {
		t.Fatalf("error %v is not a *CompileErrors", err)
	}
	return ce
}

func TestPigeonholeErrorGranularity(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string // one substring per expected error, in order
	}{
		{"unknown tag ends the check", `if header :frop "a" "b" { keep; }`,
			[]string{"1:11: unknown tagged argument ':frop' for the header test (reported only once at first occurrence)"}},
		{"unknown tag reported once", "keep :frop;\nkeep :frop;", []string{"1:6: unknown tagged argument ':frop'"}},
		{"unknown command reported once", "frop;\nfrop;", []string{"1:1: unknown command 'frop'"}},
		{"tag after the positional arguments", `if size 34M :over { keep; }`,
			[]string{"unexpected tagged argument ':over' after the positional arguments of the size test"}},
		{"tag value missing", `if address :comparator :all "from" "x" { keep; }`,
			[]string{"the :comparator tag of the address test requires a string argument, but a tag was found"}},
		{"arguments and tests both checked", `stop "x" true;`,
			[]string{"the stop command requires 0 positional argument(s), but 1 is specified", "the stop command accepts no sub-tests"}},
		{"no block error after an argument error", `stop "x" { keep; }`,
			[]string{"the stop command requires 0 positional argument(s)"}},
		{"orphan elsif chain is one error", "elsif true { keep; }\nelsif true { keep; }\nelse { keep; }",
			[]string{"1:1: the elsif command must follow an if or elsif command"}},
		{"misplaced require loads nothing", "keep;\nrequire \"frop\";", []string{"2:1: require commands can only be placed at top level"}},
		{"missing semicolon", "require \"fileinto\";\nfileinto \"x\"\nkeep;", []string{"missing semicolon ';' after fileinto command"}},
		{"missing colon", `if address matches "from" "x" { keep; }`,
			[]string{"the address test requires 2 positional argument(s), but 0 are specified", "missing colon ':' before ':matches' tag in address test"}},
		{"address test on a non-address header", `if address "x-foo" "a" { keep; }`,
			[]string{"specified header 'x-foo' is not allowed for the address test"}},
		{"address test on an allowed header", `if address "X-Original-To" "a" { keep; }`, nil},
		{"variable name built from variables", "require \"variables\";\nset \"${a}\" \"b\";", []string{"invalid variable name '${a}'"}},
		{"variable name too long", "require \"variables\";\nset \"" + strings.Repeat("v", 65) + "\" \"b\";", []string{"longer than 64 characters"}},
		{"match variable out of range", "require \"variables\";\nset \"a\" \"${33}\";", []string{"match value index 33 out of range (max: 32)"}},
		{"match variable in range", "require \"variables\";\nset \"a\" \"${32}\";", nil},
		{"a list of one is not a string", `redirect ["a@example.com"];`,
			[]string{"the redirect command expects a string as argument 1, but a string list was found"}},
		{"argument named in the error", `if header 1 "a" { keep; }`,
			[]string{"the header test expects a string list as argument 1 (header names), but a number was found"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ce := compileErrs(t, tt.src, Options{})
			if tt.want == nil {
				if ce != nil {
					t.Fatalf("compile failed: %v", ce)
				}
				return
			}
			if ce == nil {
				t.Fatal("compiled, want errors")
			}
			if ce.parse {
				t.Errorf("errors marked as parse errors: %v", ce)
			}
			if len(ce.Errors) != len(tt.want) {
				t.Fatalf("got %d errors (%v), want %d", len(ce.Errors), ce, len(tt.want))
			}
			for i, w := range tt.want {
				if !strings.Contains(ce.Errors[i].Error(), w) {
					t.Errorf("error %d = %q, want it to contain %q", i, ce.Errors[i].Error(), w)
				}
			}
		})
	}
}

func TestTooManyVariablesReportedOnce(t *testing.T) {
	var b strings.Builder
	b.WriteString("require \"variables\";\n")
	for i := range 260 {
		fmt.Fprintf(&b, "set \"v%d\" \"x\";\n", i)
	}
	ce := compileErrs(t, b.String(), Options{})
	if ce == nil || len(ce.Errors) != 1 {
		t.Fatalf("got %v, want one error", ce)
	}
	if e := ce.Errors[0]; e.Line != 257 || !strings.Contains(e.Message, "exceeds the limit (max variables: 255)") {
		t.Errorf("error = %v, want the 256th variable (line 257) refused", e)
	}
}

func TestSyntaxErrorRecovery(t *testing.T) {
	tests := []struct {
		name  string
		src   string
		lines []int // line of each expected error
		want  string
	}{
		{"missing semicolons", "if true {\n\tif true {\n\t\tkeep\n\t}\n}\nif true {\n\tkeep,\n\tkeep\n}\nkeep;\n", []int{3, 7}, ""},
		{"spurious commas", "if anyof(true,true,) { keep; }\nif true {\n if anyof(true,) { }\n}\n", []int{1, 3}, "spurious comma before ')'"},
		{"unexpected characters are two errors", "frop $$$;\nkeep;\nfriep @;\n", []int{1, 1, 3, 3}, "unexpected character(s) starting with '$'"},
		{"number too large", "if size :under 18446744073709551616 { stop; }\nif size :over 17179869184G { stop; }\n", []int{1, 2}, "number exceeds integer limits (max 18446744073709551615)"},
		{"identifier too long", "if " + strings.Repeat("a", 33) + " { stop; }\nif header :" + strings.Repeat("b", 33) + " \"a\" \"b\" { stop; }\n", []int{1, 2}, "encountered impossibly long identifier"},
		{"nesting is one error", strings.Repeat("if true {\n", 40) + "stop;\n" + strings.Repeat("}\n", 40) + "keep\n", []int{33, 82}, "cannot nest command blocks deeper than 32 levels"},
		{"too many arguments", "frop " + strings.Repeat(`"a" `, 33) + ";\n", []int{1}, "too many arguments for command 'frop'"},
		{"unterminated string ends the scan", "keep\nkeep;\nfileinto \"abc;\n", []int{3}, "unterminated quoted string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ce := compileErrs(t, tt.src, Options{})
			if ce == nil {
				t.Fatal("compiled, want syntax errors")
			}
			if !ce.parse {
				t.Errorf("errors not marked as parse errors: %v", ce)
			}
			var got []int
			for _, e := range ce.Errors {
				got = append(got, e.Line)
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.lines) {
				t.Errorf("error lines = %v, want %v (%v)", got, tt.lines, ce)
			}
			if tt.want != "" && !strings.Contains(ce.Error(), tt.want) {
				t.Errorf("errors %v, want one containing %q", ce, tt.want)
			}
		})
	}
}

func TestLargeNumbersCompile(t *testing.T) {
	for _, src := range []string{
		"if size :under 18446744073709551615 { stop; }",
		"if size :over 9223372036854775808 { stop; }",
		"if size :over 17179869183G { stop; }",
		"if size :over 800G { stop; }",
	} {
		if ce := compileErrs(t, src, Options{}); ce != nil {
			t.Errorf("%s: %v", src, ce)
		}
	}
}

func TestEncodeURLTruncation(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"%40%40%40", 8, "%40%40"},
		{"a%40%40", 7, "a%40%40"},
		{"a%40%40", 6, "a%40"},
		{"%E4%B8%83%E4%B8%83", 17, "%E4%B8%83"}, // never half a character
		{"%E4%B8%83x", 9, "%E4%B8%83"},
		{"%E4%B8%83", 8, ""},
	}
	for _, tt := range tests {
		if got := truncateEncoded(tt.in, tt.n); got != tt.want {
			t.Errorf("truncateEncoded(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
	src := "require [\"variables\", \"enotify\"];\nset :encodeurl \"b\" \"@@@@@@@@@@\";\nset :length \"n\" \"${b}\";\nif string \"${n}\" \"9\" { keep; } else { discard; }\n"
	s, err := Compile(context.Background(), "t", []byte(src), Options{Limits: Limits{VariableSize: 10}})
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.Run(context.Background(), &Input{Message: mustParse("Subject: x\r\n\r\nx\r\n")})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range res.Actions {
		if a.Kind() == "discard" {
			t.Errorf("result %v: want keep (the encoded value cut to 9 bytes)", res)
		}
	}
}

// FuzzParseAll checks syntax error recovery on any input: it ends, every
// error has a position, and a script it accepts is one the parser accepts
// in one pass.
func FuzzParseAll(f *testing.F) {
	for _, s := range []string{
		"keep\nkeep;",
		"if true { keep, keep }",
		"if anyof(true,) { }",
		"frop $$$; friep @@;",
		"if size :over 99999999999999999999K { stop; }",
		"if true { if true { keep } } else { stop }",
		"text:\nfrop\n.\n;",
		"\"unterminated",
		"/* open",
		"}}}}",
		"{{{{",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		cmds, errs := parseAll("fuzz", []byte(src), Limits{}.withDefaults())
		if errs == nil {
			out, lexErrs, fatal := prelexAll(src)
			if len(lexErrs) > 0 || fatal {
				t.Fatalf("accepted with lexical errors %v", lexErrs)
			}
			if _, perr := parseOnce("fuzz", out, Limits{}.withDefaults()); perr != nil {
				t.Fatalf("accepted, but one pass fails: %v", perr.CompileError)
			}
			_ = cmds
			return
		}
		if len(errs) > maxSyntaxErrors+2 {
			t.Fatalf("%d errors", len(errs))
		}
		for _, e := range errs {
			if e.Line < 1 || e.Column < 1 {
				t.Fatalf("error without a position: %v", e)
			}
		}
	})
}

// countdownCtx is a context that is done after its Err was asked n times,
// to test where a run heeds its context without relying on the clock.
type countdownCtx struct {
	context.Context
	n int
}

func (c *countdownCtx) Err() error {
	if c.n <= 0 {
		return context.Canceled
	}
	c.n--
	return nil
}

func TestRegexHeedsContext(t *testing.T) {
	src := "require [\"regex\", \"variables\"];\nset \"x\" \"abc\";\n" +
		strings.Repeat("if string :regex \"${x}\" \"^(a|ab)(c|bcd)$\" { discard; }\n", 10)
	s, err := Compile(context.Background(), "t", []byte(src), Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := &countdownCtx{Context: context.Background(), n: 5}
	_, err = s.Run(ctx, &Input{Message: mustParse("Subject: x\r\n\r\nx\r\n")})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v, want the run stopped by its context", err)
	}
}

func TestInvalidRuntimeRegexWarns(t *testing.T) {
	src := "require [\"regex\", \"variables\"];\nset \"re\" \"[\";\nif header :regex \"subject\" \"${re}\" { discard; }\n"
	s, err := Compile(context.Background(), "t", []byte(src), Options{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.Run(context.Background(), &Input{Message: mustParse("Subject: x\r\n\r\nx\r\n")})
	if err != nil {
		t.Fatal(err)
	}
	if !res.ImplicitKeep {
		t.Errorf("result %v: the invalid expression must match nothing", res)
	}
	if len(res.Warnings) != 1 || res.Warnings[0].Line != 3 || !strings.Contains(res.Warnings[0].Message, "invalid regular expression '['") {
		t.Errorf("warnings = %v, want one at line 3 about '['", res.Warnings)
	}
}

// TestParserMessages: syntax errors from the underlying parser are
// reworded for script authors, with their position.
func TestParserMessages(t *testing.T) {
	for _, tt := range []struct{ src, want string }{
		{"if true {\n  keep\n}\n", "2:3: missing ';' before '}'"},
		{"if header :is [\"a\" \"b\"] \"c\" { keep; }\n", "1:20: missing ',' between strings in a list"},
		{"if header : \"a\" \"b\" { keep; }\n", "1:13: expected a tag name after ':'"},
		// A stray '}' used to end the script silently.
		{"keep;\n}\ndiscard;\n", "2:1: unexpected '}' that closes no block"},
	} {
		_, err := Compile(context.Background(), "s", []byte(tt.src), Options{})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Compile(%q) = %v, want an error containing %q", tt.src, err, tt.want)
		}
	}
}
