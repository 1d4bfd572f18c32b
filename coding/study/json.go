package study

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/reactions-research/reactions/coding"
	"github.com/reactions-research/reactions/store"
)

// JSON is the report as `reactions code report --json` prints it and
// GET /api/v1/coding/report answers it (docs/api.md). Undefined values are
// null; lists are never null.
type JSON struct {
	Story string `json:"story"`
	// NCoded is the number of reactions with at least one code (unclear
	// too), NMulti those coded by two or more coders, NPairable those with
	// two or more stance codes (the units of α).
	NCoded    int      `json:"n_coded"`
	NMulti    int      `json:"n_multi"`
	NPairable int      `json:"n_pairable"`
	Coders    []string `json:"coders"`
	// Alpha is Krippendorff's α (nominal) with its 95 % bootstrap interval.
	Alpha            *float64           `json:"alpha"`
	AlphaCI          *[2]float64        `json:"alpha_ci"`
	PercentAgreement *float64           `json:"percent_agreement"`
	KappaPairs       []coding.KappaPair `json:"kappa_pairs"`
	// NFinal is the number of reactions with a final code (a stance), and
	// Disputed lists those whose coders disagree and that wait for an
	// adjudication.
	NFinal   int      `json:"n_final"`
	Disputed []string `json:"disputed"`
	// Classifier is the validation of the classifier version that labels
	// the coded reactions; null when nothing can be validated yet.
	Classifier *ClassifierJSON `json:"classifier"`
	// Models says what each classifier version labelling the story is:
	// the built-in model, one retrained on this story's codes, or another.
	Models []ModelJSON `json:"models"`
	// Estimate is the whole story's corrected shares with 95 % intervals;
	// null until enough items of every true stance are coded.
	Estimate *EstimateJSON `json:"estimate"`
	// Samples are the story's samples with their coding progress;
	// SamplesUsed names those that validate the classifier.
	Samples     []SampleJSON `json:"samples"`
	SamplesUsed []string     `json:"samples_used"`
	// MinBucket is the small-bucket threshold: fewer support + criticism
	// reactions than this show no share.
	MinBucket int `json:"min_bucket"`
	// Method names the correction; Methods is the paragraph for a paper.
	Method  string   `json:"method"`
	Methods string   `json:"methods"`
	Notes   []string `json:"notes"`
	// Version identifies the stored codes and labels the report is from.
	Version Version `json:"version"`
}

// ClassifierJSON is the classifier measured against the final codes.
type ClassifierJSON struct {
	Version string `json:"version"`
	// StoryVersions counts the story's reactions per classifier version
	// (more than one: the story is partly relabelled).
	StoryVersions map[string]int64 `json:"story_versions,omitempty"`
	// N is the number of final codes compared, NUnclear the coded items
	// left out as unclear.
	N           int                   `json:"n"`
	NUnclear    int                   `json:"n_unclear"`
	Accuracy    float64               `json:"accuracy"`
	AccuracyCI  [2]float64            `json:"accuracy_ci"`
	MacroF1     float64               `json:"macro_f1"`
	MacroF1CI   [2]float64            `json:"macro_f1_ci"`
	PerClass    []coding.ClassMetrics `json:"per_class"`
	Confusion   coding.Confusion      `json:"confusion"`
	ConfusionOf string                `json:"confusion_layout"`
	// Folds is k when the version was retrained on this story's codes and
	// the figures compare, for the OutOfFold items it was trained on,
	// out-of-fold predictions (cross-fitting); 0 when they compare labels.
	Folds     int `json:"folds"`
	OutOfFold int `json:"out_of_fold"`
}

// ModelJSON is one classifier version that labels the story.
type ModelJSON struct {
	Version string `json:"version"`
	// Reactions is the number of the story's reactions it labels.
	Reactions int64 `json:"reactions"`
	// Origin is "builtin" (the built-in model), "retrained" (trained on
	// this story's final codes; see Retrained) or "other" (a model
	// trained on other data, or one the report cannot tell).
	Origin    string                `json:"origin"`
	Retrained *store.RetrainedModel `json:"retrained"`
}

