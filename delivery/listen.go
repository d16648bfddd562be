package delivery

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// UnixOptions set the permissions of a unix socket after it is bound.
type UnixOptions struct {
	// Mode is applied with chmod when not zero (e.g. 0660).
	Mode os.FileMode
	// Owner and Group are names or numeric ids; "" leaves them unchanged.
	Owner, Group string
}

// ErrSocketInUse means another process is accepting on the unix socket.
var ErrSocketInUse = errors.New("already in use by another process")

// staleProbeTimeout bounds the connect used to tell a live socket from a
// stale one.
const staleProbeTimeout = time.Second

// Listen opens a listener on network "tcp" (also "tcp4", "tcp6") or
// "unix". For a unix socket, a stale socket file left by a dead process
// (nobody answers a connect) is replaced, a socket in use is an error
// wrapping ErrSocketInUse, and any other file at the path is an error;
// opts are applied after bind.
func Listen(ctx context.Context, network, address string, opts UnixOptions) (net.Listener, error) {
	var lc net.ListenConfig
	switch network {
	case "tcp", "tcp4", "tcp6":
		return lc.Listen(ctx, network, address) // errors name the address

	case "unix":
	default:
		return nil, fmt.Errorf("listen: unsupported network %q", network)
	}

	// The socket's directory is created like Dovecot's base_dir, so a
	// fresh installation (or the example configuration) starts as is.
	if err := os.MkdirAll(filepath.Dir(address), 0o755); err != nil {
		return nil, fmt.Errorf("listen unix %s: %w", address, err)
	}
	if err := removeStaleSocket(ctx, address); err != nil {
		return nil, err
	}
	ln, err := lc.Listen(ctx, "unix", address)
	if err != nil {
		return nil, err // *net.OpError: "listen unix PATH: bind: ..."
	}
	if err := applyUnixOptions(address, opts); err != nil {
		ln.Close()
		return nil, err
	}
	return ln, nil
}

// removeStaleSocket removes path if it is a unix socket nobody listens on.
func removeStaleSocket(ctx context.Context, path string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("listen unix %s: %w", path, err)
	}
	if fi.Mode().Type() != fs.ModeSocket {
		return fmt.Errorf("listen unix %s: exists and is not a socket", path)
	}
	d := net.Dialer{Timeout: staleProbeTimeout}
	c, err := d.DialContext(ctx, "unix", path)
	if err == nil {
		c.Close()
		return fmt.Errorf("listen unix %s: %w", path, ErrSocketInUse)
	}
	if !errors.Is(err, syscall.ECONNREFUSED) && !errors.Is(err, syscall.ENOENT) {
		return fmt.Errorf("listen unix %s: probing existing socket: %w", path, err)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("listen unix %s: removing stale socket: %w", path, err)
	}
	return nil
}

func applyUnixOptions(path string, opts UnixOptions) error {
	if opts.Mode != 0 {
		if err := os.Chmod(path, opts.Mode.Perm()); err != nil {
			return fmt.Errorf("listen unix %s: %w", path, err)
		}
	}
	if opts.Owner == "" && opts.Group == "" {
		return nil
	}
	uid, gid := -1, -1
	if opts.Owner != "" {
		id, err := lookupID(opts.Owner, func(n string) (string, error) {
			u, err := user.Lookup(n)
			if err != nil {
				return "", err
			}
			return u.Uid, nil
		})
		if err != nil {
			return fmt.Errorf("listen unix %s: owner %q: %w", path, opts.Owner, err)
		}
		uid = id
	}
	if opts.Group != "" {
		id, err := lookupID(opts.Group, func(n string) (string, error) {
			g, err := user.LookupGroup(n)
			if err != nil {
				return "", err
			}
			return g.Gid, nil
		})
		if err != nil {
			return fmt.Errorf("listen unix %s: group %q: %w", path, opts.Group, err)
		}
		gid = id
	}
	if err := os.Lchown(path, uid, gid); err != nil {
		return fmt.Errorf("listen unix %s: %w", path, err)
	}
	return nil
}

// lookupID accepts a numeric id or a name looked up with byName.
func lookupID(s string, byName func(string) (string, error)) (int, error) {
	if n, err := strconv.Atoi(s); err == nil && n >= 0 {
		return n, nil
	}
	v, err := byName(s)
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(v)
}
