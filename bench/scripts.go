package main

import (
	_ "embed"
	"fmt"
	"strings"
)

// userScript is the personal Sieve script (RFC 5228) both servers run.
//
//go:embed testdata/user.sieve
var userScript string

// manyRulesScript returns userScript with n extra rules placed before its
// own, none of which matches a benchmark message: every delivery pays for
// evaluating all of them (each rule is an anyof of a header and an address
// test) and then ends exactly as with userScript.
func manyRulesScript(n int) (string, error) {
	end, err := requireEnd(userScript)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString(userScript[:end])
	b.WriteString("\n\n# Generated rules for the many-rules scenario.\n")
	for k := range n {
		fmt.Fprintf(&b, "if anyof (header :contains \"Subject\" \"topic-%04d\", address :is \"from\" \"sender%04d@news.example.net\") {\n"+
			"    addflag \"\\\\Seen\";\n    fileinto \"Topics\";\n    stop;\n}\n", k, k)
	}
	b.WriteString(userScript[end:])
	return b.String(), nil
}

// requireEnd returns the offset just past the script's require command,
// which must stay before any other command (RFC 5228 section 3.2). The
// script's comments must not contain "require ".
func requireEnd(script string) (int, error) {
	i := strings.Index(script, "require ")
	if i < 0 {
		return 0, fmt.Errorf("user script: no require command")
	}
	j := strings.Index(script[i:], ";")
	if j < 0 {
		return 0, fmt.Errorf("user script: unterminated require command")
	}
	return i + j + 1, nil
}
