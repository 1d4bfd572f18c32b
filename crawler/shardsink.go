package crawler

import (
	"context"

	"github.com/reactions-research/reactions/internal/storyshard"
	"github.com/reactions-research/reactions/reaction"
	"github.com/reactions-research/reactions/story"
)

// ShardedSink sends each story to its owner among several sinks, the way
// aggregators started with --shard i/N (i the sink's index, N their
// number) divide the stories: by storyshard.Owner. Every crawler process
// that names the same aggregators in the same order agrees, with no
// coordinator.
type ShardedSink struct {
	sinks []Sink
}

// NewShardedSink returns a sink over sinks, in shard order. It needs at
// least one.
func NewShardedSink(sinks []Sink) *ShardedSink { return &ShardedSink{sinks: sinks} }

func (s *ShardedSink) owner(storyID string) Sink {
	return s.sinks[storyshard.Owner(storyID, len(s.sinks))]
}

// PutStory implements Sink.
func (s *ShardedSink) PutStory(ctx context.Context, st *story.Story) error {
	return s.owner(st.ID).PutStory(ctx, st)
}

// PutCrawlRun implements Sink.
func (s *ShardedSink) PutCrawlRun(ctx context.Context, run reaction.CrawlRun) error {
	return s.owner(run.Story).PutCrawlRun(ctx, run)
}

// Send implements Sink: the reactions of each owner go in one request, and
// the answers are added up, with rejected lines numbered as in rs. A batch
// is acknowledged when every owner acknowledged its part; on an error the
// parts already acknowledged stay stored, and sending the whole batch again
// is harmless (duplicates write nothing).
func (s *ShardedSink) Send(ctx context.Context, rs []reaction.Reaction) (reaction.IngestResult, error) {
	if len(rs) == 0 {
		return reaction.IngestResult{Rejected: []reaction.Rejection{}}, nil
	}
	n := len(s.sinks)
	first := storyshard.Owner(rs[0].Story, n)
	same := true
	for i := 1; i < len(rs) && same; i++ {
		same = rs[i].Story == rs[0].Story || storyshard.Owner(rs[i].Story, n) == first
	}
	if same {
		return s.sinks[first].Send(ctx, rs)
	}
	parts := make([][]reaction.Reaction, n)
	lines := make([][]int, n) // the 1-based line in rs of each part's reactions
	for i := range rs {
		o := storyshard.Owner(rs[i].Story, n)
		parts[o] = append(parts[o], rs[i])
		lines[o] = append(lines[o], i+1)
	}
	total := reaction.IngestResult{Rejected: []reaction.Rejection{}}
	for o, part := range parts {
		if len(part) == 0 {
			continue
		}
		res, err := s.sinks[o].Send(ctx, part)
		if err != nil {
			return total, err
		}
		total.Accepted += res.Accepted
		total.Duplicates += res.Duplicates
		total.Spooled += res.Spooled
		for _, rej := range res.Rejected {
			if rej.Line >= 1 && rej.Line <= len(lines[o]) {
				rej.Line = lines[o][rej.Line-1]
			}
			total.Rejected = append(total.Rejected, rej)
		}
		for f, k := range res.Repaired {
			if total.Repaired == nil {
				total.Repaired = map[string]int{}
			}
			total.Repaired[f] += k
		}
	}
	return total, nil
}
