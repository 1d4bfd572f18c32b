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
	opts.Features = &fc
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
