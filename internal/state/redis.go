package state

import (
	"context"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
)

// Redis is a Store kept in a Redis (or Redis-compatible) server, for
// installations where several hosts deliver for the same users and must
// share one memory of replies and forwards.
//
// Each record is one string key, KeyPrefix + Kind + ":" + the hex SHA-256
// digest of (user, id), holding "1" with a millisecond expiry that the
// server enforces:
//
//	Seen         EXISTS key
//	Mark         SET key 1 PX ttl
//	MarkIfAbsent SET key 1 NX PX ttl
//
// Expiry is the server's clock, not Options.Now. SET NX is atomic on the
// server, so MarkIfAbsent is a test-and-set across every process and host
// sharing the server.
//
// Commands are not retried: a retried SET NX whose first reply was lost
// would report the key as present although this caller set it. A failed
// command returns an error wrapping ErrUnavailable instead, and the caller
// defers the delivery.
type Redis struct {
	client *redis.Client
	prefix string
	closed atomic.Bool
}

var _ Store = (*Redis)(nil)

// DefaultRedisKeyPrefix is the key prefix used when RedisOptions.KeyPrefix
// is empty.
const DefaultRedisKeyPrefix = "sluice:"

// RedisOptions say where the Redis server is and how long to wait for it.
// The zero value connects to localhost:6379, database 0, without TLS.
type RedisOptions struct {
	// Addr is "host:port" for TCP, or the path of a Unix-domain socket
	// (anything starting with "/", or given as "unix:/path"). Default
	// "localhost:6379".
	Addr string
	// Username and Password authenticate with AUTH (Username only with
	// Redis 6 ACLs). Empty means no AUTH.
	Username string
	Password string
	// DB is the database number selected after connecting.
	DB int
	// TLS, when not nil, makes every connection use TLS with this
	// configuration.
	TLS *tls.Config
	// KeyPrefix starts every key sluice writes (default "sluice:"), so that
	// one database can be shared with other applications.
	KeyPrefix string
	// DialTimeout bounds connecting, including TLS and AUTH (default 2s).
	DialTimeout time.Duration
	// ReadTimeout and WriteTimeout bound each command's socket reads and
	// writes (default 2s each). A context deadline that comes sooner
	// shortens them.
	ReadTimeout  time.Duration
	WriteTimeout time.Duration
	// PoolSize is the most connections kept open (default: the client
	// library's, 10 per CPU).
	PoolSize int
}

// ErrRedisOptions is wrapped by OpenRedis's errors about RedisOptions
// themselves; these are configuration mistakes, not temporary failures.
var ErrRedisOptions = errors.New("invalid redis options")

func (o RedisOptions) withDefaults() RedisOptions {
	if o.Addr == "" {
		o.Addr = "localhost:6379"
	}
	if o.KeyPrefix == "" {
		o.KeyPrefix = DefaultRedisKeyPrefix
	}
	if o.DialTimeout <= 0 {
		o.DialTimeout = 2 * time.Second
	}
	if o.ReadTimeout <= 0 {
		o.ReadTimeout = 2 * time.Second
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = 2 * time.Second
	}
	return o
}

// Validate reports option values OpenRedis cannot use.
func (o RedisOptions) Validate() error {
	if o.DB < 0 {
		return fmt.Errorf("%w: db %d", ErrRedisOptions, o.DB)
	}
	if o.PoolSize < 0 {
		return fmt.Errorf("%w: pool size %d", ErrRedisOptions, o.PoolSize)
	}
	for _, c := range o.KeyPrefix {
		if c <= ' ' || c == 0x7f {
			return fmt.Errorf("%w: key prefix %q has a space or control character", ErrRedisOptions, o.KeyPrefix)
		}
	}
	return nil
}

// network splits Addr into the network and address the client dials.
func (o RedisOptions) network() (network, addr string) {
	switch {
	case strings.HasPrefix(o.Addr, "unix:"):
		return "unix", strings.TrimPrefix(strings.TrimPrefix(o.Addr, "unix:"), "//")
	case strings.HasPrefix(o.Addr, "/"):
		return "unix", o.Addr
	default:
		return "tcp", o.Addr
	}
}

