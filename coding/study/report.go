// Package study runs a story's hand-coding study against the store: it
// draws and records the samples coders see (Draw), reads codes made
// elsewhere (ReadCodes), and joins samples, codes and labels into what the
// coders' work says (Build, Cache): how far the coders agree, how the
// classifier fares against their final codes, the corrected whole-story
// shares, the methods paragraph, and the Corrector that charts and exports
// use. Every statistic is package coding's.
//
// Which items estimate what:
//   - agreement (α, κ) uses every coder's latest code of every item, in any
//     sample;
//   - validation and correction use the items of one estimable sample
//     (stratified or random, not uncertain) that have a final code
//     (coding.Resolve), each weighted by its inclusion probability, and
//     compare that code with the item's current label from the classifier
//     version that labels most of those items. The sample is the one with
//     the most final codes, unless Options.Samples names others: several
//     are then pooled, each sample's weights scaled by its share of the
//     items (a composite of the samples' Hájek estimates, each unbiased on
//     its own; an item in two samples enters once per sample);
//   - when that version was retrained on the story's own codes, an item it
//     was trained on is compared through its stored out-of-fold
//     prediction instead of the version's label (cross-fitting, see
//     crossFit), and a retrained version without stored predictions is
//     not validated at all.
package study

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/reactions-research/reactions/coding"
	"github.com/reactions-research/reactions/internal/fnv1a"
	"github.com/reactions-research/reactions/reaction"
	"github.com/reactions-research/reactions/store"
)

// Options tune a report. The zero value gives the defaults.
type Options struct {
	// Coding are the options of every statistic: replicates, seed and the
	// small-bucket rule (MinBucket, default coding.DefaultMinBucket).
	Coding coding.Options
	// Samples names the samples that validate the classifier (they must
	// be estimable); several are pooled. Default: the estimable sample
	// with the most items with a final code.
	Samples []string
	// LabelsTTL is how long a Cache trusts the labels of the sampled
	// reactions before it reads them again. Default DefaultLabelsTTL.
	LabelsTTL time.Duration
	// BuiltinClassifier is the version of the built-in stance model, so
	// that the report can say a story is labelled by it (JSON's models).
	// Default "": the report does not name it.
	BuiltinClassifier string
}

// Method names the correction in metadata.
const Method = "adjusted classify-and-count (Forman 2008), solved on the simplex (Hopkins & King 2010), " +
	"with bootstrap and posterior intervals (see coding.Corrector.Buckets)"

// Report is a story's coding report. Fields that the codes leave undefined
// are nil, with the reason in Notes.
type Report struct {
	Story string
	// Samples are the story's samples, oldest first; Used names those
	// whose items validate the classifier.
	Samples []store.Sample
	Used    []string
	// Codings are the coders' latest codes (adjudications not included).
	Codings []coding.Coding
	// Adjudicated are the adjudicated final codes, by reaction id.
	Adjudicated map[string]reaction.Stance
	Resolution  *coding.Resolution
	// Reliability is nil without any code.
	Reliability *coding.Reliability
	// Classifier is the classifier version validated: the one labelling
	// most of the coded items of the samples used.
	Classifier string
	// Validation is nil without a final code from an estimable sample,
	// and when Classifier was retrained on the story's codes and no
	// out-of-fold predictions are stored for it (see Model).
	Validation *coding.Validation
	// Items are the items Validation compares, each with the prediction
	// compared with its final code: Classifier's label or, for an item
	// Classifier was trained on, its out-of-fold prediction.
	Items []coding.Item
	// Models are the story's classifier versions retrained on its codes
	// (store.RetrainedModels); Model is Classifier's record among them,
	// nil when Classifier was not retrained on the story's codes.
	Models []store.RetrainedModel
	Model  *store.RetrainedModel
	// Folds is the k of the cross-fitting when Items carry out-of-fold
	// predictions (OutOfFold of them), 0 otherwise.
	Folds, OutOfFold int
	// Corrector is nil when Validation is, or when a true stance has too
	// few coded items (see Notes).
	Corrector *coding.Corrector
	// Progress counts, per sample, the items with a code and the items
	// each coder coded.
	Progress map[string]Progress
	// Notes say what could not be estimated and why, and what a reader
	// should know (pooled samples, mixed classifier versions).
	Notes []string

	opts    coding.Options
	version Version
	builtin string // Options.BuiltinClassifier

	memoMu sync.Mutex
	memo   map[memoKey]coding.Estimate // see Correct
}

// Progress is how far the coding of one sample has come.
type Progress struct {
	// Coded is the number of items with at least one code.
	Coded int `json:"coded"`
	// ByCoder is the number of items each coder coded (unclear included).
	ByCoder map[string]int `json:"by_coder"`
}

