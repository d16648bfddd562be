package maildir

import (
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"
)

// A delivery spends most of its time in fsync, and a blocking fsync holds
// an OS thread and, for its whole length, the Go scheduler's attention:
// the runtime's monitor wakes every 20 µs to hand the thread's processor
// to another thread, and hands it back afterwards. Under load that churn
// costs about a fifth of a delivery's CPU time.
//
// So on Linux the writer submits its fsyncs through the kernel's AIO
// interface (io_submit with IOCB_CMD_FSYNC, Linux 4.18 and later): the
// kernel runs each one on its own workers and, when it ends, signals an
// eventfd that the Go network poller watches. A delivery waiting for its
// fsync is parked like one waiting for the network. The fsync itself is
// the same vfs_fsync as the system call, with the same result.
//
// Where AIO is missing, refused or full, fsyncFD makes the plain system
// call.

// Linux AIO ABI (include/uapi/linux/aio_abi.h).
const (
	iocbCmdFsync  = 2
	iocbFlagResfd = 1 << 0
)

// iocb is struct iocb, with the fields an fsync leaves zero blank
// (aio_key and aio_rw_flags, whose order depends on the byte order, are
// among them).
type iocb struct {
	data   uint64
	_      uint32 // aio_key
	_      int32  // aio_rw_flags
	opcode uint16
	_      int16 // aio_reqprio
	fildes uint32
	_      uint64 // aio_buf
	_      uint64 // aio_nbytes
	_      int64  // aio_offset
	_      uint64 // aio_reserved2
	flags  uint32
	resfd  uint32
}

var _ [64]byte = [unsafe.Sizeof(iocb{})]byte{}

// ioEvent is struct io_event.
type ioEvent struct {
	data uint64
	obj  uint64
	res  int64
	res2 int64
}

// aioRing is how many fsyncs may be in flight at once; beyond that an
// fsync is a plain system call.
const aioRing = 256

// aioSyncer submits fsyncs and delivers their results.
type aioSyncer struct {
	ctx   uintptr  // aio_context_t
	efd   *os.File // eventfd signalled by each completion, in the poller
	efdNo uint32   // its descriptor (efd.Fd would make it blocking)

	mu      sync.Mutex
	next    uint64
	waiting map[uint64]chan int64
	broken  bool
}

var (
	aioOnce sync.Once
	aioSync *aioSyncer // nil where AIO fsync is unavailable
	aioOff  atomic.Bool
)

// syncing counts the fsyncs fsyncFD is waiting for.
var syncing atomic.Int32

// fsyncFD fsyncs fd. Alone, it makes the system call: with nothing else
// waiting for the disk that is the shortest path, and the scheduler has
// nothing to hand over. While other fsyncs are in flight it goes through
// AIO.
func fsyncFD(fd int) error {
	defer syncing.Add(-1)
	if syncing.Add(1) > 1 {
		if wait := startFsync(fd); wait != nil {
			return wait()
		}
	}
	return ignoringEINTR(func() error { return unix.Fsync(fd) })
}

// startFsync submits an fsync of fd through AIO and returns the function
// that waits for its result, or nil if it could not be submitted (then
// the caller makes the system call). fd must stay open until the wait
// returns.
func startFsync(fd int) func() error {
	if aioOff.Load() {
		return nil
	}
	aioOnce.Do(func() { aioSync = newAIOSyncer() })
	a := aioSync
	if a == nil {
		return nil
	}
	req := a.submit(fd)
	if req == nil {
		return nil
	}
	return func() error { return a.wait(req) }
}

func newAIOSyncer() *aioSyncer {
	var ctx uintptr
	if _, _, e := unix.Syscall(unix.SYS_IO_SETUP, aioRing, uintptr(unsafe.Pointer(&ctx)), 0); e != 0 {
		aioOff.Store(true)
		return nil
	}
	efd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		unix.Syscall(unix.SYS_IO_DESTROY, ctx, 0, 0)
		aioOff.Store(true)
		return nil
	}
	a := &aioSyncer{ctx: ctx, efd: os.NewFile(uintptr(efd), "aio-eventfd"), efdNo: uint32(efd), waiting: make(map[uint64]chan int64)}
	go a.reap()
	return a
}

// aioRequest is what one submission needs; it lives on the heap so that
// the kernel reads it where the pointer says.
type aioRequest struct {
	cb   iocb
	ptrs [1]*iocb
	done chan int64
}

var aioRequests = sync.Pool{New: func() any { return &aioRequest{done: make(chan int64, 1)} }}

// submit submits an fsync of fd, or returns nil if it could not.
func (a *aioSyncer) submit(fd int) *aioRequest {
	req := aioRequests.Get().(*aioRequest)
	a.mu.Lock()
	if a.broken {
		a.mu.Unlock()
		aioRequests.Put(req)
		return nil
	}
	a.next++
	id := a.next
	a.waiting[id] = req.done
	a.mu.Unlock()

	req.cb = iocb{data: id, opcode: iocbCmdFsync, fildes: uint32(fd), flags: iocbFlagResfd, resfd: a.efdNo}
	req.ptrs[0] = &req.cb
	// io_submit copies the iocb before it returns.
	n, _, e := unix.Syscall(unix.SYS_IO_SUBMIT, a.ctx, 1, uintptr(unsafe.Pointer(&req.ptrs[0])))
	runtime.KeepAlive(req)
	if e != 0 || n != 1 {
		a.mu.Lock()
		delete(a.waiting, id)
		a.mu.Unlock()
		aioRequests.Put(req)
		if e == unix.ENOSYS {
			aioOff.Store(true)
		}
		// EAGAIN: the ring is full; EINVAL: a file without AIO fsync;
		// EBADF: the system call will say so too.
		return nil
	}
	return req
}

// wait returns the result of a submitted fsync.
func (a *aioSyncer) wait(req *aioRequest) error {
	res := <-req.done
	aioRequests.Put(req)
	if res < 0 {
		return unix.Errno(-res)
	}
	return nil
}

// reap waits for completions and hands each result to its waiter.
func (a *aioSyncer) reap() {
	var count [8]byte
	events := make([]ioEvent, 64)
	for {
		if _, err := a.efd.Read(count[:]); err != nil {
			a.fail()
			return
		}
		for {
			// min_nr 0: return at once with what has completed.
			n, _, e := unix.Syscall6(unix.SYS_IO_PGETEVENTS, a.ctx, 0, uintptr(len(events)),
				uintptr(unsafe.Pointer(&events[0])), 0, 0)
			if e == unix.EINTR {
				continue
			}
			if e != 0 {
				a.fail()
				return
			}
			a.mu.Lock()
			for _, ev := range events[:n] {
				if ch, ok := a.waiting[ev.data]; ok {
					delete(a.waiting, ev.data)
					ch <- ev.res
				}
			}
			a.mu.Unlock()
			if int(n) < len(events) {
				break
			}
		}
	}
}

// fail gives up on AIO after the reaper broke, which the kernel's
// interface does not allow: every fsync still waiting fails with EIO (the
// delivery is retried), and later ones are system calls.
func (a *aioSyncer) fail() {
	aioOff.Store(true)
	a.mu.Lock()
	defer a.mu.Unlock()
	a.broken = true
	for id, ch := range a.waiting {
		delete(a.waiting, id)
		ch <- -int64(unix.EIO)
	}
}
