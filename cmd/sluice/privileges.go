package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/sluice-mail/sluice/delivery"
	"github.com/sluice-mail/sluice/internal/config"
	"github.com/sluice-mail/sluice/internal/state"
	"github.com/sluice-mail/sluice/internal/userdb"
)

// Which account serve and its deliveries run as ([server] in the
// configuration):
//
//   - server.user set: started as root, serve binds its sockets, opens
//     the state file and hands it to that account, then becomes that
//     account for good (setgroups, setgid, setuid apply to every thread).
//     Every delivery runs in the server process as that account (virtual
//     users).
//   - server still root (no server.user) and server.deliver_as_user: a
//     recipient with a uid of their own is delivered by a child process,
//     this binary run again as "sluice deliver -as-user-child" with that
//     user's uid, gid and groups (system users). See delivery.ChildAgent.
//   - deliveries as root are refused unless server.allow_root.

// childFlag is the hidden argument of "sluice deliver" that makes it the
// child of a delivery.ChildAgent.
const childFlag = "-as-user-child"

// childPath is the executable run for a child: this very binary, even
// when the file was replaced or removed since the server started.
const childPath = "/proc/self/exe"

// childPATH is the PATH of a child (for the sendmail program).
const childPATH = "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"

// account is a uid and gid the server switches to.
type account struct {
	name     string
	uid, gid int
}

// serverAccount resolves server.user and server.group; ok is false when
// server.user is unset.
func serverAccount(s config.Server) (a account, ok bool, err error) {
	if s.User == "" {
		return account{}, false, nil
	}
	u, err := lookupUser(s.User)
	if err != nil {
		return account{}, false, fmt.Errorf("server.user: %w", err)
	}
	a.name = u.Username
	if a.uid, err = strconv.Atoi(u.Uid); err != nil {
		return account{}, false, fmt.Errorf("server.user: %q: uid %q: %w", s.User, u.Uid, err)
	}
	gid := u.Gid
	if s.Group != "" {
		g, err := lookupGroup(s.Group)
		if err != nil {
			return account{}, false, fmt.Errorf("server.group: %w", err)
		}
		gid = g.Gid
	}
	if a.gid, err = strconv.Atoi(gid); err != nil {
		return account{}, false, fmt.Errorf("server.group: gid %q: %w", gid, err)
	}
	return a, true, nil
}

// lookupUser finds a user by name, or by numeric id.
func lookupUser(name string) (*user.User, error) {
	u, err := user.Lookup(name)
	if err == nil {
		return u, nil
	}
	if _, nerr := strconv.Atoi(name); nerr == nil {
		if u, err := user.LookupId(name); err == nil {
			return u, nil
		}
		// A numeric id with no passwd entry: usable as is.
		return &user.User{Uid: name, Gid: name, Username: name}, nil
	}
	return nil, err
}

func lookupGroup(name string) (*user.Group, error) {
	g, err := user.LookupGroup(name)
	if err == nil {
		return g, nil
	}
	if _, nerr := strconv.Atoi(name); nerr == nil {
		return &user.Group{Gid: name, Name: name}, nil
	}
	return nil, err
}

// dropToServerAccount makes the server the account of [server] once its
// sockets are bound, then checks that no delivery would run as root
// unless that is allowed. It is called once, at start-up.
func dropToServerAccount(cfg *config.Config, log *slog.Logger) error {
	a, ok, err := serverAccount(cfg.Server)
	if err != nil {
		return err
	}
	if ok {
		if err := becomeAccount(cfg, a, log); err != nil {
			return err
		}
	}
	return checkRootDeliveries(cfg, os.Geteuid())
}

func becomeAccount(cfg *config.Config, a account, log *slog.Logger) error {
	if os.Geteuid() != 0 {
		if os.Geteuid() == a.uid && os.Getegid() == a.gid {
			return nil // started as that account already
		}
		return fmt.Errorf("server.user: sluice runs as uid %d gid %d and cannot become %s (uid %d gid %d): start it as root or as that account",
			os.Geteuid(), os.Getegid(), a.name, a.uid, a.gid)
	}
	if a.uid == 0 {
		return nil // server.user = "root": nothing to drop
	}
	if err := handOverState(cfg, a); err != nil {
		return err
	}
	if err := switchAccount(a.uid, a.gid); err != nil {
		return err
	}
	log.Info("running as an unprivileged account", "user", a.name, "uid", os.Getuid(), "gid", os.Getgid())
	return nil
}

