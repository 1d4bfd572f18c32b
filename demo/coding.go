package demo

import (
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"time"

	"github.com/reactions-research/reactions/coding"
	"github.com/reactions-research/reactions/coding/study"
	"github.com/reactions-research/reactions/reaction"
	"github.com/reactions-research/reactions/store"
)

// The demo's hand-coding: a stratified sample coded by two simulated
// coders from the generator's intended stances, as researchers would code
// it, so that the dashboard opens with a coding report and the corrected
// band.
const (
	// SampleName names the demo's sample.
	SampleName = "demo"
	// SampleSize is the number of reactions coded.
	SampleSize = 300
	// CoderA codes every item, CoderB the overlap; Adjudicator settles
	// their disagreements.
	CoderA      = "Coder A (simulated)"
	CoderB      = "Coder B (simulated)"
	Adjudicator = "Adjudicator (simulated)"
)

// simulated coders: how often each gives a stance other than the intended
// one, and how often unclear. Their slips go mostly to neutral, the
// boundary coders argue about most.
var coderErrors = map[string]struct{ wrong, unclear float64 }{
	CoderA: {0.06, 0.02},
	CoderB: {0.09, 0.03},
}

// slip is the stance a coder gives by mistake for a true stance: the row's
// weights over support, criticism, neutral.
var slip = map[reaction.Stance][3]float64{
	reaction.Support:   {0, 0.3, 0.7},
	reaction.Criticism: {0.4, 0, 0.6},
	reaction.Neutral:   {0.5, 0.5, 0},
}

// CodingCheck is the demo's simulated hand-coding and how the daily
// criticism share, raw and corrected, compares with the generator's truth.
type CodingCheck struct {
	Sample  string   `json:"sample"`
	Coded   int      `json:"coded"`
	Coders  []string `json:"coders"`
	Alpha   *float64 `json:"alpha"`
	MacroF1 float64  `json:"macro_f1"`
	// Days is the number of UTC days compared: those with enough support
	// and criticism to show a share.
	Days int `json:"days"`
	// RawError and CorrectedError are the mean absolute differences, in
	// percentage points, between the daily criticism share and the share
	// of the generator's intended stances; the Max fields the largest.
	RawError       float64 `json:"raw_error"`
	CorrectedError float64 `json:"corrected_error"`
	RawMax         float64 `json:"raw_max"`
	CorrectedMax   float64 `json:"corrected_max"`
	// RawErrorWeighted and CorrectedErrorWeighted weight each day by its
	// reactions.
	RawErrorWeighted       float64 `json:"raw_error_weighted"`
	CorrectedErrorWeighted float64 `json:"corrected_error_weighted"`
	// Covered counts the days whose 95 % interval holds the true share.
	Covered int `json:"covered"`
	// SupportAsCriticism is the lowest and highest share of a day's truly
	// supportive reactions that the classifier labelled criticism (days
	// with 30 or more): the correction assumes it is the same every day.
	SupportAsCriticism [2]float64 `json:"support_as_criticism"`
	// Note says why there is no check (too few coded items), if so.
	Note string `json:"note,omitempty"`
}

// Code draws the demo's sample (once; a later run finds it) and, when it
// has no codes yet, codes it: CoderA every item, CoderB the overlap, each
// from the intended stance of the item (a's, from Measure) with their own
// slips, and the Adjudicator gives the intended stance wherever their
// stances differ. Then it measures the daily criticism share against the
// truth.
func Code(ctx context.Context, st *store.Store, a *Agreement, seed int64) (*CodingCheck, error) {
	intended := a.intended
	drawn, err := study.Draw(ctx, st, study.DrawRequest{Story: StoryID, Name: SampleName,
		Design: coding.Design{N: SampleSize, Seed: uint64(seed)}})
	if err != nil {
		return nil, fmt.Errorf("draw the demo's sample: %w", err)
	}
	v, err := st.CodingVersion(ctx, StoryID)
	if err != nil {
		return nil, err
	}
	if v.Revisions == 0 {
		if err := st.WriteCodings(ctx, simulateCoders(drawn.Items, intended, seed)); err != nil {
			return nil, fmt.Errorf("store the demo's codes: %w", err)
		}
	}
	r, err := study.Build(ctx, st, StoryID, study.Options{})
	if err != nil {
		return nil, err
	}
	cc := &CodingCheck{Sample: SampleName, Coders: []string{}}
	if r.Reliability != nil {
		cc.Coded, cc.Coders, cc.Alpha = r.Reliability.NCoded, r.Reliability.Coders, r.Reliability.Alpha
	}
	if r.Validation != nil {
		cc.MacroF1 = r.Validation.MacroF1
	}
	if r.Corrector == nil {
		cc.Note = "no corrected estimate: " + fmt.Sprint(r.Notes)
		return cc, nil
	}
	return cc, dailyError(ctx, st, r.Corrector, intended, cc)
}

// simulateCoders codes the items as CoderA (all), CoderB (the overlap)
// and the Adjudicator (disagreements), deterministically from seed.
func simulateCoders(items []store.SampleItem, intended map[string]reaction.Stance, seed int64) []store.Coding {
	rng := rand.New(rand.NewPCG(uint64(seed), 0x636f646572)) // "coder"
	codeOf := func(coder string, truth reaction.Stance) reaction.Stance {
		e := coderErrors[coder]
		u := rng.Float64()
		switch {
		case u < e.unclear:
			return coding.Unclear
		case u < e.unclear+e.wrong:
			w, x := slip[truth], rng.Float64()
			for i, s := range reaction.Stances {
				if x < w[i] {
					return s
				}
				x -= w[i]
			}
			return reaction.Neutral
		}
		return truth
	}
	at := time.Now().UTC().Add(-time.Hour)
	var out []store.Coding
	add := func(id, coder string, code reaction.Stance, adj bool) {
		at = at.Add(time.Second)
		out = append(out, store.Coding{Story: StoryID, Sample: SampleName, ID: id, Coder: coder, Code: code,
			Adjudication: adj, CodedAt: at, Source: "demo"})
	}
	for _, it := range items {
		truth, ok := intended[it.ID]
		if !ok {
			continue
		}
		a := codeOf(CoderA, truth)
		add(it.ID, CoderA, a, false)
		if !it.Overlap {
			continue
		}
		b := codeOf(CoderB, truth)
		add(it.ID, CoderB, b, false)
		if a.Valid() && b.Valid() && a != b {
			add(it.ID, Adjudicator, truth, true)
		}
	}
	return out
}

