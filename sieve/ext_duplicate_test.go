package sieve

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// memTracker is a DuplicateTracker holding ids already recorded.
type memTracker struct {
	seen map[string]bool
	err  error
}

var (
	_ Services         = (*memTracker)(nil)
	_ DuplicateTracker = (*memTracker)(nil)
)

func (*memTracker) Now() time.Time { return time.Unix(0, 0) }
func (m *memTracker) Seen(_ context.Context, id string) (bool, error) {
	return m.seen[id], m.err
}

func TestDuplicate(t *testing.T) {
	msgID := duplicateID("", "<1@example.org>")
	tests := []struct {
		name  string
		seen  []string
		src   string
		want  bool
		marks []DuplicateMark
	}{
		{"new message", nil, `if duplicate { discard; }`, false,
			[]DuplicateMark{{ID: msgID, Period: DefaultDuplicatePeriod}}},
		{"seen message", []string{msgID}, `if duplicate { discard; }`, true,
			[]DuplicateMark{{ID: msgID, Period: DefaultDuplicatePeriod}}},
		{"handle separates", []string{msgID}, `if duplicate :handle "h" { discard; }`, false,
			[]DuplicateMark{{ID: duplicateID("h", "<1@example.org>"), Period: DefaultDuplicatePeriod}}},
		{"header", nil, `if duplicate :header "subject" :seconds 60 :last { discard; }`, false,
			[]DuplicateMark{{ID: duplicateID("", "Hello"), Period: time.Minute, Last: true}}},
		{"uniqueid", []string{duplicateID("", "X")}, `if duplicate :uniqueid "X" { discard; }`, true,
			[]DuplicateMark{{ID: duplicateID("", "X"), Period: DefaultDuplicatePeriod}}},
		{"absent header", nil, `if duplicate :header "X-None" { discard; }`, false, nil},
		{"same id twice in a run", nil, `if duplicate { discard; } if duplicate :seconds 99999999 { discard; }`, false,
			[]DuplicateMark{{ID: msgID, Period: 99999999 * time.Second}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := &memTracker{seen: map[string]bool{}}
			for _, id := range tt.seen {
				tr.seen[id] = true
			}
			res, err := ext4Run(t, `require "duplicate"; `+tt.src, ext4Msg, tr)
			if err != nil {
				t.Fatal(err)
			}
			if got := !res.ImplicitKeep; got != tt.want {
				t.Errorf("duplicate = %v, want %v", got, tt.want)
			}
			if len(res.Duplicates) != len(tt.marks) {
				t.Fatalf("marks = %+v, want %+v", res.Duplicates, tt.marks)
			}
			for i := range tt.marks {
				if res.Duplicates[i] != tt.marks[i] {
					t.Errorf("mark %d = %+v, want %+v", i, res.Duplicates[i], tt.marks[i])
				}
			}
		})
	}
}

func TestDuplicateIDHidesValue(t *testing.T) {
	id := duplicateID("h", "<secret@example.org>")
	if strings.Contains(id, "secret") || len(id) != 64 {
		t.Errorf("id = %q", id)
	}
	if duplicateID("a", "bc") == duplicateID("ab", "c") {
		t.Error("handle and value are not separated")
	}
}

func TestDuplicateTrackerError(t *testing.T) {
	boom := errors.New("db down")
	_, err := ext4Run(t, `require "duplicate"; if duplicate { discard; }`, ext4Msg, &memTracker{err: boom})
	if !errors.Is(err, ErrRuntime) || !errors.Is(err, boom) {
		t.Errorf("err = %v", err)
	}
}

func TestDuplicateErrors(t *testing.T) {
	for src, want := range map[string]string{
		`require "duplicate"; duplicate;`:                                "cannot use test 'duplicate' as a command",
		`require "duplicate"; if duplicate "x" {}`:                       "requires 0 positional",
		`require "duplicate"; if duplicate :header "X" :uniqueid "Y" {}`: "cannot be combined",
		`require "duplicate"; if duplicate :seconds "a" {}`:              "expects a number",
		`require "duplicate"; if duplicate :handle ["a", "b"] {}`:        "expects a string",
		`require "duplicate"; if duplicate :header "Bad:Name" {}`:        "invalid header name",
		`if duplicate {}`: "requires the 'duplicate' extension",
	} {
		if got := ext4CompileErr(t, src); !strings.Contains(got, want) {
			t.Errorf("%s: error = %q, want %q", src, got, want)
		}
	}
}
