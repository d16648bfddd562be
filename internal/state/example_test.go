package state_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/sluice-mail/sluice/internal/state"
)

// A vacation responder replies once per sender per period, even when two
// copies of a message are delivered at the same moment.
func Example() {
	dir, err := os.MkdirTemp("", "state-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	store, err := state.OpenBolt(filepath.Join(dir, "state.db"), state.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()

	ctx := context.Background()
	key := state.Key{User: "alice", Kind: state.KindVacation, ID: "bob@example.org"}
	for range 2 {
		first, err := store.MarkIfAbsent(ctx, key, 7*24*time.Hour)
		if err != nil {
			// Treat as temporary: defer the delivery, do not reply.
			log.Fatal(err)
		}
		fmt.Println("send reply:", first)
	}
	// Output:
	// send reply: true
	// send reply: false
}

func ExampleNewMemory() {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	store := state.NewMemory(state.Options{Now: func() time.Time { return now }})
	ctx := context.Background()
	key := state.Key{User: "alice", Kind: state.KindDuplicate, ID: "<m1@example.org>"}

	_ = store.Mark(ctx, key, 12*time.Hour)
	seen, _ := store.Seen(ctx, key)
	fmt.Println("seen:", seen)

	now = now.Add(12 * time.Hour)
	seen, _ = store.Seen(ctx, key)
	fmt.Println("seen after 12h:", seen)
	// Output:
	// seen: true
	// seen after 12h: false
}
