package sieve

import (
	"os"
	"strings"
	"sync"
)

// extEnvironment is RFC 5183: the environment test, which matches the
// value of an item describing where the script runs.
var extEnvironment = &extension{
	name: "environment",
	tests: []*commandSpec{{
		name:       "environment",
		positional: []argKind{argString, argStringList},
		groups:     []string{groupComparator, groupMatchType},
		eval:       evalEnvironment,
	}},
}

// Default values of the standard items (RFC 5183 §4). The caller overrides
// any of them, and supplies the connection items (remote-host, remote-ip),
// through Input.Environment.
const (
	envName     = "sluice"
	envVersion  = "1.0"
	envLocation = "MDA" // RFC 5183 §4.4: delivery into the mailbox
	envPhase    = "during"
)

// localHost is the host name, looked up once.
var localHost = sync.OnceValue(func() string {
	h, err := os.Hostname()
	if err != nil {
		return ""
	}
	return h
})

// environmentItem returns the value of item, ok=false when it is unknown
// (RFC 5183 §5: the test is then false, whatever the match type).
func (e *exec) environmentItem(item string) (string, bool) {
	item = strings.ToLower(item)
	if v, ok := e.in.Environment[item]; ok {
		return v, true
	}
	switch item {
	case "name":
		return envName, true
	case "version":
		return envVersion, true
	case "location":
		return envLocation, true
	case "phase":
		return envPhase, true
	case "host":
		if h := localHost(); h != "" {
			return h, true
		}
	case "domain":
		// RFC 5183 §4.1: usually a proper suffix of the host name.
		host := e.in.Environment["host"]
		if host == "" {
			host = localHost()
		}
		if _, dom, ok := strings.Cut(host, "."); ok && dom != "" {
			return dom, true
		}
	}
	return "", false
}

func evalEnvironment(e *exec, n *node) (bool, error) {
	v, ok := e.environmentItem(e.str(n.args[0]))
	if !ok {
		return false, nil
	}
	return e.matchKeys(n, []string{v}, n.args[1]), nil
}
