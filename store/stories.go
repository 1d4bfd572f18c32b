package store

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"time"

	"github.com/reactions-research/reactions/reaction"
	"github.com/reactions-research/reactions/story"
)

// StoryRecord is a stored story definition.
type StoryRecord struct {
	Story story.Story
	// Definition is the story as ingested (JSON), for export metadata.
	Definition string
	// Updated is when it was last stored.
	Updated time.Time
}

// PutStory stores (or replaces) a story definition.
func (s *Store) PutStory(ctx context.Context, st *story.Story) error {
	def, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("encode story %s: %w", st.ID, err)
	}
	var from, to time.Time
	if st.Window != nil {
		from, to = st.Window.From, st.Window.To
	}
	b, err := PrepareBatch(ctx, s.conn, "INSERT INTO stories (id, title, subject, published, window_from, window_to, definition, updated)")
	if err != nil {
		return fmt.Errorf("store story %s: %w", st.ID, err)
	}
	defer b.Abort()
	subject := st.Subject
	if subject == nil {
		subject = []string{}
	}
	if err := b.Append(st.ID, st.Title, subject, clampTime(st.Published), clampTime(from), clampTime(to), string(def), uint64(time.Now().UnixNano())); err != nil {
		return fmt.Errorf("store story %s: %w", st.ID, err)
	}
	if err := b.Send(); err != nil {
		return fmt.Errorf("store story %s: %w", st.ID, err)
	}
	return nil
}

// clampTime maps the zero time to the Unix epoch, which DateTime can hold.
func clampTime(t time.Time) time.Time {
	if t.Before(time.Unix(0, 0)) {
		return time.Unix(0, 0).UTC()
	}
	return t.UTC()
}

// Stories returns every stored story, by id.
func (s *Store) Stories(ctx context.Context) ([]StoryRecord, error) {
	return s.stories(ctx, "")
}

// GetStory returns one stored story, or ErrNotFound.
func (s *Store) GetStory(ctx context.Context, id string) (*StoryRecord, error) {
	rs, err := s.stories(ctx, id)
	if err != nil {
		return nil, err
	}
	if len(rs) == 0 {
		return nil, fmt.Errorf("story %q: %w", id, ErrNotFound)
	}
	return &rs[0], nil
}

func (s *Store) stories(ctx context.Context, id string) ([]StoryRecord, error) {
	q := "SELECT id, argMax(definition, updated), max(updated) FROM stories"
	var args []any
	if id != "" {
		q += " WHERE id = ?"
		args = append(args, id)
	}
	q += " GROUP BY id ORDER BY id"
	rows, err := s.conn.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("read stories: %w", err)
	}
	defer rows.Close()
	var out []StoryRecord
	for rows.Next() {
		var rec StoryRecord
		var sid string
		var updated uint64
		if err := rows.Scan(&sid, &rec.Definition, &updated); err != nil {
			return nil, fmt.Errorf("read stories: %w", err)
		}
		if err := json.Unmarshal([]byte(rec.Definition), &rec.Story); err != nil {
			return nil, fmt.Errorf("story %s: stored definition does not decode: %w", sid, err)
		}
		rec.Updated = time.Unix(0, int64(updated)).UTC()
		out = append(out, rec)
	}
	return out, rows.Err()
}