// OpenRedis connects to the server opts names and checks it with PING, so
// that a wrong address or password shows at startup. The PING is bounded by
// ctx and the dial and read timeouts; its failure wraps ErrUnavailable.
func OpenRedis(ctx context.Context, opts RedisOptions) (*Redis, error) {
	if err := opts.Validate(); err != nil {
		return nil, fmt.Errorf("state: %w", err)
	}
	o := opts.withDefaults()
	network, addr := o.network()
	client := redis.NewClient(&redis.Options{
		Network:   network,
		Addr:      addr,
		Username:  o.Username,
		Password:  o.Password,
		DB:        o.DB,
		TLSConfig: o.TLS,
		// RESP2 is understood by every server version and by Redis forks.
		Protocol:     2,
		DialTimeout:  o.DialTimeout,
		ReadTimeout:  o.ReadTimeout,
		WriteTimeout: o.WriteTimeout,
		// Honour ctx deadlines as well as the timeouts above.
		ContextTimeoutEnabled: true,
		// -1 disables retries; see the type's documentation.
		MaxRetries: -1,
		// One dial attempt per command: a down server fails the command
		// now rather than after a series of back-offs.
		DialerRetries:   1,
		PoolSize:        o.PoolSize,
		DisableIdentity: true,
		MaintNotificationsConfig: &maintnotifications.Config{
			Mode: maintnotifications.ModeDisabled,
		},
	})
	r := &Redis{client: client, prefix: o.KeyPrefix}
	if err := ctx.Err(); err != nil {
		client.Close()
		return nil, unavailable("redis open "+o.Addr, err)
	}
	if err := client.Ping(ctx).Err(); err != nil {
		client.Close()
		return nil, r.fail(ctx, "open "+o.Addr, err)
	}
	return r, nil
}

// key is the Redis key of k: prefix, kind, and the hex digest of user and
// id, so that neither appears in clear on the server.
func (r *Redis) key(k Key) string {
	return r.prefix + k.Kind + ":" + hex.EncodeToString(digest(k))
}

// pxMillis is ttl in whole milliseconds for PX, rounded up so that a
// record never expires before its ttl has passed (PX 0 is an error).
func pxMillis(ttl time.Duration) int64 {
	ms := int64(ttl / time.Millisecond)
	if ttl%time.Millisecond != 0 {
		ms++
	}
	return ms
}

// begin validates the call and refuses it after Close or with a done ctx.
func (r *Redis) begin(ctx context.Context, key Key, ttl time.Duration, checkTTL bool) error {
	if err := check(key, ttl, checkTTL); err != nil {
		return err
	}
	if r.closed.Load() {
		return unavailable("redis", ErrClosed)
	}
	if err := ctx.Err(); err != nil {
		return unavailable("redis", err)
	}
	return nil
}

// fail wraps a client error as ErrUnavailable, adding ErrClosed or the
// context's error when either explains it.
func (r *Redis) fail(ctx context.Context, op string, err error) error {
	cerr := ctxErr(ctx)
	switch {
	case errors.Is(err, redis.ErrClosed) || r.closed.Load():
		return fmt.Errorf("state: redis %s: %w: %w: %w", op, ErrUnavailable, ErrClosed, err)
	case cerr != nil && !errors.Is(err, cerr):
		return fmt.Errorf("state: redis %s: %w: %w: %w", op, ErrUnavailable, cerr, err)
	default:
		return unavailable("redis "+op, err)
	}
}

// ctxErr is ctx.Err(), or context.DeadlineExceeded once ctx's deadline
// has passed. The client sets the socket deadline to the context's, so a
// read can time out a moment before the context's own timer fires.
func ctxErr(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if dl, ok := ctx.Deadline(); ok && !time.Now().Before(dl) {
		return context.DeadlineExceeded
	}
	return nil
}

// Seen implements Store with EXISTS.
func (r *Redis) Seen(ctx context.Context, key Key) (bool, error) {
	if err := r.begin(ctx, key, 0, false); err != nil {
		return false, err
	}
	n, err := r.client.Exists(ctx, r.key(key)).Result()
	if err != nil {
		return false, r.fail(ctx, "EXISTS", err)
	}
	return n > 0, nil
}

// Mark implements Store with SET PX, which replaces the value and any
// earlier expiry.
func (r *Redis) Mark(ctx context.Context, key Key, ttl time.Duration) error {
	if err := r.begin(ctx, key, ttl, true); err != nil {
		return err
	}
	px := strconv.FormatInt(pxMillis(ttl), 10)
	if err := r.client.Do(ctx, "SET", r.key(key), "1", "PX", px).Err(); err != nil {
		return r.fail(ctx, "SET", err)
	}
	return nil
}

// MarkIfAbsent implements Store with SET NX PX: the server sets the key
// only if it does not exist (an expired key does not) and answers OK, or a
// null reply when the key was present, whose expiry it leaves alone.
func (r *Redis) MarkIfAbsent(ctx context.Context, key Key, ttl time.Duration) (bool, error) {
	if err := r.begin(ctx, key, ttl, true); err != nil {
		return false, err
	}
	px := strconv.FormatInt(pxMillis(ttl), 10)
	err := r.client.Do(ctx, "SET", r.key(key), "1", "NX", "PX", px).Err()
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, redis.Nil):
		return false, nil
	default:
		return false, r.fail(ctx, "SET NX", err)
	}
}

// Close implements Store. It closes the connection pool; records stay on
// the server until they expire.
func (r *Redis) Close() error {
	if r.closed.Swap(true) {
		return nil
	}
	if err := r.client.Close(); err != nil {
		return unavailable("redis close", err)
	}
	return nil
}
