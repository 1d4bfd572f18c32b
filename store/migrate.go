package store

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migration is one numbered schema change.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

var migrationName = regexp.MustCompile(`^(\d{4})_([a-z0-9_]+)\.sql$`)

// Migrations returns the embedded migrations in order.
func Migrations() ([]Migration, error) {
	entries, err := fs.ReadDir(migrationFiles, "migrations")
	if err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}
	var ms []Migration
	for _, e := range entries {
		m := migrationName.FindStringSubmatch(e.Name())
		if m == nil {
			return nil, fmt.Errorf("migration file %s: name must be NNNN_name.sql", e.Name())
		}
		b, err := migrationFiles.ReadFile("migrations/" + e.Name())
		if err != nil {
			return nil, fmt.Errorf("read migration %s: %w", e.Name(), err)
		}
		v, _ := strconv.Atoi(m[1])
		ms = append(ms, Migration{Version: v, Name: m[2], SQL: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Version < ms[j].Version })
	for i := 1; i < len(ms); i++ {
		if ms[i].Version == ms[i-1].Version {
			return nil, fmt.Errorf("two migrations numbered %04d", ms[i].Version)
		}
	}
	return ms, nil
}

// statements splits a migration into statements: on ";" at the end of a
// line, with "--" comment lines removed.
func statements(sql string) []string {
	var out []string
	var cur strings.Builder
	for _, line := range strings.Split(sql, "\n") {
		t := strings.TrimSpace(line)
		if t == "" || strings.HasPrefix(t, "--") {
			continue
		}
		cur.WriteString(line)
		cur.WriteByte('\n')
		if strings.HasSuffix(t, ";") {
			s := strings.TrimSuffix(strings.TrimSpace(cur.String()), ";")
			out = append(out, s)
			cur.Reset()
		}
	}
	if s := strings.TrimSpace(cur.String()); s != "" {
		out = append(out, s)
	}
	return out
}

// addColumn matches "ALTER TABLE t ADD COLUMN c …" (table and column).
var addColumn = regexp.MustCompile(`(?is)^\s*ALTER\s+TABLE\s+([A-Za-z_][A-Za-z0-9_]*)\s+ADD\s+COLUMN\s+([A-Za-z_][A-Za-z0-9_]*)\s`)

// Migrate applies the migrations not yet recorded in schema_migrations, in
// order, and returns the versions it applied. It is forward-only: a
// migration is never undone. A migration interrupted half-way is applied
// again safely: statements use IF NOT EXISTS, an ALTER TABLE t ADD COLUMN c
// (ClickHouse 18.16 has no ADD COLUMN IF NOT EXISTS) is skipped when t
// already has c, and a statement that could not run twice guards itself.
func (s *Store) Migrate(ctx context.Context) ([]int, error) {
	return s.migrate(ctx, 1<<30)
}

// migrate applies the pending migrations numbered up to last.
func (s *Store) migrate(ctx context.Context, last int) ([]int, error) {
	ms, err := Migrations()
	if err != nil {
		return nil, err
	}
	// On a cluster, DDL waits for every server: a process that starts
	// while one is down must not, when there is nothing to change.
	if has, err := s.hasTable(ctx, "schema_migrations"); err != nil {
		return nil, err
	} else if !has {
		if err := s.conn.Exec(ctx, s.schemaMigrationsDDL()); err != nil {
			return nil, fmt.Errorf("create schema_migrations: %w", err)
		}
	}
	applied := map[int]bool{}
	rows, err := s.conn.Query(ctx, "SELECT version FROM schema_migrations")
	if err != nil {
		return nil, fmt.Errorf("read schema_migrations: %w", err)
	}
	for rows.Next() {
		var v uint32
		if err := rows.Scan(&v); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read schema_migrations: %w", err)
		}
		applied[int(v)] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read schema_migrations: %w", err)
	}
	var cs *clusterSchema
	if s.cluster != "" {
		cs = newClusterSchema(s.cluster, s.db)
	}
	var done []int
	for _, m := range ms {
		// In cluster mode every migration is rewritten, applied or not:
		// the rewriting knows what each name is from the ones before.
		steps, err := migrationSteps(cs, m)
		if err != nil {
			return done, err
		}
		if applied[m.Version] || m.Version > last {
			continue
		}
		if err := s.apply(ctx, m, steps); err != nil {
			return done, err
		}
		b, err := PrepareBatch(ctx, s.conn, "INSERT INTO schema_migrations (version, name, applied_at)")
		if err != nil {
			return done, fmt.Errorf("record migration %04d: %w", m.Version, err)
		}
		if err := b.Append(uint32(m.Version), m.Name, time.Now().UTC()); err != nil {
			return done, fmt.Errorf("record migration %04d: %w", m.Version, err)
		}
		if err := b.Send(); err != nil {
			return done, fmt.Errorf("record migration %04d: %w", m.Version, err)
		}
		done = append(done, m.Version)
	}
	return done, nil
}