// PutCrawlRun stores the latest state of a crawl run (a run is written when
// it starts and again when it ends; the newest write wins).
func (s *Store) PutCrawlRun(ctx context.Context, r reaction.CrawlRun) error {
	b, err := PrepareBatch(ctx, s.conn, `INSERT INTO crawl_runs (story, source, platform, run_id, started, finished,
requests, pages, items, new_items, errors, error_kinds, error_counts, repaired_fields, repaired_counts, blocked,
discovered_threads, discovered_via, discovered_links, gap_from, gap_to, gap_reasons, status, message, updated)`)
	if err != nil {
		return fmt.Errorf("store crawl run: %w", err)
	}
	defer b.Abort()
	kinds, counts := splitCounts(r.ErrorKinds)
	fields, fixed := splitCounts(r.Repaired)
	threads, via, links := make([]string, len(r.Discovered)), make([]string, len(r.Discovered)), make([]string, len(r.Discovered))
	for i, d := range r.Discovered {
		threads[i], via[i], links[i] = d.Thread, d.Via, d.Link
	}
	gapFrom, gapTo, reasons := make([]time.Time, len(r.Gaps)), make([]time.Time, len(r.Gaps)), make([]string, len(r.Gaps))
	for i, g := range r.Gaps {
		gapFrom[i], gapTo[i], reasons[i] = clampTime(g.From), clampTime(g.To), g.Reason
	}
	if err := b.Append(r.Story, r.Source, string(r.Platform), r.RunID, clampTime(r.Started), clampTime(r.Finished),
		r.Requests, r.Pages, r.Items, r.NewItems, r.Errors, kinds, counts, fields, fixed, r.Blocked,
		threads, via, links, gapFrom, gapTo, reasons, r.Status, r.Message,
		uint64(time.Now().UnixNano())); err != nil {
		return fmt.Errorf("store crawl run: %w", err)
	}
	if err := b.Send(); err != nil {
		return fmt.Errorf("store crawl run: %w", err)
	}
	return nil
}

// splitCounts turns a count map into the key and value arrays of a row.
func splitCounts(m map[string]int64) ([]string, []int64) {
	keys := make([]string, 0, len(m))
	counts := make([]int64, 0, len(m))
	for k, n := range m {
		keys = append(keys, k)
		counts = append(counts, n)
	}
	return keys, counts
}

// joinCounts is the count map of a row's key and value arrays (nil when
// empty).
func joinCounts(keys []string, counts []int64) map[string]int64 {
	if len(keys) == 0 {
		return nil
	}
	m := make(map[string]int64, len(keys))
	for i, k := range keys {
		if i < len(counts) {
			m[k] = counts[i]
		}
	}
	return m
}

