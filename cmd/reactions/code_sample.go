package main

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/reactions-research/reactions/coding"
	"github.com/reactions-research/reactions/coding/study"
	"github.com/reactions-research/reactions/reaction"
	"github.com/reactions-research/reactions/store"
	"github.com/reactions-research/reactions/story"
)

func codeSample(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("code sample", codeUsage+"\nFlags of code sample:\n")
	storyID := fs.String("story", "", "the story `ID`; required")
	n := fs.Int("n", 0, "the sample size; required")
	seed := fs.String("seed", "", "the draw's `SEED` (a whole number; the same seed on the same reactions draws the same sample); default a random seed, printed")
	strategy := fs.String("strategy", "stratified", "stratified (by day and predicted stance, weights recorded), random, or uncertain (the items the model is least sure of, for training; not used to estimate error rates)")
	from := fs.String("from", "", "draw from reactions created at or after `T` (RFC 3339 or YYYY-MM-DD, UTC)")
	to := fs.String("to", "", "draw from reactions created before `T`")
	platform := fs.String("platform", "", "draw from one platform: "+strings.Join(platformStrings(), ", "))
	name := fs.String("name", "", "the sample's `NAME` (default sample-K)")
	overlap := fs.Float64("overlap", study.DefaultOverlap, "the share of the sample every coder codes, for reliability (0 for none)")
	out := fs.String("out", "", "write the coding sheet to `FILE.csv` (\"-\" for stdout); required")
	database := databaseFlag(fs)
	if err := parseFlags(fs, args, stdout, stderr); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usageErrorf("unexpected argument %q", fs.Arg(0))
	}
	if err := checkStoryFlag(*storyID); err != nil {
		return err
	}
	strat, err := coding.ParseStrategy(*strategy)
	switch {
	case err != nil:
		return usageErrorf("--strategy: %v", err)
	case *n <= 0:
		return usageErrorf("--n N is required: the number of reactions to sample (200-400 is usual for validation)")
	case *out == "":
		return usageErrorf("--out FILE.csv is required")
	case *overlap < 0 || *overlap > 1:
		return usageErrorf("--overlap %v: want a share between 0 and 1", *overlap)
	}
	req := study.DrawRequest{Story: *storyID, Name: *name, Design: coding.Design{Strategy: strat, N: *n}, Overlap: *overlap}
	if *overlap == 0 {
		req.Overlap = -1 // none
	}
	if *seed == "" {
		var b [8]byte
		rand.Read(b[:])
		req.Design.Seed = binary.LittleEndian.Uint64(b[:]) % 1_000_000_000
	} else if _, err := fmt.Sscan(*seed, &req.Design.Seed); err != nil || fmt.Sprint(req.Design.Seed) != strings.TrimSpace(*seed) {
		return usageErrorf("--seed %q is not a whole number", *seed)
	}
	if req.Filters.From, err = parseFlagTime("--from", *from); err != nil {
		return err
	}
	if req.Filters.To, err = parseFlagTime("--to", *to); err != nil {
		return err
	}
	if !req.Filters.From.IsZero() && !req.Filters.To.IsZero() && !req.Filters.To.After(req.Filters.From) {
		return usageErrorf("--to %s is not after --from %s", *to, *from)
	}
	if *platform != "" {
		if !reaction.Platform(*platform).Valid() {
			return usageErrorf("--platform %q is not one of %s", *platform, strings.Join(platformStrings(), ", "))
		}
		req.Filters.Platform = reaction.Platform(*platform)
	}

	st, err := openStory(ctx, stateDirectory(), *storyID, *database, stderr)
	if err != nil {
		return err
	}
	defer st.Close()
	var cb *story.Codebook
	if rec, err := st.GetStory(ctx, *storyID); err == nil {
		cb = rec.Story.Codebook
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	d, err := study.Draw(ctx, st, req)
	if err != nil {
		return err
	}
	ids := make([]string, len(d.Items))
	for i, it := range d.Items {
		ids[i] = it.ID
	}
	rs, err := st.ReactionsByID(ctx, *storyID, ids)
	if err != nil {
		return err
	}
	missing, err := writeSheet(*out, d.Items, rs, cb, stdout)
	if err != nil {
		return err
	}
	smp := d.Sample
	msg := stderr
	if *out != "-" {
		msg = stdout
	}
	if d.Existing {
		fmt.Fprintf(msg, "Sample %s of story %s exists with this design: wrote its %d stored items again.\n", smp.Name, smp.Story, smp.Drawn)
	} else {
		fmt.Fprintf(msg, "Drew sample %s of story %s: %d of %d reactions, %s, seed %d (pass --seed %d to draw it again).\n",
			smp.Name, smp.Story, smp.Drawn, smp.Population, smp.Strategy, smp.Seed, smp.Seed)
	}
	if !smp.Estimable {
		fmt.Fprintln(msg, "An uncertain sample is for training: its codes count for agreement but do not estimate the classifier's error rates.")
	}
	if k := overlapCount(d.Items); k > 0 {
		fmt.Fprintf(msg, "Rows 1-%d (%.0f %%) are the reliability overlap: give them to every coder; the rest can be split among coders.\n", k, 100*smp.Overlap)
	}
	if missing > 0 {
		fmt.Fprintf(msg, "%d sampled reactions are no longer stored: their rows have no text.\n", missing)
	}
	if *out != "-" {
		fmt.Fprintf(msg, "Wrote %s (code column empty: 1 support, 2 criticism, 3 neutral, 0 unclear) and the codebook %s.codebook.txt.\n", *out, *out)
		fmt.Fprintf(msg, "Then: reactions code import --story %s --coder NAME --file %s\n", smp.Story, *out)
	}
	return nil
}

func overlapCount(items []store.SampleItem) int {
	k := 0
	for _, it := range items {
		if it.Overlap {
			k++
		}
	}
	return k
}

// writeSheet writes the coding sheet to path (through a temporary file)
// and the codebook beside it; "-" writes the sheet to stdout only.
func writeSheet(path string, items []store.SampleItem, rs map[string]reaction.Reaction, cb *story.Codebook, stdout io.Writer) (int, error) {
	if path == "-" {
		return study.WriteCSV(stdout, items, rs)
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".coding-*.csv.tmp")
	if err != nil {
		return 0, fmt.Errorf("create %s: %w", path, err)
	}
	defer os.Remove(f.Name())
	missing, err := study.WriteCSV(f, items, rs)
	if err == nil {
		err = f.Chmod(0o644)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.WriteFile(path+".codebook.txt", []byte(codebookText(cb)), 0o644); err != nil {
		return 0, fmt.Errorf("write the codebook: %w", err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return 0, fmt.Errorf("write %s: %w", path, err)
	}
	return missing, nil
}

// codebookText is the codebook as plain text for coders.
func codebookText(cb *story.Codebook) string {
	c := cb.Or()
	var b strings.Builder
	b.WriteString("CODEBOOK\n\n" + c.Instructions + "\n")
	for _, x := range []struct {
		key  string
		name string
		d    *story.CodeDef
	}{{"1", "support", c.Support}, {"2", "criticism", c.Criticism}, {"3", "neutral", c.Neutral}, {"0", "unclear", c.Unclear}} {
		if x.d == nil {
			continue
		}
		fmt.Fprintf(&b, "\n%s  %s\n   %s\n", x.key, x.name, x.d.Definition)
		for _, e := range x.d.Examples {
			fmt.Fprintf(&b, "   e.g. %s\n", e)
		}
	}
	return b.String()
}
