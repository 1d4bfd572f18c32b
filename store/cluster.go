package store

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/reactions-research/reactions/internal/storyshard"
)

// In cluster mode (Options.Cluster) the migrations, written for one
// server, are rewritten statement by statement (see
// store/migrations/README.md for the forms a migration may use):
//
//   - CREATE TABLE t … ENGINE = XMergeTree(args) becomes t_local, created
//     ON CLUSTER as ReplicatedXMergeTree (a replica of its shard, under
//     /clickhouse/tables/<cluster>/{shard}/<db>/t_local), and t, a
//     Distributed table over t_local on every server, sharded by
//     cityHash64(story) (a table without a story column: by its first
//     sorting-key column). Everything else reads and writes t, as on one
//     server.
//   - CREATE MATERIALIZED VIEW v TO t AS SELECT … FROM s becomes, ON
//     CLUSTER, a view from s_local to t_local: each replica feeds its own
//     shard's tables from the blocks inserted into it.
//   - ALTER TABLE t alters t_local ON CLUSTER (an ALTER with a command
//     18.16 refuses ON CLUSTER, such as MODIFY ORDER BY: on one replica of
//     each shard, which passes it on); when it changes columns, t is
//     dropped and created again over t_local, with its new columns, once
//     (see flush).
//   - DROP TABLE drops ON CLUSTER (a table: t and t_local).
//   - INSERT … SELECT runs as written, through the Distributed tables: it
//     reads every shard and writes each row to the shard of its story.
//
// Any other statement is an error that names it, so that a migration is
// never applied to one server of a cluster only.

// localSuffix names the table that holds a shard's rows.
const localSuffix = "_local"

// clusterSchema rewrites migrations for a cluster. It keeps a catalog of
// the tables and views the migrations made so far, so that it knows what
// each name is; Migrate feeds it every migration in order, applied or not.
type clusterSchema struct {
	cluster, db string
	tables      map[string]string // sharded table -> its sharding column
	views       map[string]bool
	stale       []string // tables whose Distributed table lacks column changes (see flush)
}

func newClusterSchema(cluster, db string) *clusterSchema {
	return &clusterSchema{cluster: cluster, db: db, tables: map[string]string{}, views: map[string]bool{}}
}

// step is one statement the runner sends, with the column it adds (when it
// adds one) so that an interrupted migration can skip it.
type step struct {
	sql string
	// addTable, addColumn: the statement adds this column to this table
	// (in cluster mode: on every server); skipped when it is there.
	addTable, addColumn string
	// perShard: run on one replica of each shard (the first that
	// answers), not on the server the store is connected to.
	perShard bool
}

var (
	reCreateTable = regexp.MustCompile(`(?is)^CREATE\s+TABLE\s+(IF\s+NOT\s+EXISTS\s+)?([A-Za-z_]\w*)\s*(.*)$`)
	reCreateMV    = regexp.MustCompile(`(?is)^CREATE\s+MATERIALIZED\s+VIEW\s+(IF\s+NOT\s+EXISTS\s+)?([A-Za-z_]\w*)\s+TO\s+([A-Za-z_]\w*)\s+AS\s+(SELECT\b.*)$`)
	reDrop        = regexp.MustCompile(`(?is)^DROP\s+(TABLE|VIEW)\s+(IF\s+EXISTS\s+)?([A-Za-z_]\w*)\s*$`)
	reAlter       = regexp.MustCompile(`(?is)^ALTER\s+TABLE\s+([A-Za-z_]\w*)\s+(.*)$`)
	reInsert      = regexp.MustCompile(`(?is)^INSERT\s+INTO\s+([A-Za-z_]\w*)\b`)
	reAs          = regexp.MustCompile(`(?is)^AS\s+([A-Za-z_]\w*)\s+(.*)$`)
	reEngine      = regexp.MustCompile(`(?is)^ENGINE\s*=\s*([A-Za-z]+)\s*(.*)$`)
	reOrderBy     = regexp.MustCompile(`(?is)\bORDER\s+BY\s+\(?\s*([A-Za-z_]\w*)`)
	reStoryColumn = regexp.MustCompile(`(?im)^\s*\(?\s*story\s+[A-Za-z]`)
	reColumnCmd   = regexp.MustCompile(`(?is)^(ADD|DROP|MODIFY|RENAME|COMMENT)\s+COLUMN\b`)
	reFromJoin    = regexp.MustCompile(`(?i)\b(FROM|JOIN)(\s+)([A-Za-z_]\w*)\b`)
)

