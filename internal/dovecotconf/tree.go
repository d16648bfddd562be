package dovecotconf

import "fmt"

// Pos is where a setting or a section starts.
type Pos struct {
	File string // as given to Load or named by an !include
	Line int
}

func (p Pos) String() string { return fmt.Sprintf("%s:%d", p.File, p.Line) }

// Setting is one "key = value" line.
type Setting struct {
	Key, Value string
	Pos        Pos
}

// Section is a "type [name] { ... }" block, or the whole file (Type "").
// Settings and Sections keep file order; a key set twice keeps both, the
// later one winning.
type Section struct {
	Type, Name string
	Pos        Pos
	Settings   []Setting
	Sections   []*Section
	parent     *Section
}

// Get is the last value of key in this section itself.
func (s *Section) Get(key string) (Setting, bool) {
	for i := len(s.Settings) - 1; i >= 0; i-- {
		if s.Settings[i].Key == key {
			return s.Settings[i], true
		}
	}
	return Setting{}, false
}

// lookup is the value of key in s or, failing that, in the sections
// around it (what "$key" stands for).
func (s *Section) lookup(key string) (string, bool) {
	for c := s; c != nil; c = c.parent {
		if v, ok := c.Get(key); ok {
			return v.Value, true
		}
	}
	return "", false
}

// Find is the sections of this type (and name, when name is not "")
// directly inside s, in file order.
func (s *Section) Find(typ, name string) []*Section {
	var out []*Section
	for _, c := range s.Sections {
		if c.Type == typ && (name == "" || c.Name == name) {
			out = append(out, c)
		}
	}
	return out
}
