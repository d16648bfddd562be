package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
)

// report is everything one benchmark run found.
type report struct {
	Machine   machine          `json:"machine"`
	Rounds    int              `json:"rounds"`
	Raw       []rawResult      `json:"raw_durable_write"`
	Scenarios []scenarioReport `json:"scenarios"`
	Notes     []string         `json:"notes,omitempty"`
	Failures  []string         `json:"failures,omitempty"`
}

// scenarioReport holds one scenario's rounds per server.
type scenarioReport struct {
	Scenario scenario        `json:"scenario"`
	Servers  []serverSummary `json:"servers"`
}

// serverSummary is one server's rounds of one scenario and their medians.
type serverSummary struct {
	Server string      `json:"server"`
	Rounds []runResult `json:"rounds"`
	Median runResult   `json:"median"`
	Error  string      `json:"error,omitempty"`
	// Unverified is set when some round's messages were accepted but not
	// filed as the script says; VerifyError is the first such finding.
	Unverified  bool   `json:"unverified,omitempty"`
	VerifyError string `json:"verify_error,omitempty"`
}

// medianOf takes the median of every measure over the rounds separately.
func medianOf(rs []runResult) runResult {
	if len(rs) == 0 {
		return runResult{}
	}
	f := func(get func(runResult) float64) float64 {
		xs := make([]float64, len(rs))
		for i, r := range rs {
			xs[i] = get(r)
		}
		return median(xs)
	}
	d := func(get func(runResult) time.Duration) time.Duration {
		return time.Duration(f(func(r runResult) float64 { return float64(get(r)) }))
	}
	i := func(get func(runResult) int64) int64 {
		return int64(f(func(r runResult) float64 { return float64(get(r)) }))
	}
	return runResult{
		Messages:   rs[0].Messages,
		Deliveries: rs[0].Deliveries,
		Elapsed:    d(func(r runResult) time.Duration { return r.Elapsed }),
		MsgsPerSec: f(func(r runResult) float64 { return r.MsgsPerSec }),
		DelPerSec:  f(func(r runResult) float64 { return r.DelPerSec }),
		P50:        d(func(r runResult) time.Duration { return r.P50 }),
		P99:        d(func(r runResult) time.Duration { return r.P99 }),
		First:      d(func(r runResult) time.Duration { return r.First }),
		Mem: memStats{
			TreePeak: i(func(r runResult) int64 { return r.Mem.TreePeak }),
			MaxHWM:   i(func(r runResult) int64 { return r.Mem.MaxHWM }),
		},
	}
}

// maxHWM is the largest peak RSS over all rounds (a limit applies to
// every round, not to the median).
func (s serverSummary) maxHWM() int64 {
	var m int64
	for _, r := range s.Rounds {
		m = max(m, r.Mem.MaxHWM)
	}
	return m
}

func (s scenarioReport) server(name string) (serverSummary, bool) {
	for _, v := range s.Servers {
		if v.Server == name && v.Error == "" && len(v.Rounds) > 0 {
			return v, true
		}
	}
	return serverSummary{}, false
}

func (r *report) rawRate(writers int) (float64, bool) {
	for _, x := range r.Raw {
		if x.Writers == writers {
			return x.PerSec, true
		}
	}
	return 0, false
}

func (r *report) writeJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("json: %w", err)
	}
	return nil
}

// writeMarkdown prints the machine line, the raw durable-write rates and
// one table per scenario.
func (r *report) writeMarkdown(w io.Writer) {
	fmt.Fprintf(w, "# sluice vs Dovecot LMTP + Pigeonhole\n\n")
	fmt.Fprintf(w, "Machine: %s\n\n", r.Machine)
	fmt.Fprintf(w, "Medians of %d interleaved rounds per server. Latency: end of DATA to the last per-recipient reply. "+
		"Peak RSS: largest sampled sum over the server's process tree; HWM: largest VmHWM of one process.\n\n", r.Rounds)
	if len(r.Raw) > 0 {
		fmt.Fprintf(w, "## Raw durable-write rate (4 KB: write tmp/, fsync, rename into new/, fsync new/)\n\n")
		fmt.Fprintf(w, "| writers | writes | writes/s |\n|---:|---:|---:|\n")
		for _, x := range r.Raw {
			fmt.Fprintf(w, "| %d | %d | %.0f |\n", x.Writers, x.Ops, x.PerSec)
		}
		fmt.Fprintln(w)
	}
	for _, s := range r.Scenarios {
		r.writeScenario(w, s)
	}
	for _, n := range r.Notes {
		fmt.Fprintf(w, "Note: %s\n\n", n)
	}
	for _, f := range r.Failures {
		first, _, _ := strings.Cut(f, "\n")
		fmt.Fprintf(w, "FAILED: %s\n\n", first)
	}
}

