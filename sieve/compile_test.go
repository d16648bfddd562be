package sieve

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestCompileErrors(t *testing.T) {
	tests := []struct {
		name string
		src  string
		// want lists "line:col: substring" for each expected error.
		want []string
	}{
		{"unknown command", "frobnicate;", []string{"1:1: unknown command 'frobnicate'"}},
		{"unknown test", "if frob { keep; }", []string{"1:4: unknown test 'frob'"}},
		{"missing require", "fileinto \"x\";", []string{"1:1: command 'fileinto' requires the 'fileinto' extension"}},
		{"unknown capability", "require \"frob\";", []string{"1:1: unknown Sieve capability 'frob'"}},
		{"require late", "keep;\nrequire \"fileinto\";", []string{"2:1: require commands can only be placed"}},
		{"elsif without if", "keep;\nelsif true { keep; }", []string{"2:1: the elsif command must follow an if or elsif command"}},
		{"else after else", "if true { keep; } else { keep; } else { keep; }", []string{"1:34: the else command must follow an if or elsif command"}},
		{"unknown tag", "if header :frob \"a\" \"b\" { keep; }", []string{"1:11: unknown tagged argument ':frob'"}},
		{"dup match type", "if header :is :contains \"a\" \"b\" { keep; }", []string{"1:15: multiple match-type arguments"}},
		{"tag needs value", "if header :comparator { keep; }", []string{"1:11: the :comparator tag of the header test requires a string argument, but none was found"}},
		{"arg count", "if header \"a\" { keep; }", []string{"1:4: the header test requires 2 positional argument(s), but 1 is specified"}},
		{"arg type", "redirect 1;", []string{"1:10: the redirect command expects a string as argument 1, but a number was found"}},
		{"numeric contains", "require \"comparator-i;ascii-numeric\";\nif header :contains :comparator \"i;ascii-numeric\" \"a\" \"1\" { keep; }", []string{"2:4: the :contains match type is not supported"}},
		{"count without relational", "if header :count \"eq\" \"a\" \"1\" { keep; }", []string{"1:11: match type :count requires the 'relational' extension"}},
		{"unknown comparator", "if header :comparator \"i;frob\" \"a\" \"b\" { keep; }", []string{"1:23: unknown comparator 'i;frob'"}},
		{"bad redirect", "redirect \"not an address\";", []string{"1:10: specified redirect address"}},
		{"bad variable name", "require \"variables\"; set \"a-b\" \"c\";", []string{"1:26: invalid variable name 'a-b'"}},
		{"size both", "if size :over :under 2 { keep; }", []string{"1:15: tags :over and :under"}},
		{"size none", "if size 2 { keep; }", []string{"1:4: the size test requires exactly one"}},
		{"bad relational op", "require \"relational\"; if header :value \"xx\" \"a\" \"b\" { keep; }", []string{"1:26: invalid relational match operator 'xx'"}},
		{"modifier precedence", "require \"variables\"; set :lower :upper \"a\" \"b\";", []string{"1:22: modifiers"}},
		{"if needs block", "if true;", []string{"1:1: the if command requires a block"}},
		{"several errors", "frob;\nfileinto \"x\";\nif header :is :is \"a\" \"b\" {}", []string{"1:1: unknown command", "2:1: command 'fileinto'", "3:15: multiple match-type"}},
		{"lexer", "if header \"a\" \"b\" { keep; }\n\"unterminated", []string{"2:1: unterminated quoted string"}},
		{"parser", "keep", []string{"1:1: "}},
		{"unknown namespace", "require [\"variables\", \"fileinto\"]; fileinto \"${frob.x}\";", []string{"1:45: variable namespace 'frob' is unknown"}},
		{"trailing comma in test list", "if anyof(true, false,) { keep; }", []string{"1:22: spurious comma before ')'"}},
		{"trailing comma in string list", "if header [\"a\",] \"b\" { keep; }", []string{"1:16: spurious comma before ']'"}},
		{"invalid unicode", "require [\"encoded-character\", \"fileinto\"]; fileinto \"${unicode:D800}\";", []string{"1:53: invalid unicode character"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Compile(context.Background(), "", []byte(tt.src), Options{})
			var ce *CompileErrors
			if !errors.As(err, &ce) {
				t.Fatalf("err = %v, want *CompileErrors", err)
			}
			if len(ce.Errors) != len(tt.want) {
				t.Fatalf("got %d errors (%v), want %d", len(ce.Errors), err, len(tt.want))
			}
			for i, w := range tt.want {
				if got := ce.Errors[i].Error(); !strings.HasPrefix(w, "1:1: ") || w != "1:1: " {
					if !strings.Contains(got, w) {
						t.Errorf("error %d = %q, want it to contain %q", i, got, w)
					}
				}
			}
		})
	}
}

func TestCompileOK(t *testing.T) {
	for _, src := range []string{
		"require [\"comparator-i;octet\", \"comparator-i;ascii-casemap\"];",
		"# comment\n/* c */ keep;",
		"require \"fileinto\"; fileinto text: # note\nINBOX\n.\n;",
		"if anyof(not true, allof(true, false)) { stop; }",
		"require [\"imap4flags\", \"variables\"]; setflag \"v\" \"\\\\Seen\"; if hasflag \"v\" \"\\\\Seen\" { keep; }",
	} {
		if _, err := Compile(context.Background(), "", []byte(src), Options{}); err != nil {
			t.Errorf("Compile(%q) = %v", src, err)
		}
	}
}

func TestCompileExtensionsOption(t *testing.T) {
	_, err := Compile(context.Background(), "", []byte(`require "fileinto";`), Options{Extensions: []string{"envelope"}})
	if err == nil {
		t.Fatal("fileinto allowed although not in Options.Extensions")
	}
	if _, err := Compile(context.Background(), "", []byte(`require "envelope";`), Options{Extensions: []string{"envelope"}}); err != nil {
		t.Fatal(err)
	}
}

func TestCapabilities(t *testing.T) {
	caps := Capabilities()
	for _, want := range []string{"copy", "encoded-character", "envelope", "fileinto", "imap4flags", "reject", "relational", "subaddress", "variables"} {
		found := false
		for _, c := range caps {
			found = found || c == want
		}
		if !found {
			t.Errorf("Capabilities() lacks %q: %v", want, caps)
		}
	}
}

func TestTestOnlyExtensionsHidden(t *testing.T) {
	if _, err := Compile(context.Background(), "", []byte(`require "vnd.dovecot.testsuite";`), Options{}); err == nil {
		t.Fatal("a real script could require the test suite extension")
	}
	for _, c := range Capabilities() {
		if c == "vnd.dovecot.testsuite" {
			t.Fatal("Capabilities lists a test-only extension")
		}
	}
}

func TestPrelexMultiline(t *testing.T) {
	tests := []struct{ src, want string }{
		{"text:\n.\n", ""},
		{"text: # c\r\nab\r\n..x\r\n.y\r\n.\r\n", "ab\r\n.x\r\n.y\r\n"},
		{"TEXT:\n\"q\\\n.\n", "\"q\\\r\n"},
	}
	for _, tt := range tests {
		quoted := strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(tt.want)
		src := "require \"variables\"; set \"v\" " + tt.src + "; if string :is \"${v}\" \"" + quoted + "\" { discard; }"
		res := runScript(t, src, testMsg)
		if len(res.Actions) != 1 {
			t.Errorf("%q: multi-line string differs from %q", tt.src, tt.want)
		}
	}
}
