// Package adapters links every platform adapter into a binary: import it for
// its side effect (each adapter registers itself with source.Register).
// It is a package of its own, not part of package crawler, so that an
// adapter's tests may import package crawler without an import cycle.
package adapters

import (
	_ "github.com/reactions-research/reactions/crawler/source/bluesky"    // registers "bluesky"
	_ "github.com/reactions-research/reactions/crawler/source/discourse"  // registers "discourse"
	_ "github.com/reactions-research/reactions/crawler/source/hackernews" // registers "hackernews"
	_ "github.com/reactions-research/reactions/crawler/source/lemmy"      // registers "lemmy"
	_ "github.com/reactions-research/reactions/crawler/source/mastodon"   // registers "mastodon"
	_ "github.com/reactions-research/reactions/crawler/source/reddit"     // registers "reddit"
	_ "github.com/reactions-research/reactions/crawler/source/web"        // registers "web"
)
