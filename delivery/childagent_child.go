package delivery

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"

	"github.com/sluice-mail/sluice/internal/state"
)

// ChildRuntime is what a delivery child delivers with.
type ChildRuntime struct {
	// Agent delivers the recipient.
	Agent Agent
	// Spool says where the child keeps the message it reads from stdin.
	Spool SpoolOptions
	// Close, when set, is called once the delivery is done.
	Close func() error
}

// ChildBuild makes a child's runtime from the server's ChildAgent.Setup,
// a state store that asks the server, and a logger that sends its
// records to the server's log.
type ChildBuild func(ctx context.Context, setup []byte, st state.Store, log *slog.Logger) (*ChildRuntime, error)

// ServeChild is the child side of a ChildAgent: it reads the job from
// conn (the socket on file descriptor 3), spools the message from stdin,
// delivers it with the runtime build makes, and sends the outcome. An
// error means the conversation itself failed; the child should then exit
// with a temporary failure status (75).
func ServeChild(ctx context.Context, conn io.ReadWriter, stdin io.Reader, build ChildBuild) error {
	c := newWireConn(conn)
	m, err := c.recv()
	if err != nil {
		return fmt.Errorf("reading the job: %w", err)
	}
	if m.Job == nil {
		return errors.New("reading the job: no job")
	}
	job := m.Job
	st := &remoteState{c: c}
	log := slog.New(&wireHandler{c: c})
	res := serveJob(ctx, job, stdin, st, log, build)
	if err := c.send(&wireMsg{Result: res}); err != nil {
		return fmt.Errorf("sending the outcome: %w", err)
	}
	return nil
}

func serveJob(ctx context.Context, job *wireJob, stdin io.Reader, st state.Store, log *slog.Logger, build ChildBuild) (res *wireResult) {
	defer func() {
		if p := recover(); p != nil {
			log.Error("delivery panic", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			res = &wireResult{Err: newWireError(fmt.Errorf("internal error: %v", p))}
		}
	}()
	rt, err := build(ctx, job.Setup, st, log)
	if err != nil {
		return &wireResult{Err: newWireError(&TempError{Reason: "Temporary internal error", Err: err})}
	}
	if rt.Close != nil {
		defer rt.Close()
	}
	sp, err := NewSpool(stdin, rt.Spool)
	if err != nil {
		return &wireResult{Err: newWireError(err)}
	}
	defer sp.Close()
	out, err := rt.Agent.Deliver(ctx, job.delivery(sp))
	res = &wireResult{Stored: out.Stored, Discarded: out.Discarded, Reject: out.Reject, Actions: out.Actions}
	if err != nil {
		res.Err = newWireError(err)
	}
	return res
}

// remoteState is a state.Store that asks the server. One call at a time:
// the child is the only reader of the socket.
type remoteState struct {
	mu sync.Mutex
	c  *wireConn
}

var _ state.Store = (*remoteState)(nil)

func (r *remoteState) call(ctx context.Context, s *wireState) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, fmt.Errorf("state: %w: %w", state.ErrUnavailable, err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.c.send(&wireMsg{State: s}); err != nil {
		return false, fmt.Errorf("state: %w: %w", state.ErrUnavailable, err)
	}
	m, err := r.c.recv()
	if err != nil {
		return false, fmt.Errorf("state: %w: %w", state.ErrUnavailable, err)
	}
	rep := m.StateReply
	switch {
	case rep == nil:
		return false, fmt.Errorf("state: %w: unexpected answer from the server", state.ErrUnavailable)
	case rep.Invalid:
		return false, fmt.Errorf("state: %w: %s", state.ErrInvalid, rep.Err)
	case rep.Err != "":
		return false, fmt.Errorf("state: %w: %s", state.ErrUnavailable, rep.Err)
	}
	return rep.Result, nil
}

func (r *remoteState) Seen(ctx context.Context, key state.Key) (bool, error) {
	return r.call(ctx, &wireState{Op: opSeen, User: key.User, Kind: key.Kind, ID: key.ID})
}

func (r *remoteState) Mark(ctx context.Context, key state.Key, ttl time.Duration) error {
	_, err := r.call(ctx, &wireState{Op: opMark, User: key.User, Kind: key.Kind, ID: key.ID, TTL: int64(ttl)})
	return err
}

func (r *remoteState) MarkIfAbsent(ctx context.Context, key state.Key, ttl time.Duration) (bool, error) {
	return r.call(ctx, &wireState{Op: opMarkIfAbsent, User: key.User, Kind: key.Kind, ID: key.ID, TTL: int64(ttl)})
}

// Close does nothing: the socket belongs to ServeChild.
func (r *remoteState) Close() error { return nil }

// wireHandler is a slog.Handler sending records to the server, which
// logs them with its own handler. Attribute values travel as text.
type wireHandler struct {
	c      *wireConn
	attrs  []slog.Attr
	groups string
}

var _ slog.Handler = (*wireHandler)(nil)

func (h *wireHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h *wireHandler) Handle(_ context.Context, r slog.Record) error {
	attrs := make(map[string]string, len(h.attrs)+r.NumAttrs())
	for _, a := range h.attrs {
		flatten(attrs, "", a)
	}
	r.Attrs(func(a slog.Attr) bool {
		flatten(attrs, h.groups, a)
		return true
	})
	return h.c.send(&wireMsg{Log: &wireLog{Level: r.Level, Msg: r.Message, Attrs: attrs}})
}

func (h *wireHandler) WithAttrs(as []slog.Attr) slog.Handler {
	n := *h
	n.attrs = append([]slog.Attr(nil), h.attrs...)
	for _, a := range as {
		if h.groups != "" {
			a.Key = h.groups + a.Key
		}
		n.attrs = append(n.attrs, a)
	}
	return &n
}

func (h *wireHandler) WithGroup(name string) slog.Handler {
	n := *h
	n.groups = h.groups + name + "."
	return &n
}

func flatten(out map[string]string, prefix string, a slog.Attr) {
	v := a.Value.Resolve()
	if v.Kind() == slog.KindGroup {
		p := prefix
		if a.Key != "" {
			p += a.Key + "."
		}
		for _, g := range v.Group() {
			flatten(out, p, g)
		}
		return
	}
	if a.Key == "" {
		return
	}
	out[prefix+a.Key] = v.String()
}
