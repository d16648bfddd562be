package sieve

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/foxcpp/go-sieve/lexer"
	"github.com/foxcpp/go-sieve/parser"
)

// The conformance harness runs Pigeonhole's own test suite (the .svtest
// files of Pigeonhole 0.5.19) through sluice's engine. The suite is not part
// of this repository: SLUICE_PIGEONHOLE_DIR points at an unpacked copy
// holding tests/ and test-cases.txt (the list of files to run).
//
//	SLUICE_PIGEONHOLE_DIR=/path/to/pigeonhole go test -run TestPigeonhole ./sieve/
//
// testdata/pigeonhole-expected.txt lists the blocks expected to fail or be
// skipped. A block failing without being listed, or listed as failing but
// passing, fails the test. After implementing an extension, rerun with
// -update-expected to rewrite the list (reasons of unchanged lines are
// kept), and review the diff.

var updateExpected = flag.Bool("update-expected", false, "rewrite testdata/pigeonhole-expected.txt from the current results")

const expectedFile = "testdata/pigeonhole-expected.txt"

type expectation struct {
	outcome, reason string
}

func loadExpectations(t *testing.T) map[string]map[string]expectation {
	t.Helper()
	out := map[string]map[string]expectation{}
	f, err := os.Open(expectedFile)
	if errors.Is(err, os.ErrNotExist) {
		return out
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	line := 0
	for sc.Scan() {
		line++
		text := sc.Text()
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		parts := strings.SplitN(text, "\t", 4)
		if len(parts) != 4 || (parts[2] != "fail" && parts[2] != "skip") {
			t.Fatalf("%s:%d: want file<TAB>block<TAB>fail|skip<TAB>reason", expectedFile, line)
		}
		if out[parts[0]] == nil {
			out[parts[0]] = map[string]expectation{}
		}
		out[parts[0]][parts[1]] = expectation{outcome: parts[2], reason: parts[3]}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// blockNames lists the names of the top-level test blocks of an .svtest
// file, in order, reading the source without compiling it.
func blockNames(src []byte) []string {
	text, perr := prelex(string(src))
	if perr != nil {
		return nil
	}
	toks, err := lexer.Lex(strings.NewReader(text+"\n"), &lexer.Options{})
	if err != nil {
		return nil
	}
	cmds, err := parser.Parse(lexer.NewStream(toks), &parser.Options{})
	if err != nil {
		return nil
	}
	var names []string
	for _, c := range cmds {
		if c.Id == "test" && len(c.Args) == 1 {
			if s, ok := c.Args[0].(parser.StringArg); ok {
				names = append(names, s.Value)
			}
		}
	}
	return names
}

var unknownCapability = regexp.MustCompile(`unknown Sieve capability '([^']*)'`)

// runSvtest runs one .svtest file and returns the outcome of every block.
func runSvtest(ctx context.Context, path string, exp map[string]expectation) []blockResult {
	src, err := os.ReadFile(path)
	if err != nil {
		return []blockResult{{name: "(file)", outcome: "fail", detail: err.Error()}}
	}
	names := blockNames(src)
	all := func(outcome, detail string) []blockResult {
		out := make([]blockResult, 0, len(names))
		for _, n := range names {
			out = append(out, blockResult{name: n, outcome: outcome, detail: detail})
		}
		return out
	}
	s := newSuite(filepath.Dir(path))
	sc, err := Compile(ctx, filepath.Base(path), src, s.options())
	if err != nil {
		var ce *CompileErrors
		if errors.As(err, &ce) {
			for _, e := range ce.Errors {
				if m := unknownCapability.FindStringSubmatch(e.Message); m != nil {
					return all("skip", "extension "+m[1]+" not implemented yet")
				}
			}
			return all("fail", "compile: "+ce.Errors[0].Error())
		}
		return all("fail", err.Error())
	}
	// Every block of a file that compiles runs, including those listed as
	// skipped: a block is skipped only when its file needs a capability
	// sluice lacks, so that a new extension shows in the results.
	_, runErr := sc.Run(ctx, &Input{Message: s.msg, Envelope: s.env, Services: s, Environment: suiteEnvironment})
	results := s.blocks
	done := map[string]bool{}
	for _, b := range results {
		done[b.name] = true
	}
	for _, n := range names {
		if !done[n] {
			detail := "not reached"
			if runErr != nil {
				detail = "not reached: " + runErr.Error()
			}
			results = append(results, blockResult{name: n, outcome: "fail", detail: detail})
		}
	}
	return results
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 160 {
		s = truncateUTF8(s, 157) + "..."
	}
	return s
}

func TestPigeonhole(t *testing.T) {
	dir := os.Getenv("SLUICE_PIGEONHOLE_DIR")
	if dir == "" {
		t.Skip("SLUICE_PIGEONHOLE_DIR not set: point it at an unpacked Pigeonhole 0.5.19 source tree " +
			"(the dovecot-2.3-pigeonhole-0.5.19 release from pigeonhole.dovecot.org) with tests/ and a test-cases.txt listing the .svtest files")
	}
	list, err := os.ReadFile(filepath.Join(dir, "test-cases.txt"))
	if err != nil {
		t.Fatal(err)
	}
	expected := loadExpectations(t)
	var passed, failed, skipped int
	var lines []string
	for _, file := range strings.Fields(string(list)) {
		exp := expected[file]
		results := runSvtest(context.Background(), filepath.Join(dir, file), exp)
		t.Run(file, func(t *testing.T) {
			for _, b := range results {
				e, listed := exp[b.name]
				switch b.outcome {
				case "pass":
					passed++
				case "fail":
					failed++
				default:
					skipped++
				}
				if b.outcome != "pass" {
					reason := b.detail
					if listed && e.outcome == b.outcome {
						reason = e.reason
					}
					lines = append(lines, file+"\t"+b.name+"\t"+b.outcome+"\t"+oneLine(reason))
				}
				t.Run(b.name, func(t *testing.T) {
					switch {
					case b.outcome == "pass" && listed:
						t.Errorf("listed as %s in %s but passes: remove the line", e.outcome, expectedFile)
					case b.outcome == "fail" && !listed:
						t.Errorf("regression: %s", b.detail)
					case b.outcome == "fail" && e.outcome != "fail":
						t.Errorf("listed as %s but fails: %s", e.outcome, b.detail)
					case b.outcome == "fail":
						t.Logf("expected failure (%s): %s", e.reason, b.detail)
					case b.outcome == "skip" && !listed:
						t.Errorf("skipped but not listed: %s", b.detail)
					case b.outcome == "skip":
						t.Skip(b.detail)
					}
				})
			}
		})
	}
	fmt.Printf("pigeonhole: %d passed, %d failed, %d skipped (of %d blocks)\n", passed, failed, skipped, passed+failed+skipped)
	if *updateExpected {
		sort.SliceStable(lines, func(i, j int) bool { return false })
		content := "# Pigeonhole test blocks expected to fail or be skipped: file<TAB>block<TAB>fail|skip<TAB>reason\n" + strings.Join(lines, "\n") + "\n"
		if err := os.WriteFile(expectedFile, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
