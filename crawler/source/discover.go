package source

import (
	"strings"

	"github.com/reactions-research/reactions/internal/urlnorm"
	"github.com/reactions-research/reactions/reaction"
)

// stateDiscovered is the State key of a source's discovered threads.
const stateDiscovered = "discovered"

// Discoveries are the threads a source follows because they link to the
// story's URLs, kept in its State so that every later run (and --follow
// poll) re-checks them even when a platform no longer lists them (a
// Mastodon link stops trending, a search drops old results). Adapters
// load them with LoadDiscoveries, Add what this run finds, and Save.
type Discoveries struct {
	env    *Env
	urls   *urlnorm.Set
	byNat  map[string]reaction.Discovery // native id → how found
	order  []string
	loaded int
}

// LoadDiscoveries returns the source's discovered threads so far, and
// whether it discovers at all (the story has urls and the source
// discovers, see story.Source.Discovers).
func LoadDiscoveries(env *Env) (*Discoveries, bool) {
	if env.Story == nil || env.Source == nil || !env.Source.Discovers(env.Story) {
		return nil, false
	}
	d := &Discoveries{env: env, urls: urlnorm.NewSet(env.Story.URLs), byNat: map[string]reaction.Discovery{}}
	for _, line := range strings.Split(env.State.Get(stateDiscovered), "\n") {
		f := strings.Split(line, "\t")
		if len(f) == 4 && f[0] != "" {
			d.add(f[0], reaction.Discovery{Thread: f[1], Via: f[2], Link: f[3]})
		}
	}
	d.loaded = len(d.order)
	return d, true
}

// Match returns the story URL that link is a copy of (urlnorm.Key), and
// whether there is one: platforms' searches return near misses.
func (d *Discoveries) Match(link string) (string, bool) { return d.urls.Match(link) }

// URLs returns the story's URLs, one per article.
func (d *Discoveries) URLs() []string { return d.env.Story.URLs }

// Add records a thread (its native id, as the adapter crawls it) found by
// via, linking to link; the first way a thread was found is kept. It
// returns true when the thread is new to the source.
func (d *Discoveries) Add(native, threadID, via, link string) bool {
	if _, ok := d.byNat[native]; ok {
		return false
	}
	d.add(native, reaction.Discovery{Thread: threadID, Via: via, Link: link})
	return true
}

func (d *Discoveries) add(native string, r reaction.Discovery) {
	if _, ok := d.byNat[native]; !ok {
		d.order = append(d.order, native)
	}
	d.byNat[native] = r
}

// Natives returns the native ids of every discovered thread, in the order
// found.
func (d *Discoveries) Natives() []string { return append([]string(nil), d.order...) }

// Has reports whether native is a discovered thread.
func (d *Discoveries) Has(native string) bool { _, ok := d.byNat[native]; return ok }

// New returns how many threads this run added.
func (d *Discoveries) New() int { return len(d.order) - d.loaded }

// Save keeps the threads in State and reports each to the run
// (Env.Discovered).
func (d *Discoveries) Save() {
	lines := make([]string, 0, len(d.order))
	for _, n := range d.order {
		r := d.byNat[n]
		clean := func(s string) string { return strings.NewReplacer("\t", " ", "\n", " ").Replace(s) }
		lines = append(lines, n+"\t"+clean(r.Thread)+"\t"+clean(r.Via)+"\t"+clean(r.Link))
		d.env.Discovered(r)
	}
	if len(lines) > 0 {
		d.env.State.Set(stateDiscovered, strings.Join(lines, "\n"))
	}
}
