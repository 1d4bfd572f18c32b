-- Hand-coding: the samples drawn for coders, their items, and every code a
-- coder or an adjudicator gave. See store/coding.go for the records and
-- docs/architecture.md ("Hand-coding") for how estimates read them.
--
-- New tables only, each created IF NOT EXISTS: the migration can run again
-- after an interruption, and touches no stored reaction.

-- One row per sample. A sample is written once, after its items (a reader
-- that sees the row sees every item), and never changed: its items'
-- inclusion probabilities are what estimates rest on. filters is JSON
-- {"from", "to", "platform"} (the population drawn from); design is JSON
-- (the strata of a stratified draw).
CREATE TABLE IF NOT EXISTS samples (
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
) ENGINE = ReplacingMergeTree
ORDER BY (story, sample);

-- The items of a sample in presentation order (position 1, 2, …), each with
-- its inclusion probability pi (0 for a sample that is not a probability
-- sample), its variance stratum, the day and label it was drawn with, and
-- whether it is in the share every coder codes (overlap = 1).
CREATE TABLE IF NOT EXISTS sample_items (
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
) ENGINE = ReplacingMergeTree
ORDER BY (story, sample, position);

-- Every code ever given, one row per revision: a coder's latest row for a
-- reaction (highest seq) is their code, and "withdrawn" (an undo) leaves
-- them without one. role 'adjudicator' rows are adjudications: the latest
-- one of a reaction is its final code. seq orders revisions (nanoseconds
-- of the write, strictly increasing within a process; coded_at has only
-- seconds). sample and source say where the code was given.
CREATE TABLE IF NOT EXISTS codings (
    story    String,
    sample   String,
    id       String,
    coder    String,
    role     Enum8('coder' = 1, 'adjudicator' = 2),
    code     Enum8('withdrawn' = -1, 'unclear' = 0, 'support' = 1, 'criticism' = 2, 'neutral' = 3),
    coded_at DateTime('UTC'),
    seq      UInt64,
    source   String
) ENGINE = MergeTree
ORDER BY (story, id, coder, seq);