// Version identifies the stored state a report was built from: it changes
// when a code or a sample is added or a sampled reaction is relabelled.
type Version struct {
	store.CodingVersion
	// Labels is a digest of the current labels of the sampled reactions.
	Labels uint64 `json:"labels"`
	// Models is a digest of the story's retrained classifier versions
	// (0 without any).
	Models uint64 `json:"models"`
}

// ReadVersion reads the state a report would be built from (four small
// queries) and the labels it needs.
func ReadVersion(ctx context.Context, st *store.Store, story string) (Version, map[string]store.Label, error) {
	s, err := readState(ctx, st, story)
	return s.Version, s.labels, err
}

// state is what a report is built from besides the codes: the labels of
// the sampled reactions and the story's retrained classifier versions.
type state struct {
	Version
	labels map[string]store.Label
	models []store.RetrainedModel
}

func readState(ctx context.Context, st *store.Store, story string) (state, error) {
	cv, err := st.CodingVersion(ctx, story)
	if err != nil {
		return state{}, err
	}
	s := state{Version: Version{CodingVersion: cv}}
	if cv.Samples == 0 {
		return s, nil
	}
	if s.labels, err = st.SampledLabels(ctx, story); err != nil {
		return state{}, err
	}
	if s.models, err = st.RetrainedModels(ctx, story); err != nil {
		return state{}, err
	}
	s.Labels, s.Models = digest(s.labels), digestModels(s.models)
	return s, nil
}

// digest hashes labels independently of map order (FNV-1a of each entry,
// summed).
func digest(labels map[string]store.Label) uint64 {
	var sum uint64
	for id, l := range labels {
		h := fnv1a.Field(fnv1a.Offset, id)
		h = fnv1a.Field(h, string(l.Stance))
		sum += fnv1a.Field(h, l.Classifier)
	}
	return sum
}

// Build reads a story's samples and codes and computes its report.
func Build(ctx context.Context, st *store.Store, story string, o Options) (*Report, error) {
	s, err := readState(ctx, st, story)
	if err != nil {
		return nil, err
	}
	return build(ctx, st, story, o, s)
}

func build(ctx context.Context, st *store.Store, story string, o Options, s state) (*Report, error) {
	v, labels := s.Version, s.labels
	r := &Report{Story: story, opts: o.Coding, version: v, Adjudicated: map[string]reaction.Stance{}, Progress: map[string]Progress{},
		Models: s.models, builtin: o.BuiltinClassifier}
	var err error
	if v.Samples > 0 {
		if r.Samples, err = st.Samples(ctx, story); err != nil {
			return nil, err
		}
	}
	var latest []store.Coding
	if v.Revisions > 0 {
		if latest, err = st.LatestCodings(ctx, story); err != nil {
			return nil, err
		}
	}
	r.Codings, r.Adjudicated = splitCodes(latest)
	if len(r.Codings) > 0 {
		if r.Reliability, err = coding.Agree(r.Codings, o.Coding); err != nil {
			return nil, fmt.Errorf("agreement: %w", err)
		}
	} else {
		r.note("No code has been given yet: draw a sample (reactions code sample) and code it.")
	}
	if r.Resolution, err = coding.Resolve(r.Codings, r.Adjudicated); err != nil {
		return nil, fmt.Errorf("final codes: %w", err)
	}
	if n := len(r.Resolution.Disputed); n > 0 {
		r.note(fmt.Sprintf("%d items have codes that disagree and no adjudication yet: they are left out of the validation until adjudicated.", n))
	}

	byCoder := map[string][]coding.Coding{}
	for _, c := range r.Codings {
		byCoder[c.ID] = append(byCoder[c.ID], c)
	}
	items, err := r.items(ctx, st, o, labels, byCoder)
	if err != nil {
		return nil, err
	}
	r.Items = items
	if len(items) == 0 {
		if len(r.Codings) > 0 && !r.refused() {
			r.note("No item of an estimable (stratified or random) sample has a final code yet: the classifier cannot be validated.")
		}
		return r, nil
	}
	r.Validation, err = coding.Validate(items, o.Coding)
	if errors.Is(err, coding.ErrNoCodes) {
		r.note("Every coded item of the samples used is unclear: the classifier cannot be validated.")
		return r, nil
	}
	if err != nil {
		return nil, fmt.Errorf("validation: %w", err)
	}
	r.Corrector, err = r.Validation.Corrector()
	if errors.Is(err, coding.ErrTooFewCodes) {
		r.Corrector = nil
		r.note(fmt.Sprintf("No corrected estimate yet: %v. Code more items (a stratified sample gives every predicted stance its share).", err))
		return r, nil
	}
	if err != nil {
		return nil, fmt.Errorf("correction: %w", err)
	}
	return r, nil
}

