package lemmy_test

import (
	"fmt"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/reactions-research/reactions/crawler/source/lemmy"
	"github.com/reactions-research/reactions/crawler/source/sourcetest"
	"github.com/reactions-research/reactions/reaction"
	"github.com/reactions-research/reactions/replica"
	"github.com/reactions-research/reactions/story"
)

// BenchmarkLargePost crawls one post with 2,000 comments (41 pages) from
// the replica over real HTTP.
func BenchmarkLargePost(b *testing.B) {
	t0 := time.Date(2020, 10, 1, 8, 0, 0, 0, time.UTC)
	items := []replica.Item{{Platform: reaction.Lemmy, Native: "1", Author: "op", CreatedAt: t0, Text: "Big thread"}}
	for i := 0; i < 2000; i++ {
		parent := "1"
		if i%3 != 0 {
			parent = strconv.Itoa(100 + i - 1)
		}
		items = append(items, replica.Item{Platform: reaction.Lemmy, Native: strconv.Itoa(100 + i), Thread: "1", Parent: parent,
			Author: fmt.Sprintf("u%d", i%97), CreatedAt: t0.Add(time.Duration(i) * time.Second), Text: fmt.Sprintf("comment **%d**", i), Lang: "en"})
	}
	srv := httptest.NewServer(replica.New(replica.NewDataset(items...), replica.Options{}))
	defer srv.Close()
	b.ResetTimer()
	for range b.N {
		h := sourcetest.New(b, storyID, story.Source{Platform: reaction.Lemmy, BaseURL: srv.URL + "/lemmy", Posts: []string{"1"}})
		got, _ := h.MustRun(&lemmy.Adapter{})
		if len(got) != 2001 {
			b.Fatalf("%d reactions", len(got))
		}
	}
}
