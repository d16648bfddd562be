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

func TestDumpErrors(t *testing.T) {
	files := os.Getenv("SLUICE_DUMP_FILES")
	if files == "" {
		t.Skip()
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
		if errors.As(err, &ce) {
			for _, e := range ce.Errors {
				fmt.Printf("%s: line %d: error: %s\n", name, e.Line, e.Message)
			}
			fmt.Printf("%s: error: %s\n", name, summaryError(ce))
		} else if err != nil {
			fmt.Println(err)
		} else {
			for _, w := range sc.Warnings() {
				fmt.Printf("%s: line %d: warning: %s\n", name, w.Line, w.Message)
			}
		}
	}
}
