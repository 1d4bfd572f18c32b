package aggregator

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/reactions-research/reactions/store"
)

// Why reconcile. An INSERT into reactions is one part, so it lands whole or
// not at all; but ClickHouse writes the materialized views (reactions_by_time
// and reaction_minutes) after the table, not atomically with it, one view
// after the other in no order this code relies on (by name on 18.16; on 26.7
// by neither name nor creation). When the server dies in between (kill -9,
// power loss), or a view fails, the reactions are stored and the views, one
// or both, miss them. The retried write then finds them stored (duplicates:
// nothing is written), and the charts, which read reaction_minutes, would
// count them never. So after a write whose outcome is unknown, the writer
// spools a reconcile record naming the batch's reactions; when it is drained
// (ClickHouse is back), each view is compared with the table on its own for
// those reactions and corrected: missing or extra rows of reactions_by_time
// are added or cancelled, and reaction_minutes gets the difference of the
// per-minute sums (a SummingMergeTree adds it up).
//
// This depends on the schema of store/migrations (0001 and 0003).

// reconcileRecord is the payload of a kindReconcile spool record.
type reconcileRecord struct {
	Story string   `json:"story"`
	IDs   []string `json:"ids"`
}

// reconcileChunk bounds the ids per query (max_query_size is 256 KiB).
const reconcileChunk = 2000

const rowColumns = "story, platform, id, parent_id, root_id, relation, is_root, url, created_at, first_seen, author, content_warning, text, lang, " +
	"likes, replies, deleted, stance, stance_score, classifier, digest, version, sign"

// spoolReconcile appends reconcile records for the reactions of rs.
func (a *Aggregator) spoolReconcile(byStory map[string][]string) error {
	for story, ids := range byStory {
		b, err := json.Marshal(reconcileRecord{Story: story, IDs: ids})
		if err != nil {
			return err
		}
		if err := a.spool.Append(kindReconcile, b); err != nil {
			return fmt.Errorf("spool: %w", err)
		}
	}
	return nil
}

// ReconcileResult counts the corrections Reconcile made.
type ReconcileResult struct {
	// ByTimeRows counts rows added to reactions_by_time (copies of missing
	// rows, or cancels of rows the table does not have).
	ByTimeRows int
	// MinuteRows counts (minute, platform, stance, is_root) sums of
	// reaction_minutes corrected.
	MinuteRows int
}

// Reconcile makes the materialized views of a story agree with the
// reactions table: for the given ids, or for the whole story when ids is
// nil. It must not run beside writes of the same story (the aggregator runs
// it in its writer).
func Reconcile(ctx context.Context, st *store.Store, story string, ids []string) (ReconcileResult, error) {
	var res ReconcileResult
	conn := st.Conn()
	if ids == nil {
		var err error
		if ids, err = storyIDs(ctx, conn, story); err != nil {
			return res, err
		}
	}
	minutes := map[uint32]bool{}
	for start := 0; start < len(ids); start += reconcileChunk {
		chunk := ids[start:min(start+reconcileChunk, len(ids))]
		n, err := reconcileByTime(ctx, conn, story, chunk)
		if err != nil {
			return res, err
		}
		res.ByTimeRows += n
		rows, err := conn.Query(ctx, `SELECT DISTINCT toUInt32(toStartOfMinute(created_at)) FROM reactions
WHERE story = ? AND id IN ?`, story, set(chunk))
		if err != nil {
			return res, fmt.Errorf("reconcile: read minutes: %w", err)
		}
		for rows.Next() {
			var m uint32
			if err := rows.Scan(&m); err != nil {
				rows.Close()
				return res, fmt.Errorf("reconcile: read minutes: %w", err)
			}
			minutes[m] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return res, fmt.Errorf("reconcile: read minutes: %w", err)
		}
	}
	ms := make([]uint32, 0, len(minutes))
	for m := range minutes {
		ms = append(ms, m)
	}
	for start := 0; start < len(ms); start += reconcileChunk {
		n, err := reconcileMinutes(ctx, conn, story, ms[start:min(start+reconcileChunk, len(ms))])
		if err != nil {
			return res, err
		}
		res.MinuteRows += n
	}
	return res, nil
}

