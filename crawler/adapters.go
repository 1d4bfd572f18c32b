package crawler

// The platform adapters the crawler runs: each registers itself with
// source.Register when imported.
import (
	_ "github.com/reactions-research/reactions/crawler/source/bluesky"
	_ "github.com/reactions-research/reactions/crawler/source/discourse"
	_ "github.com/reactions-research/reactions/crawler/source/hackernews"
	_ "github.com/reactions-research/reactions/crawler/source/lemmy"
	_ "github.com/reactions-research/reactions/crawler/source/mastodon"
	_ "github.com/reactions-research/reactions/crawler/source/reddit"
	_ "github.com/reactions-research/reactions/crawler/source/web"
)
