package aggregator_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/reactions-research/reactions/aggregator"
	"github.com/reactions-research/reactions/internal/storyshard"
	"github.com/reactions-research/reactions/store/chtest"
)

// TestShardAnswersMisdirected: an aggregator started with --shard i/N
// answers 421 Misdirected Request, naming the owner, to every request
// about a story it does not own, and stores nothing of it; the owner
// takes it.
func TestShardAnswersMisdirected(t *testing.T) {
	st := chtest.New(t)
	owner := storyshard.Owner(storyID, 2)
	wrong := start(t, st, func(c *aggregator.Config) { c.Shard = storyshard.Shard{Index: 1 - owner, Count: 2} })
	s := testStory(t)
	sb, _ := json.Marshal(s)
	run, _ := json.Marshal(map[string]any{"story": storyID, "source": "reddit", "platform": "reddit", "run_id": "r1", "status": "ok"})
	for _, tc := range []struct {
		method, path, ct string
		body             []byte
	}{
		{http.MethodPut, "/api/v1/stories/" + storyID, "application/json", sb},
		{http.MethodPost, "/api/v1/reactions", "application/x-ndjson", ndjson(t, makeReactions(5))},
		{http.MethodPut, "/api/v1/crawls", "application/json", run},
		{http.MethodPost, "/api/v1/stories/" + storyID + "/reclassify", "", nil},
	} {
		code, body := wrong.do(tc.method, tc.path, tc.ct, "", tc.body)
		var ans struct {
			Error  string `json:"error"`
			Owner  int    `json:"owner"`
			Shards int    `json:"shards"`
		}
		if err := json.Unmarshal(body, &ans); err != nil || code != http.StatusMisdirectedRequest || ans.Owner != owner || ans.Shards != 2 || ans.Error == "" {
			t.Errorf("%s %s: %d %s, want 421 naming shard %d/2", tc.method, tc.path, code, body, owner)
		}
	}
	if n, err := st.HasStory(t.Context(), storyID); err != nil || n {
		t.Fatalf("the wrong aggregator stored something of the story (%v)", err)
	}

	right := start(t, st, func(c *aggregator.Config) { c.Shard = storyshard.Shard{Index: owner, Count: 2} })
	right.putStory(s)
	if res := right.send(makeReactions(5)); res.Accepted != 5 {
		t.Fatalf("the owner: %+v", res)
	}
}
