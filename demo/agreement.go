package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/reactions-research/reactions/reaction"
	"github.com/reactions-research/reactions/replica"
	"github.com/reactions-research/reactions/store"
)

// GroundTruth returns the reactions a correct crawler makes of d when the
// replicas are served at baseURL (e.g. "http://127.0.0.1:9000"): Expected,
// with the replicas' placeholder base ("http://127.0.0.1") replaced by the
// real one where it is part of ids and URLs (web pages), and without the
// items a correct crawler does not emit. Author holds the raw handle.
func GroundTruth(d *replica.Dataset, baseURL string) []reaction.Reaction {
	var out []reaction.Reaction
	for _, t := range GroundTruthItems(d, baseURL) {
		out = append(out, t.Reaction)
	}
	return out
}

// Truth is one item and the reaction a correct crawler makes of it.
type Truth struct {
	Item     replica.Item
	Reaction reaction.Reaction
}

// GroundTruthItems is GroundTruth with the item each reaction is made of.
func GroundTruthItems(d *replica.Dataset, baseURL string) []Truth {
	base := strings.TrimRight(baseURL, "/")
	var out []Truth
	for _, it := range d.Items("") {
		p, ok := replica.Platforms()[it.Platform]
		if !ok || p.Expect == nil {
			continue
		}
		var r reaction.Reaction
		if it.Platform == reaction.Web {
			r = replica.WebExpect(base, d, it)
		} else {
			r = p.Expect(d, it)
			if rest, ok := strings.CutPrefix(r.URL, replica.WebExpectBase+"/"); ok {
				r.URL = base + "/" + rest
			}
		}
		if r.ID == "" {
			continue
		}
		out = append(out, Truth{it, r})
	}
	return out
}

// ClassScore is the classifier's agreement with the generator on one stance.
type ClassScore struct {
	// Intended counts the reactions the generator meant with this stance.
	Intended int `json:"intended"`
	// Labelled counts the reactions the classifier gave this stance.
	Labelled int `json:"labelled"`
	// Agree counts those it gave this stance that were meant so.
	Agree     int     `json:"agree"`
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	F1        float64 `json:"f1"`
}

// Agreement compares the stance the classifier stored for each demo
// reaction with the stance the generator intended. The dashboard shows the
// classifier's labels; this says how far to trust them on the demo data.
type Agreement struct {
	Story      string `json:"story"`
	Classifier string `json:"classifier"`
	// Compared counts the reactions compared: stored, generated, not deleted.
	Compared int     `json:"compared"`
	Agree    int     `json:"agree"`
	Accuracy float64 `json:"accuracy"`
	// MacroF1 is the mean F1 over the three stances.
	MacroF1  float64                        `json:"macro_f1"`
	PerClass map[reaction.Stance]ClassScore `json:"per_class"`
	// Confusion counts reactions by intended stance, then stored stance.
	Confusion map[reaction.Stance]map[reaction.Stance]int `json:"confusion"`
	// Deleted counts stored reactions deleted on the platform: their text
	// is gone, so their stance was not compared.
	Deleted int `json:"deleted"`
	// Unmatched counts stored reactions the generator did not make (data
	// from elsewhere in the same story).
	Unmatched int `json:"unmatched"`
	// Missing counts generated reactions a correct crawler produces that
	// are not stored (yet): non-zero while a crawl is still running.
	Missing int `json:"missing"`
	// PerPlatform counts, per platform, the reactions a correct crawler
	// produces and those stored.
	PerPlatform map[reaction.Platform]PlatformCount `json:"per_platform,omitempty"`
	Note        string                              `json:"note"`
	// Coding is the demo's simulated hand-coding and the corrected
	// shares' error against the generator (see Code).
	Coding *CodingCheck `json:"coding,omitempty"`

	// intended is the generator's stance of each reaction compared, for
	// Code (computing it again costs seconds).
	intended map[string]reaction.Stance
}

// PlatformCount is what a platform's replica holds and what was stored.
type PlatformCount struct {
	Expected int `json:"expected"`
	Stored   int `json:"stored"`
}

