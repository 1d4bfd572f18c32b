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
	if err := s.conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
    version    UInt32,
    name       String,
    applied_at DateTime('UTC')
) ENGINE = MergeTree ORDER BY version`); err != nil {
		return nil, fmt.Errorf("create schema_migrations: %w", err)
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
	var done []int
	for _, m := range ms {
		if applied[m.Version] || m.Version > last {
			continue
		}
		if err := s.apply(ctx, m); err != nil {
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

// apply runs the statements of m, skipping the ADD COLUMNs already done.
func (s *Store) apply(ctx context.Context, m Migration) error {
	for _, st := range statements(m.SQL) {
		added, err := s.columnAdded(ctx, st)
		if err != nil {
			return fmt.Errorf("migration %04d_%s: %w", m.Version, m.Name, err)
		}
		if added {
			continue
		}
		if err := s.conn.Exec(ctx, st); err != nil {
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

// columnAdded reports whether st adds a column (ALTER TABLE t ADD COLUMN c)
// that t already has.
func (s *Store) columnAdded(ctx context.Context, st string) (bool, error) {
	m := addColumn.FindStringSubmatch(st)
	if m == nil || strings.EqualFold(m[2], "IF") {
		return false, nil
	}
	var n uint64
	if err := s.conn.QueryRow(ctx, "SELECT count() FROM system.columns WHERE database = currentDatabase() AND table = ? AND name = ?",
		m[1], m[2]).Scan(&n); err != nil {
		return false, fmt.Errorf("look up column %s.%s: %w", m[1], m[2], err)
	}
	return n > 0, nil
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