func (r *Report) note(s string) { r.Notes = append(r.Notes, s) }

// items returns the validation items of the samples used, and fills
// Used, Progress and Classifier.
// It is long because it walks each sample's items once, and
// every count it fills comes from that walk.
func (r *Report) items(ctx context.Context, st *store.Store, o Options, labels map[string]store.Label, byItem map[string][]coding.Coding) ([]coding.Item, error) {
	want := map[string]bool{}
	for _, name := range o.Samples {
		want[name] = true
	}
	type sampleItems struct {
		name  string
		items []store.SampleItem
	}
	var used []sampleItems
	for _, smp := range r.Samples {
		its, err := st.SampleItems(ctx, r.Story, smp.Name)
		if err != nil {
			return nil, err
		}
		p := Progress{ByCoder: map[string]int{}}
		for _, it := range its {
			cs := byItem[it.ID]
			if len(cs) > 0 {
				p.Coded++
			}
			for _, c := range cs {
				p.ByCoder[c.Coder]++
			}
		}
		r.Progress[smp.Name] = p
		switch {
		case len(want) > 0 && !want[smp.Name]:
			continue
		case !smp.Estimable:
			if want[smp.Name] {
				return nil, fmt.Errorf("sample %q was drawn by %s and is not a probability sample: it cannot estimate error rates", smp.Name, smp.Strategy)
			}
			continue
		}
		used = append(used, sampleItems{smp.Name, its})
	}
	for name := range want {
		if !slices.ContainsFunc(r.Samples, func(s store.Sample) bool { return s.Name == name }) {
			return nil, fmt.Errorf("story %s has no sample %q", r.Story, name)
		}
	}

	// The final code of an item, or Unclear when its coders (or its
	// adjudicator) could judge no stance; "" when it has none yet.
	truth := func(id string) reaction.Stance {
		if s, ok := r.Resolution.Final[id]; ok {
			return s
		}
		if a, ok := r.Adjudicated[id]; ok && a == coding.Unclear {
			return coding.Unclear
		}
		cs := byItem[id]
		if len(cs) == 0 {
			return ""
		}
		for _, c := range cs {
			if c.Code != coding.Unclear {
				return "" // disputed
			}
		}
		return coding.Unclear
	}
	if len(want) == 0 && len(used) > 1 {
		// One sample by default: the one with the most final codes.
		best, bestN := 0, -1
		for i, s := range used {
			n := 0
			for _, it := range s.items {
				if truth(it.ID) != "" {
					n++
				}
			}
			if n > bestN {
				best, bestN = i, n
			}
		}
		used = used[best : best+1]
	}
	// The classifier version validated: the one labelling most coded items.
	versions := map[string]int{}
	for _, s := range used {
		for _, it := range s.items {
			if l, ok := labels[it.ID]; ok && truth(it.ID) != "" {
				versions[l.Classifier]++
			}
		}
	}
	for v, n := range versions {
		if n > versions[r.Classifier] || n == versions[r.Classifier] && v < r.Classifier {
			r.Classifier = v
		}
	}
	if len(versions) > 1 {
		var vs []string
		for v, n := range versions {
			vs = append(vs, fmt.Sprintf("%s (%d)", v, n))
		}
		slices.Sort(vs)
		r.note(fmt.Sprintf("The coded items are labelled by several classifier versions: %s. Only those labelled by %s validate it; reclassify the story to validate one version on all of them.",
			strings.Join(vs, ", "), r.Classifier))
	}

	oof, err := r.crossFit(ctx, st)
	if err != nil || r.refused() {
		return nil, err
	}
	var out []coding.Item
	var sizes []int
	gone := 0
	for _, s := range used {
		n := 0
		for _, it := range s.items {
			t := truth(it.ID)
			if t == "" {
				continue
			}
			l, ok := labels[it.ID]
			if !ok {
				gone++
				continue
			}
			if l.Classifier != r.Classifier {
				continue
			}
			pred := l.Stance
			if p, ok := oof[it.ID]; ok {
				pred = p.Predicted
				r.OutOfFold++
			}
			out = append(out, coding.Item{ID: it.ID, Predicted: pred, Truth: t, Pi: it.Pi, Stratum: s.name + "/" + it.Stratum})
			n++
		}
		if n > 0 {
			r.Used = append(r.Used, s.name)
			sizes = append(sizes, n)
		}
	}
	if gone > 0 {
		r.note(fmt.Sprintf("%d coded items are no longer stored (their reactions were removed) and are left out.", gone))
	}
	r.noteCrossFit(len(out))
	if len(r.Used) > 1 {
		// Scale each sample's weights 1/π by its share of the items:
		// π' = π · N / n_s, divided by the largest so that π' ≤ 1 (a
		// constant factor leaves every Hájek ratio as it is).
		total := 0
		for _, n := range sizes {
			total += n
		}
		k, start := 0.0, 0
		for i, n := range sizes {
			for j := start; j < start+n; j++ {
				out[j].Pi *= float64(total) / float64(sizes[i])
				k = max(k, out[j].Pi)
			}
			start += n
		}
		for j := range out {
			out[j].Pi /= k
		}
		r.note(fmt.Sprintf("Validation pools the samples %s, each weighted by its share of the coded items. Pooling assumes each was drawn from the same reactions.",
			strings.Join(r.Used, ", ")))
	}
	return out, nil
}

