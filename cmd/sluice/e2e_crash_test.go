package main

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-message/textproto"
	"github.com/emersion/go-smtp"
)

// crashSeedEnv names a seed that repeats a run of TestE2ECrashUnderLoad.
const crashSeedEnv = "SLUICE_CRASH_SEED"

// crashUsers receive the load; every message goes to one to three of them.
var crashUsers = []string{"alice", "bob", "carol", "dave"}

const (
	crashKills   = 5
	crashClients = 6
	// crashMsgsPerConn is how many transactions a client makes on one
	// connection before it opens a new one.
	crashMsgsPerConn = 4
)

// crashMessage returns the CRLF message for id: its size (1 KB to 300 KB,
// most of them small) and every byte are a function of id alone, so a
// stored copy can be checked without remembering what was sent.
func crashMessage(id string) string {
	sum := sha256.Sum256([]byte(id))
	r := rand.New(rand.NewPCG(binary.LittleEndian.Uint64(sum[:8]), binary.LittleEndian.Uint64(sum[8:16])))
	size := 1024 + r.IntN(20*1024)
	if r.IntN(10) < 3 {
		size = 1024 + r.IntN(299*1024)
	}
	var b strings.Builder
	b.Grow(size + 200)
	b.WriteString("From: Load <load@example.net>\r\n" +
		"To: undisclosed-recipients:;\r\n" +
		"Subject: crash test " + id + "\r\n" +
		"Message-ID: <" + id + ">\r\n" +
		"\r\n")
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	line := make([]byte, 76)
	for n := 0; b.Len() < size; n++ {
		if n%50 == 49 {
			// Now and then a line that needs dot-stuffing.
			b.WriteString(".dot " + strconv.Itoa(n) + "\r\n")
			continue
		}
		for i := range line {
			line[i] = alphabet[r.IntN(len(alphabet))]
		}
		b.Write(line)
		b.WriteString("\r\n")
	}
	return b.String()
}

// crashLoad is the record of what the clients were told.
type crashLoad struct {
	mu    sync.Mutex
	sent  int                 // transactions whose message was sent in full
	acked map[[2]string]bool  // (user, message id) that got 250
	ids   map[string][]string // message id -> its recipients
}

func (l *crashLoad) started(id string, users []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.ids[id] = users
}

func (l *crashLoad) transmitted() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sent++
}

func (l *crashLoad) ack(user, id string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.acked[[2]string{user, id}] = true
}

func (l *crashLoad) ackCount() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.acked)
}

// runCrashClient sends messages over LMTP until stop is closed. A failed
// transaction is not retried: its recipients without a 250 are simply
// not acknowledged.
func runCrashClient(socket string, client int, seed uint64, load *crashLoad, stop <-chan struct{}) {
	r := rand.New(rand.NewPCG(seed, uint64(client)))
	n := 0
	for {
		select {
		case <-stop:
			return
		default:
		}
		conn, err := net.DialTimeout("unix", socket, time.Second)
		if err != nil {
			time.Sleep(10 * time.Millisecond) // the server is being restarted
			continue
		}
		c := smtp.NewClientLMTP(conn)
		c.CommandTimeout, c.SubmissionTimeout = waitLimit, waitLimit
		if err := c.Hello("load.e2e.test"); err != nil {
			c.Close()
			continue
		}
		for range crashMsgsPerConn {
			n++
			id := fmt.Sprintf("crash-%d-%d@e2e.test", client, n)
			users := pickUsers(r)
			if !crashTransaction(c, id, users, load) {
				break
			}
		}
		c.Close()
	}
}

// pickUsers returns one to three distinct users.
func pickUsers(r *rand.Rand) []string {
	perm := r.Perm(len(crashUsers))
	users := make([]string, 1+r.IntN(3))
	for i := range users {
		users[i] = crashUsers[perm[i]]
	}
	return users
}

