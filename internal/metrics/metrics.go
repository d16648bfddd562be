package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Other is the label value under which values outside a label's known set
// are counted.
const Other = "other"

// Outcomes of a delivery to one recipient (label "outcome").
const (
	OutcomeStored    = "stored"
	OutcomeDiscarded = "discarded"
	OutcomeRejected  = "rejected"
	OutcomeDeferred  = "deferred"
	OutcomeFailed    = "failed"
)

// Reply classes (label "reply_class"); see ReplyClass.
const (
	Reply2xx = "2xx"
	Reply4xx = "4xx"
	Reply5xx = "5xx"
)

// Sieve actions (label "action"). They are the Sieve names of the actions,
// except ActionImplicitKeep.
const (
	ActionKeep         = "keep"
	ActionImplicitKeep = "implicit-keep"
	ActionFileInto     = "fileinto"
	ActionRedirect     = "redirect"
	ActionReject       = "reject"
	ActionEReject      = "ereject"
	ActionDiscard      = "discard"
	ActionVacation     = "vacation"
	ActionNotify       = "notify"
)

// Results of a redirect (label "result").
const (
	RedirectSent      = "sent"
	RedirectDuplicate = "duplicate"
	RedirectLoop      = "loop"
	RedirectLimit     = "limit"
	RedirectFailed    = "failed"
)

var (
	outcomes     = []string{OutcomeStored, OutcomeDiscarded, OutcomeRejected, OutcomeDeferred, OutcomeFailed, Other}
	replyClasses = []string{Reply2xx, Reply4xx, Reply5xx, Other}
	actions      = []string{
		ActionKeep, ActionImplicitKeep, ActionFileInto, ActionRedirect, ActionReject,
		ActionEReject, ActionDiscard, ActionVacation, ActionNotify, Other,
	}
	redirectResults = []string{RedirectSent, RedirectDuplicate, RedirectLoop, RedirectLimit, RedirectFailed, Other}
	// vacationReasons are the stable names of the suppression reasons of
	// the autoreply package (RFC 3834 §2 and RFC 5230 §4.5-4.6 among them).
	vacationReasons = []string{
		"null-sender", "sender-is-user", "mailer-daemon", "list", "auto-submitted",
		"precedence", "x-auto-response-suppress", "not-addressed", "own-reply-loop",
		"spam", "duplicate", Other,
	}
)

// durationBuckets span a local delivery, from a cached script and a small
// message on a fast disk (1ms) to a slow outgoing relay for a redirect or
// a vacation reply (30s).
var durationBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}

// Metrics records sluice's metrics in its own registry. Its methods are
// safe for concurrent use, and do nothing on a nil *Metrics.
type Metrics struct {
	registry *prometheus.Registry

	deliveries      map[deliveryLabels]prometheus.Counter
	actions         labelled
	compileErrors   prometheus.Counter
	vacationSkipped labelled
	vacationSent    prometheus.Counter
	redirects       labelled
	duration        prometheus.Histogram
	sessions        prometheus.Gauge
}

type deliveryLabels struct{ outcome, class string }

// labelled holds one counter per known value of a single label, looked up
// without building label strings or allocating.
type labelled struct {
	byValue map[string]prometheus.Counter
	other   prometheus.Counter
}

func newLabelled(vec *prometheus.CounterVec, values []string) labelled {
	l := labelled{byValue: make(map[string]prometheus.Counter, len(values))}
	for _, v := range values {
		l.byValue[v] = vec.WithLabelValues(v)
	}
	l.other = l.byValue[Other]
	return l
}

func (l labelled) inc(value string) {
	c, ok := l.byValue[value]
	if !ok {
		c = l.other
	}
	c.Inc()
}

