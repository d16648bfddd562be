package autoreply_test

import (
	"fmt"
	"strings"
	"time"

	"github.com/sluice-mail/sluice/internal/autoreply"
)

func ExampleOriginal_ShouldAutoReply() {
	raw := []byte("From: Timo <timo@example.com>\r\n" +
		"To: dovecot@lists.example.com\r\n" +
		"List-Id: <dovecot.lists.example.com>\r\n" +
		"Subject: Frop!\r\n\r\nbody\r\n")
	o, err := autoreply.NewOriginal(raw, "dovecot-bounces+stephan=example.com@lists.example.com", "stephan@example.com")
	if err != nil {
		fmt.Println(err)
		return
	}
	ok, reason := o.ShouldAutoReply(autoreply.DefaultPolicy())
	fmt.Println(ok, reason)
	// Output: false list
}

func ExampleBuildVacation() {
	raw := []byte("From: Timo <timo@example.com>\r\n" +
		"To: stephan@example.com\r\n" +
		"Subject: Lunch?\r\n" +
		"Message-ID: <lunch-1@example.com>\r\n\r\nbody\r\n")
	o, _ := autoreply.NewOriginal(raw, "timo@example.com", "stephan@example.com")
	if ok, reason := o.ShouldAutoReply(autoreply.DefaultPolicy()); !ok {
		fmt.Println("suppressed:", reason)
		return
	}
	out, err := autoreply.BuildVacation(o, autoreply.Vacation{Reason: "Back on Monday."}, autoreply.BuildOptions{
		Now:      func() time.Time { return time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC) },
		Hostname: "mx.example.com",
		NewID:    func() string { return "r1" },
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	// Data has CRLF line endings; print it with LF.
	fmt.Printf("MAIL FROM:<%s> RCPT TO:<%s>\n%s", out.MailFrom, out.RcptTo[0], strings.ReplaceAll(string(out.Data), "\r\n", "\n"))
	// Output:
	// MAIL FROM:<> RCPT TO:<timo@example.com>
	// From: <stephan@example.com>
	// To: "Timo" <timo@example.com>
	// Subject: Auto: Lunch?
	// Date: Mon, 02 Mar 2026 09:00:00 +0000
	// Message-ID: <r1@mx.example.com>
	// In-Reply-To: <lunch-1@example.com>
	// References: <lunch-1@example.com>
	// Auto-Submitted: auto-replied (vacation)
	// Precedence: bulk
	// MIME-Version: 1.0
	// Content-Type: text/plain; charset=utf-8
	// Content-Transfer-Encoding: 7bit
	//
	// Back on Monday.
}

func ExampleParseMailto() {
	u, err := autoreply.ParseMailto("mailto:alm@example.com?cc=boss@example.org&subject=New%20mail")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(u.Recipients(), u.Subject)
	fmt.Println(autoreply.MailtoCapability("mailto:alm@example.com", "online"))
	// Output:
	// [alm@example.com boss@example.org] New mail
	// maybe
}

func ExampleReasonLine() {
	fmt.Println(autoreply.ReasonLine("Not here.\r\nTry   again\tlater."))
	// Output: Not here. Try again later.
}
