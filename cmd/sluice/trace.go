package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/sluice-mail/sluice/sieve"
)

// textTracer prints a run as it happens, in the spirit of sieve-test's
// "-t - -T level=..." output: the line number, then what happened.
type textTracer struct {
	w     io.Writer
	level int
	paths interface{ pathOf(string) string }
}

var _ sieve.Tracer = (*textTracer)(nil)

// where is "  12" for the main script and "inc:12" for an included one.
func (t *textTracer) where(p sieve.Pos) string {
	if strings.ContainsRune(p.Script, '/') || t.paths == nil || t.paths.pathOf(p.Script) == p.Script {
		return fmt.Sprintf("%4d", p.Line)
	}
	return fmt.Sprintf("%s:%d", p.Script, p.Line)
}

func (t *textTracer) Command(p sieve.Pos, name string) {
	fmt.Fprintf(t.w, "%s: %s command\n", t.where(p), name)
}

func (t *textTracer) Test(p sieve.Pos, name string, result bool) {
	if t.level < traceTests {
		return
	}
	fmt.Fprintf(t.w, "%s: %s test => %t\n", t.where(p), name, result)
}

func (t *textTracer) Match(p sieve.Pos, matchType, comparator string, values, keys []string, matched bool) {
	if t.level < traceMatching {
		return
	}
	fmt.Fprintf(t.w, "%s:   :%s match with `%s' comparator: values %s against keys %s => %t\n",
		t.where(p), matchType, comparator, quoteList(values), quoteList(keys), matched)
}

// maxTraceValue bounds a value printed in a trace line.
const maxTraceValue = 80

func quoteList(l []string) string {
	q := make([]string, len(l))
	for i, s := range l {
		if len(s) > maxTraceValue {
			s = s[:maxTraceValue] + "..."
		}
		q[i] = "`" + strings.ReplaceAll(s, "\n", `\n`) + "'"
	}
	return "[" + strings.Join(q, ", ") + "]"
}