// EstimateJSON is the corrected whole-story estimate beside the raw one.
type EstimateJSON struct {
	coding.Overall
	Raw RawJSON `json:"raw"`
}

// RawJSON is the story's predicted counts and the raw criticism share.
type RawJSON struct {
	coding.Counts
	CriticismShare *float64 `json:"criticism_share"`
}

// SampleJSON is a sample and how far its coding has come.
type SampleJSON struct {
	store.Sample
	Progress
}

// JSON returns the report in its JSON form. raw is the story's predicted
// counts and versions its classifier versions (nil leaves them out).
func (r *Report) JSON(raw coding.Counts, versions map[string]int64) *JSON {
	j := &JSON{Story: r.Story, Coders: []string{}, KappaPairs: []coding.KappaPair{}, Disputed: []string{},
		Samples: []SampleJSON{}, SamplesUsed: []string{}, MinBucket: r.MinBucket(), Method: Method,
		Methods: r.Methods(raw), Notes: slices.Clone(r.Notes), Version: r.version}
	if j.Notes == nil {
		j.Notes = []string{}
	}
	if rel := r.Reliability; rel != nil {
		j.NCoded, j.NMulti, j.NPairable = rel.NCoded, rel.NMulti, rel.NPairable
		j.Alpha, j.AlphaCI, j.PercentAgreement = rel.Alpha, rel.AlphaCI, rel.PercentAgreement
		j.Coders = append(j.Coders, rel.Coders...)
		j.KappaPairs = append(j.KappaPairs, rel.KappaPairs...)
	}
	if r.Resolution != nil {
		j.NFinal = len(r.Resolution.Final)
		j.Disputed = append(j.Disputed, r.Resolution.Disputed...)
	}
	j.SamplesUsed = append(j.SamplesUsed, r.Used...)
	for _, s := range r.Samples {
		p := r.Progress[s.Name]
		if p.ByCoder == nil {
			p.ByCoder = map[string]int{}
		}
		j.Samples = append(j.Samples, SampleJSON{s, p})
	}
	if v := r.Validation; v != nil {
		j.Classifier = &ClassifierJSON{Version: r.Classifier, StoryVersions: versions, N: v.N, NUnclear: v.NUnclear,
			Accuracy: v.Accuracy, AccuracyCI: v.AccuracyCI, MacroF1: v.MacroF1, MacroF1CI: v.MacroF1CI,
			PerClass: v.PerClass, Confusion: v.Confusion, ConfusionOf: "rows: true stance (final code), columns: predicted; both support, criticism, neutral"}
		if r.OutOfFold > 0 {
			j.Classifier.Folds, j.Classifier.OutOfFold = r.Folds, r.OutOfFold
		}
	}
	j.Models = r.models(versions)
	if o := r.Overall(raw); o != nil {
		j.Estimate = &EstimateJSON{Overall: *o, Raw: RawJSON{Counts: raw, CriticismShare: share(raw)}}
	}
	return j
}

// models describes each version of versions (the story's reactions by
// classifier version), most reactions first, and the validated one when
// versions leaves it out.
func (r *Report) models(versions map[string]int64) []ModelJSON {
	out := []ModelJSON{}
	add := func(v string, n int64) {
		m := ModelJSON{Version: v, Reactions: n, Origin: "other"}
		if i := slices.IndexFunc(r.Models, func(x store.RetrainedModel) bool { return x.Classifier == v }); i >= 0 {
			m.Origin, m.Retrained = "retrained", &r.Models[i]
		} else if v == r.builtin && v != "" {
			m.Origin = "builtin"
		}
		out = append(out, m)
	}
	for v, n := range versions {
		add(v, n)
	}
	if _, ok := versions[r.Classifier]; !ok && r.Classifier != "" {
		add(r.Classifier, 0)
	}
	slices.SortFunc(out, func(a, b ModelJSON) int {
		if a.Reactions != b.Reactions {
			return cmp.Compare(b.Reactions, a.Reactions)
		}
		return strings.Compare(a.Version, b.Version)
	})
	return out
}

