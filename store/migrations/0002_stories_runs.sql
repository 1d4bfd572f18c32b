-- Story definitions as ingested, for export metadata and chart markers.
CREATE TABLE IF NOT EXISTS stories (
    id          String,
    title       String,
    subject     Array(String),
    published   DateTime('UTC'),
    window_from DateTime('UTC'),
    window_to   DateTime('UTC'),
    definition  String,
    updated     UInt64
) ENGINE = ReplacingMergeTree(updated)
ORDER BY id;

-- One row per run of one source (rewritten as the run goes on): the
-- completeness report and the "not crawled" shading of charts.
CREATE TABLE IF NOT EXISTS crawl_runs (
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
) ENGINE = ReplacingMergeTree(updated)
ORDER BY (story, source, run_id);