// switchAccount becomes uid and gid for good, with no supplementary
// groups, and checks it took: every thread of the process (Go applies the
// calls to all of them), real and effective ids, and no way back to root.
func switchAccount(uid, gid int) error {
	if err := syscall.Setgroups([]int{}); err != nil {
		return fmt.Errorf("setgroups: %w", err)
	}
	if err := syscall.Setgid(gid); err != nil {
		return fmt.Errorf("setgid %d: %w", gid, err)
	}
	if err := syscall.Setuid(uid); err != nil {
		return fmt.Errorf("setuid %d: %w", uid, err)
	}
	groups, err := os.Getgroups()
	if err != nil {
		return fmt.Errorf("getgroups: %w", err)
	}
	if os.Getuid() != uid || os.Geteuid() != uid || os.Getgid() != gid || os.Getegid() != gid || len(groups) > 0 {
		return fmt.Errorf("switching to uid %d gid %d did not take: uid %d euid %d gid %d egid %d groups %v",
			uid, gid, os.Getuid(), os.Geteuid(), os.Getgid(), os.Getegid(), groups)
	}
	if uid != 0 && syscall.Setuid(0) == nil {
		return errors.New("root could be regained after setuid")
	}
	return nil
}

// handOverState gives the bolt state file (opened per operation) to a,
// and its directory when it holds nothing else (sluice's own).
func handOverState(cfg *config.Config, a account) error {
	if !cfg.Sieve.Enabled || cfg.State.Backend != config.StateBolt {
		return nil
	}
	f := cfg.State.File
	if err := os.Chown(f, a.uid, a.gid); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil // in memory: buildRuntime fell back to it
		}
		return fmt.Errorf("state.file: %w", err)
	}
	dir := filepath.Dir(f)
	if ents, err := os.ReadDir(dir); err == nil && len(ents) == 1 && ents[0].Name() == filepath.Base(f) {
		if err := os.Chown(dir, a.uid, a.gid); err != nil {
			return fmt.Errorf("state.file: %w", err)
		}
	}
	return nil
}

// checkRootDeliveries refuses a server whose deliveries would run as
// root (euid 0 after start-up) without server.allow_root.
func checkRootDeliveries(cfg *config.Config, euid int) error {
	s := cfg.Server
	switch {
	case euid != 0 || s.AllowRoot:
		return nil
	case s.User != "":
		return fmt.Errorf("server.user: %q is root: deliveries would run as root; name an unprivileged account, or set server.allow_root", s.User)
	case !s.DeliverAsUser:
		return errors.New("server: deliveries would run as root: set server.user (virtual users), server.deliver_as_user (system users) or server.allow_root")
	case cfg.Users.Source == userdb.SourceStatic && cfg.Users.StaticUID <= 0:
		return errors.New("server: users have no uid of their own (users.source = \"static\" without static_uid), so deliveries would run as root: set server.user or users.static_uid, or server.allow_root")
	}
	return nil
}

// withChildAgent makes rt deliver each recipient with a uid of their own
// in a child as that user, when serve runs as root and the configuration
// asks for it. The child gets the configuration as JSON, without the
// Redis password: it reaches the state store through the server.
func withChildAgent(rt *runtimeState, log *slog.Logger) error {
	cfg := rt.cfg
	if os.Geteuid() != 0 || !cfg.Server.DeliverAsUser || cfg.Server.User != "" {
		return nil
	}
	child := *cfg
	child.State = config.State{Backend: config.StateMemory}
	setup, err := json.Marshal(&child)
	if err != nil {
		return fmt.Errorf("server.deliver_as_user: %w", err)
	}
	rt.agent = &delivery.ChildAgent{
		Local:     rt.agent,
		Command:   childCommand,
		Setup:     setup,
		State:     rt.state,
		Timeout:   cfg.Server.ChildTimeout,
		AllowRoot: cfg.Server.AllowRoot,
		// Each child's agent sees one delivery: the limit is kept here.
		MaxUserDeliveries: cfg.LMTP.MaxUserDeliveries,
		Logger:            log,
	}
	return nil
}