// Raw returns a story's predicted counts by stance: every platform, thread
// starters left out (the counts charts show by default).
func Raw(ctx context.Context, st *store.Store, story string) (coding.Counts, error) {
	byPlatform, err := st.Counts(ctx, story, false)
	if err != nil {
		return coding.Counts{}, err
	}
	var c coding.Counts
	for _, m := range byPlatform {
		c.Support += m[reaction.Support]
		c.Criticism += m[reaction.Criticism]
		c.Neutral += m[reaction.Neutral]
	}
	return c, nil
}

// Overall corrects a story's predicted counts; nil without a Corrector.
func (r *Report) Overall(raw coding.Counts) *coding.Overall {
	if r.Corrector == nil {
		return nil
	}
	o := r.Corrector.Overall(raw)
	return &o
}

// MinBucket is the small-bucket threshold of the report's options.
func (r *Report) MinBucket() int {
	return cmp.Or(r.opts.MinBucket, coding.DefaultMinBucket)
}

// Version is the stored state the report was built from.
func (r *Report) Version() Version { return r.version }

// Methods is the methods paragraph (coding.Methods) for the samples used,
// with raw the story's predicted counts.
func (r *Report) Methods(raw coding.Counts) string {
	cr := coding.Report{Classifier: r.Classifier, Reliability: r.Reliability, Validation: r.Validation,
		Overall: r.Overall(raw), Raw: raw, Options: r.opts}
	if r.OutOfFold > 0 {
		cr.Folds = r.Folds
	}
	var first *store.Sample
	for i := range r.Samples {
		s := &r.Samples[i]
		if !slices.Contains(r.Used, s.Name) {
			continue
		}
		if first == nil {
			first = s
			cr.Design = coding.Design{Strategy: coding.Strategy(s.Strategy), Seed: s.Seed}
			cr.Population = s.Population
		}
		cr.Design.N += s.Drawn
		if s.Strategy != first.Strategy {
			cr.Design.Strategy = coding.Stratified
		}
	}
	if first == nil && len(r.Samples) > 0 {
		s := r.Samples[0]
		cr.Design = coding.Design{Strategy: coding.Strategy(s.Strategy), Seed: s.Seed, N: s.Drawn}
		cr.Population = s.Population
	}
	return coding.Methods(cr)
}

// maxMemo bounds the estimates a Report memoises (about 10 MB).
const maxMemo = 100_000

type memoKey struct {
	c         coding.Counts
	minBucket int
}

// Correct corrects each bucket's predicted counts with the report's
// Corrector under the small-bucket threshold minBucket (0: the report's;
// see coding.Options.MinBucket), or returns nil without a Corrector.
//
// Estimates are memoised by counts: the Corrector's draws are fixed, so
// the same counts always give the same estimate, and a chart asked for
// again, or a live chart whose earlier buckets have not changed, costs
// only the buckets it has not seen (a bucket costs tens of microseconds;
// a week of minutes, 10,080 buckets, about half a second on two cores).
func (r *Report) Correct(counts []coding.Counts, minBucket int) []coding.Estimate {
	if r.Corrector == nil {
		return nil
	}
	if minBucket <= 0 {
		minBucket = r.MinBucket()
	}
	out := make([]coding.Estimate, len(counts))
	var miss []coding.Counts
	var at []int
	r.memoMu.Lock()
	for i, c := range counts {
		if e, ok := r.memo[memoKey{c, minBucket}]; ok {
			out[i] = e
		} else {
			miss, at = append(miss, c), append(at, i)
		}
	}
	r.memoMu.Unlock()
	if len(miss) == 0 {
		return out
	}
	est := r.Corrector.WithMinBucket(minBucket).Buckets(miss)
	r.memoMu.Lock()
	defer r.memoMu.Unlock()
	if r.memo == nil || len(r.memo)+len(miss) > maxMemo {
		r.memo = make(map[memoKey]coding.Estimate, len(miss))
	}
	for j, i := range at {
		out[i] = est[j]
		if len(r.memo) < maxMemo {
			r.memo[memoKey{miss[j], minBucket}] = est[j]
		}
	}
	return out
}
