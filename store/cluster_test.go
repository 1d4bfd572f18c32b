package store_test

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/reactions-research/reactions/reaction"
	"github.com/reactions-research/reactions/store"
	"github.com/reactions-research/reactions/store/chtest"
	"github.com/reactions-research/reactions/store/chtest/chcluster"
)

func TestMain(m *testing.M) {
	code := m.Run()
	chcluster.StopShared()
	os.Exit(code)
}

// targets are what a test that runs on one server and on a cluster runs
// on: each gives the DSN of a fresh database.
var targets = []struct {
	name string
	dsn  func(t *testing.T) string
}{
	{"server", func(t *testing.T) string { return chtest.DSN(t) }},
	{"cluster", func(t *testing.T) string {
		c, err := chcluster.Shared()
		if err != nil {
			t.Fatalf("the cluster tests need a local ClickHouse cluster and none could be started: %v", err)
		}
		return chcluster.DSN(t, c)
	}},
}

// nodeConn opens a connection to one server of the cluster, on database
// db, with the given settings.
func nodeConn(t *testing.T, n *chcluster.Node, db string, set clickhouse.Settings) clickhouse.Conn {
	t.Helper()
	o, err := clickhouse.ParseDSN(n.DSN(db))
	if err != nil {
		t.Fatal(err)
	}
	o.Settings = set
	c, err := clickhouse.Open(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func count(t *testing.T, c clickhouse.Conn, query string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := c.QueryRow(context.Background(), "SELECT toInt64(("+query+"))", args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// syncReplicas waits until every replica of every shard has fetched what
// the others wrote.
func syncReplicas(t *testing.T, c *chcluster.Cluster, db string, tables ...string) {
	t.Helper()
	for _, n := range c.Nodes {
		conn := nodeConn(t, n, db, nil)
		for _, tb := range tables {
			if err := conn.Exec(context.Background(), "SYSTEM SYNC REPLICA "+tb); err != nil {
				t.Fatalf("%s: sync %s: %v", n.Name(), tb, err)
			}
		}
	}
}

// TestClusterSchema: on a cluster every server holds the Distributed
// tables, its shard's replicated tables and the views between them, and
// the applied versions; migrating again applies nothing.
func TestClusterSchema(t *testing.T) {
	s, c := chcluster.Open(t, store.Options{})
	ctx := context.Background()
	if s.Cluster() != chcluster.Name {
		t.Fatalf("cluster %q, want %q from the DSN", s.Cluster(), chcluster.Name)
	}
	again, err := s.Migrate(ctx)
	if err != nil || len(again) != 0 {
		t.Fatalf("second migrate: %v %v, want nothing applied", again, err)
	}
	ms, _ := store.Migrations()
	want := map[string]string{
		"reactions": "Distributed", "reactions_local": "ReplicatedVersionedCollapsingMergeTree",
		"reactions_by_time": "Distributed", "reactions_by_time_local": "ReplicatedVersionedCollapsingMergeTree",
		"reaction_minutes": "Distributed", "reaction_minutes_local": "ReplicatedSummingMergeTree",
		"stories": "Distributed", "stories_local": "ReplicatedReplacingMergeTree",
		"crawl_runs": "Distributed", "crawl_runs_local": "ReplicatedReplacingMergeTree",
		"reactions_by_time_mv": "MaterializedView", "reaction_minutes_mv": "MaterializedView",
		"schema_migrations": "ReplicatedMergeTree",
	}
	for _, n := range c.Nodes {
		conn := nodeConn(t, n, s.Database(), nil)
		for table, engine := range want {
			var got string
			if err := conn.QueryRow(ctx, "SELECT engine FROM system.tables WHERE database = ? AND name = ?", s.Database(), table).Scan(&got); err != nil || got != engine {
				t.Errorf("%s: %s is %q (%v), want %s", n.Name(), table, got, err, engine)
			}
		}
		// The versions reach every server (replication takes a moment).
		deadline := time.Now().Add(20 * time.Second)
		for count(t, conn, "SELECT uniqExact(version) FROM schema_migrations") != int64(len(ms)) {
			if time.Now().After(deadline) {
				t.Fatalf("%s knows %d applied versions, want %d", n.Name(), count(t, conn, "SELECT uniqExact(version) FROM schema_migrations"), len(ms))
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
}

// storyReactions returns n reactions of a story, one a minute.
func storyReactions(story string, n int, st reaction.Stance) []reaction.Reaction {
	rs := sample(n, st)
	for i := range rs {
		rs[i].Story = story
	}
	return rs
}

// TestClusterWritesLandOnTheirShard: a write returns once its rows are
// stored on the first replica of their story's shard (not queued on the
// server that took it), every row of a story is on one shard, the other
// replica follows, and the counts read through the Distributed tables are
// exact.
func TestClusterWritesLandOnTheirShard(t *testing.T) {
	s, c := chcluster.Open(t, store.Options{})
	ctx := context.Background()
	stories := []string{"alpha", "bravo", "charlie", "delta", "echo", "foxtrot"}
	for _, st := range stories {
		if _, err := s.Write(ctx, storyReactions(st, 50, reaction.Support)); err != nil {
			t.Fatal(err)
		}
		upd := storyReactions(st, 10, reaction.Criticism)
		for i := range upd {
			upd[i].Text += " (edited)"
		}
		if res, err := s.Write(ctx, upd); err != nil || res.Updated != 10 {
			t.Fatalf("%s: update %+v %v", st, res, err)
		}
	}
	// Right after the writes returned, on the first replicas alone.
	shardOf := map[string]int{}
	for shard := 1; shard <= 2; shard++ {
		conn := nodeConn(t, c.Node(shard, 1), s.Database(), nil)
		rows, err := conn.Query(ctx, "SELECT story, toInt64(sum(sign)), toInt64(countIf(sign = -1)) FROM reactions_local GROUP BY story")
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var st string
			var cur, cancels int64
			if err := rows.Scan(&st, &cur, &cancels); err != nil {
				t.Fatal(err)
			}
			if prev, ok := shardOf[st]; ok {
				t.Errorf("story %s has rows on shards %d and %d", st, prev, shard)
			}
			shardOf[st] = shard
			// A merge may have collapsed the cancels already.
			if cur != 50 || cancels != 10 && cancels != 0 {
				t.Errorf("story %s on shard %d: sum(sign) %d with %d cancels, want 50 with 10 (or 0 once merged)", st, shard, cur, cancels)
			}
		}
		rows.Close()
	}
	if len(shardOf) != len(stories) {
		t.Fatalf("stories found on the shards: %v, want all of %v", shardOf, stories)
	}
	used := map[int]bool{}
	for _, sh := range shardOf {
		used[sh] = true
	}
	if len(used) != 2 {
		t.Errorf("every story on one shard (%v): the sharding does not spread", shardOf)
	}
	for _, st := range stories {
		if m, n := total(t, s, st); m != 50 || n != 50 {
			t.Errorf("%s through Distributed: minutes %d items %d, want 50", st, m, n)
		}
		cs, err := s.Counts(ctx, st, true)
		if err != nil {
			t.Fatal(err)
		}
		var crit int64
		for _, m := range cs {
			crit += m[reaction.Criticism]
		}
		if crit != 10 {
			t.Errorf("%s: criticism %d, want 10", st, crit)
		}
	}
	// The second replicas follow.
	syncReplicas(t, c, s.Database(), "reactions_local", "reactions_by_time_local", "reaction_minutes_local")
	for shard := 1; shard <= 2; shard++ {
		a := nodeConn(t, c.Node(shard, 1), s.Database(), nil)
		b := nodeConn(t, c.Node(shard, 2), s.Database(), nil)
		for _, q := range []string{"SELECT count() FROM reactions_local", "SELECT count() FROM reactions_by_time_local", "SELECT sum(n) FROM reaction_minutes_local"} {
			if x, y := count(t, a, q), count(t, b, q); x != y {
				t.Errorf("shard %d: %s: %d on replica 1, %d on replica 2", shard, q, x, y)
			}
		}
	}
	// Resending everything writes nothing.
	for _, st := range stories {
		res, err := s.Write(ctx, storyReactions(st, 50, reaction.Support)[10:])
		if err != nil || res.Duplicates != 40 {
			t.Fatalf("%s: resend %+v %v", st, res, err)
		}
	}
	if n := count(t, s.Conn(), "SELECT sum(sign) FROM reactions"); n != int64(50*len(stories)) {
		t.Errorf("sum(sign) %d after resending, want %d", n, 50*len(stories))
	}
}

// TestClusterResentBlockIsStoredOnce: the writer's INSERTs deduplicate on
// the shard, so an INSERT sent again after its acknowledgement was lost
// stores nothing twice, even when the replica that stored it died before
// the other replica had it: the block's id is in ZooKeeper, for the whole
// shard. The views follow the table. Other INSERTs (reconcile's
// corrections) keep deduplication off: equal corrections both count.
func TestClusterResentBlockIsStoredOnce(t *testing.T) {
	ctx := context.Background()
	c, err := chcluster.Start(ctx, chcluster.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop()
	dsn := chcluster.DSN(t, c)
	s, err := store.Open(ctx, dsn, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	db := s.Database()
	writerSet, err := store.ClusterPinnedSettings(s.ServerVersion(), true)
	if err != nil {
		t.Fatal(err)
	}
	querySet, _ := store.ClusterPinnedSettings(s.ServerVersion(), false)
	// The writer's connection, through the second shard's first replica
	// (any server takes a Distributed INSERT).
	writer := nodeConn(t, c.Node(2, 1), db, writerSet)
	send := func(story string, ids []string, version uint64, sign int8) {
		t.Helper()
		b, err := writer.PrepareBatch(ctx, "INSERT INTO reactions (story, platform, id, created_at, first_seen, stance, version, sign)")
		if err != nil {
			t.Fatal(err)
		}
		t0 := time.Date(2020, 10, 1, 0, 0, 0, 0, time.UTC)
		for _, id := range ids {
			if err := b.Append(story, "reddit", id, t0, t0, "support", version, sign); err != nil {
				t.Fatal(err)
			}
		}
		if err := b.Send(); err != nil {
			t.Fatal(err)
		}
	}
	reader := s.Conn()
	check := func(when, story string, want int64) {
		t.Helper()
		for _, q := range []string{
			"SELECT sum(sign) FROM reactions WHERE story = ?",
			"SELECT sum(sign) FROM reactions_by_time WHERE story = ?",
			"SELECT sum(n) FROM reaction_minutes WHERE story = ?",
		} {
			if got := count(t, reader, q, story); got != want {
				t.Errorf("%s: %s = %d, want %d", when, q, got, want)
			}
		}
	}

	send("s", []string{"a", "b"}, 1, 1)
	send("s", []string{"a", "b"}, 1, 1) // the same block: a resend
	check("identical block resent", "s", 2)
	send("s", []string{"c", "d"}, 1, 1) // another block whose view rows equal the first's
	check("another block, equal view rows", "s", 4)

	// Reconcile's corrections: equal blocks, both meant.
	for range 2 {
		b, err := reader.PrepareBatch(ctx, "INSERT INTO reaction_minutes (story, minute, platform, stance, is_root, n)")
		if err != nil {
			t.Fatal(err)
		}
		if err := b.Append("corr", time.Date(2020, 10, 1, 0, 0, 0, 0, time.UTC), "reddit", "support", uint8(0), int64(1)); err != nil {
			t.Fatal(err)
		}
		if err := b.Send(); err != nil {
			t.Fatal(err)
		}
	}
	if got := count(t, reader, "SELECT sum(n) FROM reaction_minutes WHERE story = 'corr'"); got != 2 {
		t.Errorf("two equal corrections: sum %d, want 2 (settings %v)", got, querySet)
	}

	// A lost acknowledgement on a replica that then dies: the block is
	// stored on the shard's first replica only (the second fetches
	// nothing), the first replica is killed, and the writer sends the
	// block again, now to the second replica.
	story := storyOnShard(t, reader, 1)
	second := nodeConn(t, c.Node(1, 2), db, nil)
	for _, tb := range []string{"reactions_local", "reactions_by_time_local", "reaction_minutes_local"} {
		if err := second.Exec(ctx, "SYSTEM STOP FETCHES "+tb); err != nil {
			t.Fatal(err)
		}
	}
	send(story, []string{"x", "y", "z"}, 7, 1)
	c.Node(1, 1).Kill()
	send(story, []string{"x", "y", "z"}, 7, 1)
	if got := count(t, second, "SELECT count() FROM reactions_local WHERE story = ?", story); got != 0 {
		t.Errorf("the resend stored %d rows on the second replica, want none (the shard had the block)", got)
	}
	if err := c.Node(1, 1).Restart(ctx); err != nil {
		t.Fatal(err)
	}
	for _, tb := range []string{"reactions_local", "reactions_by_time_local", "reaction_minutes_local"} {
		if err := second.Exec(ctx, "SYSTEM START FETCHES "+tb); err != nil {
			t.Fatal(err)
		}
	}
	syncReplicas(t, c, db, "reactions_local", "reactions_by_time_local", "reaction_minutes_local")
	check("resent after the replica that stored it died", story, 3)
	for r := 1; r <= 2; r++ {
		if got := count(t, nodeConn(t, c.Node(1, r), db, nil), "SELECT sum(n) FROM reaction_minutes_local WHERE story = ?", story); got != 3 {
			t.Errorf("replica %d of shard 1: reaction_minutes %d, want 3", r, got)
		}
	}
}

// storyOnShard returns a story name whose rows go to the given shard.
func storyOnShard(t *testing.T, c clickhouse.Conn, shard int) string {
	t.Helper()
	for i := range 100 {
		st := fmt.Sprintf("story-%d", i)
		if count(t, c, "SELECT cityHash64(?) % 2", st) == int64(shard-1) {
			return st
		}
	}
	t.Fatal("no story for the shard")
	return ""
}

// TestClusterWriteResendsAfterAnError: a write whose INSERT fails after
// its shard stored the rows (here a view that throws after the others ran)
// is sent again, the same block, which the shard drops as a repeat (and,
// on 18.16, its views with it): the write succeeds, reports the resend so
// that its caller reconciles the views, and the rows count once.
func TestClusterWriteResendsAfterAnError(t *testing.T) {
	s, _ := chcluster.Open(t, store.Options{})
	ctx := context.Background()
	// Views run in name order on 18.16: this one after the schema's.
	if err := s.Conn().Exec(ctx, "CREATE MATERIALIZED VIEW "+s.Database()+".zz_fails ON CLUSTER "+chcluster.Name+
		" ENGINE = Memory AS SELECT throwIf(text = 'fails once') AS x FROM "+s.Database()+".reactions_local"); err != nil {
		t.Fatal(err)
	}
	rs := storyReactions("resent", 20, reaction.Support)
	rs[7].Text = "fails once"
	res, err := s.Write(ctx, rs)
	if err != nil {
		t.Fatalf("write: %v", err)
	}
	if res.Resent != 1 || res.New != 20 {
		t.Errorf("write: %+v, want 20 new and one resend", res)
	}
	if m, n := total(t, s, "resent"); m != 20 || n != 20 {
		t.Errorf("after the resend: minutes %d items %d, want 20", m, n)
	}
	if n := count(t, s.Conn(), "SELECT sum(sign) FROM reactions_by_time WHERE story = 'resent'"); n != 20 {
		t.Errorf("reactions_by_time %d, want 20", n)
	}
}

// TestMoveOntoCluster follows docs/scaling.md: a single server's base
// tables copied into the cluster with INSERT … SELECT through remote()
// give the same counts, the derived tables rebuilt by the views.
func TestMoveOntoCluster(t *testing.T) {
	ctx := context.Background()
	old := chtest.New(t)
	rs := storyReactions("moved", 300, reaction.Support)
	if _, err := old.Write(ctx, rs); err != nil {
		t.Fatal(err)
	}
	for i := range rs[:40] {
		rs[i].Text += " (edited)"
		rs[i].Stance = reaction.Criticism
	}
	if _, err := old.Write(ctx, rs[:40]); err != nil { // cancels and new states
		t.Fatal(err)
	}
	if err := old.PutCrawlRun(ctx, reaction.CrawlRun{Story: "moved", Source: "reddit", Platform: reaction.Reddit, RunID: "r1",
		Started: time.Date(2020, 10, 1, 0, 0, 0, 0, time.UTC), Status: reaction.RunOK}); err != nil {
		t.Fatal(err)
	}
	s, _ := chcluster.Open(t, store.Options{})
	u, err := url.Parse(chtest.DSN(t)) // the test server's address
	if err != nil {
		t.Fatal(err)
	}
	host := u.Host
	for _, table := range []string{"reactions", "stories", "crawl_runs"} {
		if err := s.Conn().Exec(ctx, fmt.Sprintf("INSERT INTO %s.%s SELECT * FROM remote('%s', %s.%s)", s.Database(), table, host, old.Database(), table)); err != nil {
			t.Fatalf("copy %s: %v", table, err)
		}
	}
	wantC, _ := old.Counts(ctx, "moved", true)
	gotC, err := s.Counts(ctx, "moved", true)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(gotC) != fmt.Sprint(wantC) {
		t.Errorf("counts on the cluster %v, on the old server %v", gotC, wantC)
	}
	if m, n := total(t, s, "moved"); m != 300 || n != 300 {
		t.Errorf("on the cluster: minutes %d items %d, want 300", m, n)
	}
	if n := count(t, s.Conn(), "SELECT sum(sign) FROM reactions_by_time WHERE story = 'moved'"); n != 300 {
		t.Errorf("reactions_by_time: %d, want 300", n)
	}
	runs, err := s.CrawlRuns(ctx, "moved")
	if err != nil || len(runs) != 1 {
		t.Errorf("crawl runs on the cluster: %v %v", runs, err)
	}
}