// childCommand is the child process of a recipient: this binary as
// "deliver -as-user-child", with the user's uid, gid and groups, a clean
// environment, and killed if the server dies.
func childCommand(_ context.Context, d *delivery.Delivery) (*exec.Cmd, error) {
	r := d.Recipient
	cred, name, err := userCredential(r.UID, r.GID, r.User)
	if err != nil {
		return nil, err
	}
	home := r.Home
	if home == "" {
		home = "/"
	}
	cmd := &exec.Cmd{
		Path: childPath,
		Args: []string{"sluice", "deliver", childFlag},
		Env:  []string{"HOME=" + home, "USER=" + name, "LOGNAME=" + name, "PATH=" + childPATH},
		Dir:  "/",
		SysProcAttr: &syscall.SysProcAttr{
			Credential: cred,
			Pdeathsig:  syscall.SIGKILL,
		},
	}
	return cmd, nil
}

// userCredential is uid's credential: gid (the passwd primary group when
// gid is unset) and the groups /etc/group lists the user in.
func userCredential(uid, gid int, fallbackName string) (*syscall.Credential, string, error) {
	name := fallbackName
	var groups []uint32
	u, err := user.LookupId(strconv.Itoa(uid))
	if err == nil {
		name = u.Username
		if gid < 0 {
			if gid, err = strconv.Atoi(u.Gid); err != nil {
				return nil, "", fmt.Errorf("uid %d: primary gid %q: %w", uid, u.Gid, err)
			}
		}
		ids, err := u.GroupIds()
		if err != nil {
			return nil, "", fmt.Errorf("groups of %s: %w", u.Username, err)
		}
		for _, id := range ids {
			if n, err := strconv.ParseUint(id, 10, 32); err == nil && int(n) != gid {
				groups = append(groups, uint32(n))
			}
		}
	}
	if gid < 0 {
		return nil, "", fmt.Errorf("uid %d has no gid and no passwd entry", uid)
	}
	groups = append([]uint32{uint32(gid)}, groups...)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: groups}, name, nil
}

// runDeliverChild is "sluice deliver -as-user-child": one recipient's
// delivery for a server running as root, as that recipient.
func runDeliverChild(ctx context.Context, stderr io.Writer) int {
	// First of all: the user this process runs as must not ptrace it or
	// read its memory, which will hold the server's configuration.
	if err := unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0); err != nil {
		return fail(stderr, exitTempFail, "prctl: %v", err)
	}
	const connFD = 3
	if _, err := unix.FcntlInt(connFD, unix.F_GETFD, 0); err != nil {
		return fail(stderr, exitUsage, "%s is only for the server's own use", childFlag)
	}
	syscall.CloseOnExec(connFD)
	conn := os.NewFile(connFD, "server")
	defer conn.Close()
	if err := delivery.ServeChild(ctx, conn, os.Stdin, buildChild); err != nil {
		return fail(stderr, exitTempFail, "%s", oneLine(err.Error()))
	}
	return exitOK
}

// buildChild makes a child's runtime from the server's configuration.
func buildChild(_ context.Context, setup []byte, st state.Store, log *slog.Logger) (*delivery.ChildRuntime, error) {
	if os.Geteuid() == 0 {
		return nil, errors.New("the delivery process of a user runs as root")
	}
	cfg := new(config.Config)
	if err := json.Unmarshal(setup, cfg); err != nil {
		return nil, fmt.Errorf("reading the configuration from the server: %w", err)
	}
	rt, err := newRuntimeWithState(cfg, log, st)
	if err != nil {
		return nil, err
	}
	// The server's spool directory may be closed to users: spool in the
	// system temporary directory (unlinked at once).
	return &delivery.ChildRuntime{Agent: rt.agent, Spool: delivery.SpoolOptions{Memory: cfg.LMTP.SpoolMemory}, Close: rt.Close}, nil
}
