package sieve

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// This file implements Pigeonhole's vnd.dovecot.testsuite extension for the
// conformance harness. It exists only in tests and is passed to Compile
// through Options.extra, so real scripts can never require it.

// suite is the state of one .svtest file run.
type suite struct {
	dir      string // directory of the .svtest file
	msg      Message
	env      StaticEnvelope
	boxes    map[string][]stored
	outbox   []stored
	script   *Script
	binaries map[string]*Script
	errors   []string
	config   map[string]string
	// metadata holds test_imap_metadata_set entries by mailbox and name.
	metadata map[string]string
	// edits, keepEdits and replaced are what the results of scripts run
	// with test_script_run did to the message: the header edits of each
	// action and of the implicit keep, and a message made by replace or
	// enclose.
	edits     map[Action]*HeaderEdits
	keepEdits *HeaderEdits
	replaced  []byte
	// blocks records the outcome of each test block.
	blocks []blockResult
	// current is the name of the running block ("" at top level).
	current string
	// missing is a capability a script compiled in this block lacked.
	missing string
	// executed counts the result's actions already executed, keepDone
	// whether its implicit keep was.
	executed int
	keepDone bool
}

type stored struct {
	msg   []byte
	flags []string
	env   StaticEnvelope
}

type blockResult struct {
	name    string
	outcome string // pass, fail, skip
	detail  string
}

var _ Services = (*suite)(nil)

// suiteEnvironment is what the environment extension (RFC 5183) answers
// in Pigeonhole's test suite, which checks it: the suite runs as
// Pigeonhole at a mail store. sluice itself answers "sluice" and "MDA"
// (delivery sets Input.Environment); these values only show that a
// caller's items override the defaults.
var suiteEnvironment = map[string]string{"name": "Pigeonhole Sieve", "location": "MS"}

func (*suite) Now() time.Time { return time.Now() }

func newSuite(dir string) *suite {
	return &suite{
		dir:      dir,
		msg:      mustParse("From: sender@example.com\r\nTo: recipient@example.org\r\nSubject: Test message\r\n\r\nTest!\r\n"),
		boxes:    map[string][]stored{"INBOX": nil},
		binaries: map[string]*Script{},
		config:   map[string]string{},
		env:      StaticEnvelope{Sender: "sender@example.com", Recipient: "recipient@example.org"},
	}
}

func mustParse(s string) Message {
	m, err := ParseMessage(strings.NewReader(s))
	if err != nil {
		panic(err)
	}
	return m
}

// testFail ends a test block as failed.
type testFail struct{ msg string }

func (f *testFail) Error() string { return "test failed: " + f.msg }
func (*testFail) controlFlow()    {}

func suiteOf(e *exec) *suite {
	s, ok := e.in.Services.(*suite)
	if !ok {
		panic("testsuite command outside the test harness")
	}
	return s
}

// testsuiteExtensions breaks the initialisation cycle between
// extTestsuite and test_script_compile.
var testsuiteExtensions []*extension

func init() { testsuiteExtensions = []*extension{extTestsuite, extDebug} }

// options are the compile options of the suite's scripts: the includes of
// Pigeonhole's layout (included/ and included-global/ beside the .svtest
// file) and the limits set with test_config_set.
func (s *suite) options() Options {
	o := Options{
		extra:    testsuiteExtensions,
		Includes: dirLoader{personal: filepath.Join(s.dir, "included"), global: filepath.Join(s.dir, "included-global")},
	}
	o.Limits.Includes = s.configInt("sieve_include_max_includes")
	o.Limits.IncludeDepth = s.configInt("sieve_include_max_nesting_depth")
	o.Limits.VariableSize = s.configInt("sieve_variables_max_variable_size")
	o.Limits.EditHeaderMaxSize = s.configInt("sieve_editheader_max_header_size")
	return o
}

// configInt reads a numeric test_config_set setting; 0 when unset.
func (s *suite) configInt(key string) int {
	n, err := strconv.Atoi(s.config[key])
	if err != nil {
		return 0
	}
	return n
}

// refresh makes the running exec see the suite's message and envelope.
func (s *suite) refresh(e *exec) {
	e.setMessage(s.msg)
	e.env = s.env
}

