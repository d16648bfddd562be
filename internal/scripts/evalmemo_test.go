package scripts

import (
	"os"
	"path/filepath"
	"testing"
)

// TestEvalMemo checks that one planning resolves a path once and that a
// nil memo always resolves afresh.
func TestEvalMemo(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	for _, d := range []string{a, b} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink(a, link); err != nil {
		t.Fatal(err)
	}
	wantA, err := filepath.EvalSymlinks(a)
	if err != nil {
		t.Fatal(err)
	}
	wantB, err := filepath.EvalSymlinks(b)
	if err != nil {
		t.Fatal(err)
	}
	ev := evalMemo{}
	if got, err := ev.eval(link); err != nil || got != wantA {
		t.Fatalf("eval = %q, %v; want %q", got, err, wantA)
	}
	// Switch the link: the memo of this planning keeps its answer, a nil
	// memo (and the next planning) sees the switch.
	if err := os.Remove(link); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(b, link); err != nil {
		t.Fatal(err)
	}
	if got, _ := ev.eval(link); got != wantA {
		t.Errorf("memo eval after switch = %q, want the remembered %q", got, wantA)
	}
	var none evalMemo
	if got, err := none.eval(link); err != nil || got != wantB {
		t.Errorf("nil memo eval = %q, %v; want %q", got, err, wantB)
	}
	if got, _ := (evalMemo{}).eval(link); got != wantB {
		t.Errorf("fresh memo eval = %q, want %q", got, wantB)
	}
	if _, err := ev.eval(filepath.Join(dir, "missing")); err == nil {
		t.Error("eval of a missing path: no error")
	}
}
