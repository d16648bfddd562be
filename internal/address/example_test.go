package address_test

import (
	"fmt"

	"github.com/sluice-mail/sluice/internal/address"
)

func ExampleParse() {
	a, err := address.Parse(`"Alice Smith"+lists@Example.org`)
	fmt.Println(err)
	a, err = address.Parse(`"alice smith+lists"@Example.org`)
	if err != nil {
		fmt.Println(err)
		return
	}
	user, detail := address.Split(a.Local, "+")
	fmt.Printf("local=%q domain=%q ascii=%v\n", a.Local, a.Domain, a.ASCII())
	fmt.Printf("user=%q detail=%q\n", user, detail)
	fmt.Println(a)
	// Output:
	// invalid address "\"Alice Smith\"+lists@Example.org": unexpected '+' after quoted local part
	// local="alice smith+lists" domain="Example.org" ascii=true
	// user="alice smith" detail="lists"
	// "alice smith+lists"@Example.org
}
