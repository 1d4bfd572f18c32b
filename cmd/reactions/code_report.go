package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/reactions-research/reactions/aggregator/stance"
	"github.com/reactions-research/reactions/coding"
	"github.com/reactions-research/reactions/coding/study"
	"github.com/reactions-research/reactions/reaction"
	"github.com/reactions-research/reactions/store"
)

func codeReport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("code report", codeUsage+"\nFlags of code report:\n")
	storyID := fs.String("story", "", "the story `ID`; required")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	var samples stringList
	fs.Var(&samples, "sample", "validate on this sample only (repeatable); default every stratified or random sample")
	minBucket := fs.Int("min-bucket", coding.DefaultMinBucket, "the fewest support + criticism reactions a bucket needs to show a share")
	replicates := fs.Int("replicates", 1000, "bootstrap replicates behind every interval")
	database := databaseFlag(fs)
	if err := parseFlags(fs, args, stdout, stderr); err != nil {
		return err
	}
	switch {
	case fs.NArg() != 0:
		return usageErrorf("unexpected argument %q", fs.Arg(0))
	case *minBucket < 1:
		return usageErrorf("--min-bucket %d: want at least 1", *minBucket)
	case *replicates < 100:
		return usageErrorf("--replicates %d: want at least 100", *replicates)
	}
	if err := checkStoryFlag(*storyID); err != nil {
		return err
	}
	st, err := openStory(ctx, stateDirectory(), *storyID, *database, stderr)
	if err != nil {
		return err
	}
	defer st.Close()
	r, err := study.Build(ctx, st, *storyID, study.Options{Samples: samples, BuiltinClassifier: stance.Default().Version(),
		Coding: coding.Options{MinBucket: *minBucket, Replicates: *replicates}})
	if err != nil {
		return err
	}
	raw, err := study.Raw(ctx, st, *storyID)
	if err != nil {
		return err
	}
	cnt, err := st.CountReactions(ctx, store.ReactionQuery{Story: *storyID, NoRoots: true})
	if err != nil {
		return err
	}
	j := r.JSON(raw, cnt.Classifiers)
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(j)
	}
	return writeReportText(stdout, j)
}

// writeReportText prints the report for people: agreement, validation,
// the estimate, notes and the methods paragraph.
func writeReportText(w io.Writer, j *study.JSON) error {
	f := func(p *float64) string {
		if p == nil {
			return "–"
		}
		return fmt.Sprintf("%.2f", *p)
	}
	ci := func(p *[2]float64) string {
		if p == nil {
			return ""
		}
		return fmt.Sprintf(" (95%% CI %.2f–%.2f)", p[0], p[1])
	}
	fmt.Fprintf(w, "Coding report for story %s\n\n", j.Story)
	for _, s := range j.Samples {
		use := ""
		if !s.Estimable {
			use = ", for training only"
		}
		fmt.Fprintf(w, "Sample %s: %s, %d of %d reactions, seed %d%s; %d coded\n", s.Name, s.Strategy, s.Drawn, s.Population, s.Seed, use, s.Coded)
	}
	for _, m := range j.Models {
		fmt.Fprintf(w, "Labelled by %s (%s): %d reactions\n", m.Version, describeModel(m), m.Reactions)
	}
	fmt.Fprintf(w, "\nCoded reactions: %d by %d coder(s) (%s); %d coded by two or more\n", j.NCoded, len(j.Coders), strings.Join(j.Coders, ", "), j.NMulti)
	fmt.Fprintf(w, "Krippendorff's alpha (nominal): %s%s on %d items\n", f(j.Alpha), ci(j.AlphaCI), j.NPairable)
	fmt.Fprintf(w, "Percent agreement: %s\n", f(j.PercentAgreement))
	for _, k := range j.KappaPairs {
		fmt.Fprintf(w, "Cohen's kappa %s / %s: %s on %d items (agreement %.2f)\n", k.A, k.B, f(k.Kappa), k.N, k.Agreement)
	}
	fmt.Fprintf(w, "Final codes: %d; waiting for adjudication: %d\n", j.NFinal, len(j.Disputed))
	if c := j.Classifier; c != nil {
		fmt.Fprintf(w, "\nClassifier %s against %d final codes (design-weighted, 95%% CIs):\n", c.Version, c.N)
		if c.Folds > 0 {
			fmt.Fprintf(w, "  cross-fitted: %d of them, on which it was trained, through their %d-fold out-of-fold predictions\n", c.OutOfFold, c.Folds)
		}
		fmt.Fprintf(w, "  accuracy %.2f (%.2f–%.2f), macro-F1 %.2f (%.2f–%.2f)\n", c.Accuracy, c.AccuracyCI[0], c.AccuracyCI[1], c.MacroF1, c.MacroF1CI[0], c.MacroF1CI[1])
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprint(tw, "  true \\ predicted\tsupport\tcriticism\tneutral\tprecision\trecall\tF1\t\n")
		for i, pc := range c.PerClass {
			fmt.Fprintf(tw, "  %s\t%d\t%d\t%d\t%.2f\t%.2f\t%.2f\t\n", pc.Stance, c.Confusion.Counts[i][0], c.Confusion.Counts[i][1], c.Confusion.Counts[i][2],
				pc.Precision, pc.Recall, pc.F1)
		}
		tw.Flush()
	}
	if e := j.Estimate; e != nil {
		fmt.Fprintf(w, "\nWhole story, %d reactions (corrected, 95%% CIs):\n", e.Total)
		for _, x := range []struct {
			s reaction.Stance
			p coding.Proportion
		}{{reaction.Support, e.Support}, {reaction.Criticism, e.Criticism}, {reaction.Neutral, e.Neutral}} {
			fmt.Fprintf(w, "  %-9s %5.1f %% (%.1f–%.1f)\n", x.s, 100*x.p.Value, 100*x.p.Lo, 100*x.p.Hi)
		}
		fmt.Fprintf(w, "  criticism share, criticism ÷ (support + criticism): %s%s; raw %s\n", f(e.Share), ciOf(e.Lo, e.Hi), f(e.Raw.CriticismShare))
	}
	if len(j.Notes) > 0 {
		fmt.Fprintln(w)
		for _, n := range j.Notes {
			fmt.Fprintf(w, "Note: %s\n", n)
		}
	}
	fmt.Fprintf(w, "\nMethods\n\n%s", j.Methods)
	return nil
}

// describeModel says where a classifier version comes from.
func describeModel(m study.ModelJSON) string {
	switch {
	case m.Origin == "builtin":
		return "the built-in model"
	case m.Retrained != nil:
		d := fmt.Sprintf("retrained on %d of this story's final codes", m.Retrained.Codes)
		if m.Retrained.Builtin {
			d += " and the built-in data"
		}
		if m.Retrained.OutOfFold > 0 {
			return d + fmt.Sprintf(", %d-fold cross-fitted", m.Retrained.Folds)
		}
		return d + ", elsewhere: no out-of-fold predictions here"
	}
	return "another model"
}

func ciOf(lo, hi *float64) string {
	if lo == nil || hi == nil {
		return ""
	}
	return fmt.Sprintf(" (95%% CI %.2f–%.2f)", *lo, *hi)
}
