package scripts

import (
	"os"
	"testing"
	"time"
)

// TestDepSameTick forces the timestamp-granularity hazard exactly: the
// file is rewritten with equal size and every stat field, ctime included,
// is made to look unchanged. Only the content hash can tell, and it must
// while the file is young; once the file is older than settleAfter, stat is
// trusted because any later write would have to move ctime.
func TestDepSameTick(t *testing.T) {
	p := t.TempDir() + "/a.sieve"
	writeFile(t, p, "AAAA")
	now := time.Now()
	st := observe(p)
	d := newDep(p, st, []byte("AAAA"), now)
	if d.settled.Load() {
		t.Fatal("a file written just now must not count as settled")
	}
	if !d.fresh(now, 1<<20, false) {
		t.Fatal("unchanged file reported stale")
	}
	rewriteSameTick(t, p, "BBBB")
	d.state = observe(p) // pretend ctime did not tick either
	if d.fresh(now, 1<<20, false) {
		t.Fatal("same-tick rewrite not detected")
	}

	// Settling: once the timestamps are old, a matching hash settles the
	// dependency and later checks are stat only.
	d = newDep(p, observe(p), []byte("BBBB"), now)
	later := now.Add(settleAfter + time.Second)
	if !d.fresh(later, 1<<20, false) || !d.settled.Load() {
		t.Fatal("old unchanged file should be fresh and settled")
	}
}

func TestObserve(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir+"/f", "x")
	symlink(t, "f", dir+"/l")
	symlink(t, "gone", dir+"/dangling")
	tests := []struct {
		path    string
		present bool
		link    string
	}{
		{dir + "/f", true, ""},
		{dir + "/l", true, "f"},
		{dir + "/dangling", false, "gone"},
		{dir + "/missing", false, ""},
		{dir + "/f/below", false, ""},
	}
	for _, tt := range tests {
		s := observe(tt.path)
		if s.present != tt.present || s.link != tt.link || s.errno != 0 {
			t.Errorf("observe(%s) = %+v", tt.path, s)
		}
	}
	if observe(dir+"/f").ino != observe(dir+"/l").ino {
		t.Error("a symlink must be observed through to its target")
	}
	if err := os.Remove(dir + "/l"); err != nil {
		t.Fatal(err)
	}
}
