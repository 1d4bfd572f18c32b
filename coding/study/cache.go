package study

import (
	"context"
	"sync"

	"github.com/reactions-research/reactions/store"
)

// Cache keeps each story's latest report, so that charts correct their
// counts without redoing the validation's bootstrap: a lookup costs three
// small queries (ReadVersion), and the report is rebuilt only when a code
// or a sample was added or a sampled reaction relabelled since. It is safe
// for concurrent use.
type Cache struct {
	opts Options
	mu   sync.Mutex
	m    map[string]*entry
}

type entry struct {
	mu sync.Mutex // one build per story at a time
	r  *Report
}

// maxCached bounds the stories kept (a dashboard serves a few).
const maxCached = 64

// NewCache returns a cache of reports built with o.
func NewCache(o Options) *Cache { return &Cache{opts: o, m: map[string]*entry{}} }

// Get returns the story's report for the current state of its codes.
func (c *Cache) Get(ctx context.Context, st *store.Store, story string) (*Report, error) {
	c.mu.Lock()
	e := c.m[story]
	if e == nil {
		if len(c.m) >= maxCached {
			for k := range c.m { // drop any one
				delete(c.m, k)
				break
			}
		}
		e = &entry{}
		c.m[story] = e
	}
	c.mu.Unlock()

	e.mu.Lock()
	defer e.mu.Unlock()
	v, labels, err := ReadVersion(ctx, st, story)
	if err != nil {
		return nil, err
	}
	if e.r != nil && e.r.version == v {
		return e.r, nil
	}
	r, err := build(ctx, st, story, c.opts, v, labels)
	if err != nil {
		return nil, err
	}
	e.r = r
	return r, nil
}
