package study

import (
	"context"
	"sync"
	"time"

	"github.com/reactions-research/reactions/store"
)

// DefaultLabelsTTL is how long a cached report's labels are trusted when
// Options.LabelsTTL is 0.
const DefaultLabelsTTL = 30 * time.Second

// Cache keeps each story's latest report, so that charts correct their
// counts without redoing the validation's bootstrap. A lookup reads the
// state of the story's codes and samples (two small aggregations) and
// rebuilds the report when a code or a sample was added; the labels of the
// sampled reactions, which a reclassification changes (read with the
// story's retrained classifier versions), cost a read of a
// few hundred rows by primary key (and at 10 million reactions tens to
// hundreds of milliseconds), so they are read again only once
// Options.LabelsTTL has passed: a reclassified story's corrections follow
// within that time. It is safe for concurrent use.
type Cache struct {
	opts Options
	now  func() time.Time
	mu   sync.Mutex
	m    map[string]*entry
}

type entry struct {
	mu      sync.Mutex // one build per story at a time
	r       *Report
	labeled time.Time // when the labels behind r were read
}

// maxCached bounds the stories kept (a dashboard serves a few).
const maxCached = 64

// NewCache returns a cache of reports built with o.
func NewCache(o Options) *Cache {
	if o.LabelsTTL <= 0 {
		o.LabelsTTL = DefaultLabelsTTL
	}
	return &Cache{opts: o, now: time.Now, m: map[string]*entry{}}
}

// Get returns the story's report for the current state of its codes (and
// of its labels, as of at most Options.LabelsTTL ago).
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
	now := c.now()
	if e.r != nil && now.Sub(e.labeled) < c.opts.LabelsTTL {
		cv, err := st.CodingVersion(ctx, story)
		if err != nil {
			return nil, err
		}
		if cv == e.r.version.CodingVersion {
			return e.r, nil
		}
	}
	s, err := readState(ctx, st, story)
	if err != nil {
		return nil, err
	}
	if e.r == nil || e.r.version != s.Version {
		r, err := build(ctx, st, story, c.opts, s)
		if err != nil {
			return nil, err
		}
		e.r = r
	}
	e.labeled = now
	return e.r, nil
}
