package delivery

import (
	"bytes"
	"errors"
	"io"
	"os"
	"strings"
	"sync"
	"testing"
	"testing/iotest"
)

func TestCRLFToLF(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"a\r\nb\r\n", "a\nb\n"},
		{"a\nb\n", "a\nb\n"},
		{"lone\rcr\r", "lone\rcr\r"},
		{"\r\r\n\r", "\r\n\r"},
		{"x\r\n\r\n\r\ny", "x\n\n\ny"},
	}
	for _, tt := range tests {
		for _, oneByte := range []bool{false, true} {
			var r io.Reader = strings.NewReader(tt.in)
			if oneByte {
				r = iotest.OneByteReader(r) // every CRLF is split across writes
			}
			s, err := NewSpool(r, SpoolOptions{})
			if err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(s.Reader())
			if string(got) != tt.want {
				t.Errorf("NewSpool(%q, oneByte=%v) = %q, want %q", tt.in, oneByte, got, tt.want)
			}
			if s.Size() != int64(len(tt.want)) {
				t.Errorf("Size = %d, want %d", s.Size(), len(tt.want))
			}
			s.Close()
		}
	}
}

func TestSpoolMemoryAndFile(t *testing.T) {
	line := strings.Repeat("0123456789", 10) + "\r\n"
	tests := []struct {
		name     string
		body     string
		memory   int64
		inMemory bool
	}{
		{"small stays in memory", line, 1024, true},
		{"large goes to a file", strings.Repeat(line, 1000), 1024, false},
		{"always a file", line, -1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			s, err := NewSpool(iotest.HalfReader(strings.NewReader(tt.body)), SpoolOptions{Memory: tt.memory, Dir: dir})
			if err != nil {
				t.Fatal(err)
			}
			if s.InMemory() != tt.inMemory {
				t.Errorf("InMemory = %v, want %v", s.InMemory(), tt.inMemory)
			}
			assertEmptyDir(t, dir) // a spool file is unlinked at once
			want := strings.ReplaceAll(tt.body, "\r\n", "\n")
			// Readers are independent and may run at the same time.
			var wg sync.WaitGroup
			for range 3 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					got, err := io.ReadAll(s.Reader())
					if err != nil || string(got) != want {
						t.Errorf("re-read: %d bytes, err %v; want %d bytes", len(got), err, len(want))
					}
				}()
			}
			wg.Wait()
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			assertEmptyDir(t, dir)
		})
	}
}

func assertEmptyDir(t *testing.T, dir string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != 0 {
		t.Errorf("%s not empty: %v", dir, ents)
	}
}

func TestSpoolErrors(t *testing.T) {
	dir := t.TempDir()
	_, err := NewSpool(strings.NewReader(strings.Repeat("x", 101)), SpoolOptions{MaxBytes: 100, Dir: dir, Memory: 10})
	if !errors.Is(err, ErrMessageTooBig) {
		t.Errorf("over MaxBytes: %v", err)
	}
	if _, err := NewSpool(strings.NewReader(strings.Repeat("x", 100)), SpoolOptions{MaxBytes: 100}); err != nil {
		t.Errorf("exactly MaxBytes: %v", err)
	}
	boom := errors.New("boom")
	_, err = NewSpool(io.MultiReader(strings.NewReader(strings.Repeat("y", 50)), iotest.ErrReader(boom)), SpoolOptions{Dir: dir, Memory: 10})
	if !errors.Is(err, boom) {
		t.Errorf("read error: %v", err)
	}
	_, err = NewSpool(strings.NewReader(strings.Repeat("z", 50)), SpoolOptions{Dir: dir + "/missing", Memory: 10})
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("bad spool dir: %v", err)
	}
	assertEmptyDir(t, dir)
}

func TestMessageOpen(t *testing.T) {
	s, err := NewSpool(strings.NewReader("Message-ID: <x@y>\r\nSubject: s\r\n\r\nbody\r\n"), SpoolOptions{Memory: 5})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	m := NewMessage("Delivered-To: <a@b>\n", s, readHeader(s.Reader()))
	for range 2 {
		got, _ := io.ReadAll(m.Open())
		want := "Delivered-To: <a@b>\nMessage-ID: <x@y>\nSubject: s\n\nbody\n"
		if string(got) != want || m.Size() != int64(len(want)) {
			t.Errorf("Open = %q (size %d), want %q", got, m.Size(), want)
		}
	}
	if m.MessageID() != "x@y" || m.Header.Get("Subject") != "s" {
		t.Errorf("header: id %q subject %q", m.MessageID(), m.Header.Get("Subject"))
	}
	if !bytes.Equal([]byte(NewMessage("", s, readHeader(strings.NewReader("garbage"))).Header.Get("Subject")), nil) {
		t.Error("garbage header parsed")
	}
}
