package bluesky

import "testing"

// TestQueryMatch: search terms as the live stream applies them.
func TestQueryMatch(t *testing.T) {
	tag := func(text string, tags ...string) *record {
		r := &record{Text: text, Langs: []string{"en-US"}}
		for _, tg := range tags {
			r.Facets = append(r.Facets, facet{Features: []struct {
				Type string `json:"$type"`
				URI  string `json:"uri"`
				Tag  string `json:"tag"`
			}{{Type: "app.bsky.richtext.facet#tag", Tag: tg}}})
		}
		return r
	}
	link := &record{Text: "via", Embed: &embed{External: &struct {
		URI string `json:"uri"`
	}{URI: "https://www.news.example.com/a?utm_source=x"}}}
	for _, tc := range []struct {
		query string
		rec   *record
		want  bool
	}{
		{"chrissy teigen", tag("Thinking of Chrissy and John. Teigen is brave."), true},
		{"chrissy teigen", tag("Thinking of Chrissy."), false},
		{"Chrissy Teigen", tag("CHRISSY TEIGEN's post"), true},
		{`"chrissy teigen"`, tag("Teigen, Chrissy"), false},
		{`"chrissy teigen"`, tag("so sad for chrissy teigen today"), true},
		{"#TeamLegend", tag("with them", "teamlegend"), true},
		{"#TeamLegend", tag("with them #TeamLegend!"), true},
		{"#TeamLegend", tag("TeamLegend without a hash"), false},
		{"teigen -photos", tag("Teigen shared photos"), false},
		{"teigen -photos", tag("Teigen shared a note"), true},
		{"teigen lang:en", tag("Teigen"), true},
		{"teigen lang:fr", tag("Teigen"), false},
		{"domain:news.example.com", link, true},
		{"domain:example.org", link, false},
		{"teigen from:someone.bsky.social", tag("Teigen"), false}, // cannot be applied live
		{"", tag("anything"), false},
		{"https://news.example.com teigen", tag("teigen https://news.example.com"), true},
	} {
		q := parseQuery(tc.query)
		if got := q.match(newPost(tc.rec)); got != tc.want {
			t.Errorf("%q against %q: %v, want %v (%+v)", tc.query, tc.rec.Text, got, tc.want, q)
		}
	}
}
