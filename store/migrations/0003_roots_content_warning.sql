-- Thread starters and content warnings, and the repaired-field counts of
-- crawl runs.
--
-- is_root marks the post that starts a thread the crawler followed (see
-- reaction.Reaction.IsRoot); charts and counts leave such posts out by
-- default, so reaction_minutes gains is_root as a dimension.
-- content_warning holds Mastodon's spoiler_text, which used to be prepended
-- to text.
--
-- Stored data is kept. Rows written before this migration read is_root from
-- the column's DEFAULT: true for a top-level post of a platform where only
-- thread starters are top-level (the Reddit post, the Hacker News story,
-- the Lemmy post, the Discourse topic's first post, a web forum posting).
-- On Mastodon and Bluesky a thread starter is a status or thread the story
-- names, which only the crawler knows: their next crawl sets it. Their old
-- rows keep content warnings inside text until they are crawled again.
--
-- Run it with no aggregator writing (every command migrates on start,
-- before it writes): the views are recreated, and an INSERT in between
-- would reach the table but not the views. ClickHouse 18.16 has no ADD
-- COLUMN IF NOT EXISTS: the runner skips an ADD COLUMN whose column exists,
-- and the backfill below guards itself, so the migration can run again
-- after an interruption.
ALTER TABLE reactions ADD COLUMN is_root UInt8
    DEFAULT toUInt8(parent_id = '' AND platform IN ('reddit', 'hackernews', 'lemmy', 'discourse', 'web')) AFTER root_id;
ALTER TABLE reactions ADD COLUMN content_warning String AFTER author;
ALTER TABLE reactions_by_time ADD COLUMN is_root UInt8
    DEFAULT toUInt8(parent_id = '' AND platform IN ('reddit', 'hackernews', 'lemmy', 'discourse', 'web')) AFTER root_id;
ALTER TABLE reactions_by_time ADD COLUMN content_warning String AFTER author;

DROP TABLE IF EXISTS reactions_by_time_mv;
DROP TABLE IF EXISTS reaction_minutes_mv;

-- A column added together with its place at the end of the sorting key
-- must have no default expression: existing rows read 0 (not a root).
ALTER TABLE reaction_minutes ADD COLUMN is_root UInt8 AFTER stance,
    MODIFY ORDER BY (story, minute, platform, stance, is_root);

-- Move the thread starters stored so far from is_root = 0 to is_root = 1:
-- for each minute, platform and stance, -n at 0 and +n at 1, in one
-- INSERT. The view that writes is_root = 1 does not exist yet, so rows
-- with is_root = 1 mean this backfill already ran.
INSERT INTO reaction_minutes (story, minute, platform, stance, is_root, n)
SELECT story, minute, platform, stance, r, if(r = 1, n, -n) FROM (
    SELECT story, toStartOfMinute(created_at) AS minute, platform, stance, toInt64(sum(sign)) AS n
    FROM reactions
    WHERE is_root = 1 AND (SELECT count() FROM reaction_minutes WHERE is_root = 1) = 0
    GROUP BY story, minute, platform, stance
    HAVING n != 0
) ARRAY JOIN [0, 1] AS r;

CREATE MATERIALIZED VIEW IF NOT EXISTS reactions_by_time_mv TO reactions_by_time AS
SELECT story, platform, id, parent_id, root_id, is_root, url, created_at, first_seen, author, content_warning,
       text, lang, likes, replies, deleted, stance, stance_score, classifier, digest, version, sign
FROM reactions;

CREATE MATERIALIZED VIEW IF NOT EXISTS reaction_minutes_mv TO reaction_minutes AS
SELECT story, toStartOfMinute(created_at) AS minute, platform, stance, is_root, toInt64(sum(sign)) AS n
FROM reactions
GROUP BY story, minute, platform, stance, is_root;

ALTER TABLE crawl_runs ADD COLUMN repaired_fields Array(String) AFTER error_counts;
ALTER TABLE crawl_runs ADD COLUMN repaired_counts Array(Int64) AFTER repaired_fields;
