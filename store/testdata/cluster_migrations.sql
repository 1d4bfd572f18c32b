-- reactions
CREATE TABLE IF NOT EXISTS reactions.reactions_local ON CLUSTER reactions (
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
)
ENGINE = ReplicatedVersionedCollapsingMergeTree('/clickhouse/tables/reactions/{shard}/reactions/reactions_local', '{replica}', sign, version)
ORDER BY (story, id);
CREATE TABLE IF NOT EXISTS reactions.reactions ON CLUSTER reactions AS reactions.reactions_local
ENGINE = Distributed(reactions, reactions, reactions_local, cityHash64(story));
CREATE TABLE IF NOT EXISTS reactions.reactions_by_time_local ON CLUSTER reactions AS reactions.reactions_local
ENGINE = ReplicatedVersionedCollapsingMergeTree('/clickhouse/tables/reactions/{shard}/reactions/reactions_by_time_local', '{replica}', sign, version)
ORDER BY (story, created_at, id);
CREATE TABLE IF NOT EXISTS reactions.reactions_by_time ON CLUSTER reactions AS reactions.reactions_by_time_local
ENGINE = Distributed(reactions, reactions, reactions_by_time_local, cityHash64(story));
CREATE MATERIALIZED VIEW IF NOT EXISTS reactions.reactions_by_time_mv ON CLUSTER reactions TO reactions.reactions_by_time_local AS SELECT story, platform, id, parent_id, root_id, url, created_at, first_seen, author, text, lang,
       likes, replies, deleted, stance, stance_score, classifier, digest, version, sign
FROM reactions.reactions_local;
CREATE TABLE IF NOT EXISTS reactions.reaction_minutes_local ON CLUSTER reactions (
    story    String,
    minute   DateTime('UTC'),
    platform Enum8('reddit' = 1, 'hackernews' = 2, 'mastodon' = 3, 'bluesky' = 4, 'discourse' = 5, 'lemmy' = 6, 'web' = 7),
    stance   Enum8('neutral' = 0, 'support' = 1, 'criticism' = 2),
    n        Int64
)
ENGINE = ReplicatedSummingMergeTree('/clickhouse/tables/reactions/{shard}/reactions/reaction_minutes_local', '{replica}', n)
ORDER BY (story, minute, platform, stance);
CREATE TABLE IF NOT EXISTS reactions.reaction_minutes ON CLUSTER reactions AS reactions.reaction_minutes_local
ENGINE = Distributed(reactions, reactions, reaction_minutes_local, cityHash64(story));
CREATE MATERIALIZED VIEW IF NOT EXISTS reactions.reaction_minutes_mv ON CLUSTER reactions TO reactions.reaction_minutes_local AS SELECT story, toStartOfMinute(created_at) AS minute, platform, stance, toInt64(sum(sign)) AS n
FROM reactions.reactions_local
GROUP BY story, minute, platform, stance;

