package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/reactions-research/reactions/aggregator/stance"
	"github.com/reactions-research/reactions/coding/retrain"
)

func init() {
	register(command{
		name:    "classify",
		summary: "label stance: text \"…\" --subject S | eval --data FILE [--loso] [--json] | train --data FILE…|--story ID --out MODEL",
		run:     runClassify,
	})
}

const classifyUsage = `Usage:
  reactions classify text "TEXT" --subject "SUBJECT" [--model MODEL] [--json]
      print the stance of TEXT toward SUBJECT and the classifier's confidence
  reactions classify eval --data FILE.jsonl [--loso] [--json] [--model MODEL]
      evaluate on labelled JSONL (fields text, subject, stance, story, hard):
      accuracy, per-class precision/recall/F1, macro-F1, confusion matrix and
      accuracy on hard items. With --loso, leave one story out: for each story,
      train on the built-in data plus the file's other stories and classify the
      held-out story (the honest figure for a story the model has never seen).
  reactions classify train --data FILE.jsonl [--data FILE2.jsonl …] --out MODEL [--builtin]
      train a model from labelled JSONL; point the aggregator at it with --model MODEL
  reactions classify train --story ID --out MODEL [--builtin] [--folds K] [--json]
      train on the story's final (adjudicated) hand-codes, unclear ones left out, and the
      built-in data with --builtin; print K-fold (default 5) figures on the codes beside the
      model that labels the story now, and store each code's out-of-fold prediction so the
      coding report validates the new model on codes it was not trained on (cross-fitting).
      Needs at least 10 final codes of each stance. Then: reactions reclassify --story ID --model MODEL
`

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string { return strings.Join(*l, ",") }

func (l *stringList) Set(s string) error {
	*l = append(*l, s)
	return nil
}

// parseInterspersed parses flags that may come before or after positional
// arguments (as parseFlags does) and returns the positional arguments.
func parseInterspersed(fs *flag.FlagSet, args []string, stdout, stderr io.Writer) ([]string, error) {
	var pos []string
	for {
		if err := parseFlags(fs, args, stdout, stderr); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

func runClassify(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, classifyUsage)
		return usageErrorf("missing subcommand (text, eval or train)")
	}
	switch args[0] {
	case "text":
		return classifyText(args[1:], stdout, stderr)
	case "eval":
		return classifyEval(ctx, args[1:], stdout, stderr)
	case "train":
		return classifyTrain(ctx, args[1:], stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, classifyUsage)
		return nil
	}
	fmt.Fprint(stderr, classifyUsage)
	return usageErrorf("unknown subcommand %q (want text, eval or train)", args[0])
}

// newClassifyFlags returns a flag set that prints the classify usage.
func newClassifyFlags(name string) *flag.FlagSet {
	return newFlags("classify "+name, classifyUsage+"\nFlags of classify "+name+":\n")
}

// loadClassifier returns the classifier of a model file, or the default one.
func loadClassifier(path string) (*stance.Classifier, error) {
	if path == "" {
		return stance.Default(), nil
	}
	return stance.Load(path)
}

func classifyText(args []string, stdout, stderr io.Writer) error {
	fs := newClassifyFlags("text")
	subject := fs.String("subject", "", "who the stance is about, e.g. \"Kiara Dunmore (Olympic gymnast)\"; required")
	model := fs.String("model", "", "model `FILE` written by classify train (default: the built-in model)")
	asJSON := fs.Bool("json", false, "print a JSON object {stance, score, classifier}")
	pos, err := parseInterspersed(fs, args, stdout, stderr)
	if err != nil {
		return err
	}
	switch {
	case len(pos) == 0:
		return usageErrorf("missing TEXT")
	case len(pos) > 1:
		return usageErrorf("one TEXT at a time (quote it); got %d arguments", len(pos))
	case strings.TrimSpace(*subject) == "":
		return usageErrorf("--subject is required")
	}
	c, err := loadClassifier(*model)
	if err != nil {
		return err
	}
	st, score := c.Classify(pos[0], *subject)
	if *asJSON {
		return json.NewEncoder(stdout).Encode(struct {
			Stance     string  `json:"stance"`
			Score      float64 `json:"score"`
			Classifier string  `json:"classifier"`
		}{string(st), score, c.Version()})
	}
	_, err = fmt.Fprintf(stdout, "%s %.3f\n", st, score)
	return err
}

