package delivery_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"

	"github.com/sluice-mail/sluice/delivery"
	"github.com/sluice-mail/sluice/internal/userdb"
)

func ExampleReply() {
	errs := []error{
		fmt.Errorf("resolve: %w", userdb.ErrUnknownUser),
		&delivery.QuotaError{Mailbox: "INBOX"},
		fmt.Errorf("fsync: %w", syscall.ENOSPC),
		&delivery.RejectError{Reason: "Not wanted here"},
		errors.New("something nobody planned for"),
	}
	for _, err := range errs {
		r := delivery.Reply(err)
		fmt.Println(r.Code, r.EnhancedCode, r.Message, "| exit", delivery.ExitCode(err))
	}
	// Output:
	// 550 [5 1 1] User doesn't exist | exit 67
	// 552 [5 2 2] Mailbox is full | exit 77
	// 452 [4 3 1] Insufficient system storage | exit 75
	// 550 [5 7 1] Not wanted here | exit 77
	// 451 [4 3 0] Temporary internal error | exit 75
}

// everyone resolves any address to a user named after its local part.
type everyone struct{}

func (everyone) Resolve(_ context.Context, addr string) (userdb.Recipient, error) {
	return userdb.Recipient{Address: addr, User: addr}, nil
}

// printStore prints what it is asked to store.
type printStore struct{}

func (printStore) Store(_ context.Context, rcpt userdb.Recipient, mailbox string, _ delivery.StoreOptions, msg io.Reader) (delivery.Stored, error) {
	b, _ := io.ReadAll(msg)
	fmt.Printf("%s/%s:\n%s", rcpt.User, mailbox, b)
	return delivery.Stored{Mailbox: mailbox, Size: int64(len(b))}, nil
}

func ExampleServer() {
	srv, err := delivery.NewServer(delivery.ServerOptions{Hostname: "mx.example.org"},
		everyone{}, &delivery.KeepAgent{Store: printStore{}})
	if err != nil {
		fmt.Println(err)
		return
	}
	ln, err := delivery.Listen(context.Background(), "tcp", "127.0.0.1:0", delivery.UnixOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	go srv.Serve(context.Background(), ln)
	defer srv.Shutdown(context.Background())

	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	fmt.Fprint(c, "LHLO client.example.org\r\nMAIL FROM:<>\r\nRCPT TO:<alice@example.org>\r\nDATA\r\n"+
		"Subject: hello\r\n\r\nHi Alice.\r\n.\r\nQUIT\r\n")
	io.Copy(io.Discard, c) // the replies; QUIT ends the conversation
	// Output:
	// alice@example.org/INBOX:
	// Return-Path: <>
	// Delivered-To: <alice@example.org>
	// Subject: hello
	//
	// Hi Alice.
}
