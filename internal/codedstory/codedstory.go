// Package codedstory is a test kit: it stores a story whose reactions say
// their stance in words a stance model can learn, labelled by an old
// classifier that is right about 7 times in 10, with a stratified sample
// hand-coded from the true stances. About one coded reaction in ten is
// coded against what its words suggest (a coder's judgement of context),
// so a model trained on the codes fits some of them only in-sample and its
// out-of-fold predictions differ from its own labels. For tests of
// training on a story's codes.
package codedstory

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/reactions-research/reactions/coding"
	"github.com/reactions-research/reactions/coding/study"
	"github.com/reactions-research/reactions/reaction"
	"github.com/reactions-research/reactions/store"
	"github.com/reactions-research/reactions/story"
)

// OldClassifier is the version of the labels the story is stored with.
const OldClassifier = "old-1"

// Subject is the story's subject.
const Subject = "Mia Cole"

// Fixture is a stored coded story.
type Fixture struct {
	Story string
	// Truth is every reaction's true stance, by id.
	Truth map[string]reaction.Stance
	// Coded are the ids of the coded sample, in its order.
	Coded []string
	// Unclear and Disputed are coded items without a final stance: coded
	// unclear, and coded differently by two coders without adjudication.
	Unclear, Disputed []string
}

var phrases = map[reaction.Stance][]string{
	reaction.Support: {"So sorry for your loss, Mia", "Sending love to Mia and the whole family", "Stay strong Mia, we are with you",
		"Heartbroken for her, thinking of you", "The people attacking her are vile, leave Mia alone", "Much love to you Mia ❤️",
		"Thank you for sharing this, Mia, it helps other parents"},
	reaction.Criticism: {"Posting this for clout is gross", "Why share this with millions of followers? Attention seeking",
		"Mia should have kept this private, tasteless", "Honestly this looks like a PR stunt", "Not everything needs to be content, Mia",
		"She monetises everything, even this"},
	reaction.Neutral: {"What time is the interview airing?", "Reuters reports the couple announced it on Wednesday",
		"Does anyone have the link to the original post?", "The article was updated at 5pm", "Which outlet broke the story first?",
		"The statement was posted on her account this morning"},
}

// Load stores a story id of n reactions with a stratified sample of
// coded reactions, coded by Ann (and the first items also by Bo).
// perClass caps the coded items of each true stance (0: no cap), so a
// story can have too few of one.
func Load(t testing.TB, st *store.Store, id string, n, coded, perClass int) *Fixture {
	t.Helper()
	ctx := context.Background()
	s, err := story.Parse([]byte("id: " + id + "\nsubject: [" + Subject + "]\nsources:\n  - platform: reddit\n    threads: [abc]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if err := st.PutStory(ctx, s); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(uint64(len(id)), 42))
	t0 := time.Date(2020, 10, 1, 0, 0, 0, 0, time.UTC)
	f := &Fixture{Story: id, Truth: map[string]reaction.Stance{}}
	var rs []reaction.Reaction
	for i := range n {
		var truth reaction.Stance
		switch u := rng.Float64(); {
		case u < 0.55:
			truth = reaction.Support
		case u < 0.83:
			truth = reaction.Criticism
		default:
			truth = reaction.Neutral
		}
		words := truth
		if rng.IntN(10) == 0 {
			words = reaction.Stances[rng.IntN(3)] // coded against its words
		}
		ps := phrases[words]
		text := ps[rng.IntN(len(ps))]
		if rng.IntN(2) == 0 {
			text += ". " + ps[rng.IntN(len(ps))]
		}
		text += fmt.Sprintf(" #%d", i)
		label := truth
		if rng.Float64() < 0.3 {
			label = reaction.Stances[rng.IntN(3)]
		}
		rid := reaction.MakeID(reaction.Reddit, fmt.Sprintf("c%05d", i))
		at := t0.Add(time.Duration(rng.IntN(4*24*3600)) * time.Second)
		rs = append(rs, reaction.Reaction{Story: id, Platform: reaction.Reddit, ID: rid, ParentID: "reddit:t3_abc", RootID: "reddit:t3_abc",
			URL: "https://www.reddit.com/r/x/comments/abc/_/" + rid[7:], CreatedAt: at, FirstSeen: at, Text: text,
			Stance: label, StanceScore: 0.5 + rng.Float64()/2, Classifier: OldClassifier})
		f.Truth[rid] = truth
	}
	if _, err := st.Write(ctx, rs); err != nil {
		t.Fatal(err)
	}
	d, err := study.Draw(ctx, st, study.DrawRequest{Story: id, Name: "coded", Design: coding.Design{N: coded, Seed: 5}, Overlap: -1})
	if err != nil {
		t.Fatal(err)
	}
	var codes []store.Coding
	per := map[reaction.Stance]int{}
	for i, it := range d.Items {
		c := f.Truth[it.ID]
		if perClass > 0 && per[c] >= perClass {
			continue
		}
		per[c]++
		f.Coded = append(f.Coded, it.ID)
		switch {
		case i < 3:
			c = coding.Unclear
			f.Unclear = append(f.Unclear, it.ID)
		case i < 5:
			codes = append(codes, store.Coding{Story: id, Sample: "coded", ID: it.ID, Coder: "Bo", Code: reaction.Stances[(slices.Index(reaction.Stances, c)+1)%3], Source: "test"})
			f.Disputed = append(f.Disputed, it.ID)
		}
		codes = append(codes, store.Coding{Story: id, Sample: "coded", ID: it.ID, Coder: "Ann", Code: c, Source: "test"})
	}
	if err := st.WriteCodings(ctx, codes); err != nil {
		t.Fatal(err)
	}
	return f
}
