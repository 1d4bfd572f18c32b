package crawler

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/reactions-research/reactions/reaction"
)

// WriteSummary prints the runs as a table: source, platform, requests,
// pages, items, new, errors, blocked, status and message.
func WriteSummary(w io.Writer, runs []reaction.CrawlRun) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SOURCE\tPLATFORM\tREQUESTS\tPAGES\tITEMS\tNEW\tERRORS\tBLOCKED\tSTATUS\tMESSAGE")
	for _, r := range runs {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%s\t%s\n", r.Source, r.Platform, r.Requests, r.Pages,
			r.Items, r.NewItems, r.Errors, r.Blocked, r.Status, r.Message)
	}
	return tw.Flush()
}

// AllOK reports whether every run finished with status ok: what --once
// needs to exit 0. A source that found nothing, stopped mid-way, was
// blocked or interrupted is not ok.
func AllOK(runs []reaction.CrawlRun) bool {
	for _, r := range runs {
		if r.Status != reaction.RunOK {
			return false
		}
	}
	return len(runs) > 0
}
