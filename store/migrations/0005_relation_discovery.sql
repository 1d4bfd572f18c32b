-- How a reaction answers its parent, and what a crawl run discovered.
--
-- relation is "reply" or "quote" (a Bluesky quote post, whose parent is
-- the post it quotes), and empty for a reaction without a parent (see
-- reaction.Reaction.Relation). Rows written before this migration read it
-- from the column's DEFAULT: "reply" when they have a parent, which is all
-- they could be, since quotes were not collected before.
--
-- Run it with no aggregator writing (every command migrates on start,
-- before it writes): reactions_by_time_mv is recreated, and an INSERT in
-- between would reach reactions but not reactions_by_time. ClickHouse 18.16
-- has no ADD COLUMN IF NOT EXISTS: the runner skips an ADD COLUMN whose
-- column exists, so the migration can run again after an interruption.
ALTER TABLE reactions ADD COLUMN relation String DEFAULT if(parent_id = '', '', 'reply') AFTER root_id;
ALTER TABLE reactions_by_time ADD COLUMN relation String DEFAULT if(parent_id = '', '', 'reply') AFTER root_id;

DROP TABLE IF EXISTS reactions_by_time_mv;

CREATE MATERIALIZED VIEW IF NOT EXISTS reactions_by_time_mv TO reactions_by_time AS
SELECT story, platform, id, parent_id, root_id, relation, is_root, url, created_at, first_seen, author, content_warning,
       text, lang, likes, replies, deleted, stance, stance_score, classifier, digest, version, sign
FROM reactions;

-- The completeness report of a run: the threads it follows because they
-- link to the story's URLs (reaction.Discovery, one array element each),
-- and the periods it could not cover (reaction.Gap), which charts shade.
ALTER TABLE crawl_runs ADD COLUMN discovered_threads Array(String) AFTER blocked;
ALTER TABLE crawl_runs ADD COLUMN discovered_via Array(String) AFTER discovered_threads;
ALTER TABLE crawl_runs ADD COLUMN discovered_links Array(String) AFTER discovered_via;
ALTER TABLE crawl_runs ADD COLUMN gap_from Array(DateTime('UTC')) AFTER discovered_links;
ALTER TABLE crawl_runs ADD COLUMN gap_to Array(DateTime('UTC')) AFTER gap_from;
ALTER TABLE crawl_runs ADD COLUMN gap_reasons Array(String) AFTER gap_to;