func (r *report) writeScenario(w io.Writer, s scenarioReport) {
	sc := s.Scenario
	fmt.Fprintf(w, "## %s: %s\n\n", sc.Name, sc.Desc)
	raw, hasRaw := r.rawRate(sc.RawWriters)
	hasRaw = hasRaw && sc.RawWriters > 0
	head := "| server | messages/s | deliveries/s | p50 | p99 | first delivery | peak RSS | HWM |"
	sep := "|---|---:|---:|---:|---:|---:|---:|---:|"
	if hasRaw {
		head += fmt.Sprintf(" of raw rate (%d writer%s) |", sc.RawWriters, plural(sc.RawWriters))
		sep += "---:|"
	}
	fmt.Fprintln(w, head)
	fmt.Fprintln(w, sep)
	for _, v := range s.Servers {
		if v.Error != "" && len(v.Rounds) == 0 {
			cols := 7
			if hasRaw {
				cols++
			}
			fmt.Fprintf(w, "| %s | %s |\n", v.Server, strings.Repeat("n/a | ", cols-1)+"n/a")
			continue
		}
		m := v.Median
		name := v.Server
		if v.Unverified {
			name += " (NOT VERIFIED)"
		}
		line := fmt.Sprintf("| %s | %.1f | %.1f | %s | %s | %s | %s | %s |", name, m.MsgsPerSec, m.DelPerSec,
			ms(m.P50), ms(m.P99), ms(m.First), mib(m.Mem.TreePeak), mib(m.Mem.MaxHWM))
		if hasRaw {
			line += fmt.Sprintf(" %.0f%% |", 100*m.DelPerSec/raw)
		}
		fmt.Fprintln(w, line)
	}
	d, okD := s.server("dovecot")
	sl, okS := s.server("sluice")
	if okD && okS {
		a, b := sl.Median, d.Median
		label := "sluice/dovecot"
		if sl.Unverified || d.Unverified {
			label += " (NOT VERIFIED)"
		}
		line := fmt.Sprintf("| %s | %s | %s | %s | %s | %s | %s | %s |", label,
			ratio(a.MsgsPerSec, b.MsgsPerSec), ratio(a.DelPerSec, b.DelPerSec),
			ratio(float64(a.P50), float64(b.P50)), ratio(float64(a.P99), float64(b.P99)),
			ratio(float64(a.First), float64(b.First)),
			ratio(float64(a.Mem.TreePeak), float64(b.Mem.TreePeak)), ratio(float64(a.Mem.MaxHWM), float64(b.Mem.MaxHWM)))
		if hasRaw {
			line += " |"
		}
		fmt.Fprintln(w, line)
	}
	fmt.Fprintln(w)
	if sc.SluiceHWMLimit > 0 && okS {
		verdict := "ok"
		if sl.maxHWM() >= sc.SluiceHWMLimit {
			verdict = "EXCEEDED"
		}
		fmt.Fprintf(w, "sluice peak RSS (VmHWM, worst round) %s, limit %s: %s\n\n", mib(sl.maxHWM()), mib(sc.SluiceHWMLimit), verdict)
	}
	for _, v := range s.Servers {
		if v.Error != "" {
			fmt.Fprintf(w, "%s failed: %s\n\n", v.Server, v.Error)
		}
		if v.VerifyError != "" {
			fmt.Fprintf(w, "%s misfiled mail: %s\n\n", v.Server, v.VerifyError)
		}
	}
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func ms(d time.Duration) string {
	return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond))
}

func mib(b int64) string {
	return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20))
}

func ratio(a, b float64) string {
	if b == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.2f×", a/b)
}