// crashTransaction sends one message and records the recipients that got
// 250; it reports whether the connection is still usable.
func crashTransaction(c *smtp.Client, id string, users []string, load *crashLoad) bool {
	msg := crashMessage(id)
	load.started(id, users)
	if err := c.Mail("load@example.net", nil); err != nil {
		return false
	}
	for _, u := range users {
		if err := c.Rcpt(u+"@example.org", nil); err != nil {
			return false
		}
	}
	w, err := c.Data()
	if err != nil {
		return false
	}
	if _, err := w.Write([]byte(msg)); err != nil {
		return false
	}
	resp, err := w.CloseWithLMTPResponse()
	if err == nil {
		load.transmitted()
	}
	// Even after a cut connection, the replies read before it count.
	for rcpt := range resp {
		user, _, _ := strings.Cut(rcpt, "@")
		load.ack(user, id)
	}
	return err == nil
}

// kill ends the server with SIGKILL: no shutdown, no cleanup.
func (s *e2eServer) kill() {
	s.t.Helper()
	s.signal(syscall.SIGKILL)
	s.wait()
}

// restart starts the server again on the same configuration, sockets and
// Maildirs, and waits until it accepts.
func (s *e2eServer) restart() {
	s.t.Helper()
	s.spawn()
	if err := s.waitReady(); err != nil {
		s.t.Fatalf("sluice did not restart: %v", err)
	}
}

// crashSeed is the run's seed: $SLUICE_CRASH_SEED, or one from the clock.
func crashSeed(t *testing.T) uint64 {
	t.Helper()
	if v := os.Getenv(crashSeedEnv); v != "" {
		seed, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("$%s: %v", crashSeedEnv, err)
		}
		return seed
	}
	return uint64(time.Now().UnixNano())
}

