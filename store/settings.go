package store

import (
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/ClickHouse/clickhouse-go/v2"
)

// The store pins the insert settings its design assumes, on every
// connection whose server knows them. The design needs every INSERT written
// as it was sent, before the INSERT returns: one INSERT is one part (the -1
// and +1 rows of a change land together, and the views see that block),
// and no INSERT is dropped as a repeat of an earlier block (the writer
// deduplicates exactly by looking up stored states, and a correction that
// reconcile inserts may equal an earlier one). Servers since 26.2 default
// otherwise:
//   - async_insert is on: the server buffers INSERTs and writes several as
//     one part later.
//   - deduplicate_insert (which overrides insert_deduplicate) is "enable":
//     on a table where deduplication applies (Replicated*, or a
//     non_replicated_deduplication_window), a block equal to a recent one
//     is dropped. The schema has no such table today; a replicated one must
//     not change what an INSERT does.
//
// deduplicate_blocks_in_dependent_materialized_views (on since 26.2) needs
// no pin: with deduplication off it drops nothing, and turned off alone it
// lets a view write a block its table dropped.
//
// ClickHouse 18.16 rejects a setting it does not know, so each connection
// sends only what its own server knows, from the version in the server's
// handshake.
var pins = []struct {
	name         string
	value        any
	major, minor uint64 // the first version that knows the setting
}{
	{"insert_deduplicate", 0, 0, 0}, // known to 18.16 and every later version
	{"async_insert", 0, 21, 11},
	{"deduplicate_insert", "disable", 26, 2},
}

// PinnedSettings returns the settings the store sends on a connection to a
// server of the given version ("26.8.1.1"; major and minor are enough).
func PinnedSettings(version string) (clickhouse.Settings, error) {
	parts := strings.SplitN(version, ".", 3)
	if len(parts) < 2 {
		return nil, fmt.Errorf("ClickHouse version %q: want major.minor[.patch]", version)
	}
	major, err1 := strconv.ParseUint(parts[0], 10, 32)
	minor, err2 := strconv.ParseUint(parts[1], 10, 32)
	if err := errors.Join(err1, err2); err != nil {
		return nil, fmt.Errorf("ClickHouse version %q: %w", version, err)
	}
	return pinned(major, minor), nil
}

func pinned(major, minor uint64) clickhouse.Settings {
	s := clickhouse.Settings{}
	for _, p := range pins {
		if major > p.major || major == p.major && minor >= p.minor {
			s[p.name] = p.value
		}
	}
	return s
}

// pinSettings makes every connection that o opens send the pinned settings
// its own server knows, with every query: each connection gets its own
// copy of the options, whose Settings are completed once the handshake
// has told the server's version. Connections of one pool may reach
// different versions (several hosts in the DSN, a server upgraded while the
// store is open). The settings only change what INSERTs do.
func pinSettings(o *clickhouse.Options) {
	dialContext := o.DialContext
	o.DialStrategy = func(ctx context.Context, connID int, opt *clickhouse.Options, dial clickhouse.Dial) (clickhouse.DialResult, error) {
		own := *opt
		own.Settings = maps.Clone(opt.Settings)
		if own.Settings == nil {
			own.Settings = clickhouse.Settings{}
		}
		var hello *helloConn
		own.DialContext = func(ctx context.Context, addr string) (net.Conn, error) {
			c, err := dialRaw(ctx, addr, &own, dialContext)
			if err != nil {
				return nil, err
			}
			hello = &helloConn{Conn: c}
			if _, ok := syscallConn(c); ok {
				return &helloSyscallConn{hello}, nil
			}
			return hello, nil
		}
		r, err := clickhouse.DefaultDialStrategy(ctx, connID, &own, dial)
		if err != nil {
			return r, err
		}
		if hello == nil {
			return clickhouse.DialResult{}, errors.New("clickhouse-go dialled without the store's DialContext")
		}
		major, minor, err := hello.version()
		if err != nil {
			hello.Close()
			return clickhouse.DialResult{}, fmt.Errorf("read the ClickHouse server's version from its handshake: %w", err)
		}
		maps.Copy(own.Settings, pinned(major, minor))
		return r, nil
	}
}

// dialRaw opens the network connection as clickhouse-go does when no
// DialContext is given (TCP, or TLS when configured), or through the
// caller's own DialContext.
func dialRaw(ctx context.Context, addr string, o *clickhouse.Options, dialContext func(context.Context, string) (net.Conn, error)) (net.Conn, error) {
	if dialContext != nil {
		return dialContext(ctx, addr)
	}
	d := &net.Dialer{Timeout: o.DialTimeout}
	if o.TLS != nil {
		return (&tls.Dialer{NetDialer: d, Config: o.TLS}).DialContext(ctx, "tcp", addr)
	}
	return d.DialContext(ctx, "tcp", addr)
}

// helloConn keeps the first bytes the server sends, which hold its
// handshake, until version has read them.
type helloConn struct {
	net.Conn
	done atomic.Bool // version has read the bytes: keep no more
	mu   sync.Mutex
	buf  []byte
}

// helloBytes bounds what helloConn keeps: the version comes within the
// first few dozen bytes.
const helloBytes = 256

func (c *helloConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if c.done.Load() {
		return n, err
	}
	c.mu.Lock()
	if !c.done.Load() && len(c.buf) < helloBytes {
		c.buf = append(c.buf, p[:min(n, helloBytes-len(c.buf))]...)
	}
	c.mu.Unlock()
	return n, err
}

// version parses the server's version from its handshake and stops
// keeping bytes. The handshake starts, in every protocol revision, with
// the packet code 0 (Hello), the server's name (a string: its length as
// an unsigned LEB128 varint, then its bytes), then the major and the minor
// version as varints.
func (c *helloConn) version() (major, minor uint64, err error) {
	c.mu.Lock()
	b := c.buf
	c.buf = nil
	c.done.Store(true)
	c.mu.Unlock()
	bad := func() error { return fmt.Errorf("not a ClickHouse server hello: % x", b[:min(len(b), 32)]) }
	if len(b) == 0 || b[0] != 0 {
		return 0, 0, bad()
	}
	rest := b[1:]
	var v [3]uint64
	for i := range v {
		n := 0
		if v[i], n = binary.Uvarint(rest); n <= 0 {
			return 0, 0, bad()
		}
		rest = rest[n:]
		if i == 0 { // the name's length, then the name
			if v[0] > uint64(len(rest)) {
				return 0, 0, bad()
			}
			rest = rest[v[0]:]
		}
	}
	return v[1], v[2], nil
}

// helloSyscallConn is a helloConn over a connection with a file
// descriptor: clickhouse-go checks an idle connection for liveness through
// it before reusing it, and skips the check for other connections.
type helloSyscallConn struct{ *helloConn }

func (c *helloSyscallConn) SyscallConn() (syscall.RawConn, error) {
	sc, _ := syscallConn(c.Conn)
	return sc.SyscallConn()
}

// syscallConn returns the connection under c (under TLS too) as a
// syscall.Conn, as clickhouse-go's liveness check looks for it.
func syscallConn(c net.Conn) (syscall.Conn, bool) {
	if t, ok := c.(*tls.Conn); ok {
		c = t.NetConn()
	}
	sc, ok := c.(syscall.Conn)
	return sc, ok
}
