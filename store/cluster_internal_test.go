package store

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/reactions-research/reactions/internal/golden"
)

// TestClusterMigrationsGolden: the cluster form of every migration, as the
// runner sends it, is reviewed in testdata/cluster_migrations.sql. A new
// migration that uses a form the runner cannot rewrite fails here.
func TestClusterMigrationsGolden(t *testing.T) {
	ms, err := Migrations()
	if err != nil {
		t.Fatal(err)
	}
	cs := newClusterSchema("reactions", "reactions")
	var b strings.Builder
	for _, m := range ms {
		steps, err := migrationSteps(cs, m)
		if err != nil {
			t.Fatal(err)
		}
		b.WriteString("-- " + filepath.Base(m.Name) + "\n")
		for _, st := range steps {
			b.WriteString(st.sql + ";\n")
			if st.addColumn != "" {
				b.WriteString("-- skipped when every server's " + st.addTable + " has " + st.addColumn + "\n")
			}
		}
		b.WriteString("\n")
	}
	golden.Check(t, filepath.Join("testdata", "cluster_migrations.sql"), []byte(b.String()))
}

// TestClusterRewriteRefuses: a statement the runner cannot apply to every
// server of a cluster is an error naming it, never applied as written.
func TestClusterRewriteRefuses(t *testing.T) {
	for _, tc := range []struct{ name, sql, want string }{
		{"log engine", "CREATE TABLE t (story String) ENGINE = Log", "no Replicated form"},
		{"replicated already", "CREATE TABLE t (story String) ENGINE = ReplicatedMergeTree('/p', 'r') ORDER BY story", "no Replicated form"},
		{"no shard key", "CREATE TABLE t (x UInt8) ENGINE = MergeTree ORDER BY tuple()", "to shard by"},
		{"view without TO", "CREATE MATERIALIZED VIEW v ENGINE = SummingMergeTree ORDER BY x AS SELECT x FROM reactions", "not supported"},
		{"view of an unknown table", "CREATE MATERIALIZED VIEW v TO reaction_minutes AS SELECT story FROM other", "reads other"},
		{"alter unknown", "ALTER TABLE other ADD COLUMN x UInt8", "not a table"},
		{"rename", "RENAME TABLE reactions TO r2", "not supported"},
		{"optimize", "OPTIMIZE TABLE reactions FINAL", "not supported"},
		{"insert unknown", "INSERT INTO other SELECT 1", "not a table"},
	} {
		cs := newClusterSchema("c", "db")
		cs.tables["reactions"], cs.tables["reaction_minutes"] = "story", "story"
		_, err := cs.rewrite(tc.sql)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error with %q", tc.name, err, tc.want)
		}
	}
}

func TestSplitCluster(t *testing.T) {
	for _, tc := range []struct{ dsn, rest, cluster string }{
		{"clickhouse://h:9000/db", "clickhouse://h:9000/db", ""},
		{"clickhouse://u@h1:9000,h2:9000/db?cluster=c1&dial_timeout=10s", "clickhouse://u@h1:9000,h2:9000/db?dial_timeout=10s", "c1"},
	} {
		rest, cluster, err := splitCluster(tc.dsn)
		if err != nil || rest != tc.rest || cluster != tc.cluster {
			t.Errorf("%s: %q %q %v, want %q %q", tc.dsn, rest, cluster, err, tc.rest, tc.cluster)
		}
	}
}
