package message_test

import (
	"fmt"

	"github.com/sluice-mail/sluice/sieve/internal/message"
)

func Example() {
	raw := "From: =?utf-8?q?J=C3=B6rg?= <joerg@example.org>, team: a@example.com;\r\n" +
		"Subject: =?iso-8859-1?q?caf=E9?=\r\n" +
		"Date: Mon, 2 Jan 2006 15:04:05 -0700\r\n" +
		"Content-Type: multipart/alternative; boundary=b\r\n" +
		"\r\n" +
		"--b\r\nContent-Type: text/plain\r\n\r\nhello\r\n" +
		"--b\r\nContent-Type: text/html\r\n\r\n<p>hello &amp; bye</p>\r\n--b--\r\n"
	m, err := message.ParseBytes([]byte(raw), message.Limits{})
	if err != nil {
		panic(err)
	}
	fmt.Println(message.DecodeHeaderValue(m.Header("subject")[0].Value))
	for _, a := range message.ParseAddressList(m.Header("From")[0].Value) {
		fmt.Printf("%q %s group=%q\n", a.Name, a, a.Group)
	}
	d, _ := message.ParseDate(m.Header("Date")[0].Value)
	fmt.Println(d.UTC())
	_ = m.Walk(func(p *message.Part) error {
		fmt.Printf("%d %s %q\n", p.Depth, p.ContentType, message.ExtractText(p))
		return nil
	})
	// Output:
	// café
	// "Jörg" joerg@example.org group=""
	// "" a@example.com group="team"
	// 2006-01-02 22:04:05 +0000 UTC
	// 0 multipart/alternative ""
	// 1 text/plain "hello"
	// 1 text/html "hello & bye"
}
