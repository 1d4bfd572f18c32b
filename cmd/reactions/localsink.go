package main

import (
	"context"
	"errors"

	"github.com/reactions-research/reactions/crawler"
	"github.com/reactions-research/reactions/story"
)

// openLocalSink opens the in-process aggregator that writes to ClickHouse.
// Placeholder until the aggregator provides it.
func openLocalSink(ctx context.Context, stateDir string, st *story.Story) (crawler.Sink, func() error, error) {
	return nil, nil, errors.New("the in-process aggregator is not built yet: pass --aggregator URL")
}
