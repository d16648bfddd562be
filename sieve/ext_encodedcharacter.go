package sieve

// extEncodedCharacter is RFC 5228 §2.4.2.4. It has no commands: requiring
// it makes the compiler decode "${hex:..}" and "${unicode:..}" in every
// string (see checker.compileString).
var extEncodedCharacter = &extension{name: "encoded-character"}
