package sieve

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDumpErrors prints the errors and warnings sluice reports for the
// scripts listed in SLUICE_DUMP_FILES, one a line in the layout of
// Pigeonhole's sieve-test, followed by the summary error Pigeonhole's
// test_error counts. It compares error reporting with Pigeonhole's:
//
//	SLUICE_DUMP_FILES="a.sieve b.sieve" go test -run TestDumpErrors -v ./sieve/
//	sieve-test -c /dev/null a.sieve /dev/null
func TestDumpErrors(t *testing.T) {
	files := os.Getenv("SLUICE_DUMP_FILES")
	if files == "" {
		t.Skip("SLUICE_DUMP_FILES not set")
	}
	for _, f := range strings.Fields(files) {
		fmt.Printf("=== %s\n", f)
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		s := newSuite(filepath.Dir(f))
		name := strings.TrimSuffix(filepath.Base(f), ".sieve")
		sc, err := Compile(context.Background(), name, src, s.options())
		var ce *CompileErrors
		switch {
		case errors.As(err, &ce):
			for _, e := range ce.Errors {
				fmt.Printf("%s: line %d: error: %s\n", name, e.Line, e.Message)
			}
			fmt.Printf("%s: error: %s\n", name, summaryError(ce))
		case err != nil:
			fmt.Println(err)
		default:
			for _, w := range sc.Warnings() {
				fmt.Printf("%s: line %d: warning: %s\n", name, w.Line, w.Message)
			}
		}
	}
}