// share is the raw criticism share, nil when support + criticism is 0.
func share(c coding.Counts) *float64 {
	d := c.Support + c.Criticism
	if d == 0 {
		return nil
	}
	v := float64(c.Criticism) / float64(d)
	return &v
}

// Summary is what export metadata records of the validation behind the
// corrected columns.
type Summary struct {
	// NCoded is the number of coded reactions, NFinal those with a final
	// code, NValidation those compared with the classifier.
	NCoded      int      `json:"n_coded"`
	NFinal      int      `json:"n_final"`
	NValidation int      `json:"n_validation"`
	Coders      []string `json:"coders"`
	// Alpha is Krippendorff's α (nominal), with its interval.
	Alpha   *float64    `json:"alpha"`
	AlphaCI *[2]float64 `json:"alpha_ci"`
	// Classifier is the version validated; MacroF1 and Accuracy its
	// design-weighted figures against the final codes.
	Classifier string `json:"classifier"`
	// Folds is k when the figures are cross-fitted (the classifier was
	// retrained on the story's codes; see ClassifierJSON.Folds), else 0.
	Folds     int        `json:"folds"`
	MacroF1   float64    `json:"macro_f1"`
	MacroF1CI [2]float64 `json:"macro_f1_ci"`
	Accuracy  float64    `json:"accuracy"`
	Method    string     `json:"method"`
	// Samples are the ids (names) of the samples whose codes validate.
	Samples     []string  `json:"samples"`
	MinBucket   int       `json:"min_bucket"`
	LastCodedAt time.Time `json:"last_coded_at"`
}

// Summary returns the validation summary, or nil without a Corrector (no
// corrected figures to describe).
func (r *Report) Summary() *Summary {
	if r.Corrector == nil || r.Validation == nil {
		return nil
	}
	s := &Summary{NValidation: r.Validation.N, Classifier: r.Classifier, MacroF1: r.Validation.MacroF1,
		MacroF1CI: r.Validation.MacroF1CI, Accuracy: r.Validation.Accuracy, Method: Method,
		Samples: slices.Clone(r.Used), MinBucket: r.MinBucket(), LastCodedAt: r.version.LastCodedAt, Coders: []string{}}
	if r.OutOfFold > 0 {
		s.Folds = r.Folds
	}
	if rel := r.Reliability; rel != nil {
		s.NCoded, s.Alpha, s.AlphaCI = rel.NCoded, rel.Alpha, rel.AlphaCI
		s.Coders = append(s.Coders, rel.Coders...)
	}
	if r.Resolution != nil {
		s.NFinal = len(r.Resolution.Final)
	}
	return s
}

// Correction returns the summary of the validation behind a series'
// corrected figures with the small-bucket threshold minBucket, or nil and
// one sentence saying why a series gets none: no Corrector yet, or thread
// starters counted (the samples leave them out, so their error rates are
// not measured).
func Correction(r *Report, includeRoots bool, minBucket int) (*Summary, string) {
	switch {
	case r.Corrector == nil && len(r.Samples) == 0:
		return nil, "No corrected figures: the story has no coded sample (reactions code sample, then code it)."
	case r.Corrector == nil:
		note := "No corrected figures yet: too few items are coded."
		if len(r.Notes) > 0 {
			note = "No corrected figures yet. " + r.Notes[len(r.Notes)-1]
		}
		return nil, note
	case includeRoots:
		return nil, "No corrected figures with thread starters counted: the coded samples leave them out, so the classifier's errors on them are not measured."
	}
	s := r.Summary()
	if minBucket > 0 {
		s.MinBucket = minBucket
	}
	return s, ""
}
