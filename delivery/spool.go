package delivery

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
)

// SpoolOptions says where a message body is kept while it is delivered.
type SpoolOptions struct {
	// Memory is how many bytes stay in memory before the spool moves to a
	// file. Zero means DefaultSpoolMemory; negative means always a file.
	Memory int64
	// Dir is where spool files are created ("" means os.TempDir()).
	Dir string
	// MaxBytes bounds the message as received (before CRLF conversion);
	// zero means no limit. Going over gives ErrMessageTooBig.
	MaxBytes int64
}

// DefaultSpoolMemory is the in-memory spool threshold used when none is set.
const DefaultSpoolMemory = 1 << 20

// Spool holds one message body, read once from the client with CRLF line
// endings converted to LF, and re-readable any number of times. Small
// bodies stay in memory; larger ones go to an already unlinked temporary
// file, so nothing is left behind even if the process dies.
type Spool struct {
	mem  []byte
	file *os.File
	size int64 // bytes in file

	// sieve is what the Sieve agent parsed of the message, once for all
	// recipients (see sharedOf).
	sieve struct {
		once sync.Once
		m    *sharedMessage
	}
}

// bufPool holds read buffers for NewSpool.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

// NewSpool reads r to EOF into a new Spool. On error nothing is kept.
func NewSpool(r io.Reader, opts SpoolOptions) (*Spool, error) {
	threshold := opts.Memory
	if threshold == 0 {
		threshold = DefaultSpoolMemory
	}
	if threshold < 0 {
		threshold = 0
	}
	s := &Spool{}
	w := &spoolWriter{s: s, threshold: threshold, dir: opts.Dir}
	conv := crlfToLF{w: w}
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	buf := *bp
	var received int64
	for {
		n, rerr := r.Read(buf)
		if n > 0 {
			received += int64(n)
			if opts.MaxBytes > 0 && received > opts.MaxBytes {
				s.Close()
				return nil, fmt.Errorf("spool: more than %d bytes: %w", opts.MaxBytes, ErrMessageTooBig)
			}
			if _, err := conv.Write(buf[:n]); err != nil {
				s.Close()
				return nil, fmt.Errorf("spool: %w", err)
			}
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			s.Close()
			return nil, fmt.Errorf("spool: reading message: %w", rerr)
		}
	}
	if err := conv.Flush(); err != nil {
		s.Close()
		return nil, fmt.Errorf("spool: %w", err)
	}
	if err := w.flush(); err != nil {
		s.Close()
		return nil, fmt.Errorf("spool: %w", err)
	}
	return s, nil
}

// Size is the number of bytes held, after CRLF conversion.
func (s *Spool) Size() int64 { return int64(len(s.mem)) + s.size }

// InMemory reports whether the body is held entirely in memory.
func (s *Spool) InMemory() bool { return s.file == nil }

// Reader returns a fresh reader over the whole body. Readers are
// independent and may be used concurrently.
func (s *Spool) Reader() io.Reader {
	if s.file == nil {
		return bytes.NewReader(s.mem)
	}
	return io.MultiReader(bytes.NewReader(s.mem), io.NewSectionReader(s.file, 0, s.size))
}

// Close releases the spool; readers must not be used afterwards.
func (s *Spool) Close() error {
	s.mem = nil
	if s.file == nil {
		return nil
	}
	err := s.file.Close()
	s.file = nil
	return err
}

// spoolWriter appends to memory until the threshold, then to a file
// through a buffer: the CRLF conversion writes one line at a time, and a
// write system call per line made receiving a large message slow.
type spoolWriter struct {
	s         *Spool
	threshold int64
	dir       string
	bw        *bufio.Writer // over s.file, once there is one
}

// spoolFileBuffer is the write buffer of a spool file.
const spoolFileBuffer = 64 << 10

// flush writes out what is buffered for the file.
func (w *spoolWriter) flush() error {
	if w.bw == nil {
		return nil
	}
	if err := w.bw.Flush(); err != nil {
		return fmt.Errorf("writing spool file: %w", err)
	}
	return nil
}

func (w *spoolWriter) Write(p []byte) (int, error) {
	s := w.s
	if s.file == nil {
		if int64(len(s.mem)+len(p)) <= w.threshold {
			s.mem = append(s.mem, p...)
			return len(p), nil
		}
		f, err := os.CreateTemp(w.dir, "sluice-spool-*")
		if err != nil {
			return 0, fmt.Errorf("creating spool file: %w", err)
		}
		// Unlinked at once: the open descriptor keeps the data, and a
		// crash leaves nothing behind.
		if err := os.Remove(f.Name()); err != nil {
			f.Close()
			return 0, fmt.Errorf("unlinking spool file: %w", err)
		}
		s.file = f
		w.bw = bufio.NewWriterSize(f, spoolFileBuffer)
	}
	n, err := w.bw.Write(p)
	s.size += int64(n)
	if err != nil {
		return n, fmt.Errorf("writing spool file: %w", err)
	}
	return n, nil
}

// crlfToLF converts CRLF line endings to LF while copying to w; a lone CR
// is kept. It is streaming: a CR at the end of one Write is held until the
// next byte is known.
type crlfToLF struct {
	w         io.Writer
	pendingCR bool
}

var errShortWrite = errors.New("short write")

func (c *crlfToLF) Write(p []byte) (int, error) {
	total := len(p)
	if c.pendingCR {
		c.pendingCR = false
		if len(p) > 0 && p[0] == '\n' {
			// The CR of a CRLF split across writes: drop it.
		} else if err := c.write([]byte{'\r'}); err != nil {
			return 0, err
		}
	}
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\r')
		if i < 0 {
			return total, c.write(p)
		}
		if i == len(p)-1 {
			c.pendingCR = true
			return total, c.write(p[:i])
		}
		if p[i+1] == '\n' {
			if err := c.write(p[:i]); err != nil {
				return 0, err
			}
			p = p[i+1:] // continue at the LF
			continue
		}
		if err := c.write(p[:i+1]); err != nil {
			return 0, err
		}
		p = p[i+1:]
	}
	return total, nil
}

// Flush writes a CR held back at the end of the input.
func (c *crlfToLF) Flush() error {
	if !c.pendingCR {
		return nil
	}
	c.pendingCR = false
	return c.write([]byte{'\r'})
}

func (c *crlfToLF) write(p []byte) error {
	if len(p) == 0 {
		return nil
	}
	n, err := c.w.Write(p)
	if err != nil {
		return err
	}
	if n != len(p) {
		return errShortWrite
	}
	return nil
}
