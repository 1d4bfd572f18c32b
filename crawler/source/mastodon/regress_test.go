package mastodon

import (
	"testing"
	"time"

	"github.com/reactions-research/reactions/crawler/source/sourcetest"
	"github.com/reactions-research/reactions/reaction"
	"github.com/reactions-research/reactions/replica"
)

// An untagged reply between two tagged statuses is learnt as an ancestor of
// the newer one before its own conversation is read: it must still be
// collected (it is a reply below a tagged status).
func TestReplyBetweenTaggedStatuses(t *testing.T) {
	t0 := time.Date(2020, 10, 1, 0, 0, 0, 0, time.UTC)
	m := reaction.Mastodon
	d := replica.NewDataset(
		replica.Item{Platform: m, Native: "104956577498459302", Author: "a", Text: "S #T", CreatedAt: t0, Tags: []string{"t"}},
		replica.Item{Platform: m, Native: "104956693009047374", Thread: "104956577498459302", Parent: "104956577498459302",
			Author: "b", Text: "R untagged", CreatedAt: t0.Add(time.Minute)},
		replica.Item{Platform: m, Native: "104956705206004915", Thread: "104956577498459302", Parent: "104956693009047374",
			Author: "c", Text: "R2 #T", CreatedAt: t0.Add(2 * time.Minute), Tags: []string{"t"}},
	)
	ts := sourcetest.StartReplica(t, replica.New(d, replica.Options{}))
	h := sourcetest.New(t, storyID, mastodonSource(ts, []string{"T"}, nil))
	res := h.Run(&Adapter{}, t0.Add(time.Hour))
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	sourcetest.Compare(t, res.Emitted, expected(h.Source, h.Authors, d, replica.MastodonReachable(d, "t")))
}

// A story studied long after it happened is still followed: new replies to
// statuses found by an earlier run are picked up, whatever their age.
func TestFollowOldStatuses(t *testing.T) {
	t0 := time.Date(2020, 10, 1, 0, 0, 0, 0, time.UTC)
	m := reaction.Mastodon
	d := replica.NewDataset(
		replica.Item{Platform: m, Native: "104956577498459302", Author: "a", Text: "S #T", CreatedAt: t0, Tags: []string{"t"}},
	)
	ts := sourcetest.StartReplica(t, replica.New(d, replica.Options{}))
	h := sourcetest.New(t, storyID, mastodonSource(ts, []string{"T"}, nil))
	now := time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC) // six years later
	if res := h.Run(&Adapter{}, now); res.Err != nil || len(res.Fresh) != 1 {
		t.Fatalf("first run: %d new, err %v", len(res.Fresh), res.Err)
	}
	d.Add(replica.Item{Platform: m, Native: "104956693009047374", Thread: "104956577498459302", Parent: "104956577498459302",
		Author: "b", Text: "a late untagged reply", CreatedAt: t0.Add(time.Minute)})
	res := h.Run(&Adapter{}, now.Add(10*time.Minute))
	if res.Err != nil || len(res.Fresh) != 1 || res.Fresh[0].Text != "a late untagged reply" {
		t.Fatalf("second run: new %v, err %v", res.Fresh, res.Err)
	}
	// A week after it was first found, a status is no longer watched.
	d.Add(replica.Item{Platform: m, Native: "104956705206004915", Thread: "104956577498459302", Parent: "104956577498459302",
		Author: "c", Text: "much later", CreatedAt: t0.Add(2 * time.Minute)})
	if res := h.Run(&Adapter{}, now.Add(8*24*time.Hour)); res.Err != nil {
		t.Fatal(res.Err)
	}
}

// A named status whose direct replies were all learnt from a tagged
// reply's ancestors can still miss replies deeper down: its context must be
// asked all the same.
func TestDeeperRepliesOfNamedStatus(t *testing.T) {
	t0 := time.Date(2020, 10, 1, 0, 0, 0, 0, time.UTC)
	m := reaction.Mastodon
	const s, c, d1, d2 = "104956577498459302", "104956693009047374", "104956705206004915", "104956705206009999"
	d := replica.NewDataset(
		replica.Item{Platform: m, Native: s, Author: "a", Text: "the news", CreatedAt: t0},
		replica.Item{Platform: m, Native: c, Thread: s, Parent: s, Author: "b", Text: "a reply", CreatedAt: t0.Add(time.Minute)},
		replica.Item{Platform: m, Native: d1, Thread: s, Parent: c, Author: "c", Text: "tagged #T", CreatedAt: t0.Add(2 * time.Minute), Tags: []string{"t"}},
		replica.Item{Platform: m, Native: d2, Thread: s, Parent: c, Author: "d", Text: "untagged", CreatedAt: t0.Add(3 * time.Minute)},
	)
	ts := sourcetest.StartReplica(t, replica.New(d, replica.Options{}))
	h := sourcetest.New(t, storyID, mastodonSource(ts, []string{"T"}, []string{s}))
	res := h.Run(&Adapter{}, t0.Add(time.Hour))
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	sourcetest.Compare(t, res.Emitted, expected(h.Source, h.Authors, d, replica.MastodonReachable(d, "t", s)))
}