// New returns Metrics with every series registered at 0, along with the
// Go runtime and process collectors.
func New() *Metrics {
	reg := prometheus.NewRegistry()
	m := &Metrics{registry: reg}

	deliveries := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "sluice_deliveries_total",
		Help: "Recipients delivered, by outcome and reply class.",
	}, []string{"outcome", "reply_class"})
	m.deliveries = make(map[deliveryLabels]prometheus.Counter, len(outcomes)*len(replyClasses))
	for _, o := range outcomes {
		for _, c := range replyClasses {
			m.deliveries[deliveryLabels{o, c}] = deliveries.WithLabelValues(o, c)
		}
	}

	actionVec := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "sluice_sieve_actions_total",
		Help: "Sieve actions carried out, by action.",
	}, []string{"action"})
	m.actions = newLabelled(actionVec, actions)

	m.compileErrors = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "sluice_sieve_compile_errors_total",
		Help: "Sieve scripts that failed to compile.",
	})

	skipped := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "sluice_vacation_suppressed_total",
		Help: "Vacation replies not sent, by reason.",
	}, []string{"reason"})
	m.vacationSkipped = newLabelled(skipped, vacationReasons)

	m.vacationSent = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "sluice_vacation_sent_total",
		Help: "Vacation replies sent.",
	})

	redirectVec := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "sluice_redirects_total",
		Help: "Redirects, by result.",
	}, []string{"result"})
	m.redirects = newLabelled(redirectVec, redirectResults)

	m.duration = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "sluice_delivery_duration_seconds",
		Help:    "Time to deliver a message to one recipient.",
		Buckets: durationBuckets,
	})

	m.sessions = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "sluice_lmtp_sessions_open",
		Help: "LMTP sessions currently open.",
	})

	reg.MustRegister(
		deliveries, actionVec, m.compileErrors, skipped, m.vacationSent,
		redirectVec, m.duration, m.sessions,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return m
}

// Registry returns the registry the metrics live in, for registering
// further collectors. It is nil for a nil *Metrics.
func (m *Metrics) Registry() *prometheus.Registry {
	if m == nil {
		return nil
	}
	return m.registry
}

// ReplyClass returns the reply_class label value for an LMTP/SMTP reply
// code: Reply2xx, Reply4xx, Reply5xx, or Other.
func ReplyClass(code int) string {
	switch code / 100 {
	case 2:
		return Reply2xx
	case 4:
		return Reply4xx
	case 5:
		return Reply5xx
	default:
		return Other
	}
}

// Delivery counts one recipient's delivery by its outcome (an Outcome
// constant) and reply class (a Reply constant, see ReplyClass).
func (m *Metrics) Delivery(outcome, replyClass string) {
	if m == nil {
		return
	}
	c, ok := m.deliveries[deliveryLabels{outcome, replyClass}]
	if !ok {
		if _, known := m.deliveries[deliveryLabels{outcome, Other}]; !known {
			outcome = Other
		}
		if _, known := m.deliveries[deliveryLabels{Other, replyClass}]; !known {
			replyClass = Other
		}
		c = m.deliveries[deliveryLabels{outcome, replyClass}]
	}
	c.Inc()
}

// Action counts one Sieve action carried out (an Action constant, or the
// action's Sieve name).
func (m *Metrics) Action(kind string) {
	if m == nil {
		return
	}
	m.actions.inc(kind)
}

// CompileError counts a Sieve script that failed to compile.
func (m *Metrics) CompileError() {
	if m == nil {
		return
	}
	m.compileErrors.Inc()
}

// VacationSuppressed counts a vacation reply not sent, by the stable name
// of the reason (the autoreply package's Reason strings).
func (m *Metrics) VacationSuppressed(reason string) {
	if m == nil {
		return
	}
	m.vacationSkipped.inc(reason)
}

// VacationSent counts a vacation reply sent.
func (m *Metrics) VacationSent() {
	if m == nil {
		return
	}
	m.vacationSent.Inc()
}

// Redirect counts a redirect by its result (a Redirect constant).
func (m *Metrics) Redirect(result string) {
	if m == nil {
		return
	}
	m.redirects.inc(result)
}

// ObserveDelivery records how long a delivery to one recipient took.
func (m *Metrics) ObserveDelivery(d time.Duration) {
	if m == nil {
		return
	}
	m.duration.Observe(d.Seconds())
}

// SessionOpened counts an LMTP session as open; pair it with
// SessionClosed.
func (m *Metrics) SessionOpened() {
	if m == nil {
		return
	}
	m.sessions.Inc()
}

// SessionClosed counts an LMTP session as closed.
func (m *Metrics) SessionClosed() {
	if m == nil {
		return
	}
	m.sessions.Dec()
}