// dailyError compares the raw and corrected daily criticism shares (UTC
// days, the reactions the chart counts: thread starters left out) with the
// intended ones.
func dailyError(ctx context.Context, st *store.Store, c *coding.Corrector, intended map[string]reaction.Stance, cc *CodingCheck) error {
	type day struct {
		pred, truth coding.Counts
		// supportAsCrit counts truly supportive reactions labelled criticism.
		supportAsCrit int64
	}
	days := map[int64]*day{}
	add := func(cnt *coding.Counts, s reaction.Stance) {
		switch s {
		case reaction.Support:
			cnt.Support++
		case reaction.Criticism:
			cnt.Criticism++
		case reaction.Neutral:
			cnt.Neutral++
		}
	}
	err := st.CurrentReactions(ctx, StoryID, func(r *reaction.Reaction) error {
		truth, ok := intended[r.ID]
		if !ok || r.IsRoot { // the chart leaves thread starters out
			return nil
		}
		k := r.CreatedAt.Unix() / 86400
		if days[k] == nil {
			days[k] = &day{}
		}
		add(&days[k].pred, r.Stance)
		add(&days[k].truth, truth)
		if truth == reaction.Support && r.Stance == reaction.Criticism {
			days[k].supportAsCrit++
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("measure the corrected shares: %w", err)
	}
	var keys []int64
	var counts []coding.Counts
	for k, d := range days {
		keys = append(keys, k)
		counts = append(counts, d.pred)
	}
	est := c.Buckets(counts)
	var rawSum, corrSum, rawW, corrW, weight float64
	cc.SupportAsCriticism = [2]float64{1, 0}
	for i, k := range keys {
		d, e := days[k], est[i]
		if d.truth.Support >= 30 {
			x := round3(float64(d.supportAsCrit) / float64(d.truth.Support))
			cc.SupportAsCriticism = [2]float64{math.Min(cc.SupportAsCriticism[0], x), math.Max(cc.SupportAsCriticism[1], x)}
		}
		if e.Share == nil || d.truth.Support+d.truth.Criticism == 0 {
			continue
		}
		truth := float64(d.truth.Criticism) / float64(d.truth.Support+d.truth.Criticism)
		raw := float64(d.pred.Criticism) / float64(d.pred.Support+d.pred.Criticism)
		re, ce := 100*math.Abs(raw-truth), 100*math.Abs(*e.Share-truth)
		cc.Days++
		rawSum, corrSum = rawSum+re, corrSum+ce
		n := float64(d.pred.Support + d.pred.Criticism + d.pred.Neutral)
		rawW, corrW, weight = rawW+n*re, corrW+n*ce, weight+n
		cc.RawMax, cc.CorrectedMax = math.Max(cc.RawMax, re), math.Max(cc.CorrectedMax, ce)
		if *e.Lo <= truth && truth <= *e.Hi {
			cc.Covered++
		}
	}
	if cc.Days > 0 {
		cc.RawError, cc.CorrectedError = round1(rawSum/float64(cc.Days)), round1(corrSum/float64(cc.Days))
		cc.RawMax, cc.CorrectedMax = round1(cc.RawMax), round1(cc.CorrectedMax)
		cc.RawErrorWeighted, cc.CorrectedErrorWeighted = round1(rawW/weight), round1(corrW/weight)
	}
	return nil
}

func round1(x float64) float64 { return math.Round(10*x) / 10 }

// WriteText prints the check.
func (cc *CodingCheck) WriteText(w io.Writer) {
	fmt.Fprintf(w, "Hand-coding (simulated from the generator's intent): sample %s, %d reactions coded by %d coders", cc.Sample, cc.Coded, len(cc.Coders))
	if cc.Alpha != nil {
		fmt.Fprintf(w, ", Krippendorff's alpha %.2f", *cc.Alpha)
	}
	fmt.Fprintf(w, ", classifier macro-F1 %.2f against the final codes\n", cc.MacroF1)
	if cc.Note != "" {
		fmt.Fprintf(w, "  %s\n", cc.Note)
		return
	}
	fmt.Fprintf(w, "  Daily criticism share against the generator's truth, %d days: raw off by %.1f points on average (at most %.1f; %.1f weighting days by reactions), "+
		"corrected by %.1f (at most %.1f; %.1f weighted); the 95 %% band holds the truth on %d of %d days.\n",
		cc.Days, cc.RawError, cc.RawMax, cc.RawErrorWeighted, cc.CorrectedError, cc.CorrectedMax, cc.CorrectedErrorWeighted, cc.Covered, cc.Days)
	fmt.Fprintf(w, "  The correction assumes the classifier errs at the same rates every day; in the demo it labels %.0f-%.0f %% of a day's supportive reactions as criticism, depending on the day.\n",
		100*cc.SupportAsCriticism[0], 100*cc.SupportAsCriticism[1])
	fmt.Fprintf(w, "  Report: reactions code report --story %s   (the dashboard shows it and the corrected band)\n", StoryID)
}
