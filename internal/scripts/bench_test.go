package scripts

import (
	"context"
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkChainAndGet is the planning an LMTP delivery does per recipient:
// Layout.Chain, then Cache.Get of each script to run. "young" and
// "settled" are a user whose personal script is a plain ~/.dovecot.sieve
// (no ~/sieve directory); "young" uses the real clock on a script written
// just before, as a server started right after installing a script sees
// it, "settled" a clock an hour ahead. "symlink" is a user with Dovecot's
// ~/.dovecot.sieve -> sieve/active.sieve, settled.
func BenchmarkChainAndGet(b *testing.B) {
	for _, name := range []string{"young", "settled", "symlink"} {
		b.Run(name, func(b *testing.B) {
			home := filepath.Join(b.TempDir(), "srv", "mail", "home", "alice")
			if name == "symlink" {
				writeFile(b, home+"/sieve/active.sieve", "keep;\n")
				symlink(b, "sieve/active.sieve", home+"/.dovecot.sieve")
			} else {
				writeFile(b, home+"/.dovecot.sieve", "keep;\n")
			}
			opts := CacheOptions{NoWatch: true}
			if name != "young" {
				opts.Now = func() time.Time { return time.Now().Add(time.Hour) }
			}
			fc := &fakeCompiler{}
			c := NewCache(fc.compile, opts)
			defer c.Close()
			u := User{Name: "alice@example.org", Local: "alice", Domain: "example.org", Home: home}
			ctx := context.Background()
			var l Layout
			deliver := func() {
				p, err := l.Chain(ctx, u)
				if err != nil {
					b.Fatal(err)
				}
				for _, s := range p.Run() {
					if _, err := c.Get(ctx, s.Path, p.Includes); err != nil {
						b.Fatal(err)
					}
				}
			}
			deliver()
			b.ReportAllocs()
			for b.Loop() {
				deliver()
			}
			if fc.calls.Load() != 1 {
				b.Fatalf("compiles = %d", fc.calls.Load())
			}
		})
	}
}
