package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/reactions-research/reactions/reaction"
)

// RetrainedModel records a classifier version trained on a story's own
// final codes. Validating such a version against the codes it was trained
// on with its own labels would overstate its accuracy, so the coding
// report compares the codes with the version's out-of-fold predictions
// instead, and refuses when none are stored (OutOfFold 0).
type RetrainedModel struct {
	Story string `json:"story"`
	// Classifier is the version string of the model.
	Classifier string `json:"classifier"`
	// Codes is the number of the story's final codes it was trained on.
	Codes int `json:"codes"`
	// Folds is the k of its cross-fitting (0 when unknown).
	Folds int `json:"folds"`
	// Builtin reports whether it was also trained on the built-in data.
	Builtin bool `json:"builtin"`
	// OutOfFold is the number of out-of-fold predictions stored for it:
	// one per item it was trained on, or 0 when it was trained elsewhere
	// and only reclassified here. PutRetrainedModel sets it.
	OutOfFold int `json:"out_of_fold"`
	// TrainedAt is when it was recorded (seconds); PutRetrainedModel sets
	// it when zero.
	TrainedAt time.Time `json:"trained_at"`
	// Source says what recorded it: "classify train", "reclassify".
	Source string `json:"source"`
}

// OutOfFold is the out-of-fold prediction of one coded item: the label
// given by the cross-fitting's model that was trained without the item's
// fold.
type OutOfFold struct {
	ID string `json:"id"`
	// Fold is the item's fold, coding.Fold(ID, Folds).
	Fold      int             `json:"fold"`
	Predicted reaction.Stance `json:"predicted"`
	// Score is that model's probability for Predicted.
	Score float64 `json:"score"`
}

// maxFolds is the most folds the store records (the column is a UInt8).
const maxFolds = 255

// PutRetrainedModel records a retrained version and the out-of-fold
// predictions of the items it was trained on: the predictions first, then
// the version's row, so that a reader that sees the row sees them all.
// A row with predictions is never replaced by one without (the row with
// the most predictions wins), so a reclassification that records the
// version again keeps them. Every prediction is checked first; nothing is
// written when one is bad.
func (s *Store) PutRetrainedModel(ctx context.Context, m RetrainedModel, oof []OutOfFold) error {
	switch {
	case !reaction.ValidStoryID(m.Story):
		return fmt.Errorf("store retrained model: story %q is not a story id", m.Story)
	case strings.TrimSpace(m.Classifier) == "" || len(m.Classifier) > maxNameBytes:
		return fmt.Errorf("store retrained model: classifier version %q is empty or longer than %d bytes", m.Classifier, maxNameBytes)
	case m.Folds < 0 || m.Folds > maxFolds:
		return fmt.Errorf("store retrained model: %d folds, want 0 to %d", m.Folds, maxFolds)
	case m.Codes < 0:
		return fmt.Errorf("store retrained model: %d codes", m.Codes)
	case len(oof) > 0 && m.Folds < 2:
		return fmt.Errorf("store retrained model: out-of-fold predictions need at least 2 folds, not %d", m.Folds)
	}
	for i, p := range oof {
		switch {
		case p.ID == "":
			return fmt.Errorf("store out-of-fold prediction %d: empty reaction id", i+1)
		case !p.Predicted.Valid():
			return fmt.Errorf("store out-of-fold prediction %d (%s): %q is not support, criticism or neutral", i+1, p.ID, p.Predicted)
		case p.Fold < 0 || p.Fold >= m.Folds:
			return fmt.Errorf("store out-of-fold prediction %d (%s): fold %d of %d", i+1, p.ID, p.Fold, m.Folds)
		}
	}
	m.OutOfFold = len(oof)
	if m.TrainedAt.IsZero() {
		m.TrainedAt = time.Now()
	}
	if len(oof) > 0 {
		b, err := PrepareBatch(ctx, s.conn, "INSERT INTO out_of_fold (story, classifier, id, fold, predicted, score)")
		if err != nil {
			return fmt.Errorf("store out-of-fold predictions: %w", err)
		}
		defer b.Abort()
		for _, p := range oof {
			if err := b.Append(m.Story, m.Classifier, p.ID, uint8(p.Fold), string(p.Predicted), p.Score); err != nil {
				return fmt.Errorf("store out-of-fold predictions: %w", err)
			}
		}
		if err := b.Send(); err != nil {
			return fmt.Errorf("store out-of-fold predictions: %w", err)
		}
	}
	b, err := PrepareBatch(ctx, s.conn, "INSERT INTO retrained_models (story, classifier, codes, folds, builtin, oof, trained_at, source)")
	if err != nil {
		return fmt.Errorf("store retrained model: %w", err)
	}
	defer b.Abort()
	var builtin uint8
	if m.Builtin {
		builtin = 1
	}
	if err := b.Append(m.Story, m.Classifier, uint32(m.Codes), uint8(m.Folds), builtin, uint32(m.OutOfFold),
		clampTime(m.TrainedAt.UTC().Truncate(time.Second)), m.Source); err != nil {
		return fmt.Errorf("store retrained model: %w", err)
	}
	if err := b.Send(); err != nil {
		return fmt.Errorf("store retrained model: %w", err)
	}
	return nil
}

// RetrainedModels returns the versions recorded as trained on a story's
// codes, by version; per version the row with the most out-of-fold
// predictions (the latest among equals).
func (s *Store) RetrainedModels(ctx context.Context, story string) ([]RetrainedModel, error) {
	rows, err := s.conn.Query(ctx, `SELECT classifier, codes, folds, builtin, oof, trained_at, source
FROM retrained_models WHERE story = ?
ORDER BY classifier, oof DESC, trained_at DESC LIMIT 1 BY classifier`, story)
	if err != nil {
		return nil, fmt.Errorf("read retrained models: %w", err)
	}
	defer rows.Close()
	var out []RetrainedModel
	for rows.Next() {
		m := RetrainedModel{Story: story}
		var codes, oof uint32
		var folds, builtin uint8
		if err := rows.Scan(&m.Classifier, &codes, &folds, &builtin, &oof, &m.TrainedAt, &m.Source); err != nil {
			return nil, fmt.Errorf("read retrained models: %w", err)
		}
		m.Codes, m.Folds, m.Builtin, m.OutOfFold, m.TrainedAt = int(codes), int(folds), builtin == 1, int(oof), m.TrainedAt.UTC()
		out = append(out, m)
	}
	return out, rows.Err()
}

// OutOfFold returns the out-of-fold predictions stored for a story's
// retrained classifier version, by reaction id (empty when none are).
func (s *Store) OutOfFold(ctx context.Context, story, classifier string) (map[string]OutOfFold, error) {
	rows, err := s.conn.Query(ctx, `SELECT id, fold, toString(predicted), score
FROM out_of_fold WHERE story = ? AND classifier = ?
ORDER BY id LIMIT 1 BY id`, story, classifier)
	if err != nil {
		return nil, fmt.Errorf("read out-of-fold predictions: %w", err)
	}
	defer rows.Close()
	out := map[string]OutOfFold{}
	for rows.Next() {
		var p OutOfFold
		var fold uint8
		var pred string
		if err := rows.Scan(&p.ID, &fold, &pred, &p.Score); err != nil {
			return nil, fmt.Errorf("read out-of-fold predictions: %w", err)
		}
		p.Fold, p.Predicted = int(fold), reaction.Stance(pred)
		out[p.ID] = p
	}
	return out, rows.Err()
}
