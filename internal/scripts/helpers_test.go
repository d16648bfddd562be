package scripts

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// writeFile creates path (and its parents) with content.
func writeFile(t testing.TB, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func symlink(t testing.TB, target, link string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}

// fakeCompiler counts its calls and "compiles" a script to its own text
// with includes spliced in. Lines it understands:
//
//	include NAME            personal include, an error if missing
//	include-optional NAME   personal include, "(missing NAME)" if missing
//	include-global NAME     global include
//	error MSG               fail with MSG
//	panic                   panic
type fakeCompiler struct{ calls atomic.Int64 }

func (f *fakeCompiler) compile(ctx context.Context, name string, src []byte, inc Loader) (string, error) {
	f.calls.Add(1)
	var out strings.Builder
	for line := range strings.Lines(string(src)) {
		cmd, arg, _ := strings.Cut(strings.TrimSpace(line), " ")
		switch cmd {
		case "include", "include-optional", "include-global":
			b, err := inc.Load(ctx, cmd == "include-global", arg)
			switch {
			case err == nil:
				out.Write(b)
			case cmd == "include-optional" && errors.Is(err, fs.ErrNotExist):
				fmt.Fprintf(&out, "(missing %s)", arg)
			default:
				return "", fmt.Errorf("%s: %w", name, err)
			}
		case "error":
			return "", fmt.Errorf("%s: 1:1: %s", name, arg)
		case "panic":
			panic("compiler bug")
		default:
			out.WriteString(line)
		}
	}
	return out.String(), nil
}