// CrawlRuns returns the latest state of every run of a story's sources,
// newest first.
func (s *Store) CrawlRuns(ctx context.Context, storyID string) ([]reaction.CrawlRun, error) {
	rows, err := s.conn.Query(ctx, `SELECT source, run_id,
    argMax(platform, updated), argMax(started, updated), argMax(finished, updated),
    argMax(requests, updated), argMax(pages, updated), argMax(items, updated), argMax(new_items, updated),
    argMax(errors, updated), argMax(error_kinds, updated), argMax(error_counts, updated),
    argMax(repaired_fields, updated), argMax(repaired_counts, updated), argMax(blocked, updated),
    argMax(discovered_threads, updated), argMax(discovered_via, updated), argMax(discovered_links, updated),
    argMax(gap_from, updated), argMax(gap_to, updated), argMax(gap_reasons, updated),
    argMax(status, updated), argMax(message, updated)
FROM crawl_runs WHERE story = ?
GROUP BY source, run_id
ORDER BY argMax(started, updated) DESC, source`, storyID)
	if err != nil {
		return nil, fmt.Errorf("read crawl runs: %w", err)
	}
	defer rows.Close()
	var out []reaction.CrawlRun
	for rows.Next() {
		r := reaction.CrawlRun{Story: storyID}
		var platform string
		var kinds, fields []string
		var counts, fixed []int64
		var threads, via, links, reasons []string
		var gapFrom, gapTo []time.Time
		if err := rows.Scan(&r.Source, &r.RunID, &platform, &r.Started, &r.Finished, &r.Requests, &r.Pages,
			&r.Items, &r.NewItems, &r.Errors, &kinds, &counts, &fields, &fixed, &r.Blocked,
			&threads, &via, &links, &gapFrom, &gapTo, &reasons, &r.Status, &r.Message); err != nil {
			return nil, fmt.Errorf("read crawl runs: %w", err)
		}
		r.Platform = reaction.Platform(platform)
		r.Started = r.Started.UTC()
		if r.Finished.Unix() <= 0 {
			r.Finished = time.Time{}
		} else {
			r.Finished = r.Finished.UTC()
		}
		r.ErrorKinds, r.Repaired = joinCounts(kinds, counts), joinCounts(fields, fixed)
		for i, t := range threads {
			d := reaction.Discovery{Thread: t}
			if i < len(via) {
				d.Via = via[i]
			}
			if i < len(links) {
				d.Link = links[i]
			}
			r.Discovered = append(r.Discovered, d)
		}
		for i := 0; i < len(gapFrom) && i < len(gapTo); i++ {
			g := reaction.Gap{From: gapFrom[i].UTC(), To: gapTo[i].UTC()}
			if i < len(reasons) {
				g.Reason = reasons[i]
			}
			r.Gaps = append(r.Gaps, g)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// HasStory reports whether the database holds a story: its definition or
// any of its reactions.
func (s *Store) HasStory(ctx context.Context, id string) (bool, error) {
	var n uint64
	if err := s.conn.QueryRow(ctx, storyRowsSQL(""), id, id).Scan(&n); err != nil {
		return false, fmt.Errorf("look up story %s: %w", id, err)
	}
	return n > 0, nil
}

// OtherDatabase starts every query the store sends about a database other
// than its own: what such a query answers depends on what else the server
// holds, so the SQL replay on ClickHouse 26 (store/chtest/replay) leaves it out.
const OtherDatabase = "/* other database */ "

// storyRowsSQL counts (at most one each) the story's definition and its
// minute rows in db, or in the store's own database when db is "". Two
// bound parameters: the story id twice. (A sum of scalar subqueries would
// be Nullable on ClickHouse 26.)
func storyRowsSQL(db string) string {
	prefix := ""
	if db != "" {
		prefix = OtherDatabase
		db += "."
	}
	return prefix + `SELECT count() FROM (
    SELECT 1 FROM ` + db + `stories WHERE id = ? LIMIT 1
    UNION ALL
    SELECT 1 FROM ` + db + `reaction_minutes WHERE story = ? LIMIT 1)`
}

// DatabasesWithStory returns the other databases of the server that hold a
// story (its definition or reactions), by name: where to look when this
// one does not have it.
func (s *Store) DatabasesWithStory(ctx context.Context, id string) ([]string, error) {
	rows, err := s.conn.Query(ctx, `SELECT database FROM system.tables
WHERE name = 'stories' AND database != currentDatabase() AND database IN
    (SELECT database FROM system.tables WHERE name = 'reaction_minutes')
ORDER BY database`)
	if err != nil {
		return nil, fmt.Errorf("list databases: %w", err)
	}
	var dbs []string
	for rows.Next() {
		var db string
		if err := rows.Scan(&db); err != nil {
			rows.Close()
			return nil, fmt.Errorf("list databases: %w", err)
		}
		if validIdent(db) {
			dbs = append(dbs, db)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list databases: %w", err)
	}
	var out []string
	for _, db := range dbs {
		var n uint64
		err := s.conn.QueryRow(ctx, storyRowsSQL(db), id, id).Scan(&n)
		if err != nil {
			continue // a database we may not read, or of another schema
		}
		if n > 0 {
			out = append(out, db)
		}
	}
	return out, nil
}

// WithDatabase returns dsn with its database replaced by db.
func WithDatabase(dsn, db string) (string, error) {
	if !validIdent(db) {
		return "", fmt.Errorf("ClickHouse database name %q: use letters, digits and _ only", db)
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return "", fmt.Errorf("parse ClickHouse DSN %s: %w", RedactDSN(dsn), err)
	}
	u.Path = "/" + db
	return u.String(), nil
}
