package sieve

import "time"

// Limits bounds what one script may use. A zero field takes its default,
// chosen to match Pigeonhole's defaults.
type Limits struct {
	ScriptSize     int // bytes of source; default 1 MiB
	Actions        int // actions in one result; default 32
	Redirects      int // redirect actions in one result; default 4
	Nesting        int // block and test nesting depth; default 32
	IncludeDepth   int // nested include levels (RFC 6609); default 10
	Includes       int // scripts included in total; default 255
	Variables      int // distinct variables in one run; default 255
	VariableSize   int // bytes per variable value; default 4 KiB
	MatchVariables int // match variables ${0}..; default 32 like Pigeonhole (RFC 5229 §3.2 asks for at least 10)
	Steps          int // commands, tests and comparisons per run; default 1,000,000
	// EditHeaderMaxSize bounds the value of an addheader field (RFC 5293
	// §4), in octets; default 2048, Pigeonhole's
	// sieve_editheader_max_header_size. A constant value over it is a
	// compile error, a computed one a run-time error.
	EditHeaderMaxSize int
	// VacationMinPeriod and VacationMaxPeriod bound the vacation :days and
	// :seconds period (RFC 5230 §4.1, RFC 6131); zero takes the defaults
	// (1 day, 60 days), a negative value means no bound.
	VacationMinPeriod, VacationMaxPeriod time.Duration
}

func (l Limits) withDefaults() Limits {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&l.ScriptSize, 1<<20)
	def(&l.Actions, 32)
	def(&l.Redirects, 4)
	def(&l.Nesting, 32)
	def(&l.IncludeDepth, 10)
	def(&l.Includes, 255)
	def(&l.Variables, 255)
	def(&l.VariableSize, 4096)
	def(&l.MatchVariables, 32)
	def(&l.Steps, 1_000_000)
	def(&l.EditHeaderMaxSize, defaultMaxHeaderSize)
	return l
}
