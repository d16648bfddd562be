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

func TestSettleWindow(t *testing.T) {
	const s = int64(time.Second)
	base := int64(1_700_000_000) * s
	tests := []struct {
		name         string
		mtime, ctime int64
		want         time.Duration
	}{
		{"both fine", base + 123_456_789, base + 123_456_790, settleFine},
		{"fine ctime, whole mtime (touch -d)", base, base + 5_000_000, settleFine},
		{"fine mtime, whole ctime", base + 1, base, settleFine},
		{"both whole seconds", base, base + 2*s, settleAfter},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := fileState{present: true, mtime: tt.mtime, ctime: tt.ctime}
			if got := st.settleWindow(); got != tt.want {
				t.Fatalf("settleWindow = %v, want %v", got, tt.want)
			}
			newest := time.Unix(0, st.newest())
			if st.settledAt(newest.Add(tt.want - 1)) {
				t.Error("settled before the window passed")
			}
			if !st.settledAt(newest.Add(tt.want)) {
				t.Error("not settled once the window passed")
			}
		})
	}
	if !(fileState{}).settledAt(time.Unix(0, 0)) {
		t.Error("a missing file is always settled")
	}
}

// TestDepSettleWindows drives a dependency through both windows with an
// injected clock. The observation is made up (the test file system decides
// real timestamps), so freshAs is given it as the current one too: stat
// sees no change, and only the window decides whether content is compared.
func TestDepSettleWindows(t *testing.T) {
	const s = int64(time.Second)
	base := int64(1_700_000_000) * s
	for _, tt := range []struct {
		name   string
		stamp  int64
		window time.Duration
	}{
		{"fine", base + 250_000_000, settleFine},
		{"coarse", base, settleAfter},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := t.TempDir() + "/a.sieve"
			writeFile(t, p, "AAAA")
			st := observe(p)
			st.mtime, st.ctime = tt.stamp, tt.stamp
			at := func(d time.Duration) time.Time { return time.Unix(0, tt.stamp).Add(d) }

			d := newDep(p, st, []byte("AAAA"), at(50*time.Millisecond))
			if d.settled.Load() {
				t.Fatal("settled 50ms after the write")
			}
			writeFile(t, p, "BBBB") // same size, stat blind: content must tell
			if d.freshAs(st, at(60*time.Millisecond), 1<<20, false) {
				t.Fatal("young dependency: same-tick rewrite not detected")
			}
			writeFile(t, p, "AAAA")

			// Past the fine window: only fine timestamps settle.
			if !d.freshAs(st, at(150*time.Millisecond), 1<<20, false) {
				t.Fatal("unchanged content reported stale")
			}
			if got, want := d.settled.Load(), tt.window == settleFine; got != want {
				t.Fatalf("settled after 150ms = %v, want %v", got, want)
			}
			if tt.window == settleAfter {
				writeFile(t, p, "BBBB")
				if d.freshAs(st, at(1900*time.Millisecond), 1<<20, false) {
					t.Fatal("coarse timestamps: rewrite within 2s not detected")
				}
				writeFile(t, p, "AAAA")
				if !d.freshAs(st, at(settleAfter), 1<<20, false) || !d.settled.Load() {
					t.Fatal("coarse timestamps: not settled after 2s")
				}
			}
			// Settled: stat is trusted and content no longer read.
			writeFile(t, p, "BBBB")
			if !d.freshAs(st, at(time.Hour), 1<<20, false) {
				t.Fatal("settled dependency re-read its content")
			}
			if d.freshAs(st, at(time.Hour), 1<<20, true) {
				t.Fatal("a full check must still compare content")
			}
			if newDep(p, st, []byte("BBBB"), at(tt.window)).settled.Load() != true {
				t.Fatal("a dependency first seen after its window must start settled")
			}
		})
	}
}
