package scripts_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sluice-mail/sluice/internal/scripts"
)

// A compiler for the example: it upper-cases the script and splices in
// "include NAME" lines through the Loader, as a Sieve compiler would.
func shout(ctx context.Context, name string, src []byte, inc scripts.Loader) (string, error) {
	var out strings.Builder
	for line := range strings.Lines(string(src)) {
		if n, ok := strings.CutPrefix(strings.TrimSpace(line), "include "); ok {
			b, err := inc.Load(ctx, false, n)
			if err != nil {
				return "", err
			}
			line = string(b)
		}
		out.WriteString(strings.ToUpper(line))
	}
	return out.String(), nil
}

func ExampleCache() {
	home, _ := os.MkdirTemp("", "sluice-example")
	defer os.RemoveAll(home)
	_ = os.MkdirAll(filepath.Join(home, "sieve"), 0o755)
	_ = os.WriteFile(filepath.Join(home, "sieve", "lists.sieve"), []byte("fileinto lists;\n"), 0o644)
	_ = os.WriteFile(filepath.Join(home, "sieve", "main.sieve"), []byte("include lists\nkeep;\n"), 0o644)
	_ = os.Symlink("sieve/main.sieve", filepath.Join(home, ".dovecot.sieve"))

	ctx := context.Background()
	plan, err := scripts.Layout{}.Chain(ctx, scripts.User{Name: "alice", Local: "alice", Home: home})
	if err != nil {
		fmt.Println(err)
		return
	}
	cache := scripts.NewCache(shout, scripts.CacheOptions{})
	defer cache.Close()
	for _, s := range plan.Run() {
		prog, err := cache.Get(ctx, s.Path, plan.Includes)
		fmt.Printf("%s: %q %v\n", s.Kind, prog, err)
	}
	// The user edits an include; the next Get sees it.
	_ = os.WriteFile(filepath.Join(home, "sieve", "lists.sieve"), []byte("discard;\n"), 0o644)
	prog, _ := cache.Get(ctx, plan.Run()[0].Path, plan.Includes)
	fmt.Printf("after edit: %q\n", prog)
	fmt.Println("compiles:", cache.Stats().Compiles)
	// Output:
	// personal: "FILEINTO LISTS;\nKEEP;\n" <nil>
	// after edit: "DISCARD;\nKEEP;\n"
	// compiles: 2
}

func ExampleLayout_Chain() {
	home, _ := os.MkdirTemp("", "sluice-example")
	defer os.RemoveAll(home)
	def := filepath.Join(home, "default.sieve")
	_ = os.WriteFile(def, []byte("keep;\n"), 0o644)

	plan, err := scripts.Layout{Default: def}.Chain(context.Background(),
		scripts.User{Name: "bob", Local: "bob", Home: home})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, line := range plan.Explain() {
		fmt.Println(strings.ReplaceAll(line, home, "/home/bob"))
	}
	// Output:
	// personal: no personal script at /home/bob/.dovecot.sieve
	// default: no personal script at /home/bob/.dovecot.sieve: using default /home/bob/default.sieve
}

func ExampleAppendLog() {
	dir, _ := os.MkdirTemp("", "sluice-example")
	defer os.RemoveAll(dir)
	log := filepath.Join(dir, ".dovecot.sieve.log")
	err := scripts.AppendLog(log, time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC),
		"/home/bob/.dovecot.sieve", []string{`3:5: unknown command "fileinot"`})
	b, _ := os.ReadFile(log)
	fmt.Print(string(b), err)
	// Output:
	// 2026-03-01T12:00:00Z /home/bob/.dovecot.sieve: 3:5: unknown command "fileinot"
	// <nil>
}