func classifyEval(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newClassifyFlags("eval")
	var data stringList
	fs.Var(&data, "data", "labelled JSONL `FILE` to evaluate on (repeatable); required")
	asJSON := fs.Bool("json", false, "print one JSON object {n, accuracy, macro_f1, per_class, confusion, hard_accuracy}")
	loso := fs.Bool("loso", false, "leave one story out: train on the built-in data plus the other stories, test on each story")
	noBuiltin := fs.Bool("no-builtin", false, "with --loso: train on the other stories only, without the built-in data")
	model := fs.String("model", "", "model `FILE` to evaluate (default: the built-in model; ignored with --loso)")
	pos, err := parseInterspersed(fs, args, stdout, stderr)
	if err != nil {
		return err
	}
	data = append(data, pos...)
	if len(data) == 0 {
		return usageErrorf("--data FILE is required")
	}
	if *loso && *model != "" {
		return usageErrorf("--loso trains its own models; it does not take --model")
	}
	var examples []stance.Example
	for _, f := range data {
		ex, err := stance.ReadExamplesFile(f)
		if err != nil {
			return err
		}
		examples = append(examples, ex...)
	}
	if len(examples) == 0 {
		return fmt.Errorf("no examples in %s", strings.Join(data, ", "))
	}
	var report stance.Report
	var per map[string]stance.Report
	var version string
	if *loso {
		var extra []stance.Example
		if !*noBuiltin {
			if extra, err = stance.BuiltinExamples(); err != nil {
				return err
			}
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		report, per, err = stance.LeaveOneStoryOut(examples, extra, stance.DefaultTrainOptions())
		if err != nil {
			return err
		}
	} else {
		c, err := loadClassifier(*model)
		if err != nil {
			return err
		}
		version = c.Version()
		report = stance.Evaluate(c, examples)
	}
	if *asJSON {
		return json.NewEncoder(stdout).Encode(report)
	}
	var b strings.Builder
	if *loso {
		fmt.Fprintf(&b, "leave-one-story-out over %d stories (each trained without the story it is tested on)\n", len(per))
		stories := make([]string, 0, len(per))
		for s := range per {
			stories = append(stories, s)
		}
		sort.Strings(stories)
		for _, s := range stories {
			r := per[s]
			fmt.Fprintf(&b, "  %-24s n %4d  accuracy %.3f  macro-F1 %.3f  hard accuracy %.3f\n", s, r.N, r.Accuracy, r.MacroF1, r.HardAccuracy)
		}
		b.WriteString("\n")
	} else {
		fmt.Fprintf(&b, "classifier %s\n", version)
		if *model == "" {
			b.WriteString("note: the built-in model was trained only on the package's own data (aggregator/stance/data); figures on a file it was not trained on are held-out figures\n")
		}
		b.WriteString("\n")
	}
	if _, err := io.WriteString(stdout, b.String()); err != nil {
		return err
	}
	return report.WriteText(stdout)
}

func classifyTrain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newClassifyFlags("train")
	var data stringList
	fs.Var(&data, "data", "labelled JSONL `FILE` (repeatable; further files may follow the flags); required")
	out := fs.String("out", "", "model `FILE` to write; required")
	builtin := fs.Bool("builtin", false, "also train on the built-in data (recommended with few labels)")
	d := stance.DefaultTrainOptions()
	epochs := fs.Int("epochs", d.Epochs, "training epochs")
	l2 := fs.Float64("l2", d.L2, "L2 regularisation")
	storyID := fs.String("story", "", "train on this story's final hand-codes (`ID`) instead of files")
	folds := fs.Int("folds", retrain.DefaultFolds, "with --story: the `K` of the K-fold figures and cross-fitting (2 to 20)")
	asJSON := fs.Bool("json", false, "with --story: print the figures as one JSON object")
	database := databaseFlag(fs)
	pos, err := parseInterspersed(fs, args, stdout, stderr)
	if err != nil {
		return err
	}
	data = append(data, pos...)
	if *storyID != "" {
		switch {
		case len(data) > 0:
			return usageErrorf("--story trains on the story's codes: leave out --data (train on files without --story)")
		case *out == "":
			return usageErrorf("--out FILE is required")
		case *folds < 2 || *folds > retrain.MaxFolds:
			return usageErrorf("--folds %d: want 2 to %d", *folds, retrain.MaxFolds)
		case *epochs <= 0:
			return usageErrorf("--epochs must be positive")
		case *l2 < 0:
			return usageErrorf("--l2 must not be negative")
		}
		opts := d
		opts.Epochs, opts.L2 = *epochs, *l2
		return classifyTrainStory(ctx, trainStoryArgs{story: *storyID, out: *out, database: *database, builtin: *builtin,
			folds: *folds, json: *asJSON, opts: opts}, stdout, stderr)
	}
	var storyOnly []string
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "folds" || f.Name == "json" || f.Name == "database" {
			storyOnly = append(storyOnly, "--"+f.Name)
		}
	})
	switch {
	case len(storyOnly) > 0:
		return usageErrorf("%s go with --story ID", strings.Join(storyOnly, " and "))
	case len(data) == 0:
		return usageErrorf("--data FILE or --story ID is required")
	case *out == "":
		return usageErrorf("--out FILE is required")
	case *epochs <= 0:
		return usageErrorf("--epochs must be positive")
	case *l2 < 0:
		return usageErrorf("--l2 must not be negative")
	}
	var examples []stance.Example
	if *builtin {
		ex, err := stance.BuiltinExamples()
		if err != nil {
			return err
		}
		examples = append(examples, ex...)
	}
	for _, f := range data {
		ex, err := stance.ReadExamplesFile(f)
		if err != nil {
			return err
		}
		examples = append(examples, ex...)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	opts := d
	opts.Epochs, opts.L2, opts.Sources = *epochs, *l2, data
	m, err := stance.Train(examples, opts)
	if err != nil {
		return err
	}
	if err := m.Save(*out); err != nil {
		return err
	}
	c := stance.New(m)
	_, err = fmt.Fprintf(stdout, "trained on %d examples; wrote %s (classifier %s)\n", len(examples), *out, c.Version())
	return err
}
