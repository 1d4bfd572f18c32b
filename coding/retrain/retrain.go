// Package retrain trains a stance model on a story's own final codes, with
// cross-fitting: every coded item also gets an out-of-fold prediction from
// a model trained without it (k folds by coding.Fold), which measures the
// new model on codes it was not trained on and which the store keeps, so
// that the coding report validates the model, and corrects its counts,
// with those predictions rather than with the model's own labels of its
// training items (see coding/study).
//
// The figures it reports are k-fold cross-validation figures on the codes,
// unweighted: they describe the training set (which may hold items of
// uncertain samples), not the story; once the story is reclassified with
// the model, the coding report gives the design-weighted figures for the
// whole story from the same out-of-fold predictions. Their intervals
// resample items and leave out the variation of the fold models, so they
// are somewhat too narrow (Bates, Hastie & Tibshirani 2024).
package retrain

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/reactions-research/reactions/aggregator/stance"
	"github.com/reactions-research/reactions/coding"
	"github.com/reactions-research/reactions/coding/study"
	"github.com/reactions-research/reactions/reaction"
	"github.com/reactions-research/reactions/store"
)

// MinPerClass is the fewest final codes of each stance training needs:
// fewer leave a fold model next to nothing to learn the stance from,
// k-fold figures with intervals too wide to read, and (the same minimum
// as coding.MinPerClass) too few items to correct the shares with.
const MinPerClass = 10

// DefaultFolds is Options.Folds' default; MaxFolds the most allowed.
const (
	DefaultFolds = 5
	MaxFolds     = 20
)

// ErrTooFewCodes is wrapped when a stance has fewer than MinPerClass final
// codes.
var ErrTooFewCodes = errors.New("too few final codes to train on")

// Set is what a story's codes give to train on.
type Set struct {
	Story string
	// Subject is the story's subject, as the aggregator classifies with.
	Subject string
	// Examples are the items with a final stance and a stored text, in id
	// order.
	Examples []stance.Example
	// PerClass counts Examples by stance (support, criticism, neutral).
	PerClass [3]int
	// Unclear and Disputed count the coded items left out because their
	// final code is unclear or waits for an adjudication; Missing those
	// whose reaction is no longer stored or has no text (deleted).
	Unclear, Disputed, Missing int
	// Current are the Examples' current labels, by id.
	Current map[string]store.Label
	// Models are the story's retrained classifier versions.
	Models []store.RetrainedModel
}

// Read reads the story's final codes, the texts and current labels of the
// reactions coded, and the story's retrained versions.
func Read(ctx context.Context, st *store.Store, storyID string) (*Set, error) {
	rec, err := st.GetStory(ctx, storyID)
	if err != nil {
		return nil, err
	}
	f, err := study.ReadFinals(ctx, st, storyID)
	if err != nil {
		return nil, err
	}
	s := &Set{Story: storyID, Subject: rec.Story.SubjectText(), Unclear: len(f.Unclear), Disputed: len(f.Disputed),
		Current: map[string]store.Label{}}
	ids := slices.Sorted(maps.Keys(f.Final))
	rs, err := st.ReactionsByID(ctx, storyID, ids)
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		r, ok := rs[id]
		if !ok || strings.TrimSpace(r.Text) == "" {
			s.Missing++
			continue
		}
		code := f.Final[id]
		s.Examples = append(s.Examples, stance.Example{ID: id, Story: storyID, Subject: s.Subject, Text: r.Text, Stance: code, Lang: r.Lang})
		s.PerClass[slices.Index(reaction.Stances, code)]++
		s.Current[id] = store.Label{Stance: r.Stance, Score: r.StanceScore, Classifier: r.Classifier}
	}
	if s.Models, err = st.RetrainedModels(ctx, storyID); err != nil {
		return nil, err
	}
	return s, nil
}

// Enough returns an error wrapping ErrTooFewCodes, stating the minimum,
// when a stance has fewer than MinPerClass examples.
func (s *Set) Enough() error {
	var short []string
	for i, n := range s.PerClass {
		if n < MinPerClass {
			short = append(short, fmt.Sprintf("%d %s", n, reaction.Stances[i]))
		}
	}
	if len(short) == 0 {
		return nil
	}
	return fmt.Errorf("%w: story %s has %s final codes (with a stored text); training needs at least %d final codes of each stance "+
		"(support, criticism and neutral). Code more items (a stratified or uncertain sample: reactions code sample), "+
		"adjudicate disagreements, and train again", ErrTooFewCodes, s.Story, strings.Join(short, ", "), MinPerClass)
}