// plainSteps are a statement's steps on one server.
func plainSteps(st string) []step {
	s := step{sql: st}
	if m := addColumn.FindStringSubmatch(st); m != nil && !strings.EqualFold(m[2], "IF") {
		s.addTable, s.addColumn = m[1], m[2]
	}
	return []step{s}
}

// rewrite returns the statements that do st on the cluster.
func (c *clusterSchema) rewrite(st string) ([]step, error) {
	st = strings.TrimSpace(st)
	switch {
	case reCreateMV.MatchString(st):
		return c.createView(reCreateMV.FindStringSubmatch(st))
	case reCreateTable.MatchString(st):
		return c.createTable(reCreateTable.FindStringSubmatch(st))
	case reDrop.MatchString(st):
		return c.drop(reDrop.FindStringSubmatch(st))
	case reAlter.MatchString(st):
		return c.alter(reAlter.FindStringSubmatch(st))
	case reInsert.MatchString(st):
		// Through the Distributed tables: rows reach their story's shard.
		if t := reInsert.FindStringSubmatch(st)[1]; c.tables[t] == "" {
			return nil, fmt.Errorf("INSERT INTO %s: not a table the migrations created", t)
		}
		return append(c.flush(), step{sql: st}), nil
	}
	return nil, fmt.Errorf("statement not supported in cluster mode (see store/migrations/README.md): %s", clip(st))
}

func (c *clusterSchema) q(name string) string { return c.db + "." + name }

func (c *clusterSchema) onCluster() string { return " ON CLUSTER " + c.cluster }

func (c *clusterSchema) createTable(m []string) ([]step, error) {
	ifNot, name, rest := m[1], m[2], strings.TrimSpace(m[3])
	if c.tables[name] != "" || c.views[name] {
		if ifNot != "" {
			return nil, nil // made by an earlier migration: nothing to do
		}
		return nil, fmt.Errorf("CREATE TABLE %s: %s exists already", name, name)
	}
	var head, shardBy string // the columns or "AS src_local"
	switch {
	case strings.HasPrefix(rest, "("):
		end := matchParen(rest)
		if end < 0 {
			return nil, fmt.Errorf("CREATE TABLE %s: unbalanced parentheses", name)
		}
		head, rest = rest[:end+1], strings.TrimSpace(rest[end+1:])
		if reStoryColumn.MatchString(head) {
			shardBy = "story"
		}
	case reAs.MatchString(rest):
		am := reAs.FindStringSubmatch(rest)
		src := am[1]
		if c.tables[src] == "" {
			return nil, fmt.Errorf("CREATE TABLE %s AS %s: %s is not a table the migrations created", name, src, src)
		}
		head, rest, shardBy = "AS "+c.q(src+localSuffix), am[2], c.tables[src]
	default:
		return nil, fmt.Errorf("CREATE TABLE %s: want a column list or AS table", name)
	}
	em := reEngine.FindStringSubmatch(rest)
	if em == nil {
		return nil, fmt.Errorf("CREATE TABLE %s: no ENGINE", name)
	}
	engine, rest := em[1], strings.TrimSpace(em[2])
	if !strings.HasSuffix(engine, "MergeTree") || strings.HasPrefix(engine, "Replicated") {
		return nil, fmt.Errorf("CREATE TABLE %s: engine %s has no Replicated form the runner makes; use a MergeTree engine", name, engine)
	}
	args := ""
	if strings.HasPrefix(rest, "(") {
		end := matchParen(rest)
		if end < 0 {
			return nil, fmt.Errorf("CREATE TABLE %s: unbalanced parentheses", name)
		}
		args, rest = strings.TrimSpace(rest[1:end]), strings.TrimSpace(rest[end+1:])
	}
	if shardBy == "" {
		om := reOrderBy.FindStringSubmatchIndex(rest)
		if om == nil || strings.HasPrefix(strings.TrimSpace(rest[om[3]:]), "(") { // a function, as tuple()
			return nil, fmt.Errorf("CREATE TABLE %s: no story column and no ORDER BY column to shard by", name)
		}
		shardBy = rest[om[2]:om[3]]
	}
	local := name + localSuffix
	repl := fmt.Sprintf("'/clickhouse/tables/%s/{shard}/%s/%s', '{replica}'", c.cluster, c.db, local)
	if args != "" {
		repl += ", " + args
	}
	c.tables[name] = shardBy
	return []step{
		{sql: fmt.Sprintf("CREATE TABLE %s%s%s %s\nENGINE = Replicated%s(%s)\n%s", ifNot, c.q(local), c.onCluster(), head, engine, repl, rest)},
		c.distributed(name, "CREATE TABLE "+ifNot),
	}, nil
}

