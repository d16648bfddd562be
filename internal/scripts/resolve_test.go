package scripts

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestEvalMemo checks that one planning resolves a path once and that a
// nil resolver always resolves afresh.
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
	ev := newResolver(nil, "")
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
	var none *resolver
	if got, err := none.eval(link); err != nil || got != wantB {
		t.Errorf("nil resolver eval = %q, %v; want %q", got, err, wantB)
	}
	if got, _ := newResolver(nil, "").eval(link); got != wantB {
		t.Errorf("fresh memo eval = %q, want %q", got, wantB)
	}
	if _, err := ev.eval(filepath.Join(dir, "missing")); err == nil {
		t.Error("eval of a missing path: no error")
	}
}

// TestResolverMatchesEvalSymlinks resolves tricky paths inside and outside
// a home that is itself reached through a symlink, and wants the answers of
// filepath.EvalSymlinks: the same path, or an error of the same class.
func TestResolverMatchesEvalSymlinks(t *testing.T) {
	root, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	real := root + "/real/home"
	home := root + "/link-home"
	writeFile(t, real+"/sieve/a.sieve", "a")
	writeFile(t, real+"/file", "f")
	writeFile(t, root+"/outside/x", "x")
	symlink(t, real, home)
	links := map[string]string{
		"rel":       "sieve/a.sieve",
		"abs":       home + "/sieve/a.sieve",
		"absdotdot": home + "/../real/home/sieve/a.sieve",
		"up":        "../home/sieve/a.sieve",
		"dotdot":    "sieve/../sieve/a.sieve",
		"loop":      "loop",
		"dangling":  "nothere",
		"dirlink":   "sieve",
		"chain1":    "chain2",
		"chain2":    "rel",
		"out":       "../../outside/x",
		"viafile":   "file/x",
		"homeself":  ".",
		"slash":     "sieve/",
	}
	for name, target := range links {
		symlink(t, target, real+"/"+name)
	}
	var paths []string
	for name := range links {
		paths = append(paths, home+"/"+name, real+"/"+name, home+"/"+name+"/a.sieve")
	}
	paths = append(paths,
		home, home+"/", home+"/sieve", home+"/sieve/", home+"/nothere",
		home+"/file/x", home+"/./sieve/../rel", home+"/..", home+"/../link-home/rel",
		home+"x", root+"/outside/x", "/", home+"//sieve//a.sieve",
	)
	for _, homes := range []*homeCache{nil, newHomeCache(10, time.Hour, time.Now)} {
		r := newResolver(homes, home)
		for _, p := range paths {
			want, wantErr := filepath.EvalSymlinks(p)
			for range 2 { // second time from the memo
				got, err := r.eval(p)
				if (err != nil) != (wantErr != nil) || missing(err) != missing(wantErr) || got != want {
					t.Errorf("homes=%v eval(%s) = %q, %v; want %q, %v", homes != nil, p, got, err, want, wantErr)
				}
			}
		}
	}
}

// TestResolverStartsAtHome: with the home's resolution remembered, a
// planning examines nothing above the home, and still everything below it.
func TestResolverStartsAtHome(t *testing.T) {
	root, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	real, home := root+"/data/alice", root+"/home/alice"
	writeFile(t, real+"/sieve/a.sieve", "a")
	symlink(t, real, home)
	symlink(t, "sieve/a.sieve", real+"/.dovecot.sieve")
	homes := newHomeCache(10, time.Hour, time.Now)
	if _, err := homes.resolve(home); err != nil {
		t.Fatal(err)
	}
	r := newResolver(homes, home)
	got, err := r.eval(home + "/.dovecot.sieve")
	if err != nil || got != real+"/sieve/a.sieve" {
		t.Fatalf("eval = %q, %v", got, err)
	}
	var seen []string
	for p := range r.lst {
		seen = append(seen, p)
		if !lexWithin(p, real) || p == real {
			t.Errorf("lstat of %s: not below the home", p)
		}
	}
	if len(seen) != 3 {
		t.Errorf("lstat of %v, want .dovecot.sieve, sieve and sieve/a.sieve", seen)
	}
}
