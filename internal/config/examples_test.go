package config

import (
	"os"
	"path/filepath"
	"testing"
)

// TestExampleConfigs: every sluice configuration shipped in examples/
// loads without an error. Relative paths in them are relative to the
// repository root, where the README runs them from.
func TestExampleConfigs(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(filepath.Join(root, "examples", "*", "sluice.toml"))
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, filepath.Join(root, "examples", "sluice.toml"))
	t.Chdir(root)
	for _, f := range files {
		t.Run(filepath.Base(filepath.Dir(f)), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := Parse(f, data); err != nil {
				t.Errorf("%v", err)
			}
		})
	}
}