func (c *clusterSchema) createView(m []string) ([]step, error) {
	ifNot, name, to, sel := m[1], m[2], m[3], m[4]
	if c.tables[to] == "" {
		return nil, fmt.Errorf("CREATE MATERIALIZED VIEW %s TO %s: %s is not a table the migrations created", name, to, to)
	}
	var bad error
	sel = reFromJoin.ReplaceAllStringFunc(sel, func(s string) string {
		p := reFromJoin.FindStringSubmatch(s)
		if c.tables[p[3]] == "" {
			bad = fmt.Errorf("CREATE MATERIALIZED VIEW %s: it reads %s, not a table the migrations created", name, p[3])
			return s
		}
		return p[1] + p[2] + c.q(p[3]+localSuffix)
	})
	if bad != nil {
		return nil, bad
	}
	c.views[name] = true
	return []step{{sql: fmt.Sprintf("CREATE MATERIALIZED VIEW %s%s%s TO %s AS %s", ifNot, c.q(name), c.onCluster(), c.q(to+localSuffix), sel)}}, nil
}

func (c *clusterSchema) drop(m []string) ([]step, error) {
	ifExists, name := m[2], m[3]
	switch {
	case c.views[name]:
		delete(c.views, name)
		return []step{{sql: fmt.Sprintf("DROP TABLE %s%s%s", ifExists, c.q(name), c.onCluster())}}, nil
	case c.tables[name] != "":
		delete(c.tables, name)
		c.stale = slices.DeleteFunc(c.stale, func(t string) bool { return t == name })
		return []step{
			{sql: fmt.Sprintf("DROP TABLE %s%s%s", ifExists, c.q(name), c.onCluster())},
			{sql: fmt.Sprintf("DROP TABLE %s%s%s", ifExists, c.q(name+localSuffix), c.onCluster())},
		}, nil
	case ifExists != "":
		return nil, nil // nothing the migrations made
	}
	return nil, fmt.Errorf("DROP %s: not a table or view the migrations created", name)
}

func (c *clusterSchema) alter(m []string) ([]step, error) {
	name, cmds := m[1], splitTopLevel(m[2])
	if c.tables[name] == "" {
		return nil, fmt.Errorf("ALTER TABLE %s: not a table the migrations created", name)
	}
	// Column changes run ON CLUSTER. ClickHouse 18.16 takes no other ALTER
	// command ON CLUSTER (MODIFY ORDER BY, …): such an ALTER runs on one
	// replica of each shard, which passes it on to the others.
	local := step{sql: fmt.Sprintf("ALTER TABLE %s%s %s", c.q(name+localSuffix), c.onCluster(), strings.Join(cmds, ",\n    "))}
	for _, cmd := range cmds {
		if !reColumnCmd.MatchString(cmd) {
			local = step{sql: fmt.Sprintf("ALTER TABLE %s %s", c.q(name+localSuffix), strings.Join(cmds, ",\n    ")), perShard: true}
			break
		}
	}
	if am := addColumn.FindStringSubmatch("ALTER TABLE " + name + localSuffix + " " + cmds[0] + " "); am != nil && !strings.EqualFold(am[2], "IF") {
		local.addTable, local.addColumn = am[1], am[2]
	}
	for _, cmd := range cmds {
		if reColumnCmd.MatchString(cmd) && !slices.Contains(c.stale, name) {
			c.stale = append(c.stale, name)
		}
	}
	return []step{local}, nil
}

