package lists_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/sluice-mail/sluice/internal/lists"
)

func Example() {
	dir, _ := os.MkdirTemp("", "lists")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "vip.txt")
	os.WriteFile(path, []byte("# people who skip the spam filter\nboss@example.org\n"), 0o644)

	l, _ := lists.New(map[string]string{"tag:example.org,2026:vip": path})
	in, _ := l.Contains(context.Background(), "tag:example.org,2026:vip", "Boss@Example.org")
	fmt.Println(in)
	// Output: true
}