// Options tune a training. The zero value gives the defaults.
type Options struct {
	// Folds is the k of the cross-fitting, 2 to MaxFolds. Default
	// DefaultFolds.
	Folds int
	// Builtin also trains on the built-in data (stance.BuiltinExamples),
	// which helps with few codes. Default false.
	Builtin bool
	// Train are the training options. Default stance.DefaultTrainOptions().
	Train *stance.TrainOptions
	// Coding sets the bootstrap of the figures' intervals (Replicates,
	// Seed).
	Coding coding.Options
}

// Result is a trained model with its cross-fitting.
type Result struct {
	Story string `json:"story"`
	// Model is the model trained on every example (and the built-in data
	// with Options.Builtin); Version its classifier version.
	Model   *stance.Model `json:"-"`
	Version string        `json:"classifier"`
	// Codes is the number of the story's codes trained on, PerClass by
	// stance; Builtin the number of built-in examples trained on too.
	Codes    int    `json:"codes"`
	PerClass [3]int `json:"codes_per_class"`
	Builtin  int    `json:"builtin_examples"`
	Unclear  int    `json:"unclear"`
	Disputed int    `json:"disputed"`
	Missing  int    `json:"missing"`
	// Folds is k; FoldSizes the number of codes in each fold.
	Folds     int   `json:"folds"`
	FoldSizes []int `json:"fold_sizes"`
	// OutOfFold is each code's out-of-fold prediction, in id order.
	OutOfFold []store.OutOfFold `json:"-"`
	// CrossValidated compares the out-of-fold predictions with the codes
	// (unweighted: every code counts once; intervals resample codes).
	CrossValidated *coding.Validation `json:"cross_validated"`
	// Current compares the model that labels the story now with the same
	// codes.
	Current *Comparison `json:"current"`
}

// Comparison is the current model measured on the same codes.
type Comparison struct {
	// Versions counts the codes' current labels by classifier version.
	Versions map[string]int `json:"versions"`
	// OutOfFold is the number of codes compared through the stored
	// out-of-fold prediction of their version (a version retrained on
	// these codes); InSample those compared through the label of a
	// version retrained on them without stored predictions, whose figures
	// are then optimistic.
	OutOfFold int `json:"out_of_fold"`
	InSample  int `json:"in_sample"`
	// Validation compares the predictions with the codes (unweighted),
	// nil when no code has a label.
	Validation *coding.Validation `json:"validation"`
}

