package maildir_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"

	"github.com/sluice-mail/sluice/maildir"
)

func Example() {
	dir, err := os.MkdirTemp("", "sluice-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	m, err := maildir.Open(filepath.Join(dir, "Maildir"), maildir.Options{Hostname: "mx.example.org"})
	if err != nil {
		log.Fatal(err)
	}
	defer m.Close()

	msg := "From: alice@example.org\nSubject: hello\n\nHi!\n"
	d, err := m.Deliver(context.Background(), "Lists/Entwürfe", strings.NewReader(msg), maildir.DeliverOptions{
		Flags:     []string{`\Seen`, "$Important"},
		Create:    true,
		Subscribe: true,
	})
	if err != nil {
		log.Fatal(err)
	}
	rel, _ := filepath.Rel(m.Root(), d.Path)
	folder, file := filepath.Split(rel)
	_, info, _ := strings.Cut(file, ":")
	fmt.Println(d.Mailbox, d.Size)
	fmt.Println(folder)
	fmt.Println(info)
	// Output:
	// Lists/Entwürfe 44
	// .Lists.Entw&APw-rfe/cur/
	// 2,Sa
}

func ExampleValidMailboxName() {
	for _, name := range []string{"Archive/2024", "../etc", "a.b"} {
		fmt.Println(name, maildir.ValidMailboxName(name) == nil)
	}
	// Output:
	// Archive/2024 true
	// ../etc false
	// a.b false
}