// flush returns the steps that give the Distributed tables of the tables
// altered since the last flush their new columns: each is dropped and
// created again over its local table. (ClickHouse refuses ALTER … ON
// CLUSTER of a table that is not replicated on a cluster whose shards are;
// a Distributed table holds no rows, inserts being synchronous.) The
// runner flushes before an INSERT and at the end of each migration, so
// that several ALTERs of one table recreate it once.
func (c *clusterSchema) flush() []step {
	var steps []step
	for _, t := range c.stale {
		steps = append(steps, c.distributed(t, "DROP TABLE IF EXISTS "), c.distributed(t, "CREATE TABLE IF NOT EXISTS "))
	}
	c.stale = nil
	return steps
}

// distributed returns the statement that drops (verb "DROP TABLE …") or
// creates (verb "CREATE TABLE …") the Distributed table name.
func (c *clusterSchema) distributed(name, verb string) step {
	if strings.HasPrefix(verb, "DROP") {
		return step{sql: verb + c.q(name) + c.onCluster()}
	}
	return step{sql: fmt.Sprintf("%s%s%s AS %s\nENGINE = Distributed(%s, %s, %s, cityHash64(%s))",
		verb, c.q(name), c.onCluster(), c.q(name+localSuffix), c.cluster, c.db, name+localSuffix, c.tables[name])}
}

// scanTopLevel calls visit for each byte of s outside quoted strings,
// with the depth of parentheses and brackets after it, until visit
// returns false.
func scanTopLevel(s string, visit func(i int, ch byte, depth int) bool) {
	depth := 0
	var quote byte
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case quote != 0:
			if ch == '\\' {
				i++
			} else if ch == quote {
				quote = 0
			}
			continue
		case ch == '\'' || ch == '"' || ch == '`':
			quote = ch
			continue
		case ch == '(' || ch == '[':
			depth++
		case ch == ')' || ch == ']':
			depth--
		}
		if !visit(i, ch, depth) {
			return
		}
	}
}

// matchParen returns the index of the parenthesis that closes s[0], or -1.
// It skips quoted strings.
func matchParen(s string) int {
	end := -1
	scanTopLevel(s, func(i int, ch byte, depth int) bool {
		if (ch == ')' || ch == ']') && depth == 0 {
			end = i
			return false
		}
		return true
	})
	return end
}

// splitTopLevel splits s on the commas outside parentheses, brackets and
// quotes.
func splitTopLevel(s string) []string {
	var out []string
	start := 0
	scanTopLevel(s, func(i int, ch byte, depth int) bool {
		if ch == ',' && depth == 0 {
			out = append(out, strings.TrimSpace(s[start:i]))
			start = i + 1
		}
		return true
	})
	return append(out, strings.TrimSpace(s[start:]))
}

func clip(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}

// splitCluster takes the cluster= parameter out of a DSN (clickhouse-go
// would send it to the server as a setting).
func splitCluster(dsn string) (rest, cluster string, err error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return "", "", fmt.Errorf("parse ClickHouse DSN %s: %w", RedactDSN(dsn), err)
	}
	q := u.Query()
	if !q.Has("cluster") {
		return dsn, "", nil
	}
	cluster = q.Get("cluster")
	q.Del("cluster")
	u.RawQuery = q.Encode()
	return u.String(), cluster, nil
}