// Train trains the model on s (and the built-in data when asked), with its
// cross-fitting and figures. It refuses (ErrTooFewCodes) when a stance
// has fewer than MinPerClass codes. It takes Folds + 1 trainings, each
// about 1 s per thousand examples on one core (the built-in data alone is
// over 5,000).
func Train(ctx context.Context, st *store.Store, s *Set, o Options) (*Result, error) {
	k := o.Folds
	if k == 0 {
		k = DefaultFolds
	}
	if k < 2 || k > MaxFolds {
		return nil, fmt.Errorf("%d folds: want 2 to %d", k, MaxFolds)
	}
	if err := s.Enough(); err != nil {
		return nil, err
	}
	opts := stance.DefaultTrainOptions()
	if o.Train != nil {
		opts = *o.Train
	}
	var extra []stance.Example
	if o.Builtin {
		var err error
		if extra, err = stance.BuiltinExamples(); err != nil {
			return nil, err
		}
	}
	res := &Result{Story: s.Story, Codes: len(s.Examples), PerClass: s.PerClass, Builtin: len(extra), Unclear: s.Unclear,
		Disputed: s.Disputed, Missing: s.Missing, Folds: k, FoldSizes: make([]int, k)}
	fold := func(ex stance.Example) int { return coding.Fold(ex.ID, k) }
	for _, ex := range s.Examples {
		res.FoldSizes[fold(ex)]++
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	preds, err := stance.CrossValidate(s.Examples, extra, k, fold, opts)
	if err != nil {
		return nil, fmt.Errorf("cross-fitting: %w", err)
	}
	items := make([]coding.Item, len(preds))
	for i, p := range preds {
		res.OutOfFold = append(res.OutOfFold, store.OutOfFold{ID: p.ID, Fold: fold(p.Example), Predicted: p.Predicted, Score: p.Score})
		items[i] = coding.Item{ID: p.ID, Predicted: p.Predicted, Truth: p.Stance, Pi: 1, Stratum: "codes"}
	}
	if res.CrossValidated, err = coding.Validate(items, o.Coding); err != nil {
		return nil, fmt.Errorf("k-fold figures: %w", err)
	}
	if res.Current, err = compare(ctx, st, s, o.Coding); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	opts.Sources = []string{"story " + s.Story + ": final codes"}
	if o.Builtin {
		opts.Sources = append(opts.Sources, "built-in data")
	}
	opts.StoryCodes = &stance.StoryCodes{Story: s.Story, Codes: len(s.Examples), Folds: k, Builtin: o.Builtin}
	if res.Model, err = stance.Train(append(slices.Clip(extra), s.Examples...), opts); err != nil {
		return nil, err
	}
	res.Version = stance.New(res.Model).Version()
	return res, nil
}

// compare measures the labels the codes carry now, each through its
// version's out-of-fold prediction when that version was retrained on
// these codes.
func compare(ctx context.Context, st *store.Store, s *Set, o coding.Options) (*Comparison, error) {
	c := &Comparison{Versions: map[string]int{}}
	oof := map[string]map[string]store.OutOfFold{}
	var items []coding.Item
	for _, ex := range s.Examples {
		l := s.Current[ex.ID]
		if !l.Stance.Valid() {
			continue
		}
		c.Versions[l.Classifier]++
		pred := l.Stance
		if i := slices.IndexFunc(s.Models, func(m store.RetrainedModel) bool { return m.Classifier == l.Classifier }); i >= 0 {
			p, ok := oof[l.Classifier]
			if !ok && s.Models[i].OutOfFold > 0 {
				var err error
				if p, err = st.OutOfFold(ctx, s.Story, l.Classifier); err != nil {
					return nil, err
				}
				oof[l.Classifier] = p
			}
			if x, ok := p[ex.ID]; ok {
				pred = x.Predicted
				c.OutOfFold++
			} else if s.Models[i].OutOfFold == 0 {
				c.InSample++
			}
		}
		items = append(items, coding.Item{ID: ex.ID, Predicted: pred, Truth: ex.Stance, Pi: 1, Stratum: "codes"})
	}
	if len(items) == 0 {
		return c, nil
	}
	var err error
	if c.Validation, err = coding.Validate(items, o); err != nil {
		return nil, fmt.Errorf("the current model's figures: %w", err)
	}
	return c, nil
}

// Save records the model's version as retrained on the story's codes,
// with the out-of-fold predictions that validate it (store.PutRetrainedModel).
func (r *Result) Save(ctx context.Context, st *store.Store) error {
	return st.PutRetrainedModel(ctx, store.RetrainedModel{Story: r.Story, Classifier: r.Version, Codes: r.Codes, Folds: r.Folds,
		Builtin: r.Builtin > 0, Source: "classify train"}, r.OutOfFold)
}

// Register records, when m was trained on storyID's codes, that the story
// is labelled by a retrained version, so that the coding report does not
// validate it with its own labels of its training items. It keeps the
// out-of-fold predictions stored for the version, if any, and returns how
// many there are; trained reports whether m was trained on the story's
// codes at all.
func Register(ctx context.Context, st *store.Store, storyID string, m *stance.Model) (trained bool, oof int, err error) {
	sc := m.Meta.StoryCodes
	if sc == nil || sc.Story != storyID {
		return false, 0, nil
	}
	version := stance.New(m).Version()
	ms, err := st.RetrainedModels(ctx, storyID)
	if err != nil {
		return true, 0, err
	}
	if i := slices.IndexFunc(ms, func(x store.RetrainedModel) bool { return x.Classifier == version }); i >= 0 {
		return true, ms[i].OutOfFold, nil
	}
	return true, 0, st.PutRetrainedModel(ctx, store.RetrainedModel{Story: storyID, Classifier: version, Codes: sc.Codes,
		Folds: sc.Folds, Builtin: sc.Builtin, Source: "reclassify"}, nil)
}