-- stories_runs
CREATE TABLE IF NOT EXISTS reactions.stories_local ON CLUSTER reactions (
    id          String,
    title       String,
    subject     Array(String),
    published   DateTime('UTC'),
    window_from DateTime('UTC'),
    window_to   DateTime('UTC'),
    definition  String,
    updated     UInt64
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/reactions/{shard}/reactions/stories_local', '{replica}', updated)
ORDER BY id;
CREATE TABLE IF NOT EXISTS reactions.stories ON CLUSTER reactions AS reactions.stories_local
ENGINE = Distributed(reactions, reactions, stories_local, cityHash64(id));
CREATE TABLE IF NOT EXISTS reactions.crawl_runs_local ON CLUSTER reactions (
    story        String,
    source       String,
    platform     String,
    run_id       String,
    started      DateTime('UTC'),
    finished     DateTime('UTC'),
    requests     Int64,
    pages        Int64,
    items        Int64,
    new_items    Int64,
    errors       Int64,
    error_kinds  Array(String),
    error_counts Array(Int64),
    blocked      Int64,
    status       String,
    message      String,
    updated      UInt64
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/reactions/{shard}/reactions/crawl_runs_local', '{replica}', updated)
ORDER BY (story, source, run_id);
CREATE TABLE IF NOT EXISTS reactions.crawl_runs ON CLUSTER reactions AS reactions.crawl_runs_local
ENGINE = Distributed(reactions, reactions, crawl_runs_local, cityHash64(story));

-- roots_content_warning
ALTER TABLE reactions.reactions_local ON CLUSTER reactions ADD COLUMN is_root UInt8
    DEFAULT toUInt8(parent_id = '' AND platform IN ('reddit', 'hackernews', 'lemmy', 'discourse', 'web')) AFTER root_id;
-- skipped when every server's reactions_local has is_root
ALTER TABLE reactions.reactions_local ON CLUSTER reactions ADD COLUMN content_warning String AFTER author;
-- skipped when every server's reactions_local has content_warning
ALTER TABLE reactions.reactions_by_time_local ON CLUSTER reactions ADD COLUMN is_root UInt8
    DEFAULT toUInt8(parent_id = '' AND platform IN ('reddit', 'hackernews', 'lemmy', 'discourse', 'web')) AFTER root_id;
-- skipped when every server's reactions_by_time_local has is_root
ALTER TABLE reactions.reactions_by_time_local ON CLUSTER reactions ADD COLUMN content_warning String AFTER author;
-- skipped when every server's reactions_by_time_local has content_warning
DROP TABLE IF EXISTS reactions.reactions_by_time_mv ON CLUSTER reactions;
DROP TABLE IF EXISTS reactions.reaction_minutes_mv ON CLUSTER reactions;
ALTER TABLE reactions.reaction_minutes_local ADD COLUMN is_root UInt8 AFTER stance,
    MODIFY ORDER BY (story, minute, platform, stance, is_root);
-- skipped when every server's reaction_minutes_local has is_root
DROP TABLE IF EXISTS reactions.reactions ON CLUSTER reactions;
CREATE TABLE IF NOT EXISTS reactions.reactions ON CLUSTER reactions AS reactions.reactions_local
ENGINE = Distributed(reactions, reactions, reactions_local, cityHash64(story));
DROP TABLE IF EXISTS reactions.reactions_by_time ON CLUSTER reactions;
CREATE TABLE IF NOT EXISTS reactions.reactions_by_time ON CLUSTER reactions AS reactions.reactions_by_time_local
ENGINE = Distributed(reactions, reactions, reactions_by_time_local, cityHash64(story));
DROP TABLE IF EXISTS reactions.reaction_minutes ON CLUSTER reactions;
CREATE TABLE IF NOT EXISTS reactions.reaction_minutes ON CLUSTER reactions AS reactions.reaction_minutes_local
ENGINE = Distributed(reactions, reactions, reaction_minutes_local, cityHash64(story));
INSERT INTO reaction_minutes (story, minute, platform, stance, is_root, n)
SELECT story, minute, platform, stance, r, if(r = 1, n, -n) FROM (
    SELECT story, toStartOfMinute(created_at) AS minute, platform, stance, toInt64(sum(sign)) AS n
    FROM reactions
    WHERE is_root = 1 AND (SELECT count() FROM reaction_minutes WHERE is_root = 1) = 0
    GROUP BY story, minute, platform, stance
    HAVING n != 0
) ARRAY JOIN [0, 1] AS r;
CREATE MATERIALIZED VIEW IF NOT EXISTS reactions.reactions_by_time_mv ON CLUSTER reactions TO reactions.reactions_by_time_local AS SELECT story, platform, id, parent_id, root_id, is_root, url, created_at, first_seen, author, content_warning,
       text, lang, likes, replies, deleted, stance, stance_score, classifier, digest, version, sign
FROM reactions.reactions_local;
CREATE MATERIALIZED VIEW IF NOT EXISTS reactions.reaction_minutes_mv ON CLUSTER reactions TO reactions.reaction_minutes_local AS SELECT story, toStartOfMinute(created_at) AS minute, platform, stance, is_root, toInt64(sum(sign)) AS n
FROM reactions.reactions_local
GROUP BY story, minute, platform, stance, is_root;
ALTER TABLE reactions.crawl_runs_local ON CLUSTER reactions ADD COLUMN repaired_fields Array(String) AFTER error_counts;
-- skipped when every server's crawl_runs_local has repaired_fields
ALTER TABLE reactions.crawl_runs_local ON CLUSTER reactions ADD COLUMN repaired_counts Array(Int64) AFTER repaired_fields;
-- skipped when every server's crawl_runs_local has repaired_counts
DROP TABLE IF EXISTS reactions.crawl_runs ON CLUSTER reactions;
CREATE TABLE IF NOT EXISTS reactions.crawl_runs ON CLUSTER reactions AS reactions.crawl_runs_local
ENGINE = Distributed(reactions, reactions, crawl_runs_local, cityHash64(story));

-- coding
CREATE TABLE IF NOT EXISTS reactions.samples_local ON CLUSTER reactions (
    story      String,
    sample     String,
    strategy   String,
    seed       UInt64,
    filters    String,
    n          UInt32,
    drawn      UInt32,
    population Int64,
    estimable  UInt8,
    classifier String,
    overlap    Float64,
    design     String,
    created_at DateTime('UTC')
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/reactions/{shard}/reactions/samples_local', '{replica}')
ORDER BY (story, sample);
CREATE TABLE IF NOT EXISTS reactions.samples ON CLUSTER reactions AS reactions.samples_local
ENGINE = Distributed(reactions, reactions, samples_local, cityHash64(story));
CREATE TABLE IF NOT EXISTS reactions.sample_items_local ON CLUSTER reactions (
    story     String,
    sample    String,
    position  UInt32,
    id        String,
    pi        Float64,
    stratum   String,
    day       Int32,
    predicted Enum8('neutral' = 0, 'support' = 1, 'criticism' = 2),
    score     Float64,
    overlap   UInt8
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/reactions/{shard}/reactions/sample_items_local', '{replica}')
ORDER BY (story, sample, position);
CREATE TABLE IF NOT EXISTS reactions.sample_items ON CLUSTER reactions AS reactions.sample_items_local
ENGINE = Distributed(reactions, reactions, sample_items_local, cityHash64(story));
CREATE TABLE IF NOT EXISTS reactions.codings_local ON CLUSTER reactions (
    story    String,
    sample   String,
    id       String,
    coder    String,
    role     Enum8('coder' = 1, 'adjudicator' = 2),
    code     Enum8('withdrawn' = -1, 'unclear' = 0, 'support' = 1, 'criticism' = 2, 'neutral' = 3),
    coded_at DateTime('UTC'),
    seq      UInt64,
    source   String
)
ENGINE = ReplicatedMergeTree('/clickhouse/tables/reactions/{shard}/reactions/codings_local', '{replica}')
ORDER BY (story, id, coder, seq);
CREATE TABLE IF NOT EXISTS reactions.codings ON CLUSTER reactions AS reactions.codings_local
ENGINE = Distributed(reactions, reactions, codings_local, cityHash64(story));

-- relation_discovery
ALTER TABLE reactions.reactions_local ON CLUSTER reactions ADD COLUMN relation String DEFAULT if(parent_id = '', '', 'reply') AFTER root_id;
-- skipped when every server's reactions_local has relation
ALTER TABLE reactions.reactions_by_time_local ON CLUSTER reactions ADD COLUMN relation String DEFAULT if(parent_id = '', '', 'reply') AFTER root_id;
-- skipped when every server's reactions_by_time_local has relation
DROP TABLE IF EXISTS reactions.reactions_by_time_mv ON CLUSTER reactions;
CREATE MATERIALIZED VIEW IF NOT EXISTS reactions.reactions_by_time_mv ON CLUSTER reactions TO reactions.reactions_by_time_local AS SELECT story, platform, id, parent_id, root_id, relation, is_root, url, created_at, first_seen, author, content_warning,
       text, lang, likes, replies, deleted, stance, stance_score, classifier, digest, version, sign
FROM reactions.reactions_local;
ALTER TABLE reactions.crawl_runs_local ON CLUSTER reactions ADD COLUMN discovered_threads Array(String) AFTER blocked;
-- skipped when every server's crawl_runs_local has discovered_threads
ALTER TABLE reactions.crawl_runs_local ON CLUSTER reactions ADD COLUMN discovered_via Array(String) AFTER discovered_threads;
-- skipped when every server's crawl_runs_local has discovered_via
ALTER TABLE reactions.crawl_runs_local ON CLUSTER reactions ADD COLUMN discovered_links Array(String) AFTER discovered_via;
-- skipped when every server's crawl_runs_local has discovered_links
ALTER TABLE reactions.crawl_runs_local ON CLUSTER reactions ADD COLUMN gap_from Array(DateTime('UTC')) AFTER discovered_links;
-- skipped when every server's crawl_runs_local has gap_from
ALTER TABLE reactions.crawl_runs_local ON CLUSTER reactions ADD COLUMN gap_to Array(DateTime('UTC')) AFTER gap_from;
-- skipped when every server's crawl_runs_local has gap_to
ALTER TABLE reactions.crawl_runs_local ON CLUSTER reactions ADD COLUMN gap_reasons Array(String) AFTER gap_to;
-- skipped when every server's crawl_runs_local has gap_reasons
DROP TABLE IF EXISTS reactions.reactions ON CLUSTER reactions;
CREATE TABLE IF NOT EXISTS reactions.reactions ON CLUSTER reactions AS reactions.reactions_local
ENGINE = Distributed(reactions, reactions, reactions_local, cityHash64(story));
DROP TABLE IF EXISTS reactions.reactions_by_time ON CLUSTER reactions;
CREATE TABLE IF NOT EXISTS reactions.reactions_by_time ON CLUSTER reactions AS reactions.reactions_by_time_local
ENGINE = Distributed(reactions, reactions, reactions_by_time_local, cityHash64(story));
DROP TABLE IF EXISTS reactions.crawl_runs ON CLUSTER reactions;
CREATE TABLE IF NOT EXISTS reactions.crawl_runs ON CLUSTER reactions AS reactions.crawl_runs_local
ENGINE = Distributed(reactions, reactions, crawl_runs_local, cityHash64(story));

-- reaction_history
CREATE TABLE IF NOT EXISTS reactions.reaction_history_local ON CLUSTER reactions (
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
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/reactions/{shard}/reactions/reaction_history_local', '{replica}')
ORDER BY (story, id, version);
CREATE TABLE IF NOT EXISTS reactions.reaction_history ON CLUSTER reactions AS reactions.reaction_history_local
ENGINE = Distributed(reactions, reactions, reaction_history_local, cityHash64(story));
INSERT INTO reaction_history (story, platform, id, version, observed_at, parent_id, root_id, relation, is_root, url,
    created_at, first_seen, author, content_warning, text, lang, likes, replies, deleted, stance, stance_score, classifier, digest)
SELECT story, platform, id, version, toDateTime(intDiv(version, 1000000000), 'UTC'), parent_id, root_id, relation, is_root, url,
    created_at, first_seen, author, content_warning, text, lang, likes, replies, deleted, stance, stance_score, classifier, digest
FROM reactions
WHERE sign = 1 AND (SELECT count() FROM reaction_history) = 0;

-- retraining
CREATE TABLE IF NOT EXISTS reactions.retrained_models_local ON CLUSTER reactions (
    story      String,
    classifier String,
    codes      UInt32,
    folds      UInt8,
    builtin    UInt8,
    oof        UInt32,
    trained_at DateTime('UTC'),
    source     String
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/reactions/{shard}/reactions/retrained_models_local', '{replica}', oof)
ORDER BY (story, classifier);
CREATE TABLE IF NOT EXISTS reactions.retrained_models ON CLUSTER reactions AS reactions.retrained_models_local
ENGINE = Distributed(reactions, reactions, retrained_models_local, cityHash64(story));
CREATE TABLE IF NOT EXISTS reactions.out_of_fold_local ON CLUSTER reactions (
    story      String,
    classifier String,
    id         String,
    fold       UInt8,
    predicted  Enum8('neutral' = 0, 'support' = 1, 'criticism' = 2),
    score      Float64
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/reactions/{shard}/reactions/out_of_fold_local', '{replica}')
ORDER BY (story, classifier, id);
CREATE TABLE IF NOT EXISTS reactions.out_of_fold ON CLUSTER reactions AS reactions.out_of_fold_local
ENGINE = Distributed(reactions, reactions, out_of_fold_local, cityHash64(story));

