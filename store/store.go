// Package store keeps reactions, stories and crawl runs in ClickHouse. It
// owns the schema (embedded, numbered migrations applied by Migrate) and
// works on ClickHouse 18.16 (Debian) and on the current LTS alike: every
// INSERT goes through PrepareBatch (this package's, see its doc) with named
// columns, the SQL stays in the subset both accept (tested on both, see
// store/chtest/replay), and each connection pins the insert settings its
// server knows (see settings.go).
package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"sync"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// DefaultDatabase is the database the command uses on the local server.
const DefaultDatabase = "reactions"

// Store is a connection to one ClickHouse database. It is safe for
// concurrent use.
type Store struct {
	writeMu sync.Mutex // serialises Write and Relabel: exact dedup needs one writer
	conn    driver.Conn
	// inserter is a connection of its own for the INSERTs into reactions
	// (Write and Relabel, under writeMu): clickhouse-go encodes a block
	// into a buffer kept by its connection, and a pool hands connections
	// out in turn, so that through one connection the buffer grows once
	// instead of once per connection of the query pool.
	inserter driver.Conn
	db       string
	version  string
	cluster  string // the ClickHouse cluster, or "" for one server
	opts     *clickhouse.Options
	shards   []shardInfo // the cluster's shards, in order
	// behindSince holds, by shard, when the writer first found the replica
	// it reads behind the shard while a replica of it was down (see
	// awaitReplicas); guarded by writeMu.
	behindSince map[int]time.Time
}

// Options tune Open. The zero value is ready to use.
type Options struct {
	// MaxOpenConns bounds the connection pool of queries. Default 8. The
	// INSERTs into reactions have one more connection of their own.
	MaxOpenConns int
	// DialTimeout bounds connecting. Default 10s.
	DialTimeout time.Duration
	// NoMigrate skips applying migrations on open.
	NoMigrate bool
	// Logger receives clickhouse-go's own log records, at debug level
	// each statement as sent to the server ("sending query", its text
	// after binding in the attribute "query"). Default: none.
	Logger *slog.Logger
	// Cluster names the ClickHouse cluster (a name in the servers'
	// remote_servers) on which the schema lives sharded and replicated;
	// "cluster=NAME" in the DSN says the same. Default: none, one server.
	// See docs/scaling.md.
	Cluster string
	// OnInsert, when set, is called with every INSERT that the store's
	// connections sent and the server acknowledged, from the goroutine
	// that sent it. It is for tests (store/chtest/replay records what a
	// workload writes); it copies every batch. Default: none.
	OnInsert func(Insert)
}

// Open connects to the database named in dsn (creating it if missing) and
// applies pending migrations.
func Open(ctx context.Context, dsn string, opt Options) (*Store, error) {
	if opt.MaxOpenConns <= 0 {
		opt.MaxOpenConns = 8
	}
	if opt.DialTimeout <= 0 {
		opt.DialTimeout = 10 * time.Second
	}
	dsn, cluster, err := splitCluster(dsn)
	if err != nil {
		return nil, err
	}
	if opt.Cluster != "" && cluster != "" && opt.Cluster != cluster {
		return nil, fmt.Errorf("ClickHouse cluster: the DSN names %q and the options %q", cluster, opt.Cluster)
	}
	if cluster == "" {
		cluster = opt.Cluster
	}
	if cluster != "" && !validIdent(cluster) {
		return nil, fmt.Errorf("ClickHouse cluster name %q: use letters, digits and _ only", cluster)
	}
	o, err := clickhouse.ParseDSN(dsn)
	if err != nil {
		return nil, fmt.Errorf("parse ClickHouse DSN %s: %w", RedactDSN(dsn), err)
	}
	db := o.Auth.Database
	if db == "" {
		db = "default"
	}
	if !validIdent(db) {
		return nil, fmt.Errorf("ClickHouse database name %q: use letters, digits and _ only", db)
	}
	o.Compression = &clickhouse.Compression{Method: clickhouse.CompressionLZ4}
	o.Logger = opt.Logger
	o.MaxOpenConns = opt.MaxOpenConns
	o.MaxIdleConns = opt.MaxOpenConns
	o.DialTimeout = opt.DialTimeout
	one := *o
	one.MaxOpenConns, one.MaxIdleConns = 1, 1
	if cluster == "" {
		pinSettings(o, pinServer)
		pinSettings(&one, pinServer)
	} else {
		pinSettings(o, pinCluster)
		pinSettings(&one, pinClusterWriter)
	}
	if db != "default" {
		// Create the database through a connection to "default".
		o.Auth.Database = "default"
		c, err := clickhouse.Open(o)
		if err != nil {
			return nil, fmt.Errorf("connect to ClickHouse at %s: %w", RedactDSN(dsn), err)
		}
		err = createDatabase(ctx, c, db, cluster)
		c.Close()
		if err != nil {
			return nil, fmt.Errorf("create database %s: %w", db, err)
		}
		o.Auth.Database = db
	}
	conn, err := clickhouse.Open(o)
	if err != nil {
		return nil, fmt.Errorf("connect to ClickHouse at %s: %w", RedactDSN(dsn), err)
	}
	inserter, err := clickhouse.Open(&one)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("connect to ClickHouse at %s: %w", RedactDSN(dsn), err)
	}
	s := &Store{conn: conn, inserter: inserter, db: db, cluster: cluster, opts: o, behindSince: map[int]time.Time{}}
	if opt.OnInsert != nil {
		s.conn = observedConn{conn, opt.OnInsert}
		s.inserter = observedConn{inserter, opt.OnInsert}
	}
	if err := conn.QueryRow(ctx, "SELECT version()").Scan(&s.version); err != nil {
		s.Close()
		return nil, fmt.Errorf("connect to ClickHouse at %s: %w", RedactDSN(dsn), err)
	}
	if cluster != "" {
		if err := s.checkCluster(ctx); err != nil {
			s.Close()
			return nil, err
		}
	}
	if !opt.NoMigrate {
		if _, err := s.Migrate(ctx); err != nil {
			s.Close()
			return nil, err
		}
	}
	return s, nil
}

// createDatabase creates db (ON CLUSTER on a cluster) unless the server
// has it: DDL ON CLUSTER waits for every server, and a process may start
// while one is down.
func createDatabase(ctx context.Context, c driver.Conn, db, cluster string) error {
	var n uint64
	if err := c.QueryRow(ctx, "SELECT count() FROM system.databases WHERE name = ?", db).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	q := "CREATE DATABASE IF NOT EXISTS " + db
	if cluster != "" {
		q += " ON CLUSTER " + cluster
	}
	return c.Exec(ctx, q)
}

// Conn returns the underlying clickhouse-go connection.
func (s *Store) Conn() driver.Conn { return s.conn }

// Database returns the database name.
func (s *Store) Database() string { return s.db }

// ServerVersion returns the ClickHouse server version, e.g. "18.16.1".
func (s *Store) ServerVersion() string { return s.version }

// Cluster returns the name of the ClickHouse cluster the store works on,
// or "" for one server.
func (s *Store) Cluster() string { return s.cluster }

// Ping checks that the server answers.
func (s *Store) Ping(ctx context.Context) error { return s.conn.Ping(ctx) }

// Close closes the connection pools.
func (s *Store) Close() error {
	return errors.Join(s.inserter.Close(), s.conn.Close())
}

func validIdent(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// RedactDSN returns dsn with its password masked, for messages and logs.
func RedactDSN(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "(unparsable DSN)"
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

// ErrNotFound is returned when a requested story or row does not exist.
var ErrNotFound = errors.New("not found")
