package series

import (
	"strings"
	"testing"

	"github.com/reactions-research/reactions/reaction"
)

// TestCompletenessWarnsOfEveryIncompleteStatus: a latest run that looped,
// was cut at a page cap or was throttled is flagged with what it means,
// even when it collected reactions and reported no other error.
func TestCompletenessWarnsOfEveryIncompleteStatus(t *testing.T) {
	for _, tc := range []struct{ status, want string }{
		{"ok", ""},
		{"loop", "loop: the platform paged in a circle, so a listing was stopped and reactions beyond it are missing: "},
		{"truncated", "truncated: a page cap was reached, so reactions beyond it are missing: "},
		{"throttled", "throttled: the platform asked the crawler to wait longer than it waits, so the latest run stopped early: "},
	} {
		run := reaction.CrawlRun{Source: "s", Platform: reaction.Reddit, Items: 40, Status: tc.status, Message: "the run's message"}
		got := Completeness([]Source{{Name: "s", Platform: reaction.Reddit}}, []reaction.CrawlRun{run})
		if len(got) != 1 || (tc.want == "") != (got[0].Warning == "") || !strings.HasPrefix(got[0].Warning, tc.want) {
			t.Errorf("status %s: warning %q, want %q…", tc.status, got[0].Warning, tc.want)
		}
	}
}
