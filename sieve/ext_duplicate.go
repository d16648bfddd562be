package sieve

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
)

// DuplicateTracker is an optional add-on to Services for the duplicate
// extension (RFC 7352): Seen reports whether id was recorded for this
// user and has not expired. Without it no message is a duplicate.
type DuplicateTracker interface {
	Seen(ctx context.Context, id string) (bool, error)
}

// DuplicateMark is an id the duplicate test looked up. The delivery side
// records it only after the message was delivered (RFC 7352 §3.1), so that
// a failed delivery does not make the retry a "duplicate".
type DuplicateMark struct {
	// ID is a hex SHA-256 of the handle and the tested value: the value
	// itself (a Message-ID, a header) never reaches the tracker.
	ID string
	// Period is how long the id stays recorded (:seconds, or
	// DefaultDuplicatePeriod).
	Period time.Duration
	// Last asks to restart Period at this delivery even when the id is
	// already recorded (:last, RFC 7352 §3.2); otherwise an existing,
	// unexpired record is left as it is.
	Last bool
}

// DefaultDuplicatePeriod is the tracking period without :seconds
// (RFC 7352 §3.2 leaves it to the implementation; Pigeonhole's default).
const DefaultDuplicatePeriod = 14 * 24 * time.Hour

// extDuplicate is RFC 7352, the duplicate test.
var extDuplicate = &extension{
	name: "duplicate",
	tests: []*commandSpec{{
		name: "duplicate",
		tags: []tagSpec{
			{name: "handle", arg: argString},
			{name: "header", arg: argString, conflicts: []string{"uniqueid"}},
			{name: "uniqueid", arg: argString, conflicts: []string{"header"}},
			{name: "seconds", arg: argNumber},
			{name: "last"},
		},
		check: func(c *checker, n *node) {
			if v, ok := n.tags["header"]; ok {
				if s, ok := v.constStrings(); ok && !validHeaderName(s[0]) {
					c.errorf(v.pos, "duplicate test: invalid header name '%s'", s[0])
				}
			}
		},
		eval: evalDuplicate,
	}},
}

// duplicateState is the per-run memory of the duplicate test.
type duplicateState struct {
	answers map[string]bool // id -> first answer in this run
	marks   []DuplicateMark
}

func evalDuplicate(e *exec, n *node) (bool, error) {
	var value string
	switch {
	case n.has("uniqueid"):
		value, _ = e.tagStr(n, "uniqueid")
	default:
		name := "Message-ID"
		if h, ok := e.tagStr(n, "header"); ok {
			name = h
		}
		if !validHeaderName(name) {
			return false, nil
		}
		vals := e.msg.Header(name)
		if len(vals) == 0 {
			// RFC 7352 §3.1: nothing to track, never a duplicate.
			return false, nil
		}
		value = strings.TrimSpace(decodeHeader(vals[0]))
		if value == "" {
			return false, nil
		}
	}
	handle, _ := e.tagStr(n, "handle")
	id := duplicateID(handle, value)
	period := DefaultDuplicatePeriod
	if v, ok := n.tags["seconds"]; ok {
		period = time.Duration(min(v.num, int64(1<<62/time.Second))) * time.Second
	}
	st, _ := e.state["duplicate"].(*duplicateState)
	if st == nil {
		st = &duplicateState{answers: map[string]bool{}}
		e.state["duplicate"] = st
	}
	if seen, ok := st.answers[id]; ok {
		// RFC 7352 §3.1: a second test of the same id in one run sees
		// what the first saw, not the first's own tracking.
		st.mark(id, period, n.has("last"))
		return seen, nil
	}
	seen := false
	if t, ok := e.services().(DuplicateTracker); ok {
		var err error
		if seen, err = t.Seen(e.ctx, id); err != nil {
			return false, fmt.Errorf("duplicate: %w", err)
		}
	}
	st.answers[id] = seen
	st.mark(id, period, n.has("last"))
	return seen, nil
}

// mark records id once, widening its period and :last as later tests ask.
func (st *duplicateState) mark(id string, period time.Duration, last bool) {
	for i := range st.marks {
		if m := &st.marks[i]; m.ID == id {
			m.Period = max(m.Period, period)
			m.Last = m.Last || last
			return
		}
	}
	st.marks = append(st.marks, DuplicateMark{ID: id, Period: period, Last: last})
}

// duplicateID hashes the handle and value (RFC 7352 §3.1: ids of
// different handles are tracked apart).
func duplicateID(handle, value string) string {
	h := sha256.New()
	h.Write([]byte("sieve-duplicate\x00"))
	h.Write([]byte(handle))
	h.Write([]byte{0})
	h.Write([]byte(value))
	return hex.EncodeToString(h.Sum(nil))
}

// duplicateMarks returns the marks of this run for the Result.
func (e *exec) duplicateMarks() []DuplicateMark {
	st, _ := e.state["duplicate"].(*duplicateState)
	if st == nil || len(st.marks) == 0 {
		return nil
	}
	return append([]DuplicateMark(nil), st.marks...)
}
