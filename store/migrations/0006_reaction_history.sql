-- Every observed state of every reaction, kept for good: the edit and
-- delete history.
--
-- reactions keeps an earlier state only until a merge collapses its +1 row
-- with the -1 row that cancelled it, so the history has its own table, fed
-- by a materialized view with every +1 row written to reactions: a new
-- reaction, a changed one (edited, deleted or restored, a new score), and
-- a relabelled one (the same digest, a new stance). Nothing else writes
-- it and nothing is ever cancelled in it. A duplicate writes no row to
-- reactions, so it adds no state here either.
--
-- observed_at is when the state was stored: the version of a row is the
-- writer's clock in nanoseconds when it wrote it (store.Write), so the
-- view, the backfill below and a reconcile that copies a missed row all
-- give the same time. Rows are keyed by (story, id, version): a row copied
-- twice (a reconcile after a view that did write) collapses on merge, and
-- every query reads one row per (id, version) before that.
--
-- The backfill copies the states reactions still holds (those not merged
-- away yet); it runs only while the history is empty, and the view does not
-- exist yet, so the migration can run again after an interruption. Run it
-- with no aggregator writing, as every command does on start.
CREATE TABLE IF NOT EXISTS reaction_history (
    story           String,
    platform        Enum8('reddit' = 1, 'hackernews' = 2, 'mastodon' = 3, 'bluesky' = 4, 'discourse' = 5, 'lemmy' = 6, 'web' = 7),
    id              String,
    version         UInt64,
    observed_at     DateTime('UTC'),
    parent_id       String,
    root_id         String,
    relation        String,
    is_root         UInt8,
    url             String,
    created_at      DateTime('UTC'),
    first_seen      DateTime('UTC'),
    author          String,
    content_warning String,
    text            String,
    lang            String,
    likes           Int64,
    replies         Int64,
    deleted         UInt8,
    stance          Enum8('neutral' = 0, 'support' = 1, 'criticism' = 2),
    stance_score    Float64,
    classifier      String,
    digest          UInt64
) ENGINE = ReplacingMergeTree
ORDER BY (story, id, version);

INSERT INTO reaction_history (story, platform, id, version, observed_at, parent_id, root_id, relation, is_root, url,
    created_at, first_seen, author, content_warning, text, lang, likes, replies, deleted, stance, stance_score, classifier, digest)
SELECT story, platform, id, version, toDateTime(intDiv(version, 1000000000), 'UTC'), parent_id, root_id, relation, is_root, url,
    created_at, first_seen, author, content_warning, text, lang, likes, replies, deleted, stance, stance_score, classifier, digest
FROM reactions
WHERE sign = 1 AND (SELECT count() FROM reaction_history) = 0;

CREATE MATERIALIZED VIEW IF NOT EXISTS reaction_history_mv TO reaction_history AS
SELECT story, platform, id, version, toDateTime(intDiv(version, 1000000000), 'UTC') AS observed_at, parent_id, root_id,
       relation, is_root, url, created_at, first_seen, author, content_warning, text, lang, likes, replies, deleted,
       stance, stance_score, classifier, digest
FROM reactions
WHERE sign = 1;
