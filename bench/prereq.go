package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// errMissing reports programs the benchmark needs and does not install.
var errMissing = errors.New("missing prerequisites")

// requirement is one file a package must have installed.
type requirement struct {
	What    string   // what it is for
	Paths   []string // any one of these will do; a bare name is looked up in PATH
	Package string   // the Debian/Ubuntu package that ships it
}

// dovecotRequirements are the parts of Dovecot 2.3 + Pigeonhole the
// benchmark starts.
var dovecotRequirements = []requirement{
	{What: "dovecot master", Paths: []string{"dovecot", "/usr/sbin/dovecot"}, Package: "dovecot-core"},
	{What: "dovecot LMTP server", Paths: []string{"/usr/lib/dovecot/lmtp", "/usr/libexec/dovecot/lmtp"}, Package: "dovecot-lmtpd"},
	{What: "Pigeonhole Sieve plugin", Paths: []string{
		"/usr/lib/dovecot/modules/lib90_sieve_plugin.so",
		"/usr/lib64/dovecot/lib90_sieve_plugin.so",
	}, Package: "dovecot-sieve"},
}

// find returns the first path of r that exists.
func (r requirement) find() (string, bool) {
	for _, p := range r.Paths {
		if !strings.Contains(p, "/") {
			if full, err := exec.LookPath(p); err == nil {
				return full, true
			}
			continue
		}
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p, true
		}
	}
	return "", false
}

// checkRequirements returns the path found for each requirement, or an
// error that says exactly what to install.
func checkRequirements(reqs []requirement) ([]string, error) {
	var paths, missing, pkgs []string
	for _, r := range reqs {
		p, ok := r.find()
		if !ok {
			missing = append(missing, fmt.Sprintf("%s (none of %s)", r.What, strings.Join(r.Paths, ", ")))
			pkgs = append(pkgs, r.Package)
		}
		paths = append(paths, p)
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%w: %s\ninstall with: sudo DEBIAN_FRONTEND=noninteractive apt-get install -y %s\n"+
			"(the benchmark runs a private instance; the system service may stay stopped: sudo systemctl disable --now dovecot)",
			errMissing, strings.Join(missing, "; "), strings.Join(dedup(pkgs), " "))
	}
	return paths, nil
}

func dedup(s []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, v := range s {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}
