package main

import (
	"bytes"
	"testing"

	"github.com/sluice-mail/sluice/sieve"
)

// BenchmarkSieveRun runs the compiled benchmark scripts on one 4 KB
// message: the per-delivery Sieve cost behind the 4k and 1000-rules
// scenarios, without any I/O.
func BenchmarkSieveRun(b *testing.B) {
	many, err := manyRulesScript(1000)
	if err != nil {
		b.Fatal(err)
	}
	for _, src := range []struct{ name, text string }{{"user", userScript}, {"1000-rules", many}} {
		b.Run(src.name, func(b *testing.B) {
			s, err := sieve.Compile(b.Context(), src.name, []byte(src.text), sieve.Options{})
			if err != nil {
				b.Fatal(err)
			}
			m := newSpec(0, 0, []string{"u1@example.org"}, 4*kb)
			msg, err := sieve.ParseMessage(bytes.NewReader(m.render()))
			if err != nil {
				b.Fatal(err)
			}
			in := &sieve.Input{Message: msg, Envelope: envelope{m.EnvFrom, m.Rcpts[0]}}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := s.Run(b.Context(), in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
