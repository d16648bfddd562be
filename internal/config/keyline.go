package config

import (
	"errors"
	"reflect"
	"strconv"

	"github.com/BurntSushi/toml"
)

// The toml package knows the line of every key but does not export it; it
// does put it in the ParseError of a value that fails to decode. keyLine
// decodes the document once more into a struct that reaches just the key,
// where a value that always fails to decode sits.

type lineProbe struct{}

var errLineProbe = errors.New("line probe")

func (lineProbe) UnmarshalTOML(any) error { return errLineProbe }

// keyLine returns the line where key is defined, or 0 when unknown.
func keyLine(data string, key []string) int {
	if len(key) == 0 {
		return 0
	}
	t := reflect.TypeOf(lineProbe{})
	for i := len(key) - 1; i >= 0; i-- {
		t = reflect.StructOf([]reflect.StructField{{
			Name: "F",
			Type: t,
			Tag:  reflect.StructTag("toml:" + strconv.Quote(key[i])),
		}})
	}
	_, err := toml.Decode(data, reflect.New(t).Interface())
	var pe toml.ParseError
	if errors.As(err, &pe) && pe.Message == errLineProbe.Error() {
		return pe.Position.Line
	}
	return 0
}
