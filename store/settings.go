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
//     is dropped. On one server the schema has no such table.
//
// deduplicate_blocks_in_dependent_materialized_views (on since 26.2) needs
// no pin: with deduplication off it drops nothing, and turned off alone it
// lets a view write a block its table dropped.
//
// ClickHouse 18.16 rejects a setting it does not know, so each connection
// sends only what its own server knows, from the version in the server's
// handshake.
//
// On a cluster (Options.Cluster) more is pinned, so that an acknowledged
// write is stored on its shard and the writer reads its own writes:
//   - a Distributed INSERT returns once every shard's replica has written
//     its part (insert_distributed_sync, renamed distributed_foreground_insert
//     in 23.11), not when the rows are queued on the server that took it;
//   - every server sends a shard's reads and writes to the same replica:
//     the first that answers, in the order of the cluster's definition
//     (load_balancing in_order, which clickhouse-go can send as a string
//     from 20.1 on; older servers need it in their users' profile, and
//     Open checks it), never preferring itself (prefer_localhost_replica)
//     nor skipping a lagging replica for reads only
//     (max_replica_delay_for_distributed_queries 0);
//   - the INSERTs of the reactions writer deduplicate (insert_deduplicate,
//     deduplicate_insert 'enable' from 26.2): a block equal to one stored
//     on the shard is dropped there. The writer's blocks are unique by
//     construction (every row carries a version in nanoseconds), so an
//     equal block is a resend of the same write, whose first attempt
//     stored it or not: ZooKeeper holds the block's id for the whole
//     shard, so a resend after a lost acknowledgement stores nothing twice
//     even when the replica that stored it has died. The views follow:
//     18.16 skips them for a dropped block, and 24.7 and later deduplicate
//     their blocks by the id of the block they came from
//     (deduplicate_blocks_in_dependent_materialized_views). Every other
//     INSERT keeps deduplication off: reconcile's corrections to
//     reaction_minutes may legitimately equal an earlier one.
type pinMode int

const (
	pinServer        pinMode = iota // one server
	pinCluster                      // a cluster: queries and every INSERT but the writer's
	pinClusterWriter                // a cluster: the reactions writer's INSERTs
)

type pin struct {
	name         string
	value        any
	major, minor uint64 // the first version that knows the setting
	before       uint64 // major*100+minor of the first version that no longer needs it; 0: none
}

var pins = []pin{
	{"insert_deduplicate", 0, 0, 0, 0}, // known to 18.16 and every later version
	{"async_insert", 0, 21, 11, 0},
	{"deduplicate_insert", "disable", 26, 2, 0},
}

var clusterPins = []pin{
	{"insert_distributed_sync", 1, 0, 0, 2311},
	{"distributed_foreground_insert", 1, 23, 11, 0},
	{"prefer_localhost_replica", 0, 0, 0, 0},
	{"max_replica_delay_for_distributed_queries", 0, 0, 0, 0},
	{"load_balancing", "in_order", 20, 1, 0},
}

var writerPins = []pin{
	{"insert_deduplicate", 1, 0, 0, 0},
	{"deduplicate_insert", "enable", 26, 2, 0},
	{"deduplicate_blocks_in_dependent_materialized_views", 1, 24, 7, 0},
}

// PinnedSettings returns the settings the store sends on a connection to a
// server of the given version ("26.8.1.1"; major and minor are enough).
func PinnedSettings(version string) (clickhouse.Settings, error) {
	return pinnedFor(version, pinServer)
}

// ClusterPinnedSettings returns the settings the store sends, in cluster
// mode, on its connections for queries (writer false) or on those of the
// reactions writer's INSERTs (writer true).
func ClusterPinnedSettings(version string, writer bool) (clickhouse.Settings, error) {
	if writer {
		return pinnedFor(version, pinClusterWriter)
	}
	return pinnedFor(version, pinCluster)
}

func pinnedFor(version string, mode pinMode) (clickhouse.Settings, error) {
	parts := strings.SplitN(version, ".", 3)
	if len(parts) < 2 {
		return nil, fmt.Errorf("ClickHouse version %q: want major.minor[.patch]", version)
	}
	major, err1 := strconv.ParseUint(parts[0], 10, 32)
	minor, err2 := strconv.ParseUint(parts[1], 10, 32)
	if err := errors.Join(err1, err2); err != nil {
		return nil, fmt.Errorf("ClickHouse version %q: %w", version, err)
	}
	return pinned(major, minor, mode), nil
}

func pinned(major, minor uint64, mode pinMode) clickhouse.Settings {
	s := clickhouse.Settings{}
	add := func(ps []pin) {
		for _, p := range ps {
			known := major > p.major || major == p.major && minor >= p.minor
			if known && (p.before == 0 || major*100+minor < p.before) {
				s[p.name] = p.value
			}
		}
	}
	add(pins)
	if mode != pinServer {
		add(clusterPins)
	}
	if mode == pinClusterWriter {
		add(writerPins)
	}
	return s
}

// pinSettings makes every connection that o opens send the pinned settings
// its own server knows, with every query: each connection gets its own
// copy of the options, whose Settings are completed once the handshake
// has told the server's version. Connections of one pool may reach
// different versions (several hosts in the DSN, a server upgraded while the
// store is open). The settings only change what INSERTs do.
func pinSettings(o *clickhouse.Options, mode pinMode) {
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
		maps.Copy(own.Settings, pinned(major, minor, mode))
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
