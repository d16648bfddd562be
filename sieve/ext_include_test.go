package sieve

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// mapLoader serves included scripts from memory; keys are "name" for
// :personal and "global/name" for :global.
type mapLoader map[string]string

var _ ScriptLoader = mapLoader(nil)

func (m mapLoader) Load(_ context.Context, loc Location, name string) ([]byte, error) {
	key := name
	if loc == LocationGlobal {
		key = "global/" + name
	}
	src, ok := m[key]
	if !ok {
		return nil, fmt.Errorf("script %q: %w", key, fs.ErrNotExist)
	}
	return []byte(src), nil
}

// dirLoader reads included scripts as name+".sieve" from two directories,
// the layout of Pigeonhole's include tests (included/, included-global/).
type dirLoader struct{ personal, global string }

var _ ScriptLoader = dirLoader{}

func (d dirLoader) Load(_ context.Context, loc Location, name string) ([]byte, error) {
	dir := d.personal
	if loc == LocationGlobal {
		dir = d.global
	}
	if strings.ContainsRune(name, '/') {
		return nil, fmt.Errorf("invalid script name %q", name)
	}
	return os.ReadFile(filepath.Join(dir, name+".sieve"))
}

// runWithIncludes compiles src with the loader and runs it on testMsg.
func runWithIncludes(t *testing.T, src string, inc ScriptLoader) (*Result, error) {
	t.Helper()
	s, err := Compile(context.Background(), "main", []byte(src), Options{Includes: inc})
	if err != nil {
		return nil, err
	}
	m, err := ParseMessage(strings.NewReader(testMsg))
	if err != nil {
		t.Fatal(err)
	}
	return s.Run(context.Background(), &Input{Message: m})
}