// Measure reads the current state of the story's reactions from s and
// compares their stance with the stance d's generator intended, for
// replicas served at baseURL. Only the items of platforms are expected
// (all platforms when it is empty).
func Measure(ctx context.Context, s *store.Store, storyID string, d *replica.Dataset, baseURL string, platforms ...reaction.Platform) (*Agreement, error) {
	a := &Agreement{Story: storyID, PerClass: map[reaction.Stance]ClassScore{}, Confusion: map[reaction.Stance]map[reaction.Stance]int{},
		PerPlatform: map[reaction.Platform]PlatformCount{}}
	intended := map[string]reaction.Stance{}
	for _, t := range GroundTruthItems(d, baseURL) {
		if len(platforms) > 0 && !slices.Contains(platforms, t.Reaction.Platform) {
			continue
		}
		c := a.PerPlatform[t.Reaction.Platform]
		c.Expected++
		a.PerPlatform[t.Reaction.Platform] = c
		if t.Item.Intended.Valid() {
			intended[t.Reaction.ID] = t.Item.Intended
		}
	}
	for _, st := range reaction.Stances {
		a.Confusion[st] = map[reaction.Stance]int{}
	}
	seen := map[string]bool{}
	err := s.CurrentReactions(ctx, storyID, func(r *reaction.Reaction) error {
		want, ok := intended[r.ID]
		if !ok {
			a.Unmatched++
			return nil
		}
		seen[r.ID] = true
		c := a.PerPlatform[r.Platform]
		c.Stored++
		a.PerPlatform[r.Platform] = c
		if r.Classifier != "" && a.Classifier == "" {
			a.Classifier = r.Classifier
		}
		if r.Deleted {
			a.Deleted++
			return nil
		}
		a.Compared++
		a.Confusion[want][r.Stance]++
		if want == r.Stance {
			a.Agree++
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("measure agreement: %w", err)
	}
	a.Missing = len(intended) - len(seen)
	a.intended = intended
	a.finish()
	return a, nil
}

// NewAgreement computes an agreement from pairs of intended and labelled
// stances (tests and callers without a store).
func NewAgreement(storyID, classifier string, pairs [][2]reaction.Stance) *Agreement {
	a := &Agreement{Story: storyID, Classifier: classifier, PerClass: map[reaction.Stance]ClassScore{}, Confusion: map[reaction.Stance]map[reaction.Stance]int{}}
	for _, st := range reaction.Stances {
		a.Confusion[st] = map[reaction.Stance]int{}
	}
	for _, p := range pairs {
		a.Compared++
		a.Confusion[p[0]][p[1]]++
		if p[0] == p[1] {
			a.Agree++
		}
	}
	a.finish()
	return a
}

func (a *Agreement) finish() {
	if a.Compared > 0 {
		a.Accuracy = round3(float64(a.Agree) / float64(a.Compared))
	}
	var f1s float64
	for _, st := range reaction.Stances {
		var c ClassScore
		for _, got := range reaction.Stances {
			c.Intended += a.Confusion[st][got]
			c.Labelled += a.Confusion[got][st]
		}
		c.Agree = a.Confusion[st][st]
		if c.Labelled > 0 {
			c.Precision = round3(float64(c.Agree) / float64(c.Labelled))
		}
		if c.Intended > 0 {
			c.Recall = round3(float64(c.Agree) / float64(c.Intended))
		}
		if c.Precision+c.Recall > 0 {
			c.F1 = round3(2 * c.Precision * c.Recall / (c.Precision + c.Recall))
		}
		f1s += c.F1
		a.PerClass[st] = c
	}
	a.MacroF1 = round3(f1s / float64(len(reaction.Stances)))
	a.Note = fmt.Sprintf("The chart shows the classifier's labels, not the generator's. On the %d demo reactions compared, "+
		"the classifier agrees with the stance the generator intended for %.1f%% (macro F1 %.2f).",
		a.Compared, 100*a.Accuracy, a.MacroF1)
}

func round3(x float64) float64 { return math.Round(x*1000) / 1000 }

// JSON returns the agreement as the story's DemoReport.
func (a *Agreement) JSON() string {
	b, _ := json.Marshal(a)
	return string(b)
}

// WriteText prints the agreement: accuracy, per-stance scores and the
// confusion matrix.
func (a *Agreement) WriteText(w io.Writer) error {
	fmt.Fprintf(w, "Classifier agreement with the generator's intended stance (%s)\n", a.Classifier)
	fmt.Fprintf(w, "  %d reactions compared, %d agree: accuracy %.1f%%, macro F1 %.2f", a.Compared, a.Agree, 100*a.Accuracy, a.MacroF1)
	if a.Deleted > 0 || a.Missing > 0 || a.Unmatched > 0 {
		fmt.Fprintf(w, " (%d deleted not compared, %d not collected, %d not generated)", a.Deleted, a.Missing, a.Unmatched)
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprint(tw, "  intended \\ labelled\t")
	for _, st := range reaction.Stances {
		fmt.Fprintf(tw, "%s\t", st)
	}
	fmt.Fprint(tw, "recall\tprecision\tF1\t\n")
	for _, st := range reaction.Stances {
		fmt.Fprintf(tw, "  %s\t", st)
		for _, got := range reaction.Stances {
			fmt.Fprintf(tw, "%d\t", a.Confusion[st][got])
		}
		c := a.PerClass[st]
		fmt.Fprintf(tw, "%.2f\t%.2f\t%.2f\t\n", c.Recall, c.Precision, c.F1)
	}
	return tw.Flush()
}
