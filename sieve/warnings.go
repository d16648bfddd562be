package sieve

import "fmt"

// RunWarning is a problem met while running a script that did not stop
// the run: the command or test went on as well as it could (an invalid
// :regex key built from variables matches nothing, RFC 5228 §2.10.6 asks
// no keep for it). The delivery side logs them for the user.
type RunWarning struct {
	Pos
	Message string
}

func (w *RunWarning) String() string { return w.Pos.String() + ": " + w.Message }

const warningsKey = "run.warnings"

// warnf records a run-time warning at the command or test being run.
func (e *exec) warnf(format string, args ...any) {
	pos := Pos{Script: e.s.name}
	if e.cur != nil {
		pos = e.cur.pos
	}
	ws, _ := e.state[warningsKey].([]*RunWarning)
	e.state[warningsKey] = append(ws, &RunWarning{Pos: pos, Message: fmt.Sprintf(format, args...)})
}

func (e *exec) warnings() []*RunWarning {
	ws, _ := e.state[warningsKey].([]*RunWarning)
	return ws
}
