package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/reactions-research/reactions/coding/study"
	"github.com/reactions-research/reactions/store"
)

func codeExport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("code export", codeUsage+"\nFlags of code export:\n")
	storyID := fs.String("story", "", "the story `ID`; required")
	out := fs.String("out", "-", "write to `FILE`; default stdout")
	format := fs.String("format", "csv", "csv or json")
	database := databaseFlag(fs)
	if err := parseFlags(fs, args, stdout, stderr); err != nil {
		return err
	}
	switch {
	case fs.NArg() != 0:
		return usageErrorf("unexpected argument %q", fs.Arg(0))
	case *format != "csv" && *format != "json":
		return usageErrorf("--format %q: use csv or json", *format)
	}
	if err := checkStoryFlag(*storyID); err != nil {
		return err
	}
	st, err := openStory(ctx, stateDirectory(), *storyID, *database, stderr)
	if err != nil {
		return err
	}
	defer st.Close()
	cs, err := st.Codings(ctx, *storyID)
	if err != nil {
		return err
	}
	w := stdout
	if *out != "-" {
		f, err := os.Create(*out)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	if *format == "json" {
		if cs == nil {
			cs = []store.Coding{}
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		err = enc.Encode(cs)
	} else {
		err = writeCodingsCSV(w, cs)
	}
	if err != nil {
		return fmt.Errorf("write codes: %w", err)
	}
	if *out != "-" {
		fmt.Fprintf(stderr, "wrote %d codes (every revision) to %s\n", len(cs), *out)
	}
	return nil
}

// codingColumns are the columns of code export's CSV.
var codingColumns = []string{"story", "sample", "id", "coder", "role", "code", "coded_at", "seq", "source"}

// writeCodingsCSV writes every revision, oldest first: role is coder or
// adjudicator, and the latest row of an (id, coder, role) is the one that
// counts (code "withdrawn" takes a code back).
func writeCodingsCSV(w io.Writer, cs []store.Coding) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(codingColumns); err != nil {
		return err
	}
	for _, c := range cs {
		role := "coder"
		if c.Adjudication {
			role = "adjudicator"
		}
		if err := cw.Write([]string{c.Story, study.SafeCell(c.Sample), c.ID, study.SafeCell(c.Coder), role, string(c.Code),
			c.CodedAt.UTC().Format(time.RFC3339), strconv.FormatUint(c.Seq, 10), study.SafeCell(c.Source)}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