func resetResult(e *exec) {
	e.actions = nil
	e.implicitKeep = true
	e.redirects = 0
	if s, ok := e.in.Services.(*suite); ok {
		s.executed = 0
		s.keepDone = false
		s.edits, s.keepEdits, s.replaced = nil, nil, nil
	}
}

var extTestsuite = &extension{
	name:     "vnd.dovecot.testsuite",
	testOnly: true,
	namespaces: map[string]func(e *exec, name string) string{
		"tst": func(e *exec, name string) string {
			switch name {
			case "path":
				return suiteOf(e).dir
			case "name":
				return suiteOf(e).current
			}
			return ""
		},
	},
	commands: []*commandSpec{
		{name: "test", positional: []argKind{argString}, block: true, run: runTestBlock},
		{name: "test_fail", positional: []argKind{argString}, run: func(e *exec, n *node) error {
			return &testFail{msg: e.str(n.args[0])}
		}},
		{name: "test_set", positional: []argKind{argString, argString}, run: runTestSet},
		{name: "test_message", positional: []argKind{argNumber}, tags: testMessageTags,
			run: func(e *exec, n *node) error {
				if ok := testMessage(e, n); !ok {
					return fmt.Errorf("test_message: no such message")
				}
				return nil
			}},
		{name: "test_result_reset", run: func(e *exec, n *node) error {
			resetResult(e)
			suiteOf(e).errors = nil
			return nil
		}},
		{name: "test_result_print", run: func(*exec, *node) error { return nil }},
		{name: "test_message_print", run: func(*exec, *node) error { return nil }},
		{name: "test_config_set", positional: []argKind{argString, argString}, run: func(e *exec, n *node) error {
			suiteOf(e).config[e.str(n.args[0])] = e.str(n.args[1])
			return nil
		}},
		{name: "test_config_unset", positional: []argKind{argString}, run: func(e *exec, n *node) error {
			delete(suiteOf(e).config, e.str(n.args[0]))
			return nil
		}},
		{name: "test_config_reload", tags: []tagSpec{{name: "extension", arg: argString}}, run: func(e *exec, n *node) error {
			s := suiteOf(e)
			if d, ok := s.config["recipient_delimiter"]; ok && d != "" {
				e.delim = d
			}
			// The running suite script sees limits set since it was
			// compiled, as Pigeonhole's reloaded extensions do.
			if n := s.configInt("sieve_variables_max_variable_size"); n > 0 {
				e.s.limits.VariableSize = n
			}
			return nil
		}},
		{name: "test_mailbox_create", positional: []argKind{argString}, run: func(e *exec, n *node) error {
			s := suiteOf(e)
			if _, ok := s.boxes[e.str(n.args[0])]; !ok {
				s.boxes[e.str(n.args[0])] = nil
			}
			return nil
		}},
		{name: "test_binary_save", positional: []argKind{argString}, run: func(e *exec, n *node) error {
			s := suiteOf(e)
			s.binaries[e.str(n.args[0])] = s.script
			return nil
		}},
		{name: "test_binary_load", positional: []argKind{argString}, run: func(e *exec, n *node) error {
			s := suiteOf(e)
			s.script = s.binaries[e.str(n.args[0])]
			if s.script == nil {
				return fmt.Errorf("test_binary_load: no binary %q", e.str(n.args[0]))
			}
			return nil
		}},
	},
	tests: []*commandSpec{
		{name: "test_message", positional: []argKind{argNumber}, tags: testMessageTags,
			eval: func(e *exec, n *node) (bool, error) { return testMessage(e, n), nil }},
		{name: "test_script_compile", positional: []argKind{argString}, eval: evalScriptCompile},
		{name: "test_script_run", tags: []tagSpec{{name: "append_result"}}, eval: evalScriptRun},
		{name: "test_result_execute", eval: evalResultExecute},
		{name: "test_multiscript", positional: []argKind{argStringList}, eval: evalMultiscript},
		{name: "test_result_action", positional: []argKind{argStringList},
			tags:   []tagSpec{{name: "index", arg: argNumber}},
			groups: []string{groupComparator, groupMatchType},
			eval: func(e *exec, n *node) (bool, error) {
				var names []string
				for _, a := range e.actions {
					names = append(names, actionName(a))
				}
				return e.matchKeys(n, pick(names, n), n.args[0]), nil
			}},
		{name: "test_error", positional: []argKind{argStringList},
			tags:   []tagSpec{{name: "index", arg: argNumber}},
			groups: []string{groupComparator, groupMatchType},
			eval: func(e *exec, n *node) (bool, error) {
				return e.matchKeys(n, pick(suiteOf(e).errors, n), n.args[0]), nil
			}},
	},
}

