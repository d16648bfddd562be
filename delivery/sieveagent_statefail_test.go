package delivery

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sluice-mail/sluice/internal/smtpsink"
	"github.com/sluice-mail/sluice/internal/state"
)

// downState is a state store that cannot be reached.
type downState struct{}

var _ state.Store = downState{}

func (downState) err() error {
	return fmt.Errorf("redis: connection refused: %w", state.ErrUnavailable)
}
func (s downState) Seen(context.Context, state.Key) (bool, error) { return false, s.err() }
func (s downState) Mark(context.Context, state.Key, time.Duration) error {
	return s.err()
}
func (s downState) MarkIfAbsent(context.Context, state.Key, time.Duration) (bool, error) {
	return false, s.err()
}
func (downState) Close() error { return nil }

// TestStateStoreDown: with the state store unreachable, a recipient whose
// script only stores is still delivered (the store needs no memory), while
// one whose script would forward or auto-reply gets a temporary failure:
// without the store sluice cannot promise to send once, so the MTA retries
// later. Nothing goes out either way.
func TestStateStoreDown(t *testing.T) {
	for _, tt := range []struct {
		name, script, want string
		stored             int
	}{
		{"keep", `keep;`, "250 2.0.0 ", 1},
		{"fileinto", `require "fileinto"; fileinto "Lists";`, "250 2.0.0 ", 1},
		{"redirect", `redirect "carol@example.net";`, "451 4.3.0 ", 0},
		{"redirect :copy", `require "copy"; redirect :copy "carol@example.net";`, "451 4.3.0 ", -1},
		{"vacation", `require "vacation"; vacation "away";`, "451 4.3.0 ", -1},
		{"duplicate", `require "duplicate"; if duplicate { discard; }`, "250 2.0.0 ", 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			sink := smtpsink.Start(t)
			e := newSieveEnvSink(t, sink, func(o *SieveOptions) { o.State = downState{}; o.Autocreate = true })
			e.script("alice", tt.script)
			rep := e.send("sender@example.net", []string{"alice@example.org"}, testMail("down@example.net"))[0]
			if !strings.HasPrefix(rep, tt.want) {
				t.Fatalf("reply %q, want %q...", rep, tt.want)
			}
			if n := len(sink.Messages()); n != 0 {
				t.Errorf("%d messages went out with the state store down", n)
			}
			if tt.stored >= 0 {
				if n := len(e.mail("alice")); n != tt.stored {
					t.Errorf("%d copies stored, want %d", n, tt.stored)
				}
			}
		})
	}
}
