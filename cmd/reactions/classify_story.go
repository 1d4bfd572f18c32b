package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/reactions-research/reactions/aggregator/stance"
	"github.com/reactions-research/reactions/coding"
	"github.com/reactions-research/reactions/coding/retrain"
	"github.com/reactions-research/reactions/reaction"
)

// trainStoryArgs are the flags of classify train --story.
type trainStoryArgs struct {
	story, out, database string
	builtin, json        bool
	folds                int
	opts                 stance.TrainOptions
}

// classifyTrainStory trains on a story's final codes with cross-fitting,
// writes the model, stores the out-of-fold predictions and prints the
// k-fold figures beside the current model's.
func classifyTrainStory(ctx context.Context, a trainStoryArgs, stdout, stderr io.Writer) error {
	if err := checkStoryFlag(a.story); err != nil {
		return err
	}
	st, err := openStory(ctx, stateDirectory(), a.story, a.database, stderr)
	if err != nil {
		return err
	}
	defer st.Close()
	set, err := retrain.Read(ctx, st, a.story)
	if err != nil {
		return err
	}
	if err := set.Enough(); err != nil {
		return err
	}
	if !a.json {
		fmt.Fprintf(stdout, "Story %s: %s\n", a.story, describeSet(set))
		with := ""
		if a.builtin {
			with = " and the built-in data"
		}
		fmt.Fprintf(stdout, "Training on the story's %d codes%s: %d-fold cross-fitting (folds by a hash of each id), then the model on all of them ...\n",
			len(set.Examples), with, a.folds)
	}
	res, err := retrain.Train(ctx, st, set, retrain.Options{Folds: a.folds, Builtin: a.builtin, Train: &a.opts})
	if err != nil {
		return err
	}
	if err := res.Model.Save(a.out); err != nil {
		return err
	}
	if err := res.Save(ctx, st); err != nil {
		return fmt.Errorf("%s was written, but its out-of-fold predictions could not be stored (the coding report will refuse "+
			"to validate the model until they are; train again): %w", a.out, err)
	}
	if a.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			*retrain.Result
			Out string `json:"out"`
		}{res, a.out})
	}
	return writeTrainText(stdout, res, a.out)
}

// describeSet says what a story's codes give to train on.
func describeSet(s *retrain.Set) string {
	var left []string
	for _, x := range []struct {
		n    int
		what string
	}{{s.Unclear, "unclear"}, {s.Disputed, "waiting for adjudication"}, {s.Missing, "no longer stored or without text"}} {
		if x.n > 0 {
			left = append(left, fmt.Sprintf("%d %s", x.n, x.what))
		}
	}
	d := fmt.Sprintf("%d final codes (support %d, criticism %d, neutral %d)", len(s.Examples), s.PerClass[0], s.PerClass[1], s.PerClass[2])
	if len(left) > 0 {
		d += "; left out: " + strings.Join(left, ", ")
	}
	return d
}

// writeTrainText prints the k-fold figures of a training beside the
// current model's, and what to do next.
func writeTrainText(w io.Writer, r *retrain.Result, out string) error {
	cv, cur := r.CrossValidated, r.Current
	fmt.Fprintf(w, "\n%d-fold cross-validation on the %d codes (codes per fold: %s): each code predicted by the model trained without its fold.\n",
		r.Folds, r.Codes, strings.Trim(fmt.Sprint(r.FoldSizes), "[]"))
	fmt.Fprintln(w, "Unweighted (every code counts once); 95% CIs resample the codes.")
	now := "now: –"
	if cur != nil && cur.Validation != nil {
		vs := slices.Sorted(maps.Keys(cur.Versions))
		if len(vs) == 1 {
			now = "now: " + vs[0]
		} else {
			for i, v := range vs {
				vs[i] = fmt.Sprintf("%s (%d)", v, cur.Versions[v])
			}
			now = "now: " + strings.Join(vs, ", ")
		}
		switch {
		case cur.InSample > 0:
			now += fmt.Sprintf(" [its labels of %d codes it was trained on: optimistic]", cur.InSample)
		case cur.OutOfFold > 0:
			now += " [out-of-fold]"
		}
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "  \tretrained (out-of-fold)\t%s\n", now)
	ci := func(x float64, c [2]float64) string { return fmt.Sprintf("%.2f (%.2f–%.2f)", x, c[0], c[1]) }
	curFig := func(f func(v *coding.Validation) string) string {
		if cur == nil || cur.Validation == nil {
			return "–"
		}
		return f(cur.Validation)
	}
	fmt.Fprintf(tw, "  accuracy\t%s\t%s\n", ci(cv.Accuracy, cv.AccuracyCI), curFig(func(v *coding.Validation) string { return ci(v.Accuracy, v.AccuracyCI) }))
	fmt.Fprintf(tw, "  macro-F1\t%s\t%s\n", ci(cv.MacroF1, cv.MacroF1CI), curFig(func(v *coding.Validation) string { return ci(v.MacroF1, v.MacroF1CI) }))
	prf := func(m coding.ClassMetrics) string {
		return fmt.Sprintf("P %.2f  R %.2f  F1 %.2f (%.2f–%.2f)", m.Precision, m.Recall, m.F1, m.F1CI[0], m.F1CI[1])
	}
	for i, s := range reaction.Stances {
		fmt.Fprintf(tw, "  %s (%d)\t%s\t%s\n", s, cv.PerClass[i].N, prf(cv.PerClass[i]), curFig(func(v *coding.Validation) string { return prf(v.PerClass[i]) }))
	}
	tw.Flush()
	fmt.Fprintln(w, "\nConfusion of the out-of-fold predictions (rows: final code, columns: predicted)")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprint(tw, "  \tsupport\tcriticism\tneutral\t\n")
	for i, s := range reaction.Stances {
		c := cv.Confusion.Counts[i]
		fmt.Fprintf(tw, "  %s\t%d\t%d\t%d\t\n", s, c[0], c[1], c[2])
	}
	tw.Flush()
	src := "the story's codes"
	if r.Builtin > 0 {
		src += fmt.Sprintf(" and %d built-in examples", r.Builtin)
	}
	fmt.Fprintf(w, "\nWrote %s: classifier %s, trained on %s.\n", out, r.Version, src)
	fmt.Fprintf(w, "Stored its %d out-of-fold predictions: once the story is relabelled with it, the coding report and the corrected "+
		"shares use them, not the model's own labels of the codes it was trained on.\n", len(r.OutOfFold))
	_, err := fmt.Fprintf(w, "Relabel the story with it: reactions reclassify --story %s --model %s\n", r.Story, out)
	return err
}