var testMessageTags = []tagSpec{{name: "smtp", conflicts: []string{"folder"}}, {name: "folder", arg: argString, conflicts: []string{"smtp"}}}

// storeBox is the mailbox a keep or fileinto stores into, "" for other
// actions.
func storeBox(a Action) string {
	switch a := a.(type) {
	case *Keep:
		return "INBOX"
	case *FileInto:
		return canonTest(a.Mailbox)
	}
	return ""
}

// mergeStore merges a store action of a later script into an executed one
// of the same mailbox, as Pigeonhole's result does: the message is stored
// once, and a keep names the merged action. It reports whether a was
// merged.
func mergeStore(executed []Action, a Action) bool {
	box := storeBox(a)
	if box == "" {
		return false
	}
	for i, x := range executed {
		if storeBox(x) == box {
			if _, isKeep := a.(*Keep); isKeep {
				executed[i] = a
			}
			return true
		}
	}
	return false
}

// pick applies the :index tag (1-based) to values.
func pick(values []string, n *node) []string {
	v, ok := n.tags["index"]
	if !ok {
		return values
	}
	i := int(v.num)
	if i < 1 || i > len(values) {
		return nil
	}
	return values[i-1 : i]
}

func actionName(a Action) string {
	switch a.(type) {
	case *FileInto:
		return "store"
	}
	return a.Kind()
}

func runTestBlock(e *exec, n *node) error {
	s := suiteOf(e)
	name := e.str(n.args[0])
	resetResult(e)
	e.flags = nil
	s.outbox = nil
	s.current = name
	s.missing = ""
	err := e.runBlock(n.block)
	s.current = ""
	var tf *testFail
	detail := ""
	switch {
	case err == nil || errors.Is(err, errStop):
		s.blocks = append(s.blocks, blockResult{name: name, outcome: "pass"})
		return nil
	case errors.As(err, &tf):
		detail = tf.msg
	default:
		detail = err.Error()
	}
	if s.missing != "" {
		detail = "extension " + s.missing + " not implemented yet (" + detail + ")"
	}
	s.blocks = append(s.blocks, blockResult{name: name, outcome: "fail", detail: detail})
	return nil
}

func runTestSet(e *exec, n *node) error {
	s := suiteOf(e)
	item, val := e.str(n.args[0]), e.str(n.args[1])
	addr := val
	if strings.TrimSpace(val) == "<>" {
		addr = ""
	}
	switch item {
	case "message":
		m, err := ParseMessage(strings.NewReader(val))
		if err != nil {
			return err
		}
		s.msg = m
		s.env.Sender, s.env.Recipient = messageEnvelope(m)
	case "envelope.from":
		s.env.Sender = addr
	case "envelope.to":
		s.env.Recipient = addr
	case "envelope.orig_to":
		s.env.Original = addr
	case "envelope.auth":
		s.env.AuthUser = val
	default:
		return fmt.Errorf("test_set: unknown item %q", item)
	}
	s.refresh(e)
	return nil
}

// messageEnvelope derives the envelope of a message set with test_set as
// Pigeonhole's test suite does: the sender from Return-Path, Sender or
// From, the recipient from Envelope-To or To, with fixed defaults.
func messageEnvelope(m Message) (sender, recipient string) {
	first := func(def string, names ...string) string {
		for _, name := range names {
			for _, v := range m.Header(name) {
				if a := firstAddress(v); a != "" {
					return a
				}
			}
		}
		return def
	}
	return first("sender@example.com", "Return-Path", "Sender", "From"),
		first("recipient@example.com", "Envelope-To", "To")
}