// hasTable reports whether the server the store is connected to has the
// table.
func (s *Store) hasTable(ctx context.Context, table string) (bool, error) {
	var n uint64
	if err := s.conn.QueryRow(ctx, "SELECT count() FROM system.tables WHERE database = ? AND name = ?", s.db, table).Scan(&n); err != nil {
		return false, fmt.Errorf("look up table %s: %w", table, err)
	}
	return n > 0, nil
}

// schemaMigrationsDDL creates the table of applied versions. On a cluster
// every server holds a replica of one table (its ZooKeeper path has no
// {shard}), so that every server knows every applied version.
func (s *Store) schemaMigrationsDDL() string {
	const cols = `(
    version    UInt32,
    name       String,
    applied_at DateTime('UTC')
)`
	if s.cluster == "" {
		return "CREATE TABLE IF NOT EXISTS schema_migrations " + cols + " ENGINE = MergeTree ORDER BY version"
	}
	return fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s.schema_migrations ON CLUSTER %s %s\n"+
		"ENGINE = ReplicatedMergeTree('/clickhouse/tables/%s/all/%s/schema_migrations', '{shard}_{replica}') ORDER BY version",
		s.db, s.cluster, cols, s.cluster, s.db)
}

// migrationSteps returns the statements that apply m: its own, or their
// cluster form when cs is not nil.
func migrationSteps(cs *clusterSchema, m Migration) ([]step, error) {
	var steps []step
	for _, st := range statements(m.SQL) {
		if cs == nil {
			steps = append(steps, plainSteps(st)...)
			continue
		}
		more, err := cs.rewrite(st)
		if err != nil {
			return nil, fmt.Errorf("migration %04d_%s: %w", m.Version, m.Name, err)
		}
		steps = append(steps, more...)
	}
	if cs != nil {
		steps = append(steps, cs.flush()...)
	}
	return steps, nil
}

// stepsFor returns the statements that apply m on this store: on a
// cluster, rewritten knowing what the migrations before m made.
func (s *Store) stepsFor(m Migration) ([]step, error) {
	if s.cluster == "" {
		return migrationSteps(nil, m)
	}
	cs := newClusterSchema(s.cluster, s.db)
	ms, err := Migrations()
	if err != nil {
		return nil, err
	}
	for _, p := range ms {
		if p.Version >= m.Version {
			break
		}
		if _, err := migrationSteps(cs, p); err != nil {
			return nil, err
		}
	}
	return migrationSteps(cs, m)
}

// apply runs the steps of m, skipping the ADD COLUMNs already done.
func (s *Store) apply(ctx context.Context, m Migration, steps []step) error {
	for _, st := range steps {
		if st.perShard {
			if err := s.applyPerShard(ctx, st); err != nil {
				return fmt.Errorf("migration %04d_%s: %w", m.Version, m.Name, err)
			}
			continue
		}
		added, err := s.columnAdded(ctx, st)
		if err != nil {
			return fmt.Errorf("migration %04d_%s: %w", m.Version, m.Name, err)
		}
		if added {
			continue
		}
		if err := s.conn.Exec(ctx, st.sql); err != nil {
			// Another process migrating at the same time may have added
			// the column between the look-up and the ALTER.
			if added, _ := s.columnAdded(ctx, st); added {
				continue
			}
			return fmt.Errorf("migration %04d_%s: %w", m.Version, m.Name, err)
		}
	}
	return nil
}

// columnAdded reports whether st adds a column that its table already has
// (on a cluster: on every server).
func (s *Store) columnAdded(ctx context.Context, st step) (bool, error) {
	if st.addColumn == "" {
		return false, nil
	}
	from, want := "system.columns", uint64(1)
	if s.cluster != "" {
		hosts := s.clusterHosts()
		from, want = "remote('"+strings.Join(hosts, ",")+"', system.columns)", uint64(len(hosts))
	}
	var n uint64
	if err := s.conn.QueryRow(ctx, "SELECT count() FROM "+from+" WHERE database = ? AND table = ? AND name = ?",
		s.db, st.addTable, st.addColumn).Scan(&n); err != nil {
		return false, fmt.Errorf("look up column %s.%s: %w", st.addTable, st.addColumn, err)
	}
	return n >= want, nil
}

// AppliedMigrations returns the versions recorded in schema_migrations.
func (s *Store) AppliedMigrations(ctx context.Context) ([]int, error) {
	rows, err := s.conn.Query(ctx, "SELECT DISTINCT version FROM schema_migrations ORDER BY version")
	if err != nil {
		return nil, fmt.Errorf("read schema_migrations: %w", err)
	}
	defer rows.Close()
	var vs []int
	for rows.Next() {
		var v uint32
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		vs = append(vs, int(v))
	}
	return vs, rows.Err()
}
