package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/reactions-research/reactions/aggregator"
	"github.com/reactions-research/reactions/aggregator/spool"
	"github.com/reactions-research/reactions/aggregator/stance"
	"github.com/reactions-research/reactions/coding/retrain"
	"github.com/reactions-research/reactions/demo"
	"github.com/reactions-research/reactions/reaction"
	"github.com/reactions-research/reactions/store"
)

func init() {
	register(command{
		name:    "reclassify",
		summary: "relabel a story's stored reactions with the current classifier: --story ID [--model FILE]",
		run:     runReclassify,
	})
}

func runReclassify(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("reclassify", "")
	storyID := fs.String("story", "", "the story `ID`; required")
	model := fs.String("model", "", "stance model `FILE`; default: the built-in model")
	aggURL := fs.String("aggregator", "", "ask the running aggregator at `URL` to reclassify with its classifier (token from "+ingestTokenEnv+")")
	database := databaseFlag(fs)
	if err := parseFlags(fs, args, stdout, stderr); err != nil {
		return err
	}
	switch {
	case fs.NArg() != 0:
		return usageErrorf("unexpected argument %q", fs.Arg(0))
	case *storyID == "":
		return usageErrorf("--story ID is required")
	case !reaction.ValidStoryID(*storyID):
		return usageErrorf("--story %q is not a story id ([a-z0-9-]+)", *storyID)
	case *aggURL != "" && *model != "":
		return usageErrorf("--model and --aggregator exclude each other: the running aggregator uses its own model")
	}
	if *aggURL != "" {
		return reclassifyRemote(ctx, *aggURL, *storyID, stdout)
	}

	lab := stance.Default()
	if *model != "" {
		var err error
		if lab, err = stance.Load(*model); err != nil {
			return err
		}
	}
	stateDir := stateDirectory()
	st, err := openStory(ctx, stateDir, *storyID, *database, stderr)
	if err != nil {
		return err
	}
	defer st.Close()
	// Exact counts need one writer: refuse while an aggregator (or an
	// in-process crawl, or the demo for its database) holds the spool of
	// this state directory that writes to this database.
	spoolDir, who := filepath.Join(stateDir, "spool"), "an aggregator"
	if st.Database() == demo.Database {
		spoolDir, who = demo.SpoolDir(stateDir), "the demo"
	}
	unlock, err := spool.Lock(spoolDir)
	if errors.Is(err, spool.ErrLocked) && who == "the demo" && *model == "" {
		if u, ok := demo.RunningAggregator(stateDir); ok {
			fmt.Fprintf(stderr, "reactions reclassify: the demo is running: asking its aggregator at %s\n", u)
			return reclassifyRemote(ctx, u, *storyID, stdout)
		}
	}
	if errors.Is(err, spool.ErrLocked) {
		return fmt.Errorf("%s is running on this state directory (%s): stop it first, "+
			"or pass --aggregator URL to have its aggregator reclassify", who, stateDir)
	}
	if err != nil {
		return err
	}
	defer unlock()
	rec, err := st.GetStory(ctx, *storyID)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("story %q is not stored: crawl it first (reactions crawl --story FILE)", *storyID)
	}
	if err != nil {
		return err
	}
	// Record a model trained on this story's codes before its labels are
	// stored, so that no report ever validates it with its own labels.
	retrained, oof, err := retrain.Register(ctx, st, *storyID, lab.Model())
	if err != nil {
		return err
	}
	start := time.Now()
	read, changed, err := aggregator.Reclassify(ctx, st, lab, &rec.Story)
	if err != nil {
		return fmt.Errorf("reclassify %s: %w", *storyID, err)
	}
	fmt.Fprintf(stdout, "story %s: %d reactions read, %d relabelled with %s in %s\n",
		*storyID, read, changed, lab.Version(), time.Since(start).Round(time.Millisecond))
	switch sc := lab.Model().Meta.StoryCodes; {
	case retrained && oof > 0:
		fmt.Fprintf(stdout, "%s was trained on %d of this story's final codes: the coding report validates it, and corrects the shares, "+
			"with the %d stored out-of-fold predictions of its %d-fold cross-fitting, not with its own labels of those codes.\n",
			lab.Version(), sc.Codes, oof, sc.Folds)
	case retrained:
		fmt.Fprintf(stderr, "reactions reclassify: warning: %s was trained on %d of this story's final codes elsewhere, and this database "+
			"holds no out-of-fold predictions for it: the coding report will not validate it nor correct the shares. Train here "+
			"instead (reactions classify train --story %s --out FILE) and reclassify with that model.\n", lab.Version(), sc.Codes, *storyID)
	case sc != nil:
		fmt.Fprintf(stdout, "%s was trained on the codes of story %s, not of this one: this story's codes validate it as held-out data.\n",
			lab.Version(), sc.Story)
	}
	counts, err := st.Counts(ctx, *storyID, false)
	if err != nil {
		return err
	}
	printCounts(stdout, counts)
	return nil
}

// printCounts prints reactions by platform and stance, with totals.
func printCounts(w io.Writer, counts map[reaction.Platform]map[reaction.Stance]int64) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "PLATFORM\tSUPPORT\tCRITICISM\tNEUTRAL\tTOTAL\t")
	var all [3]int64
	for _, p := range reaction.Platforms {
		m := counts[p]
		if m == nil {
			continue
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t\n", p, m[reaction.Support], m[reaction.Criticism], m[reaction.Neutral],
			m[reaction.Support]+m[reaction.Criticism]+m[reaction.Neutral])
		for i, s := range reaction.Stances {
			all[i] += m[s]
		}
	}
	fmt.Fprintf(tw, "all\t%d\t%d\t%d\t%d\t\n", all[0], all[1], all[2], all[0]+all[1]+all[2])
	tw.Flush()
}

func reclassifyRemote(ctx context.Context, base, storyID string, stdout io.Writer) error {
	u := strings.TrimRight(base, "/") + "/api/v1/stories/" + url.PathEscape(storyID) + "/reclassify"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, nil)
	if err != nil {
		return usageErrorf("--aggregator: %v", err)
	}
	if tok := os.Getenv(ingestTokenEnv); tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("reclassify through the aggregator: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("reclassify through the aggregator: HTTP %d: %s", resp.StatusCode, strings.TrimSpace(string(body)))
	}
	var ans struct {
		Read, Changed int
		Classifier    string
	}
	if err := json.Unmarshal(body, &ans); err != nil {
		return fmt.Errorf("reclassify through the aggregator: unexpected answer %q", body)
	}
	fmt.Fprintf(stdout, "story %s: %d reactions read, %d relabelled with %s\n", storyID, ans.Read, ans.Changed, ans.Classifier)
	return nil
}