// checkCluster checks what the store needs of the cluster's servers, with
// what to do when it is missing.
func (s *Store) checkCluster(ctx context.Context) error {
	var n uint64
	if err := s.conn.QueryRow(ctx, "SELECT count() FROM system.clusters WHERE cluster = ?", s.cluster).Scan(&n); err != nil {
		return fmt.Errorf("look up ClickHouse cluster %s: %w", s.cluster, err)
	}
	if n == 0 {
		return fmt.Errorf("ClickHouse cluster %q is not in the server's remote_servers: define it there (see docs/scaling.md) or name another", s.cluster)
	}
	if err := s.conn.QueryRow(ctx, "SELECT count() FROM system.macros WHERE macro IN ('shard', 'replica')").Scan(&n); err != nil {
		return fmt.Errorf("look up the server's macros: %w", err)
	}
	if n != 2 {
		return fmt.Errorf("ClickHouse cluster %s: the server defines no {shard} and {replica} macros, which name its replicated tables: add them to its config (see docs/scaling.md)", s.cluster)
	}
	var lb string
	if err := s.conn.QueryRow(ctx, "SELECT value FROM system.settings WHERE name = 'load_balancing'").Scan(&lb); err != nil {
		return fmt.Errorf("look up load_balancing: %w", err)
	}
	if lb != "in_order" {
		return fmt.Errorf("ClickHouse cluster %s: load_balancing is %q, and the store needs in_order so that every shard's reads "+
			"and writes reach the same replica: set <load_balancing>in_order</load_balancing> in the profile of the store's user "+
			"(ClickHouse before 20.1 takes no such setting from the client; see docs/scaling.md)", s.cluster, lb)
	}
	return s.loadShards(ctx)
}

// clusterHosts returns host:port of every server of the cluster.
func (s *Store) clusterHosts() []string {
	var hosts []string
	for _, sh := range s.shards {
		hosts = append(hosts, strings.Split(sh.replicas, "|")...)
	}
	return hosts
}

// applyPerShard runs st on the first replica of each shard that answers
// (skipping a shard whose replica has the column st adds). A replicated
// table passes the change on to the shard's other replicas.
func (s *Store) applyPerShard(ctx context.Context, st step) error {
	for i, sh := range s.shards {
		replicas := strings.Split(sh.replicas, "|")
		var errs []error
		done := false
		for _, addr := range replicas {
			err := s.onServer(ctx, addr, func(c driver.Conn) error {
				if st.addColumn != "" {
					var n uint64
					if err := c.QueryRow(ctx, "SELECT count() FROM system.columns WHERE database = ? AND table = ? AND name = ?",
						s.db, st.addTable, st.addColumn).Scan(&n); err != nil {
						return err
					}
					if n > 0 {
						return nil
					}
				}
				return c.Exec(ctx, st.sql)
			})
			if err == nil {
				done = true
				break
			}
			errs = append(errs, fmt.Errorf("%s: %w", addr, err))
		}
		if !done {
			return fmt.Errorf("shard %d: %w", i+1, errors.Join(errs...))
		}
	}
	return nil
}

// onServer runs f on a connection of its own to one server of the cluster.
func (s *Store) onServer(ctx context.Context, addr string, f func(driver.Conn) error) error {
	o := *s.opts
	o.Addr = []string{addr}
	o.MaxOpenConns, o.MaxIdleConns = 1, 1
	c, err := clickhouse.Open(&o)
	if err != nil {
		return err
	}
	defer c.Close()
	return f(c)
}

// replicaGrace is how long a write waits for a replica that is behind its
// shard while one of the shard's replicas is down, before it goes on
// without what only the down replica may have (see awaitReplicas).
const replicaGrace = 10 * time.Second

// shardInfo is one shard of the cluster, as remote_servers defines it.
type shardInfo struct {
	weight   uint64
	replicas string // host:port|host:port…, in the order of the definition
}

