-- Retraining on a story's own codes: which classifier versions were
-- trained on a story's final codes, and each trained-on item's out-of-fold
-- prediction (cross-fitting), so that the coding report validates such a
-- version, and corrects its counts, with error rates measured on codes it
-- was not trained on. See store/retrain.go and coding/retrain.
--
-- New tables only, each created IF NOT EXISTS: the migration can run again
-- after an interruption, and touches no stored reaction.

-- One row per story and classifier version trained on that story's codes:
-- how many codes it was trained on, the k of its cross-fitting, whether it
-- was also trained on the built-in data, and how many out-of-fold
-- predictions out_of_fold holds for it (0 when the model was trained
-- elsewhere and only reclassified here). The version column oof lets the
-- row with the predictions win over a later one without them.
CREATE TABLE IF NOT EXISTS retrained_models (
    story      String,
    classifier String,
    codes      UInt32,
    folds      UInt8,
    builtin    UInt8,
    oof        UInt32,
    trained_at DateTime('UTC'),
    source     String
) ENGINE = ReplacingMergeTree(oof)
ORDER BY (story, classifier);

-- The out-of-fold prediction of each item a retrained version was trained
-- on: the label and score given by the model of the cross-fitting that was
-- trained without the item's fold (fold = coding.Fold(id, folds)). Written
-- before the version's retrained_models row, so a reader that sees the row
-- sees every prediction.
CREATE TABLE IF NOT EXISTS out_of_fold (
    story      String,
    classifier String,
    id         String,
    fold       UInt8,
    predicted  Enum8('neutral' = 0, 'support' = 1, 'criticism' = 2),
    score      Float64
) ENGINE = ReplacingMergeTree
ORDER BY (story, classifier, id);
