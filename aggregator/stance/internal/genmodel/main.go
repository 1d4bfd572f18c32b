// Command genmodel trains the embedded default stance model from the
// package's own labelled data (data/*.jsonl) and nothing else, and has
// evaluation modes for developing the data and the features:
//
//	go run ./internal/genmodel                       # writes model/default.model
//	go run ./internal/genmodel -eval FILE            # train on data/, evaluate on FILE
//	go run ./internal/genmodel -loso FILE            # leave one story of FILE out (data/ as extra training)
//	go run ./internal/genmodel -loso-own -errors     # leave one story of data/ out, by language
//
// Evaluation files such as the shared development set stay measurements:
// they never go into the default model.
package main

import (
	"flag"
	"fmt"
	"log"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/reactions-research/reactions/aggregator/stance"
)

// main trains the default model from the repository's data and writes
// it with its version. It is long because it is the whole training
// recipe, read top to bottom: data, folds, features, fit, checks, output.
func main() {
	dataGlob := flag.String("data", "data/*.jsonl", "the package's own labelled data")
	out := flag.String("out", "model/default.model", "model file to write")
	evalFile := flag.String("eval", "", "train on the data and evaluate on this labelled `FILE` instead of writing a model")
	losoFile := flag.String("loso", "", "leave-one-story-out over this labelled `FILE`, the data as extra training")
	losoOwn := flag.Bool("loso-own", false, "leave-one-story-out over the data itself, by language")
	group := flag.String("group", "", "with -loso-own: also report the stories matching this `REGEXP` apart")
	folds := flag.Int("folds", 0, "with -loso-own: hold out one of this many groups of stories at a time instead of one story")
	showErr := flag.Bool("errors", false, "with -eval, -loso or -loso-own: list the misclassified items")
	feat := flag.String("features", "wcsx", "feature groups: w=words c=chars s=sentiment x=cues")
	explain := flag.String("explain", "", "explain the decision of a model trained on the data on this text (with -subject)")
	subject := flag.String("subject", "", "subject for -explain")
	l2 := flag.Float64("l2", -1, "override L2")
	epochs := flag.Int("epochs", 0, "override epochs")
	lr := flag.Float64("lr", 0, "override learning rate")
	ws := flag.Float64("ws", 0, "override word scale")
	cs := flag.Float64("cs", 0, "override char scale")
	xs := flag.Float64("xs", 0, "override cue scale")
	hw := flag.Float64("hw", 0, "override hard weight")
	seed := flag.Uint64("seed", 0, "override seed")
	nobal := flag.Bool("nobal", false, "no class balancing")
	restarts := flag.Int("restarts", 0, "override restarts")
	flag.Parse()

	files, err := filepath.Glob(*dataGlob)
	if err != nil {
		log.Fatal(err)
	}
	sort.Strings(files)
	var own []stance.Example
	for _, f := range files {
		ex, err := stance.ReadExamplesFile(f)
		if err != nil {
			log.Fatal(err)
		}
		own = append(own, ex...)
	}
	opts := stance.DefaultTrainOptions()
	fc := stance.DefaultFeatures()
	fc.Words, fc.Chars, fc.Sentiment, fc.Cues = false, false, false, false
	for _, c := range *feat {
		switch c {
		case 'w':
			fc.Words = true
		case 'c':
			fc.Chars = true
		case 's':
			fc.Sentiment = true
		case 'x':
			fc.Cues = true
		}
	}
	if *ws > 0 {
		fc.WordScale = float32(*ws)
	}
	if *cs > 0 {
		fc.CharScale = float32(*cs)
	}
	if *xs > 0 {
		fc.CueScale = float32(*xs)
	}
	opts.Features = &fc
	if *l2 >= 0 {
		opts.L2 = *l2
	}
	if *epochs > 0 {
		opts.Epochs = *epochs
	}
	if *lr > 0 {
		opts.LearningRate = *lr
	}
	if *restarts > 0 {
		opts.Restarts = *restarts
	}
	if *nobal {
		opts.BalanceClasses = false
	}
	if *seed > 0 {
		opts.Seed = *seed
	}
	if *hw > 0 {
		opts.HardWeight = *hw
	}
	printErrors := func(errs []stance.Prediction) {
		if !*showErr {
			return
		}
		for _, e := range errs {
			h := " "
			if e.Hard {
				h = "H"
			}
			fmt.Printf("%s %s %-9s -> %-9s %.2f [%s] %q\n", h, e.Lang, e.Stance, e.Predicted, e.Score, e.ID, e.Text)
		}
	}
	switch {
	case *explain != "":
		m, err := stance.Train(own, opts)
		if err != nil {
			log.Fatal(err)
		}
		explainText(stance.New(m), *explain, *subject)
	case *losoOwn:
		// Hold out one story at a time, or one of -folds groups of stories.
		held := own
		if *folds > 0 {
			held = make([]stance.Example, len(own))
			for i, e := range own {
				e.Story = fmt.Sprintf("fold-%d", foldOf(e.Story, *folds))
				held[i] = e
			}
		}
		r, _, err := stance.LeaveOneStoryOut(held, nil, opts)
		if err != nil {
			log.Fatal(err)
		}
		for _, l := range byLanguage(own, r.Errors) {
			fmt.Println(l)
		}
		if *group != "" {
			re := regexp.MustCompile(*group)
			var sub []stance.Example
			ids := map[string]bool{}
			for _, e := range own {
				if re.MatchString(e.Story) {
					sub = append(sub, e)
					ids[e.ID] = true
				}
			}
			var subErr []stance.Prediction
			for _, e := range r.Errors {
				if ids[e.ID] {
					e.Story = ""
					subErr = append(subErr, e)
				}
			}
			for _, l := range byLanguage(sub, subErr) {
				fmt.Println(*group, l)
			}
		}
		r.WriteText(os.Stdout)
		printErrors(r.Errors)
	case *evalFile != "":
		ev, err := stance.ReadExamplesFile(*evalFile)
		if err != nil {
			log.Fatal(err)
		}
		m, err := stance.Train(own, opts)
		if err != nil {
			log.Fatal(err)
		}
		r := stance.Evaluate(stance.New(m), ev)
		r.WriteText(os.Stdout)
		printErrors(r.Errors)
	case *losoFile != "":
		ev, err := stance.ReadExamplesFile(*losoFile)
		if err != nil {
			log.Fatal(err)
		}
		r, per, err := stance.LeaveOneStoryOut(ev, own, opts)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("own examples: %d, evaluated: %d\n", len(own), len(ev))
		for _, s := range slices.Sorted(maps.Keys(per)) {
			pr := per[s]
			fmt.Printf("  %-24s acc %.3f macro-F1 %.3f hard %.3f\n", s, pr.Accuracy, pr.MacroF1, pr.HardAccuracy)
		}
		r.WriteText(os.Stdout)
		printErrors(r.Errors)
	default:
		opts.Sources = files
		m, err := stance.Train(own, opts)
		if err != nil {
			log.Fatal(err)
		}
		if err := m.Save(*out); err != nil {
			log.Fatal(err)
		}
		fi, err := os.Stat(*out)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("wrote %s (%d bytes, %d examples from %d files, model %s)\n", *out, fi.Size(), len(own), len(files), m.Hash())
	}
}

