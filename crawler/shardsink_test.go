package crawler_test

import (
	"context"
	"testing"

	"github.com/reactions-research/reactions/crawler"
	"github.com/reactions-research/reactions/internal/storyshard"
	"github.com/reactions-research/reactions/reaction"
	"github.com/reactions-research/reactions/story"
)

// recordingSink keeps what it is sent and rejects the reactions whose id
// ends in "!".
type recordingSink struct {
	stories []string
	got     []reaction.Reaction
	runs    []string
}

func (r *recordingSink) PutStory(_ context.Context, s *story.Story) error {
	r.stories = append(r.stories, s.ID)
	return nil
}

func (r *recordingSink) PutCrawlRun(_ context.Context, run reaction.CrawlRun) error {
	r.runs = append(r.runs, run.Story)
	return nil
}

func (r *recordingSink) Send(_ context.Context, rs []reaction.Reaction) (reaction.IngestResult, error) {
	res := reaction.IngestResult{Rejected: []reaction.Rejection{}}
	for i, x := range rs {
		if x.ID[len(x.ID)-1] == '!' {
			res.Rejected = append(res.Rejected, reaction.Rejection{Line: i + 1, Error: "bad"})
			continue
		}
		r.got = append(r.got, x)
		res.Accepted++
	}
	return res, nil
}

// TestShardedSinkRoutesByStory: each story reaches its owner only, and a
// batch of several owners' stories is answered as one, lines numbered as
// sent.
func TestShardedSinkRoutesByStory(t *testing.T) {
	sinks := []*recordingSink{{}, {}, {}}
	s := crawler.NewShardedSink([]crawler.Sink{sinks[0], sinks[1], sinks[2]})
	ctx := context.Background()
	stories := []string{"alpha", "bravo", "charlie", "delta", "echo"}
	var rs []reaction.Reaction
	for _, st := range stories {
		if err := s.PutStory(ctx, &story.Story{ID: st}); err != nil {
			t.Fatal(err)
		}
		if err := s.PutCrawlRun(ctx, reaction.CrawlRun{Story: st}); err != nil {
			t.Fatal(err)
		}
		rs = append(rs, reaction.Reaction{Story: st, ID: st + "-1"}, reaction.Reaction{Story: st, ID: st + "-2!"})
	}
	res, err := s.Send(ctx, rs)
	if err != nil {
		t.Fatal(err)
	}
	if res.Accepted != len(stories) || len(res.Rejected) != len(stories) {
		t.Fatalf("answer %+v", res)
	}
	for _, rej := range res.Rejected {
		if id := rs[rej.Line-1].ID; id[len(id)-1] != '!' {
			t.Errorf("rejected line %d is %s, not the one the owner rejected", rej.Line, id)
		}
	}
	for i, sk := range sinks {
		for _, st := range sk.stories {
			if storyshard.Owner(st, 3) != i {
				t.Errorf("story %s went to sink %d, owner %d", st, i, storyshard.Owner(st, 3))
			}
		}
		for _, r := range sk.got {
			if storyshard.Owner(r.Story, 3) != i {
				t.Errorf("a reaction of %s went to sink %d", r.Story, i)
			}
		}
		for _, st := range sk.runs {
			if storyshard.Owner(st, 3) != i {
				t.Errorf("a crawl run of %s went to sink %d", st, i)
			}
		}
	}
}
