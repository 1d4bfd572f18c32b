package aggregator

import (
	"fmt"
	"net/http"

	"github.com/reactions-research/reactions/internal/storyshard"
)

// misdirected answers 421 Misdirected Request, naming the owner, when this
// aggregator's shard (Config.Shard) does not own story, and reports
// whether it did. Nothing of such a request is stored or spooled: the
// story's owner is its only writer, which keeps its counts exact.
func (a *Aggregator) misdirected(w http.ResponseWriter, story string) bool {
	sh := a.cfg.Shard
	if sh.Owns(story) {
		return false
	}
	owner := storyshard.Owner(story, sh.Count)
	a.log.Warn("a story of another aggregator was sent here", "story", story, "owner", fmt.Sprintf("%d/%d", owner, sh.Count), "shard", sh.String())
	writeJSON(w, http.StatusMisdirectedRequest, map[string]any{
		"error": fmt.Sprintf("story %q belongs to the aggregator started with --shard %d/%d, not to this one (--shard %s): "+
			"send it there (a crawler given every aggregator's URL, in shard order, does)", story, owner, sh.Count, sh),
		"story": story, "owner": owner, "shards": sh.Count,
	})
	return true
}
