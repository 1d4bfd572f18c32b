-- The reactions, one row per state of a reaction. The aggregator is the only
-- writer: a new reaction is one row with sign = 1; a changed reaction is, in
-- the same INSERT, a copy of the stored state with sign = -1 (same version)
-- and the new state with sign = 1 and a higher version. Rows that cancel
-- collapse on merge; until then every query sums sign, so counts are exact on
-- every ClickHouse version (18.16 and 26.8 alike). No PARTITION BY: one INSERT
-- is one part, so a cancel and its replacement land together or not at all.
CREATE TABLE IF NOT EXISTS reactions (
    story        String,
    platform     Enum8('reddit' = 1, 'hackernews' = 2, 'mastodon' = 3, 'bluesky' = 4, 'discourse' = 5, 'lemmy' = 6, 'web' = 7),
    id           String,
    parent_id    String,
    root_id      String,
    url          String,
    created_at   DateTime('UTC'),
    first_seen   DateTime('UTC'),
    author       String,
    text         String,
    lang         String,
    likes        Int64,
    replies      Int64,
    deleted      UInt8,
    stance       Enum8('neutral' = 0, 'support' = 1, 'criticism' = 2),
    stance_score Float64,
    classifier   String,
    digest       UInt64,
    version      UInt64,
    sign         Int8
) ENGINE = VersionedCollapsingMergeTree(sign, version)
ORDER BY (story, id);

-- The same columns and rows ordered by time, for drill-down into a bucket
-- and exports by time range. Fed by the view below from every INSERT into
-- reactions, cancels included.
CREATE TABLE IF NOT EXISTS reactions_by_time AS reactions
ENGINE = VersionedCollapsingMergeTree(sign, version)
ORDER BY (story, created_at, id);

CREATE MATERIALIZED VIEW IF NOT EXISTS reactions_by_time_mv TO reactions_by_time AS
SELECT story, platform, id, parent_id, root_id, url, created_at, first_seen, author, text, lang,
       likes, replies, deleted, stance, stance_score, classifier, digest, version, sign
FROM reactions;

-- Per-minute counts for charts: sum(n) is exact at any moment.
CREATE TABLE IF NOT EXISTS reaction_minutes (
    story    String,
    minute   DateTime('UTC'),
    platform Enum8('reddit' = 1, 'hackernews' = 2, 'mastodon' = 3, 'bluesky' = 4, 'discourse' = 5, 'lemmy' = 6, 'web' = 7),
    stance   Enum8('neutral' = 0, 'support' = 1, 'criticism' = 2),
    n        Int64
) ENGINE = SummingMergeTree(n)
ORDER BY (story, minute, platform, stance);

CREATE MATERIALIZED VIEW IF NOT EXISTS reaction_minutes_mv TO reaction_minutes AS
SELECT story, toStartOfMinute(created_at) AS minute, platform, stance, toInt64(sum(sign)) AS n
FROM reactions
GROUP BY story, minute, platform, stance;
