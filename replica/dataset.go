// Package replica serves local copies of the platforms' public APIs, in their
// exact real shapes (see docs/platforms.md), from a deterministic data set, so
// that tests and the demo crawl real HTTP without the internet.
package replica

import (
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/reactions-research/reactions/reaction"
	"github.com/reactions-research/reactions/story"
)

// Item is one post or comment in the ground truth. Each platform's handler
// renders items in that platform's shape (HTML, entities, deleted markers).
type Item struct {
	Platform reaction.Platform
	// Native is the platform-native id as the platform writes it (Reddit
	// "l1x9a01" without prefix, HN "41234567", Mastodon "1125…", Bluesky rkey
	// plus DID in Author, Discourse post id, Lemmy comment id, web comment id).
	Native string
	// Thread is the Native id of the thread's root item ("" for a root).
	Thread string
	// Parent is the Native id of the item answered ("" for a root).
	Parent string
	// Author is the raw handle (replicas serve it; the crawler pseudonymises).
	Author string
	// Text is the plain text the crawler must recover exactly.
	Text string
	// ContentWarning is the warning shown before the text (Mastodon's
	// spoiler_text); "" for none.
	ContentWarning string
	CreatedAt      time.Time
	Deleted        bool
	Lang           string
	Likes          int64
	// Tags are hashtags / search terms this item is found by (Mastodon
	// hashtag timelines, search endpoints).
	Tags []string
	// Quotes is the Native of the post this one quotes (Bluesky quote
	// posts: an embedded record, not a reply), "" for none.
	Quotes string
	// Link is the URL a thread's root post links to (a news article, as
	// people shared it), "" for none. Each replica serves it in its
	// platform's place and finds it as that platform does (links.go).
	Link string
	// Intended is the stance the generator meant (demo only; never served).
	Intended reaction.Stance
}

// Dataset is the replicas' ground truth. It is safe for concurrent use: the
// demo's --follow mode adds items while the replicas serve.
type Dataset struct {
	mu    sync.RWMutex
	items []Item
	index map[string]int // platform + "\x00" + native -> index into items
}

// NewDataset returns a dataset holding items.
func NewDataset(items ...Item) *Dataset {
	d := &Dataset{index: map[string]int{}}
	d.Add(items...)
	return d
}

// Add appends items (or replaces an item with the same platform and native id).
func (d *Dataset) Add(items ...Item) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, it := range items {
		k := string(it.Platform) + "\x00" + it.Native
		if i, ok := d.index[k]; ok {
			d.items[i] = it
			continue
		}
		d.index[k] = len(d.items)
		d.items = append(d.items, it)
	}
}

// Update changes the item with the platform and native id in place, as the
// platform would between two crawls: an author edits it (Text,
// ContentWarning), deletes it (Deleted), or it gains likes. It reports
// whether the item exists.
func (d *Dataset) Update(p reaction.Platform, native string, change func(*Item)) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	i, ok := d.index[string(p)+"\x00"+native]
	if ok {
		change(&d.items[i])
	}
	return ok
}

// Items returns a copy of the items of platform p (all platforms if p is ""),
// in insertion order.
func (d *Dataset) Items(p reaction.Platform) []Item {
	d.mu.RLock()
	defer d.mu.RUnlock()
	var out []Item
	for _, it := range d.items {
		if p == "" || it.Platform == p {
			out = append(out, it)
		}
	}
	return out
}

// Get returns the item with the platform and native id.
func (d *Dataset) Get(p reaction.Platform, native string) (Item, bool) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	i, ok := d.index[string(p)+"\x00"+native]
	if !ok {
		return Item{}, false
	}
	return d.items[i], true
}

// NamedStarters returns the ids of the thread starters src names where
// naming one is what makes it a thread starter: the Mastodon statuses and
// Bluesky threads of a story (a status found on a hashtag timeline, or a
// post found by search, is a reaction). The crawler flags them is_root;
// Expect cannot, as they depend on the story, not on the data set. On the
// other platforms Expect flags the thread starters itself.
func NamedStarters(d *Dataset, src story.Source) []string {
	var ids []string
	switch src.Platform {
	case reaction.Mastodon:
		for _, id := range src.Statuses {
			if it, ok := d.Get(reaction.Mastodon, strings.TrimSpace(id)); ok && !it.Deleted {
				ids = append(ids, reaction.MakeID(reaction.Mastodon, MastodonURI(it)))
			}
		}
	case reaction.Bluesky:
		for _, uri := range src.Threads {
			authority, rkey := bskyAuthority(uri), bskyRkey(uri)
			for _, it := range d.Items(reaction.Bluesky) {
				if !it.Deleted && bskyRkey(BlueskyURI(it)) == rkey &&
					(authority == bskyDID(it.Author) || authority == bskyHandleOf(it.Author)) {
					ids = append(ids, reaction.MakeID(reaction.Bluesky, BlueskyURI(it)))
				}
			}
		}
	}
	return ids
}

// Platform is one platform's replica: its HTTP handler and how its items map
// to the reactions a correct crawler produces. Each platform file registers
// one with RegisterPlatform from an init function.
type Platform struct {
	Name reaction.Platform
	// Prefix is the path the handler serves under, e.g. "/reddit/".
	Prefix string
	// Handler serves requests whose path starts with Prefix (the prefix is
	// not stripped). It reads s.Data and builds absolute URLs with s.BaseURL.
	Handler func(s *Server) http.Handler
	// Expect returns the reaction a correct crawler makes of it (ID,
	// ParentID, RootID, URL, CreatedAt, Text, Lang, Likes, Deleted; Author
	// holds the RAW handle, which the test pseudonymises itself).
	Expect func(d *Dataset, it Item) reaction.Reaction
	// Fixture returns this platform's edge-case items for tests and for
	// "reactions replica --data test".
	Fixture func() []Item
}

var platforms = map[reaction.Platform]Platform{}

// RegisterPlatform adds a platform's replica.
func RegisterPlatform(p Platform) { platforms[p.Name] = p }

// Platforms returns the registered replicas.
func Platforms() map[reaction.Platform]Platform { return platforms }
