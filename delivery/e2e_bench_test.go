package delivery

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluice-mail/sluice/internal/scripts"
	"github.com/sluice-mail/sluice/sieve"
)

// benchScript is the personal script of the sluice benchmark (bench/).
func benchScript(b *testing.B) []byte {
	b.Helper()
	src, err := os.ReadFile(filepath.Join("..", "bench", "testdata", "user.sieve"))
	if err != nil {
		b.Skipf("benchmark script: %v", err)
	}
	return src
}

// manyRules inserts n rules that match no benchmark message after the
// script's require command, as the benchmark's 1000-rules scenario does.
func manyRules(src []byte, n int) []byte {
	if n == 0 {
		return src
	}
	s := string(src)
	i := strings.Index(s, "require ")
	end := i + strings.Index(s[i:], ";") + 1
	var sb strings.Builder
	sb.WriteString(s[:end] + "\n")
	for k := range n {
		fmt.Fprintf(&sb, "if anyof (header :contains \"Subject\" \"topic-%04d\", address :is \"from\" \"sender%04d@news.example.net\") {\n"+
			"    addflag \"\\\\Seen\";\n    fileinto \"Topics\";\n    stop;\n}\n", k, k)
	}
	sb.WriteString(s[end:])
	return []byte(sb.String())
}

// benchMessage is a 4 KiB mailing-list message, CRLF line endings, that
// the benchmark script files into a folder.
func benchMessage(id int) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "Return-Path: <golang-nuts-bounces@lists.example.org>\r\n"+
		"From: Gopher <gopher@example.net>\r\nTo: u1@example.org\r\n"+
		"Subject: Re: generics and iterators\r\nDate: Sun, 29 Nov 2026 12:00:00 +0000\r\n"+
		"Message-ID: <m%d.bench@example.net>\r\nList-Id: Go Nuts <golang-nuts.lists.example.org>\r\n"+
		"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n", id)
	line := strings.Repeat("lorem ipsum dolor sit amet ", 2) + "\r\n"
	for sb.Len() < 4096 {
		sb.WriteString(line)
	}
	return sb.String()
}

// BenchmarkLMTPSieveMaildir4K is the whole LMTP delivery path in one
// process: a pipelined transaction over loopback TCP, the SieveAgent
// running the benchmark's script, and durable Maildir writes on disk
// (file fsync, rename, directory fsync) for 1 and 5 recipients.
func BenchmarkLMTPSieveMaildir4K(b *testing.B) {
	for _, tc := range []struct{ nrcpt, rules int }{{1, 0}, {5, 0}, {1, 1000}} {
		nrcpt := tc.nrcpt
		name := fmt.Sprintf("rcpts=%d", nrcpt)
		if tc.rules > 0 {
			name += fmt.Sprintf("/rules=%d", tc.rules)
		}
		b.Run(name, func(b *testing.B) {
			src := manyRules(benchScript(b), tc.rules)
			dir := b.TempDir()
			var rcpts []string
			for i := 1; i <= nrcpt; i++ {
				u := fmt.Sprintf("u%d", i)
				home := filepath.Join(dir, "home", u)
				if err := os.MkdirAll(home, 0o700); err != nil {
					b.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(home, ".dovecot.sieve"), src, 0o600); err != nil {
					b.Fatal(err)
				}
				rcpts = append(rcpts, u+"@example.org")
			}
			discard := slog.New(slog.DiscardHandler)
			cache := NewScriptCache(sieve.Options{}, scripts.CacheOptions{Logger: discard})
			b.Cleanup(func() { cache.Close() })
			agent, err := NewSieveAgent(SieveOptions{
				Scripts: cache, Hostname: "mx.test", Version: "bench",
				Autocreate: true, Logger: discard,
			})
			if err != nil {
				b.Fatal(err)
			}
			res := &dirResolver{dir: dir, extra: map[string]map[string]string{}}
			ts := startServer(b, "tcp", ServerOptions{Logger: discard, AddReceived: true}, res, agent)
			c := ts.lhlo(b)
			// Past the cache's 2 s window for fresh files, as in a
			// server that has run for a while.
			old := time.Now().Add(-time.Hour)
			for _, r := range rcpts {
				u, _, _ := strings.Cut(r, "@")
				_ = os.Chtimes(filepath.Join(dir, "home", u, ".dovecot.sieve"), old, old)
			}
			var env strings.Builder
			env.WriteString("MAIL FROM:<golang-nuts-bounces@lists.example.org>\r\n")
			for _, r := range rcpts {
				env.WriteString("RCPT TO:<" + r + ">\r\n")
			}
			env.WriteString("DATA\r\n")
			b.SetBytes(int64(4096 * nrcpt))
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				n++
				c.sendRaw(env.String() + dataBody(benchMessage(n)))
				c.expect("250 ")
				for range rcpts {
					c.expect("250 ")
				}
				c.expect("354 ")
				for range rcpts {
					c.expect("250 2.0.0 ")
				}
			}
			b.ReportMetric(float64(b.N*nrcpt)/b.Elapsed().Seconds(), "deliveries/s")
			if st := cache.Stats(); st.Compiles != uint64(nrcpt) {
				b.Errorf("%d compiles for %d users: the script must be compiled once", st.Compiles, nrcpt)
			}
		})
	}
}

// BenchmarkSieveRunUserScript runs the compiled benchmark script on one
// parsed message: the per-recipient cost of Sieve alone.
func BenchmarkSieveRunUserScript(b *testing.B) {
	s, err := sieve.Compile(context.Background(), "user.sieve", benchScript(b), sieve.Options{})
	if err != nil {
		b.Fatal(err)
	}
	raw := strings.ReplaceAll(benchMessage(1), "\r\n", "\n")
	msg, err := sieve.ParseMessage(strings.NewReader(raw))
	if err != nil {
		b.Fatal(err)
	}
	in := &sieve.Input{
		Message:  msg,
		Envelope: sieve.StaticEnvelope{Sender: "golang-nuts-bounces@lists.example.org", Recipient: "u1@example.org"},
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		res, err := s.Run(ctx, in)
		if err != nil {
			b.Fatal(err)
		}
		if len(res.Actions) != 1 {
			b.Fatalf("%d actions, want one fileinto", len(res.Actions))
		}
	}
}

// BenchmarkParseHeader4K parses a spooled 4 KiB message's header the two
// ways a transaction does: once for the session (readHeader) and once
// for the Sieve engine (parseShared), shared by all recipients.
func BenchmarkParseHeader4K(b *testing.B) {
	raw := []byte(strings.ReplaceAll(benchMessage(1), "\r\n", "\n"))
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		readHeader(bytes.NewReader(raw))
		if m := parseShared(bytes.NewReader(raw)); m.bodyOff < 0 {
			b.Fatal("no body found")
		}
	}
}
