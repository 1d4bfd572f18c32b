package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/reactions-research/reactions/coding/study"
)

func codeImport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("code import", codeUsage+"\nFlags of code import:\n")
	storyID := fs.String("story", "", "the story `ID`; required")
	coder := fs.String("coder", "", "the coder's `NAME`, stored as given; required")
	file := fs.String("file", "", "a CSV `FILE` with the columns id and code; required")
	database := databaseFlag(fs)
	if err := parseFlags(fs, args, stdout, stderr); err != nil {
		return err
	}
	switch {
	case fs.NArg() != 0:
		return usageErrorf("unexpected argument %q", fs.Arg(0))
	case *coder == "":
		return usageErrorf("--coder NAME is required")
	case *file == "":
		return usageErrorf("--file FILE.csv is required")
	}
	if err := checkStoryFlag(*storyID); err != nil {
		return err
	}
	f, err := os.Open(*file)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := openStory(ctx, stateDirectory(), *storyID, *database, stderr)
	if err != nil {
		return err
	}
	defer st.Close()
	res, err := study.Import(ctx, st, *storyID, *coder, "import "+filepath.Base(*file), f)
	if err != nil {
		return fmt.Errorf("%s: %w", *file, err)
	}
	fmt.Fprintf(stdout, "Stored %d codes by %s for story %s", res.Stored, *coder, *storyID)
	if res.Unchanged > 0 {
		fmt.Fprintf(stdout, "; %d were already stored as they are", res.Unchanged)
	}
	if res.Skipped > 0 {
		fmt.Fprintf(stdout, "; %d rows have no code yet and were skipped", res.Skipped)
	}
	fmt.Fprintln(stdout, ".")
	if res.NotSampled > 0 {
		fmt.Fprintf(stdout, "%d coded reactions are in no sample: they count for agreement, not for validating the classifier.\n", res.NotSampled)
	}
	return nil
}
