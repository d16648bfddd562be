package sieve

import (
	"context"
	"fmt"
	"strings"
)

// Example_include shows a script including a shared filter and reading a
// variable that filter made global.
func Example_include() {
	shared := mapLoader{
		"lists": `require ["include", "variables", "fileinto"];
global "list";
if header :matches "list-id" "*<*.example.org>*" { set "list" "${2}"; fileinto "Lists/${list}"; }`,
	}
	main := `require ["include", "variables", "fileinto"];
include "lists";
global "list";
if string :is "${list}" "" { fileinto "Other"; }`
	s, err := Compile(context.Background(), "main", []byte(main), Options{Includes: shared})
	if err != nil {
		fmt.Println(err)
		return
	}
	msg, _ := ParseMessage(strings.NewReader("List-Id: Go users <golang.example.org>\r\n\r\nhi\r\n"))
	res, err := s.Run(context.Background(), &Input{Message: msg})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, a := range res.Actions {
		fmt.Println(a.Kind(), a.(*FileInto).Mailbox, "from", a.Position().Script)
	}
	// Output:
	// fileinto Lists/golang from lists
}
