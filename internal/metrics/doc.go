// Package metrics counts what sluice does, for Prometheus.
//
// A Metrics value owns its own prometheus.Registry (nothing is registered
// globally) and is served over HTTP by Handler or Serve at /metrics, in the
// Prometheus text exposition format, next to a /healthz liveness probe.
// A nil *Metrics is valid and records nothing, so code that runs without
// metrics needs no checks.
//
// Every label has a fixed set of values, listed below and in the exported
// constants. All series exist from the start with value 0, so that rate()
// and alerts work before the first event; a value outside the set is counted
// under "other" rather than creating a new series.
//
// The metric names and labels are a public interface: dashboards and
// alerts are built on them.
//
//	sluice_deliveries_total{outcome, reply_class}
//	    Counter. Recipients delivered, by final outcome and by the class of
//	    the reply given for them (the LMTP reply of RFC 2033 §4.2, or the
//	    exit status the LDA maps to one).
//	    outcome: stored (written to a mailbox), discarded (the script
//	    discarded it, RFC 5228 §4.4), rejected (refused by the script,
//	    RFC 5429), deferred (temporary failure; the client will retry),
//	    failed (permanent failure other than a reject), other.
//	    reply_class: 2xx, 4xx, 5xx, other.
//
//	sluice_sieve_actions_total{action}
//	    Counter. Sieve actions carried out, by action: keep, implicit-keep
//	    (RFC 5228 §2.10.2), fileinto, redirect, reject, ereject, discard,
//	    vacation, notify, other.
//
//	sluice_sieve_compile_errors_total
//	    Counter. Sieve scripts that failed to compile, so that the user's
//	    mail went to the implicit keep instead.
//
//	sluice_vacation_suppressed_total{reason}
//	    Counter. Vacation replies (RFC 5230) not sent, by reason:
//	    null-sender, sender-is-user, mailer-daemon, list, auto-submitted,
//	    precedence, x-auto-response-suppress, not-addressed, own-reply-loop,
//	    spam, duplicate (a reply went to this sender within :days), other.
//
//	sluice_vacation_sent_total
//	    Counter. Vacation replies handed to the outgoing mail system.
//
//	sluice_redirects_total{result}
//	    Counter. Redirects (RFC 5228 §4.2), by result: sent (handed to the
//	    outgoing mail system), duplicate (this message was already
//	    forwarded to this address), loop (not forwarded because the message
//	    had already passed through this address), limit (over the
//	    configured number of redirects per message), failed (the outgoing
//	    mail system refused or was unreachable), other.
//
//	sluice_delivery_duration_seconds
//	    Histogram. Time to deliver a message to one recipient: running
//	    the script and carrying out its actions. Buckets from 1ms to 30s.
//
//	sluice_lmtp_sessions_open
//	    Gauge. LMTP sessions currently open.
//
// The standard go_* and process_* collectors are registered as well.
package metrics
