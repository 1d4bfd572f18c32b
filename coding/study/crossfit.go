package study

import (
	"context"
	"fmt"
	"slices"
	"strconv"

	"github.com/reactions-research/reactions/coding"
	"github.com/reactions-research/reactions/internal/fnv1a"
	"github.com/reactions-research/reactions/reaction"
	"github.com/reactions-research/reactions/store"
)

// Finals are a story's final codes, as training on them reads them.
type Finals struct {
	// Final maps each item with a final stance to it (coding.Resolve).
	Final map[string]reaction.Stance
	// Unclear lists, sorted, the items whose final code is unclear (an
	// adjudicated unclear, or only unclear codes): they train nothing.
	Unclear []string
	// Disputed lists, sorted, the items waiting for an adjudication.
	Disputed []string
}

// ReadFinals reads a story's latest codes and resolves each item's final
// code, as the report does.
func ReadFinals(ctx context.Context, st *store.Store, story string) (*Finals, error) {
	latest, err := st.LatestCodings(ctx, story)
	if err != nil {
		return nil, err
	}
	codings, adjudicated := splitCodes(latest)
	res, err := coding.Resolve(codings, adjudicated)
	if err != nil {
		return nil, fmt.Errorf("final codes: %w", err)
	}
	f := &Finals{Final: res.Final, Disputed: res.Disputed}
	stanced := map[string]bool{}
	for _, c := range codings {
		if c.Code != coding.Unclear {
			stanced[c.ID] = true
		}
	}
	unclear := map[string]bool{}
	for id, a := range adjudicated {
		if a == coding.Unclear {
			unclear[id] = true
		}
	}
	for _, c := range codings {
		if _, adj := adjudicated[c.ID]; !adj && !stanced[c.ID] {
			unclear[c.ID] = true
		}
	}
	for id := range unclear {
		f.Unclear = append(f.Unclear, id)
	}
	slices.Sort(f.Unclear)
	return f, nil
}

// splitCodes separates the coders' latest codes from the adjudications,
// keeping each item's latest adjudication, whoever gave it.
func splitCodes(latest []store.Coding) ([]coding.Coding, map[string]reaction.Stance) {
	var codings []coding.Coding
	adjudicated := map[string]reaction.Stance{}
	adjSeq := map[string]uint64{}
	for _, c := range latest {
		if c.Adjudication {
			if c.Seq >= adjSeq[c.ID] {
				adjudicated[c.ID], adjSeq[c.ID] = c.Code, c.Seq
			}
			continue
		}
		codings = append(codings, coding.Coding{ID: c.ID, Coder: c.Coder, Code: c.Code})
	}
	return codings, adjudicated
}

// digestModels hashes the retrained versions' records (in the store's
// order, by version), so that a report is rebuilt when one is added.
func digestModels(ms []store.RetrainedModel) uint64 {
	if len(ms) == 0 {
		return 0
	}
	h := fnv1a.Offset
	for _, m := range ms {
		h = fnv1a.Field(h, m.Classifier)
		h = fnv1a.Field(h, strconv.Itoa(m.OutOfFold))
		h = fnv1a.Field(h, strconv.Itoa(m.Codes))
		h = fnv1a.Field(h, strconv.Itoa(m.Folds))
	}
	return h
}

// crossFit decides the predictions that validate Classifier. A version
// retrained on the story's codes must not be validated with its own
// labels of the items it was trained on: those items carry their stored
// out-of-fold predictions instead (returned by id; items coded after the
// training keep the version's label, on which it was not trained). A
// retrained version without stored predictions is not validated at all
// (refused). Any other version is validated with its labels (nil map).
func (r *Report) crossFit(ctx context.Context, st *store.Store) (map[string]store.OutOfFold, error) {
	i := slices.IndexFunc(r.Models, func(m store.RetrainedModel) bool { return m.Classifier == r.Classifier })
	if r.Classifier == "" || i < 0 {
		return nil, nil
	}
	r.Model = &r.Models[i]
	if r.Model.OutOfFold == 0 {
		r.note(fmt.Sprintf("The coded items are labelled by %s, a model trained on %d of this story's final codes, but this database "+
			"holds no out-of-fold predictions for it (it was trained elsewhere). Its own labels of the items it was trained on would "+
			"overstate its accuracy, so it is not validated and the shares are not corrected. Retrain here with "+
			"`reactions classify train --story %s --out FILE` and reclassify with that model (cross-fitting).",
			r.Classifier, r.Model.Codes, r.Story))
		return nil, nil
	}
	oof, err := st.OutOfFold(ctx, r.Story, r.Classifier)
	if err != nil {
		return nil, err
	}
	if len(oof) == 0 { // the record says there are some: a damaged table
		r.Model.OutOfFold = 0
		r.note(fmt.Sprintf("The coded items are labelled by %s, a model trained on this story's final codes, whose out-of-fold "+
			"predictions are recorded but cannot be read: it is not validated and the shares are not corrected.", r.Classifier))
		return nil, nil
	}
	r.Folds = r.Model.Folds
	return oof, nil
}

// refused reports whether Classifier was retrained on the story's codes
// and cannot be validated for want of out-of-fold predictions.
func (r *Report) refused() bool { return r.Model != nil && r.Model.OutOfFold == 0 }

// noteCrossFit says what a cross-fitted validation compares, n the
// number of items compared.
func (r *Report) noteCrossFit(n int) {
	if r.Model == nil || r.refused() || n == 0 {
		return
	}
	s := fmt.Sprintf("The story is labelled by %s, trained on %d of its final codes: the validation and the correction use "+
		"the %d-fold out-of-fold prediction of each of the %d compared items it was trained on (from a model of the cross-fitting "+
		"not trained on the item), never its own labels of them", r.Classifier, r.Model.Codes, r.Folds, r.OutOfFold)
	if k := n - r.OutOfFold; k > 0 {
		s += fmt.Sprintf(", and its labels of the %d items coded since, on which it was not trained", k)
	}
	r.note(s + ".")
}
