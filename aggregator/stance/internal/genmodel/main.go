// Command genmodel trains the embedded default stance model from the
// package's own labelled data (data/*.jsonl) plus the shared development set,
// and can report the leave-one-story-out evaluation on the development set.
//
//	go run ./internal/genmodel                 # writes model/default.model
//	go run ./internal/genmodel -loso -errors   # evaluates instead
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/reactions-research/reactions/aggregator/stance"
)

func main() {
	dev := flag.String("dev", "../../../shared/data/stance/dev.jsonl", "shared development set")
	dataGlob := flag.String("data", "data/*.jsonl", "the package's own labelled data")
	out := flag.String("out", "model/default.model", "model file to write")
	loso := flag.Bool("loso", false, "print the leave-one-story-out report instead of writing a model")
	showErr := flag.Bool("errors", false, "with -loso: list the misclassified items")
	feat := flag.String("features", "wcsx", "feature groups: w=words c=chars s=sentiment x=cues")
	noDev := flag.Bool("nodev", false, "train on own data only and evaluate on the whole dev set")
	losoOwn := flag.Bool("loso-own", false, "leave-one-story-out over the own data (dev as extra training), by language")
	explain := flag.String("explain", "", "explain the decision on this text (with -subject, -holdout)")
	subject := flag.String("subject", "", "subject for -explain")
	holdout := flag.String("holdout", "", "with -explain: dev story to leave out of training")
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

	devEx, err := stance.ReadExamplesFile(*dev)
	if err != nil {
		log.Fatal(err)
	}
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
	printErrors := func(r stance.Report) {
		if !*showErr {
			return
		}
		for _, e := range r.Errors {
			h := " "
			if e.Hard {
				h = "H"
			}
			fmt.Printf("%s %-9s -> %-9s %.2f %s\n", h, e.Stance, e.Predicted, e.Score, e.Text)
		}
	}
	switch {
	case *explain != "":
		train := append([]stance.Example(nil), own...)
		for _, e := range devEx {
			if e.Story != *holdout {
				train = append(train, e)
			}
		}
		m, err := stance.Train(train, opts)
		if err != nil {
			log.Fatal(err)
		}
		c := stance.New(m)
		st, p := c.Classify(*explain, *subject)
		fmt.Printf("%s %.3f\n", st, p)
		groups := map[string][3]float32{}
		for i, x := range c.Explain(*explain, *subject) {
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
		for g, s := range groups {
			fmt.Printf("  %-12s %+.3f %+.3f %+.3f\n", g, s[0], s[1], s[2])
		}
	case *losoOwn:
		_, per, err := stance.LeaveOneStoryOut(own, devEx, opts)
		if err != nil {
			log.Fatal(err)
		}
		lang := map[string]string{}
		for _, e := range own {
			lang[e.Story] = e.Lang
		}
		byLang := map[string][]float64{}
		for s, r := range per {
			byLang[lang[s]] = append(byLang[lang[s]], r.Accuracy, r.MacroF1, r.HardAccuracy, float64(r.N))
			if *showErr {
				for _, e := range r.Errors {
					fmt.Printf("%s %-9s -> %-9s %.2f %s\n", e.Lang, e.Stance, e.Predicted, e.Score, e.Text)
				}
			}
		}
		for l, v := range byLang {
			var acc, f1, hard, n float64
			for i := 0; i < len(v); i += 4 {
				acc += v[i] * v[i+3]
				f1 += v[i+1] * v[i+3]
				hard += v[i+2] * v[i+3]
				n += v[i+3]
			}
			fmt.Printf("%s: n %.0f, acc %.3f, macro-F1 (story-weighted) %.3f, hard %.3f\n", l, n, acc/n, f1/n, hard/n)
		}
	case *noDev:
		m, err := stance.Train(own, opts)
		if err != nil {
			log.Fatal(err)
		}
		r := stance.Evaluate(stance.New(m), devEx)
		r.WriteText(os.Stdout)
		printErrors(r)
	case *loso:
		r, per, err := stance.LeaveOneStoryOut(devEx, own, opts)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("own examples: %d, dev examples: %d\n", len(own), len(devEx))
		names := make([]string, 0, len(per))
		for s := range per {
			names = append(names, s)
		}
		sort.Strings(names)
		for _, s := range names {
			pr := per[s]
			fmt.Printf("  %-20s acc %.3f macro-F1 %.3f hard %.3f\n", s, pr.Accuracy, pr.MacroF1, pr.HardAccuracy)
		}
		r.WriteText(os.Stdout)
		printErrors(r)
	default:
		m, err := stance.Train(append(own, devEx...), opts)
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
		fmt.Printf("wrote %s (%d bytes, %d examples, model %s)\n", *out, fi.Size(), len(own)+len(devEx), m.Hash())
	}
}