// explainText prints c's decision on text, its strongest features and the
// contribution of each feature group.
func explainText(c *stance.Classifier, text, subject string) {
	st, p := c.Classify(text, subject)
	fmt.Printf("%s %.3f\n", st, p)
	groups := map[string][3]float32{}
	for i, x := range c.Explain(text, subject) {
		g := x.Feature
		if k := strings.IndexByte(g, ':'); k > 0 {
			g = g[:k]
		}
		s := groups[g]
		for j := range s {
			s[j] += x.Weights[j]
		}
		groups[g] = s
		if i < 25 {
			fmt.Println(x)
		}
	}
	fmt.Println("by group (support, criticism, neutral):")
	for _, g := range slices.Sorted(maps.Keys(groups)) {
		s := groups[g]
		fmt.Printf("  %-12s %+.3f %+.3f %+.3f\n", g, s[0], s[1], s[2])
	}
}

// foldOf assigns a story to one of n folds by a hash of its key.
func foldOf(story string, n int) int {
	h := uint32(2166136261)
	for i := 0; i < len(story); i++ {
		h ^= uint32(story[i])
		h *= 16777619
	}
	return int(h % uint32(n))
}

// byLanguage returns a line of figures per language of the examples, from
// the errors of an evaluation over all of them.
func byLanguage(all []stance.Example, errs []stance.Prediction) []string {
	preds := map[string][]stance.Prediction{}
	wrong := map[string]int{}
	for _, e := range errs {
		preds[e.Lang] = append(preds[e.Lang], e)
		wrong[e.Lang+"/"+e.ID+"/"+e.Text]++
	}
	for _, e := range all {
		if k := e.Lang + "/" + e.ID + "/" + e.Text; wrong[k] > 0 {
			wrong[k]--
			continue
		}
		preds[e.Lang] = append(preds[e.Lang], stance.Prediction{Example: e, Predicted: e.Stance})
	}
	var out []string
	for _, l := range slices.Sorted(maps.Keys(preds)) {
		r := stance.NewReport(preds[l])
		out = append(out, fmt.Sprintf("%s: n %d, accuracy %.3f, macro-F1 %.3f, hard %.3f", l, r.N, r.Accuracy, r.MacroF1, r.HardAccuracy))
	}
	return out
}