// TestE2ECrashUnderLoad kills the server with SIGKILL at random points
// while several clients deliver messages of up to 300 KB to one to three
// recipients, restarting it each time. Every recipient that got a 250
// must then have the message, complete and exactly once; nothing
// incomplete may be visible in new/ or cur/ at all. Files the kills left
// in tmp/ are removed by the next process once they are old enough.
func TestE2ECrashUnderLoad(t *testing.T) {
	needBinary(t)
	seed := crashSeed(t)
	t.Logf("seed %d (repeat with %s=%d)", seed, crashSeedEnv, seed)
	var users []string
	for _, u := range crashUsers {
		users = append(users, u+"@example.org::::::")
	}
	s := startServer(t, e2eConfig{Users: users})

	load := &crashLoad{acked: map[[2]string]bool{}, ids: map[string][]string{}}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i := range crashClients {
		wg.Go(func() { runCrashClient(s.socket, i, seed, load, stop) })
	}
	r := rand.New(rand.NewPCG(seed, 0))
	for k := 1; k <= crashKills; k++ {
		before := load.ackCount()
		// Let some deliveries complete, then kill at a random moment.
		deadline := time.Now().Add(waitLimit)
		for load.ackCount() < before+3 && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		d := time.Duration(r.IntN(800)) * time.Millisecond
		time.Sleep(d)
		s.kill()
		t.Logf("kill %d: %v after the third new acknowledgement, %d acknowledged so far", k, d, load.ackCount())
		if k < crashKills {
			s.restart()
		}
	}
	close(stop)
	wg.Wait()

	// Whatever the kills left in tmp/, plus one planted file per user,
	// is made older than the Maildir limit of 36 hours; the next process
	// must remove it on its first delivery to that user.
	leftovers := 0
	old := time.Now().Add(-40 * time.Hour)
	for _, u := range crashUsers {
		tmp := filepath.Join(s.mailDir(u, "example.org"), "tmp")
		if err := os.MkdirAll(tmp, 0o700); err != nil {
			t.Fatal(err)
		}
		ents, err := os.ReadDir(tmp)
		if err != nil {
			t.Fatal(err)
		}
		leftovers += len(ents)
		if err := os.WriteFile(filepath.Join(tmp, "1.M1P1Q1.crashed.e2e.test"), []byte("From: x\r\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		ents, err = os.ReadDir(tmp)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range ents {
			if err := os.Chtimes(filepath.Join(tmp, e.Name()), old, old); err != nil {
				t.Fatal(err)
			}
		}
	}
	s.restart()
	for _, u := range crashUsers {
		deliver(t, s, u+"@example.org", crashMessage("after-"+u+"@e2e.test"))
		if ents, err := os.ReadDir(filepath.Join(s.mailDir(u, "example.org"), "tmp")); err != nil || len(ents) != 0 {
			t.Errorf("%s: tmp/ after the first delivery since the restart: %d files (%v)", u, len(ents), err)
		}
	}
	s.waitLog("removed abandoned files from Maildir tmp/", len(crashUsers))

	found := map[[2]string]int{}
	for _, u := range crashUsers {
		for id, n := range checkCrashMaildir(t, s.mailDir(u, "example.org"), u) {
			found[[2]string{u, id}] = n
		}
	}
	var acked, present, lost, dupAcked, dupOther, unackedStored int
	for key, ok := range load.acked {
		if !ok {
			continue
		}
		acked++
		switch n := found[key]; {
		case n == 0:
			lost++
			t.Errorf("lost: %s acknowledged for %s but not in the Maildir", key[1], key[0])
		case n > 1:
			dupAcked++
			t.Errorf("duplicate: %s stored %d times for %s", key[1], n, key[0])
			present++
		default:
			present++
		}
	}
	for key, n := range found {
		if strings.HasPrefix(key[1], "after-") || load.acked[key] {
			continue
		}
		unackedStored++
		if n > 1 {
			// No client retries, so even an unacknowledged message has
			// no business being stored twice.
			dupOther++
			t.Errorf("duplicate: unacknowledged %s stored %d times for %s", key[1], n, key[0])
		}
	}
	t.Logf("kills %d, transactions started %d, sent in full %d, recipients acknowledged %d, "+
		"acknowledged and found %d, lost %d, duplicates %d (acknowledged) + %d (other), "+
		"stored without acknowledgement %d, files left in tmp/ by the kills %d",
		crashKills, len(load.ids), load.sent, acked, present, lost, dupAcked, dupOther, unackedStored, leftovers)
	if acked < 10 {
		t.Errorf("only %d recipients acknowledged: the load did not run", acked)
	}
}

// crashName matches the stored file name and captures S=.
var crashName = regexp.MustCompile(`^[0-9]+\.M[0-9]+P[0-9]+Q[0-9]+\.[^/:,]+,S=([0-9]+),W=[0-9]+(:2,[A-Za-z]*)?$`)

// checkCrashMaildir checks every file in root's new/ and cur/: a name
// whose S= is the file size, the three added trace fields for user, then
// exactly the message its Message-ID stands for. It returns how many
// copies of each message id it found.
func checkCrashMaildir(t *testing.T, root, user string) map[string]int {
	t.Helper()
	counts := map[string]int{}
	for _, sub := range []string{"new", "cur"} {
		ents, err := os.ReadDir(filepath.Join(root, sub))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range ents {
			p := filepath.Join(root, sub, e.Name())
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			m := crashName.FindStringSubmatch(e.Name())
			if m == nil {
				t.Errorf("%s: unexpected file name", p)
				continue
			}
			if size, _ := strconv.Atoi(m[1]); size != len(data) {
				t.Errorf("%s: S=%d but %d bytes: incomplete", p, size, len(data))
				continue
			}
			hdr, err := textproto.ReadHeader(bufio.NewReader(bytes.NewReader(data)))
			if err != nil {
				t.Errorf("%s: header: %v", p, err)
				continue
			}
			id := strings.Trim(hdr.Get("Message-Id"), "<> ")
			if id == "" {
				t.Errorf("%s: no Message-ID", p)
				continue
			}
			sent := strings.ReplaceAll(crashMessage(id), "\r\n", "\n")
			prefix, ok := bytes.CutSuffix(data, []byte(sent))
			if !ok {
				t.Errorf("%s: not byte-identical to message %s (%d bytes, want the %d sent after the added fields)", p, id, len(data), len(sent))
				continue
			}
			added, err := textproto.ReadHeader(bufio.NewReader(bytes.NewReader(append(prefix, '\n'))))
			if err != nil {
				t.Errorf("%s: added fields %q: %v", p, prefix, err)
				continue
			}
			if got := added.Get("Delivered-To"); got != "<"+user+"@example.org>" {
				t.Errorf("%s: Delivered-To %q in %s's Maildir", p, got, user)
			}
			if got := added.Get("Return-Path"); got == "" {
				t.Errorf("%s: no Return-Path", p)
			}
			counts[id]++
		}
	}
	return counts
}
