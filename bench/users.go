package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
)

// benchUserName is the throwaway system account mail is written as when
// the benchmark runs as root.
const benchUserName = "sluicebench"

// account is the unix account that owns the mail homes and that both
// servers deliver as.
type account struct {
	Name     string
	UID, GID int
	// Root is true when the benchmark itself runs as root: files it
	// creates must then be handed to the account, and sluice is started
	// under it.
	Root bool
}

// benchAccount returns the invoking user, or, when running as root, the
// sluicebench system account, created with useradd when missing.
func benchAccount(ctx context.Context, log *slog.Logger) (account, error) {
	if os.Geteuid() != 0 {
		u, err := user.Current()
		if err != nil {
			return account{}, fmt.Errorf("current user: %w", err)
		}
		return accountOf(u, false)
	}
	u, err := user.Lookup(benchUserName)
	if err != nil {
		var unknown user.UnknownUserError
		if !errors.As(err, &unknown) {
			return account{}, fmt.Errorf("look up %s: %w", benchUserName, err)
		}
		log.Info("creating system user", "user", benchUserName)
		cmd := exec.CommandContext(ctx, "useradd", "--system", "--no-create-home",
			"--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin", "--user-group", benchUserName)
		if out, err := cmd.CombinedOutput(); err != nil {
			return account{}, fmt.Errorf("useradd %s: %w: %s", benchUserName, err, out)
		}
		if u, err = user.Lookup(benchUserName); err != nil {
			return account{}, fmt.Errorf("look up %s after useradd: %w", benchUserName, err)
		}
	}
	return accountOf(u, true)
}

func accountOf(u *user.User, root bool) (account, error) {
	uid, err := strconv.Atoi(u.Uid)
	if err != nil {
		return account{}, fmt.Errorf("uid of %s: %w", u.Username, err)
	}
	gid, err := strconv.Atoi(u.Gid)
	if err != nil {
		return account{}, fmt.Errorf("gid of %s: %w", u.Username, err)
	}
	return account{Name: u.Username, UID: uid, GID: gid, Root: root}, nil
}

// own hands path to the account when running as root.
func (a account) own(path string) error {
	if !a.Root {
		return nil
	}
	if err := os.Lchown(path, a.UID, a.GID); err != nil {
		return fmt.Errorf("chown: %w", err)
	}
	return nil
}

// mkdir creates dir (and its parents below an existing directory) owned
// by the account.
func (a account) mkdir(dir string) error {
	if _, err := os.Stat(dir); err == nil {
		return nil
	}
	if parent := filepath.Dir(dir); parent != dir {
		if err := a.mkdir(parent); err != nil {
			return err
		}
	}
	if err := os.Mkdir(dir, 0o755); err != nil && !os.IsExist(err) {
		return fmt.Errorf("mkdir: %w", err)
	}
	return a.own(dir)
}

// writeFile writes a file owned by the account.
func (a account) writeFile(path string, data []byte, perm os.FileMode) error {
	if err := os.WriteFile(path, data, perm); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	return a.own(path)
}

// mailUser is one benchmark recipient.
type mailUser struct {
	Name string // local part, also the passwd-file user name's local part
	Addr string
	Home string
}

// mailDomain is the domain of every benchmark recipient.
const mailDomain = "example.org"

// homes is the set of mail users of one server, under dir.
type homes struct {
	Dir   string
	Users []mailUser
	acct  account
}

// newHomes lays out n users under dir/home and writes dir/users, a
// Dovecot passwd-file both servers read.
func newHomes(dir string, n int, acct account) (*homes, error) {
	h := &homes{Dir: dir, acct: acct}
	if err := acct.mkdir(filepath.Join(dir, "home")); err != nil {
		return nil, err
	}
	var passwd []byte
	for i := 1; i <= n; i++ {
		name := fmt.Sprintf("u%d", i)
		u := mailUser{Name: name, Addr: name + "@" + mailDomain, Home: filepath.Join(dir, "home", name)}
		if err := acct.mkdir(u.Home); err != nil {
			return nil, err
		}
		h.Users = append(h.Users, u)
		// user:password:uid:gid:gecos:home:shell:extra (Dovecot passwd-file).
		passwd = fmt.Appendf(passwd, "%s:{PLAIN}bench:%d:%d::%s::\n", u.Addr, acct.UID, acct.GID, u.Home)
	}
	if err := acct.writeFile(h.PasswdFile(), passwd, 0o644); err != nil {
		return nil, err
	}
	return h, nil
}

// PasswdFile is the path of the users file.
func (h *homes) PasswdFile() string { return filepath.Join(h.Dir, "users") }

// Addrs returns the addresses of the first k users.
func (h *homes) Addrs(k int) []string {
	out := make([]string, 0, k)
	for _, u := range h.Users[:k] {
		out = append(out, u.Addr)
	}
	return out
}

// reset empties every Maildir (moving the old one aside, see setAside),
// installs script as each user's active script (~/.dovecot.sieve),
// removes any compiled copy, and creates INBOX and the corpus folders, so
// that every run starts alike.
func (h *homes) reset(script string) error {
	for _, u := range h.Users {
		if err := setAside(filepath.Join(filepath.Dir(h.Dir), "trash"), filepath.Join(u.Home, "Maildir")); err != nil {
			return fmt.Errorf("reset %s: %w", u.Name, err)
		}
		for _, p := range []string{".dovecot.svbin", ".dovecot.sieve.log", "sieve"} {
			if err := os.RemoveAll(filepath.Join(u.Home, p)); err != nil {
				return fmt.Errorf("reset %s: %w", u.Name, err)
			}
		}
		if err := h.acct.writeFile(filepath.Join(u.Home, ".dovecot.sieve"), []byte(script), 0o644); err != nil {
			return fmt.Errorf("install script for %s: %w", u.Name, err)
		}
		md := filepath.Join(u.Home, "Maildir")
		if err := h.makeMaildir(md); err != nil {
			return err
		}
		for _, f := range folders() {
			dir := filepath.Join(md, "."+f)
			if err := h.makeMaildir(dir); err != nil {
				return err
			}
			// Maildir++ marks a folder with an empty maildirfolder file.
			if err := h.acct.writeFile(filepath.Join(dir, "maildirfolder"), nil, 0o600); err != nil {
				return err
			}
		}
	}
	return nil
}

func (h *homes) makeMaildir(dir string) error {
	for _, sub := range []string{"", "cur", "new", "tmp"} {
		if err := h.acct.mkdir(filepath.Join(dir, sub)); err != nil {
			return fmt.Errorf("maildir %s: %w", dir, err)
		}
	}
	return nil
}

// errUnreachable reports a work directory the mail account cannot enter.
var errUnreachable = errors.New("work directory not reachable by the mail account")

// checkReachable makes sure the account can search every directory from
// / down to dir: the servers open the homes below it as that account.
func (a account) checkReachable(dir string) error {
	if !a.Root {
		return nil
	}
	for d := dir; ; d = filepath.Dir(d) {
		st, err := os.Stat(d)
		if err != nil {
			return fmt.Errorf("%w: %w", errUnreachable, err)
		}
		if st.Mode().Perm()&0o001 == 0 {
			return fmt.Errorf("%w: %s is mode %v; pass a -tmp that user %s can reach", errUnreachable, d, st.Mode().Perm(), a.Name)
		}
		if parent := filepath.Dir(d); parent == d {
			return nil
		}
	}
}
