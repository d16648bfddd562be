package delivery

import (
	"context"
	"errors"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"testing"
)

func TestListenUnix(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()

	t.Run("new socket with mode and owner", func(t *testing.T) {
		path := filepath.Join(dir, "new.sock")
		u, err := user.Current()
		if err != nil {
			t.Skip(err)
		}
		ln, err := Listen(ctx, "unix", path, UnixOptions{Mode: 0o660, Owner: u.Username, Group: u.Gid})
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Type() != os.ModeSocket || fi.Mode().Perm() != 0o660 {
			t.Errorf("mode = %v", fi.Mode())
		}
	})

	t.Run("stale socket replaced", func(t *testing.T) {
		path := filepath.Join(dir, "stale.sock")
		old, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
		if err != nil {
			t.Fatal(err)
		}
		old.SetUnlinkOnClose(false)
		old.Close() // leaves the file, nobody listens: like a crashed server
		if _, err := os.Stat(path); err != nil {
			t.Fatal(err)
		}
		ln, err := Listen(ctx, "unix", path, UnixOptions{})
		if err != nil {
			t.Fatalf("stale socket not replaced: %v", err)
		}
		defer ln.Close()
		c, err := net.Dial("unix", path)
		if err != nil {
			t.Fatal(err)
		}
		c.Close()
	})

	t.Run("live socket refused", func(t *testing.T) {
		path := filepath.Join(dir, "live.sock")
		live, err := net.Listen("unix", path)
		if err != nil {
			t.Fatal(err)
		}
		defer live.Close()
		go func() {
			for {
				c, err := live.Accept()
				if err != nil {
					return
				}
				c.Close()
			}
		}()
		_, err = Listen(ctx, "unix", path, UnixOptions{})
		if !errors.Is(err, ErrSocketInUse) || !strings.Contains(err.Error(), "already in use by another process") {
			t.Fatalf("Listen on live socket = %v", err)
		}
		if _, err := os.Stat(path); err != nil {
			t.Errorf("live socket file removed: %v", err)
		}
	})

	t.Run("regular file refused", func(t *testing.T) {
		path := filepath.Join(dir, "file")
		if err := os.WriteFile(path, []byte("keep me"), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := Listen(ctx, "unix", path, UnixOptions{}); err == nil || !strings.Contains(err.Error(), "not a socket") {
			t.Fatalf("Listen on a file = %v", err)
		}
		if b, _ := os.ReadFile(path); string(b) != "keep me" {
			t.Error("file clobbered")
		}
	})

	t.Run("unknown owner", func(t *testing.T) {
		_, err := Listen(ctx, "unix", filepath.Join(dir, "o.sock"), UnixOptions{Owner: "no-such-user-sluice"})
		if err == nil {
			t.Fatal("unknown owner accepted")
		}
	})
}

func TestListenTCP(t *testing.T) {
	ln, err := Listen(context.Background(), "tcp", "127.0.0.1:0", UnixOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if _, err := Listen(context.Background(), "udp", "127.0.0.1:0", UnixOptions{}); err == nil {
		t.Error("udp accepted")
	}
}
