-- Every observed state of every reaction, kept for good: the edit and
-- delete history.
--
-- reactions keeps an earlier state only until a merge collapses its +1 row
-- with the -1 row that cancelled it, so the history has its own table.
-- The write path (store.Write and store.Relabel) writes every +1 row it
-- writes to reactions here too, first: a new reaction, a changed one
-- (edited, deleted or restored, a new score), and a relabelled one (the
-- same digest, a new stance). Nothing is ever cancelled in it. A
-- duplicate writes no row to reactions, so it adds no state here either.
--
-- observed_at is when the state was stored: the version of a row is the
-- writer's clock in nanoseconds when it wrote it, so the write path and
-- the backfill below give the same time. Rows are keyed by (story, id,
-- version); every query reads one row per (id, version), and skips a row
-- with the digest of the state before it (a relabelling, or a write
-- retried after its INSERT into reactions failed).
--
-- The backfill copies the states reactions still holds (those not merged
-- away yet); it runs only while the history is empty, so the migration can
-- run again after an interruption. Run it with no aggregator writing, as
-- every command does on start.
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