func storyIDs(ctx context.Context, conn driver.Conn, story string) ([]string, error) {
	rows, err := conn.Query(ctx, "SELECT DISTINCT id FROM reactions WHERE story = ?", story)
	if err != nil {
		return nil, fmt.Errorf("reconcile: read ids: %w", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("reconcile: read ids: %w", err)
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

func set(vs []string) clickhouse.GroupSet {
	v := make([]any, len(vs))
	for i, s := range vs {
		v[i] = s
	}
	return clickhouse.GroupSet{Value: v}
}

type rowKey struct {
	id      string
	version uint64
	sign    int8
}

// fullRow is one row of reactions or reactions_by_time.
type fullRow struct {
	key                                              rowKey
	story, platform, parentID, rootID, relation, url string
	author, cw                                       string
	text, lang, stance, classifier                   string
	createdAt, firstSeen                             time.Time
	likes, replies                                   int64
	isRoot, deleted                                  uint8
	score                                            float64
	digest                                           uint64
}

func readRows(ctx context.Context, conn driver.Conn, table, story string, ids []string) (map[rowKey][]fullRow, error) {
	rows, err := conn.Query(ctx, "SELECT "+rowColumns+" FROM "+table+" WHERE story = ? AND id IN ?", story, set(ids))
	if err != nil {
		return nil, fmt.Errorf("reconcile: read %s: %w", table, err)
	}
	defer rows.Close()
	out := map[rowKey][]fullRow{}
	for rows.Next() {
		var r fullRow
		if err := rows.Scan(&r.story, &r.platform, &r.key.id, &r.parentID, &r.rootID, &r.relation, &r.isRoot, &r.url, &r.createdAt, &r.firstSeen,
			&r.author, &r.cw, &r.text, &r.lang, &r.likes, &r.replies, &r.deleted, &r.stance, &r.score, &r.classifier,
			&r.digest, &r.key.version, &r.key.sign); err != nil {
			return nil, fmt.Errorf("reconcile: read %s: %w", table, err)
		}
		out[r.key] = append(out[r.key], r)
	}
	return out, rows.Err()
}

// reconcileByTime makes reactions_by_time hold the same rows as reactions
// for ids: it copies missing rows and cancels rows the table lacks.
func reconcileByTime(ctx context.Context, conn driver.Conn, story string, ids []string) (int, error) {
	want, err := readRows(ctx, conn, "reactions", story, ids)
	if err != nil {
		return 0, err
	}
	have, err := readRows(ctx, conn, "reactions_by_time", story, ids)
	if err != nil {
		return 0, err
	}
	var add []fullRow
	for k, rs := range want {
		for i := len(have[k]); i < len(rs); i++ {
			add = append(add, rs[i])
		}
	}
	for k, rs := range have {
		for i := len(want[k]); i < len(rs); i++ {
			c := rs[i]
			c.key.sign = -c.key.sign // collapses with the extra row
			add = append(add, c)
		}
	}
	if len(add) == 0 {
		return 0, nil
	}
	b, err := store.PrepareBatch(ctx, conn, "INSERT INTO reactions_by_time ("+rowColumns+")")
	if err != nil {
		return 0, fmt.Errorf("reconcile reactions_by_time: %w", err)
	}
	defer b.Abort()
	for _, r := range add {
		if err := b.Append(r.story, r.platform, r.key.id, r.parentID, r.rootID, r.relation, r.isRoot, r.url, r.createdAt, r.firstSeen,
			r.author, r.cw, r.text, r.lang, r.likes, r.replies, r.deleted, r.stance, r.score, r.classifier,
			r.digest, r.key.version, r.key.sign); err != nil {
			return 0, fmt.Errorf("reconcile reactions_by_time: %w", err)
		}
	}
	if err := b.Send(); err != nil {
		return 0, fmt.Errorf("reconcile reactions_by_time: %w", err)
	}
	return len(add), nil
}

type minuteKey struct {
	minute           uint32
	platform, stance string
	isRoot           uint8
}

func minuteSums(ctx context.Context, conn driver.Conn, query, story string, minutes []uint32) (map[minuteKey]int64, error) {
	v := make([]any, len(minutes))
	for i, m := range minutes {
		v[i] = m
	}
	rows, err := conn.Query(ctx, query, story, clickhouse.GroupSet{Value: v})
	if err != nil {
		return nil, fmt.Errorf("reconcile reaction_minutes: %w", err)
	}
	defer rows.Close()
	out := map[minuteKey]int64{}
	for rows.Next() {
		var k minuteKey
		var n int64
		if err := rows.Scan(&k.minute, &k.platform, &k.stance, &k.isRoot, &n); err != nil {
			return nil, fmt.Errorf("reconcile reaction_minutes: %w", err)
		}
		out[k] += n
	}
	return out, rows.Err()
}

// reconcileMinutes makes the per-minute sums of reaction_minutes equal to
// those of reactions for the given minutes, by inserting the differences.
func reconcileMinutes(ctx context.Context, conn driver.Conn, story string, minutes []uint32) (int, error) {
	want, err := minuteSums(ctx, conn, `SELECT toUInt32(toStartOfMinute(created_at)) AS m, toString(platform), toString(stance), is_root,
toInt64(sum(sign)) FROM reactions WHERE story = ? AND toUInt32(toStartOfMinute(created_at)) IN ? GROUP BY m, platform, stance, is_root`, story, minutes)
	if err != nil {
		return 0, err
	}
	have, err := minuteSums(ctx, conn, `SELECT toUInt32(minute) AS m, toString(platform), toString(stance), is_root, toInt64(sum(n))
FROM reaction_minutes WHERE story = ? AND toUInt32(minute) IN ? GROUP BY m, platform, stance, is_root`, story, minutes)
	if err != nil {
		return 0, err
	}
	type fix struct {
		k minuteKey
		d int64
	}
	var fixes []fix
	for k, n := range want {
		if d := n - have[k]; d != 0 {
			fixes = append(fixes, fix{k, d})
		}
	}
	for k, n := range have {
		if _, ok := want[k]; !ok && n != 0 {
			fixes = append(fixes, fix{k, -n})
		}
	}
	if len(fixes) == 0 {
		return 0, nil
	}
	b, err := store.PrepareBatch(ctx, conn, "INSERT INTO reaction_minutes (story, minute, platform, stance, is_root, n)")
	if err != nil {
		return 0, fmt.Errorf("reconcile reaction_minutes: %w", err)
	}
	defer b.Abort()
	for _, f := range fixes {
		if err := b.Append(story, time.Unix(int64(f.k.minute), 0).UTC(), f.k.platform, f.k.stance, f.k.isRoot, f.d); err != nil {
			return 0, fmt.Errorf("reconcile reaction_minutes: %w", err)
		}
	}
	if err := b.Send(); err != nil {
		return 0, fmt.Errorf("reconcile reaction_minutes: %w", err)
	}
	return len(fixes), nil
}
