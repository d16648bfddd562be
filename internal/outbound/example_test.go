package outbound_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"strings"
	"time"

	"github.com/sluice-mail/sluice/internal/outbound"
)

func ExampleSRS() {
	srs := &outbound.SRS{
		Domain:  "forwarder.example",
		Secrets: []string{"change me"},
		Now:     func() time.Time { return time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC) },
	}
	fwd, err := srs.Forward("alice@origin.example")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(strings.HasPrefix(fwd, "SRS0="), strings.HasSuffix(fwd, "=origin.example=alice@forwarder.example"))

	orig, err := srs.Reverse(fwd)
	fmt.Println(orig, err)

	_, err = srs.Reverse("SRS0=XXXX=" + fwd[10:])
	fmt.Println(errors.Is(err, outbound.ErrSRSHash))

	null, _ := srs.Forward("")
	fmt.Printf("null sender: %q\n", null)
	// Output:
	// true true
	// alice@origin.example <nil>
	// true
	// null sender: ""
}

// Redirect a message through the local MTA, keeping the sender SRS-rewritten.
func ExampleSMTPSender() {
	srs := &outbound.SRS{Domain: "forwarder.example", Secrets: []string{"change me"}}
	from, err := srs.Forward("alice@origin.example")
	if err != nil {
		from = "alice@origin.example"
	}
	sender := &outbound.SMTPSender{Addr: "127.0.0.1:25", Timeout: 30 * time.Second}
	msg := strings.NewReader("From: alice@origin.example\r\nSubject: hi\r\n\r\nhello\r\n")
	err = sender.Send(context.Background(), outbound.Envelope{From: from, To: []string{"bob@elsewhere.example"}}, msg)
	switch {
	case err == nil:
		// Sent.
	case outbound.IsTemporary(err):
		// Defer the delivery (451 4.x.x / exit 75) and try again later.
	default:
		// Permanent: log it, keep the message in the user's INBOX.
	}
}