// firstAddress is the first address of a header value, "" when there is
// none.
func firstAddress(v string) string {
	list, err := mail.ParseAddressList(strings.TrimSpace(v))
	if err != nil || len(list) == 0 {
		return ""
	}
	return list[0].Address
}

func testMessage(e *exec, n *node) bool {
	s := suiteOf(e)
	i := int(n.args[0].num)
	var list []stored
	if n.has("smtp") {
		list = s.outbox
	} else if box, ok := e.tagStr(n, "folder"); ok {
		list = s.boxes[canonTest(box)]
	}
	if i < 0 || i >= len(list) {
		return false
	}
	m, err := ParseMessage(strings.NewReader(string(list[i].msg)))
	if err != nil {
		return false
	}
	s.msg = m
	if n.has("smtp") {
		s.env = list[i].env
	} else {
		e.flags = append([]string(nil), list[i].flags...)
	}
	s.refresh(e)
	return true
}

// summaryError is the closing error Pigeonhole's compiler adds after the
// errors it found, which its test_error counts like the others.
func summaryError(ce *CompileErrors) string {
	if ce.parse {
		return "parse failed"
	}
	return "validation failed"
}

func evalScriptCompile(e *exec, n *node) (bool, error) {
	s := suiteOf(e)
	path := filepath.Join(s.dir, e.str(n.args[0]))
	s.errors = nil
	s.script = nil
	src, err := os.ReadFile(path)
	if err != nil {
		s.errors = append(s.errors, err.Error())
		return false, nil
	}
	name := strings.TrimSuffix(filepath.Base(path), ".sieve")
	sc, err := Compile(e.ctx, name, src, s.options())
	if err != nil {
		var ce *CompileErrors
		if errors.As(err, &ce) {
			for _, x := range ce.Errors {
				s.errors = append(s.errors, x.Message)
				if m := unknownCapability.FindStringSubmatch(x.Message); m != nil && s.missing == "" {
					s.missing = m[1]
				}
			}
			s.errors = append(s.errors, summaryError(ce))
		}
		return false, nil
	}
	for _, w := range sc.Warnings() {
		s.errors = append(s.errors, w.Message)
	}
	s.script = sc
	return true, nil
}

func evalScriptRun(e *exec, n *node) (bool, error) {
	s := suiteOf(e)
	if s.script == nil {
		return false, nil
	}
	ctx := e.ctx
	if sec := s.configInt("sieve_max_cpu_time"); sec > 0 {
		// Pigeonhole's CPU time limit; sluice bounds a run with the
		// caller's context (and its step budget).
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, time.Duration(sec)*time.Second)
		defer cancel()
	}
	res, err := s.script.Run(ctx, &Input{Message: s.msg, Envelope: s.env, Services: s, Environment: suiteEnvironment, RecipientDelimiter: s.config["recipient_delimiter"]})
	if err != nil {
		s.errors = append(s.errors, err.Error())
		return false, nil
	}
	for _, w := range res.Warnings {
		s.errors = append(s.errors, w.Message)
	}
	if !n.has("append_result") {
		resetResult(e)
		s.runResult(res)
		e.actions = append(e.actions, res.Actions...)
		e.implicitKeep = res.ImplicitKeep
	} else {
		s.runResult(res)
		// Later scripts add to the result; conflicts are dropped
		// gracefully, as between sieve_before and user scripts. As in
		// Pigeonhole, actions already executed conflict with nothing.
		executed := append([]Action(nil), e.actions[:s.executed]...)
		e.actions = e.actions[s.executed:]
		for _, a := range res.Actions {
			if _, isReject := a.(*Reject); isReject && slices.ContainsFunc(executed, func(x Action) bool { _, ok := x.(*Reject); return ok }) {
				continue // one reject per message: a second one is dropped
			}
			if mergeStore(executed, a) {
				continue
			}
			if err := e.addAction(a); err != nil {
				s.errors = append(s.errors, err.Error())
			}
		}
		e.actions = append(executed, e.actions...)
		e.implicitKeep = e.implicitKeep && res.ImplicitKeep
	}
	if res.ImplicitKeep {
		e.flags = res.ImplicitKeepFlags
	}
	return true, nil
}