// loadShards reads the cluster's shards from system.clusters.
func (s *Store) loadShards(ctx context.Context) error {
	rows, err := s.conn.Query(ctx, `SELECT toUInt64(shard_num), toUInt64(shard_weight), host_name, toUInt32(port)
FROM system.clusters WHERE cluster = ? ORDER BY shard_num, replica_num`, s.cluster)
	if err != nil {
		return fmt.Errorf("list the servers of cluster %s: %w", s.cluster, err)
	}
	defer rows.Close()
	var shards []shardInfo
	last := uint64(0)
	for rows.Next() {
		var num, weight uint64
		var host string
		var port uint32
		if err := rows.Scan(&num, &weight, &host, &port); err != nil {
			return fmt.Errorf("list the servers of cluster %s: %w", s.cluster, err)
		}
		addr := net.JoinHostPort(host, strconv.Itoa(int(port)))
		if num != last {
			shards = append(shards, shardInfo{weight: weight, replicas: addr})
			last = num
			continue
		}
		shards[len(shards)-1].replicas += "|" + addr
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("list the servers of cluster %s: %w", s.cluster, err)
	}
	if len(shards) == 0 {
		return fmt.Errorf("cluster %s has no servers", s.cluster)
	}
	s.shards = shards
	return nil
}

// shardOf returns the index of the shard that holds story: as a
// Distributed table places a row, by cityHash64(story) modulo the sum of
// the shards' weights, each shard taking as many slots as its weight.
func (s *Store) shardOf(story string) int {
	var total uint64
	for _, sh := range s.shards {
		total += max(sh.weight, 1)
	}
	slot := storyshard.Hash(story) % total
	for i, sh := range s.shards {
		w := max(sh.weight, 1)
		if slot < w {
			return i
		}
		slot -= w
	}
	return len(s.shards) - 1
}

// awaitReplicas waits, on a cluster, until the replica that the write's
// look-ups read (the first of the shard that answers, as for every query)
// holds every part its shard stored, for each shard that holds one of the
// stories: it has copied every entry of the shard's replication log into
// its queue, and fetched every part the queue names. A replica that comes
// back after an outage reads again at once but copies what the others
// stored meanwhile only over the next seconds: look-ups there would miss
// those rows, and a resent reaction would be stored twice. While every
// replica of the shard is up the wait ends as soon as the copy does. While
// one is down, what only it had cannot be copied: the shard's writes wait
// replicaGrace, for a replica that is restarting, and then go on
// (docs/scaling.md says what that leaves open). The caller holds writeMu.
// It fails when ctx ends first.
func (s *Store) awaitReplicas(ctx context.Context, stories []string) error {
	if s.cluster == "" {
		return nil
	}
	seen := map[int]bool{}
	for _, st := range stories {
		i := s.shardOf(st)
		if seen[i] {
			continue
		}
		seen[i] = true
		if err := s.awaitShard(ctx, i); err != nil {
			return err
		}
	}
	return nil
}

// awaitShard waits for shard i (see awaitReplicas).
func (s *Store) awaitShard(ctx context.Context, i int) error {
	for wait := 50 * time.Millisecond; ; wait = min(2*wait, time.Second) {
		var behind, allUp uint8
		// remote() with replicas separated by | reads one of them, chosen
		// as the Distributed tables choose (load_balancing in_order).
		err := s.conn.QueryRow(ctx, `SELECT
    toUInt8(inserts_in_queue > 0 OR (log_pointer <= log_max_index AND NOT (log_pointer = 0 AND log_max_index = 0))),
    toUInt8(active_replicas = total_replicas)
FROM remote('`+s.shards[i].replicas+`', system.replicas)
WHERE database = ? AND table = 'reactions`+localSuffix+`'`, s.db).Scan(&behind, &allUp)
		if err != nil {
			return fmt.Errorf("look up the replication queue of shard %d: %w", i+1, err)
		}
		switch {
		case behind == 0:
			delete(s.behindSince, i)
			return nil
		case allUp == 0:
			since, ok := s.behindSince[i]
			if !ok {
				since = time.Now()
				s.behindSince[i] = since
			}
			if time.Since(since) >= replicaGrace {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("shard %d: the replica that reads for the writer is still copying rows its shard stored while it was away: %w", i+1, ctx.Err())
		case <-time.After(wait):
		}
	}
}
