package message

import (
	"strings"
	"testing"
)

// message4K is a typical 4 KiB message: a real-looking header and a
// multipart body.
var message4K = func() []byte {
	var b strings.Builder
	for i := 0; i < 6; i++ {
		b.WriteString("Received: from mx" + strings.Repeat("x", i) + ".example.org (mx.example.org [192.0.2.1])\r\n\tby mail.example.com with ESMTPS id abc123\r\n\tfor <user@example.com>; Mon, 02 Jan 2006 15:04:05 -0700\r\n")
	}
	b.WriteString("From: =?utf-8?q?J=C3=B6rg?= <joerg@example.org>\r\nTo: user@example.com\r\nSubject: A test\r\n" +
		"Date: Mon, 02 Jan 2006 15:04:05 -0700\r\nMessage-ID: <123@example.org>\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/alternative; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n")
	for b.Len() < 4096-200 {
		b.WriteString("Lorem ipsum dolor sit amet, consectetur adipiscing elit.\r\n")
	}
	b.WriteString("--b\r\nContent-Type: text/html\r\n\r\n<p>Lorem</p>\r\n--b--\r\n")
	return []byte(b.String())
}()

func BenchmarkParse4K(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(message4K)))
	for b.Loop() {
		if _, err := ParseBytes(message4K, Limits{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParse4KWithMIME(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(message4K)))
	for b.Loop() {
		m, err := ParseBytes(message4K, Limits{})
		if err != nil {
			b.Fatal(err)
		}
		_ = m.Root()
	}
}

func BenchmarkHeaderLookup(b *testing.B) {
	m, err := ParseBytes(message4K, Limits{})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = m.Header("subject")
		_ = m.Header("x-spam-flag")
		_ = m.Header("Received")
	}
}