// evalResultExecute plays the delivery agent: it stores, redirects and
// rejects into the suite's in-memory mail store and outbox.
func evalResultExecute(e *exec, n *node) (bool, error) {
	s := suiteOf(e)
	ok := true
	store := func(box string, flags []string, create bool, raw []byte) {
		box = canonTest(box)
		if _, exists := s.boxes[box]; !exists && !create && box != "INBOX" {
			s.errors = append(s.errors, fmt.Sprintf("failed to store into mailbox '%s': Mailbox doesn't exist: %s", box, box))
			ok = false
			return
		}
		if strings.Contains(box, "//") {
			s.errors = append(s.errors, fmt.Sprintf("failed to store into mailbox '%s': Invalid mailbox name", box))
			ok = false
			return
		}
		s.boxes[box] = append(s.boxes[box], stored{msg: raw, flags: flags})
	}
	s.errors = nil
	for _, a := range e.actions[s.executed:] {
		raw := s.messageFor(e, a)
		switch a := a.(type) {
		case *Keep:
			store("INBOX", a.Flags, true, raw)
		case *FileInto:
			store(a.Mailbox, a.Flags, a.Create, raw)
		case *Redirect:
			s.sendRedirect(a, raw)
		case *Reject:
			if err := s.sendReject(a, raw); err != nil {
				s.errors = append(s.errors, err.Error())
				ok = false
			}
		case *Vacation:
			if err := s.sendVacation(a, raw); err != nil {
				s.errors = append(s.errors, err.Error())
				ok = false
			}
		case *Notify:
			if err := s.sendNotify(a, raw); err != nil {
				s.errors = append(s.errors, err.Error())
				ok = false
			}
		}
	}
	s.executed = len(e.actions)
	if !ok && !s.keepDone {
		// RFC 5228 §2.10.6: when an action fails, the message is kept,
		// as received.
		hdr, body := messageParts(s.msg)
		store("INBOX", nil, true, append(append(append([]byte(nil), hdr...), "\r\n"...), body...))
		s.keepDone = true
	}
	if e.implicitKeep && !s.keepDone {
		store("INBOX", append([]string(nil), e.flags...), true, s.messageFor(e, nil))
		s.keepDone = true
	}
	return ok, nil
}

// evalMultiscript runs scripts in sequence as sieve_before/sieve_after do:
// the next script runs only while the implicit keep is still in force, and
// the results are merged and executed together.
func evalMultiscript(e *exec, n *node) (bool, error) {
	s := suiteOf(e)
	resetResult(e)
	s.errors = nil
	var keepFlags []string
	msg := s.msg // each script sees the edits of the ones before it
	for _, name := range e.strs(n.args[0]) {
		src, err := os.ReadFile(filepath.Join(s.dir, name))
		if err != nil {
			s.errors = append(s.errors, err.Error())
			return false, nil
		}
		sc, err := Compile(e.ctx, name, src, s.options())
		if err != nil {
			s.errors = append(s.errors, err.Error())
			return false, nil
		}
		res, err := sc.Run(e.ctx, &Input{Message: msg, Envelope: s.env, Services: s, Environment: suiteEnvironment, Flags: keepFlags})
		if err != nil {
			s.errors = append(s.errors, err.Error())
			return false, nil
		}
		if msg, err = res.NextMessage(msg); err != nil {
			s.errors = append(s.errors, err.Error())
			return false, nil
		}
		for _, a := range res.Actions {
			if err := e.addAction(a); err != nil {
				s.errors = append(s.errors, err.Error())
			}
		}
		e.implicitKeep = res.ImplicitKeep
		keepFlags = res.ImplicitKeepFlags
		if !res.ImplicitKeep {
			break
		}
	}
	e.flags = keepFlags
	if hdr, ok := rawHeaderOf(msg); ok && msg != s.msg {
		_, body := messageParts(s.msg)
		s.replaced = append(append(append([]byte(nil), hdr...), "\r\n"...), body...)
	}
	return evalResultExecute(e, n)
}