func TestInclude(t *testing.T) {
	scripts := mapLoader{
		"spam":        `require "fileinto"; if header :contains "subject" "list" { fileinto "Lists"; }`,
		"stopper":     `stop;`,
		"returner":    `require ["fileinto", "include"]; return; fileinto "never";`,
		"once-1":      `require ["include", "variables"]; global "r"; set "r" "${r} ONE";`,
		"once-2":      `require ["include", "variables"]; global "r"; set "r" "${r} TWO"; include :once "once-1";`,
		"twice-1":     `require ["include", "variables"]; global "r"; set "r" "${r} TWO";`,
		"twice-2":     `require ["include", "variables"]; global "r"; set "r" "${r} THREE"; include "twice-1";`,
		"ns":          `require ["include", "variables"]; set "global.a" "personal"; set "local" "x";`,
		"global/ns":   `require ["include", "variables"]; set "global.a" "global";`,
		"rec-a":       `require "include"; include "rec-b";`,
		"rec-b":       `require "include"; include :once "rec-a";`,
		"local":       `require ["include", "variables"]; set "v" "inner"; global "g"; set "g" "${v}";`,
		"matchvars":   `require ["include", "variables", "fileinto"]; fileinto "m${1}";`,
		"badinner":    `frobnicate;`,
		"flagsetter":  `require "imap4flags"; addflag "\\Seen";`,
		"errorscript": `require "ihave"; error "boom";`,
	}
	tests := []struct {
		name, src, want string
	}{
		{"actions", `require "include"; include "spam";`, "fileinto \"Lists\"\n"},
		{"stop ends all", `require ["include", "fileinto"]; include "stopper"; fileinto "after";`, "implicit keep\n"},
		{"return ends included only", `require ["include", "fileinto"]; include "returner"; fileinto "after";`, "fileinto \"after\"\n"},
		{"return in main stops", `require ["include", "fileinto"]; return; fileinto "x";`, "implicit keep\n"},
		{"once", `require ["include", "variables", "fileinto"]; global "r"; include "once-1"; include "once-2"; fileinto "[${r}]";`, "fileinto \"[ ONE TWO]\"\n"},
		{"twice", `require ["include", "variables", "fileinto"]; global "r"; set "r" "ONE"; include "twice-1"; include "twice-2"; fileinto "[${r}]";`, "fileinto \"[ONE TWO THREE TWO]\"\n"},
		{"optional missing", `require ["include", "fileinto"]; include :optional "nothere"; fileinto "ok";`, "fileinto \"ok\"\n"},
		{"personal and global", `require ["include", "variables", "fileinto"]; include :personal "ns"; set "p" "${global.a}"; include :global "ns"; fileinto "${p}-${global.a}-${local}";`, "fileinto \"personal-global-\"\n"},
		{"once cycle", `require "include"; include "rec-a";`, "implicit keep\n"},
		{"locals are local", `require ["include", "variables", "fileinto"]; set "v" "outer"; include "local"; global "g"; fileinto "${v}-${g}";`, "fileinto \"outer-inner\"\n"},
		{"match variables are per script", `require ["include", "variables"]; if header :matches "subject" "G*" { include "matchvars"; }`, "fileinto \"m\"\n"},
		{"flags shared", `require ["include", "imap4flags"]; include "flagsetter";`, "implicit keep flags=\\Seen\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := runWithIncludes(t, tt.src, scripts)
			if err != nil {
				t.Fatal(err)
			}
			if got := res.String(); got != tt.want {
				t.Errorf("result:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

func TestIncludeActionPosition(t *testing.T) {
	res, err := runWithIncludes(t, "require \"include\";\ninclude \"spam\";", mapLoader{
		"spam": "require \"fileinto\";\n\nfileinto \"Lists\";",
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Actions[0].Position(); got.Script != "spam" || got.Line != 3 {
		t.Errorf("position = %v, want spam:3:1", got)
	}
}

func TestIncludeRuntimeError(t *testing.T) {
	_, err := runWithIncludes(t, `require "include"; include "e";`, mapLoader{"e": `require "ihave"; error "boom";`})
	var re *RuntimeError
	if !errors.As(err, &re) || !errors.Is(err, ErrScriptFailed) || re.Pos.Script != "e" {
		t.Fatalf("err = %v, want a runtime error of script e", err)
	}
}

func TestIncludeCompileErrors(t *testing.T) {
	loops := mapLoader{
		"self":  `require "include"; include "self";`,
		"a":     `require "include"; include "b";`,
		"b":     `require "include"; include "a";`,
		"d1":    `require "include"; include "d2";`,
		"d2":    `require "include"; include "d3";`,
		"d3":    `keep;`,
		"bad":   "keep;\nfrobnicate;",
		"x1":    `keep;`,
		"x2":    `keep;`,
		"x3":    `keep;`,
		"brokn": `if true {`,
	}
	tests := []struct {
		name, src string
		limits    Limits
		loader    ScriptLoader
		want      []string
	}{
		{"missing", `require "include"; include "nothere";`, Limits{}, loops, []string{`cannot include "nothere"`}},
		{"slash", `require "include"; include "../x";`, Limits{}, loops, []string{"contains '/'"}},
		{"control char", `require ["include", "encoded-character"]; include "a${unicode:2028}";`, Limits{}, loops, []string{"control character U+2028"}},
		{"variable name", `require ["include", "variables"]; set "n" "a"; include "${n}";`, Limits{}, loops, []string{"must be a constant string"}},
		{"direct loop", `require "include"; include "self";`, Limits{}, loops, []string{`circular include: "self" includes "self" again`, `failed to compile included script "self"`}},
		{"indirect loop", `require "include"; include "a";`, Limits{}, loops, []string{`circular include: "a" → "b" includes "a" again`, `failed to compile included script "b"`, `failed to compile included script "a"`}},
		{"depth", `require "include"; include "d1";`, Limits{IncludeDepth: 2}, loops, []string{"nested too deeply (max 2)", `included script "d2"`, `included script "d1"`}},
		{"count", `require "include"; include "x1"; include "x2"; include "x3";`, Limits{Includes: 2}, loops, []string{"too many included scripts (max 2)"}},
		{"error in included", `require "include"; include "bad";`, Limits{}, loops, []string{"bad:2:1: unknown command 'frobnicate'", `failed to compile included script "bad"`}},
		{"syntax error in included", `require "include"; include "brokn";`, Limits{}, loops, []string{"brokn:", `failed to compile`}},
		{"no loader", `require "include"; include "x";`, Limits{}, nil, []string{"no script loader"}},
		{"global without variables", `require "include"; global "x";`, Limits{}, loops, []string{"requires the 'variables' extension"}},
		{"bad global name", `require ["include", "variables"]; global "a-b";`, Limits{}, loops, []string{"invalid variable name 'a-b'"}},
		{"bad global namespace", `require ["include", "variables"]; set "globl.var" "x"; set "global.env.0" "y"; set "global.12" "z";`, Limits{}, loops, []string{"invalid variable name", "invalid variable name", "invalid variable name"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Compile(context.Background(), "main", []byte(tt.src), Options{Includes: tt.loader, Limits: tt.limits})
			var ce *CompileErrors
			if !errors.As(err, &ce) {
				t.Fatalf("err = %v, want *CompileErrors", err)
			}
			if len(ce.Errors) != len(tt.want) {
				t.Fatalf("got %d errors (%v), want %d", len(ce.Errors), err, len(tt.want))
			}
			for i, w := range tt.want {
				if !strings.Contains(ce.Errors[i].Error(), w) {
					t.Errorf("error %d = %q, want it to contain %q", i, ce.Errors[i], w)
				}
			}
		})
	}
}

// TestIncludePigeonholeLayout runs the include scripts of Pigeonhole's
// test suite, when it is available, through dirLoader.
func TestIncludePigeonholeLayout(t *testing.T) {
	dir := os.Getenv("SLUICE_PIGEONHOLE_DIR")
	if dir == "" {
		t.Skip("SLUICE_PIGEONHOLE_DIR not set")
	}
	base := filepath.Join(dir, "tests/extensions/include")
	ld := dirLoader{personal: filepath.Join(base, "included"), global: filepath.Join(base, "included-global")}
	for _, f := range []string{"rfc-ex1-default.sieve", "rfc-ex2-default.sieve", "execute/actions-fileinto.sieve", "execute/optional.sieve"} {
		src, err := os.ReadFile(filepath.Join(base, f))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Compile(context.Background(), f, src, Options{Includes: ld, extra: testsuiteExtensions}); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}
