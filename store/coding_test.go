package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/reactions-research/reactions/reaction"
	"github.com/reactions-research/reactions/store"
	"github.com/reactions-research/reactions/store/chtest"
)

// TestCodingMigrationAgain: the coding tables' statements can run again
// (an interrupted migration is applied once more).
func TestCodingMigrationAgain(t *testing.T) {
	s := chtest.New(t)
	ctx := context.Background()
	ms, err := store.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	var sql string
	for _, m := range ms {
		if m.Version == 4 {
			sql = m.SQL
		}
	}
	if sql == "" {
		t.Fatal("no migration 0004")
	}
	// As the runner does: comment lines out, then a statement per ";".
	var lines []string
	for _, l := range strings.Split(sql, "\n") {
		if t := strings.TrimSpace(l); t != "" && !strings.HasPrefix(t, "--") {
			lines = append(lines, l)
		}
	}
	for _, st := range strings.Split(strings.Join(lines, "\n"), ";") {
		if strings.TrimSpace(st) == "" {
			continue
		}
		if err := s.Conn().Exec(ctx, st); err != nil {
			t.Errorf("statement again: %v\n%s", err, st)
		}
	}
	for _, table := range []string{"samples", "sample_items", "codings"} {
		var n uint64
		if err := s.Conn().QueryRow(ctx, "SELECT count() FROM system.tables WHERE database = ? AND name = ?", s.Database(), table).Scan(&n); err != nil || n != 1 {
			t.Errorf("table %s: n=%d err=%v", table, n, err)
		}
	}
}

func TestSampleRoundTrip(t *testing.T) {
	s := chtest.New(t)
	ctx := context.Background()
	created := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	smp := store.Sample{Story: "s1", Name: "first", Strategy: "stratified", Seed: 42, N: 3, Population: 1000, Estimable: true,
		Classifier: "stance-2", Overlap: 0.2, Design: json.RawMessage(`{"strata":[{"day":1}]}`), CreatedAt: created,
		Filters: store.SampleFilters{From: t0, Platform: reaction.Reddit}}
	items := []store.SampleItem{
		{Position: 1, ID: "reddit:t1_b", Pi: 0.01, Stratum: "support", Day: 18536, Predicted: reaction.Support, Score: 0.9, Overlap: true},
		{Position: 2, ID: "reddit:t1_a", Pi: 0.2, Stratum: "criticism", Day: 18537, Predicted: reaction.Criticism, Score: 0.6},
		{Position: 3, ID: "reddit:t1_c", Pi: 0.05, Stratum: "neutral", Day: 18536, Predicted: reaction.Neutral, Score: 0.4},
	}
	if err := s.PutSample(ctx, smp, items); err != nil {
		t.Fatal(err)
	}
	if err := s.PutSample(ctx, smp, items); !errors.Is(err, store.ErrSampleExists) {
		t.Errorf("second PutSample: %v, want ErrSampleExists", err)
	}
	other := smp
	other.Name, other.Strategy, other.Estimable, other.Design, other.CreatedAt = "second", "uncertain", false, nil, created.Add(time.Hour)
	if err := s.PutSample(ctx, other, items[:1]); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetSample(ctx, "s1", "first")
	if err != nil {
		t.Fatal(err)
	}
	want := smp
	want.Drawn = 3
	if !reflect.DeepEqual(*got, want) {
		t.Errorf("GetSample\n got %+v\nwant %+v", *got, want)
	}
	all, err := s.Samples(ctx, "s1")
	if err != nil || len(all) != 2 || all[0].Name != "first" || all[1].Name != "second" || string(all[1].Design) != "null" || all[1].Estimable {
		t.Errorf("Samples: %+v %v", all, err)
	}
	if _, err := s.GetSample(ctx, "s1", "none"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("missing sample: %v", err)
	}
	gotItems, err := s.SampleItems(ctx, "s1", "first")
	if err != nil || !reflect.DeepEqual(gotItems, items) {
		t.Errorf("SampleItems\n got %+v\nwant %+v (%v)", gotItems, items, err)
	}
	if none, err := s.Samples(ctx, "s2"); err != nil || len(none) != 0 {
		t.Errorf("another story's samples: %v %v", none, err)
	}
}

func TestEachCandidate(t *testing.T) {
	s := chtest.New(t)
	ctx := context.Background()
	rs := []reaction.Reaction{
		mk("s1", reaction.Reddit, 1, t0.Add(time.Hour), reaction.Support),
		mk("s1", reaction.Reddit, 2, t0.Add(2*time.Hour), reaction.Criticism),
		mk("s1", reaction.Mastodon, 3, t0.Add(30*time.Hour), reaction.Neutral),
		mk("s1", reaction.Mastodon, 4, t0.Add(31*time.Hour), reaction.Support),
		mk("s2", reaction.Mastodon, 5, t0.Add(time.Hour), reaction.Support),
	}
	rs[3].Deleted = true
	insertRows(t, s, rs, 1, 1)
	// Reaction 2 is relabelled: its current state counts, once.
	insertRows(t, s, []reaction.Reaction{rs[1]}, -1, 1)
	relabelled := rs[1]
	relabelled.Stance, relabelled.Classifier = reaction.Neutral, "test-2"
	insertRows(t, s, []reaction.Reaction{relabelled}, 1, 2)

	collect := func(q store.CandidateQuery) []store.Candidate {
		t.Helper()
		var out []store.Candidate
		if err := s.EachCandidate(ctx, q, func(c *store.Candidate) error {
			out = append(out, *c)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
		return out
	}
	all := collect(store.CandidateQuery{Story: "s1", ChunkRows: 1}) // a chunk per hour
	want := []store.Candidate{
		{ID: rs[2].ID, CreatedAt: rs[2].CreatedAt, Stance: reaction.Neutral, Score: 0.75, Classifier: "test-1"},
		{ID: rs[0].ID, CreatedAt: rs[0].CreatedAt, Stance: reaction.Support, Score: 0.75, Classifier: "test-1"},
		{ID: rs[1].ID, CreatedAt: rs[1].CreatedAt, Stance: reaction.Neutral, Score: 0.75, Classifier: "test-2"},
	}
	if !reflect.DeepEqual(all, want) {
		t.Errorf("candidates (the deleted one left out)\n got %+v\nwant %+v", all, want)
	}
	day1 := collect(store.CandidateQuery{Story: "s1", Filters: store.SampleFilters{From: t0, To: t0.Add(24 * time.Hour), Platform: reaction.Reddit}})
	if len(day1) != 2 || day1[0].ID != rs[0].ID {
		t.Errorf("filtered candidates %+v", day1)
	}
	if none := collect(store.CandidateQuery{Story: "s1", Filters: store.SampleFilters{Platform: reaction.Lemmy}}); len(none) != 0 {
		t.Errorf("lemmy candidates %+v", none)
	}

	if err := s.PutSample(ctx, store.Sample{Story: "s1", Name: "x", Strategy: "random"},
		[]store.SampleItem{{Position: 1, ID: rs[1].ID}, {Position: 2, ID: rs[0].ID}, {Position: 3, ID: "reddit:gone"}}); err != nil {
		t.Fatal(err)
	}
	labels, err := s.SampledLabels(ctx, "s1")
	if err != nil {
		t.Fatal(err)
	}
	wantLabels := map[string]store.Label{rs[0].ID: {reaction.Support, 0.75, "test-1"}, rs[1].ID: {reaction.Neutral, 0.75, "test-2"}}
	if !reflect.DeepEqual(labels, wantLabels) {
		t.Errorf("SampledLabels %+v, want %+v", labels, wantLabels)
	}

	byID, err := s.ReactionsByID(ctx, "s1", []string{rs[0].ID, rs[1].ID, "reddit:nothing", rs[4].ID})
	if err != nil {
		t.Fatal(err)
	}
	if len(byID) != 2 || byID[rs[1].ID].Stance != reaction.Neutral || byID[rs[0].ID].Text != rs[0].Text {
		t.Errorf("ReactionsByID %+v", byID)
	}
}

func TestCodingsRevisions(t *testing.T) {
	s := chtest.New(t)
	ctx := context.Background()
	v0, err := s.CodingVersion(ctx, "s1")
	if err != nil || v0 != (store.CodingVersion{}) {
		t.Fatalf("empty version %+v %v", v0, err)
	}
	code := func(id, coder string, c reaction.Stance) store.Coding {
		return store.Coding{Story: "s1", Sample: "first", ID: id, Coder: coder, Code: c, Source: "test"}
	}
	batch1 := []store.Coding{
		code("a", "Ann", reaction.Support), code("a", "Bo", reaction.Criticism),
		code("b", "Ann", reaction.Neutral), code("b", "Ann", reaction.Criticism), // a revision in the same write
		code("c", "Ann", store.CodeUnclear),
		code("d", "Ann", reaction.Support), code("d", "Ann", store.CodeWithdrawn), // coded, then undone
	}
	if err := s.WriteCodings(ctx, batch1); err != nil {
		t.Fatal(err)
	}
	adj := code("a", "Cy", reaction.Support)
	adj.Adjudication = true
	if err := s.WriteCodings(ctx, []store.Coding{adj, code("e", "Bo", reaction.Neutral)}); err != nil {
		t.Fatal(err)
	}
	// A bad code anywhere stores nothing.
	bad := []store.Coding{code("f", "Ann", reaction.Support), code("g", "Ann", "maybe")}
	if err := s.WriteCodings(ctx, bad); err == nil || !strings.Contains(err.Error(), "code 2") {
		t.Errorf("bad code: %v", err)
	}
	if err := s.WriteCodings(ctx, []store.Coding{code("f", " ", reaction.Support)}); err == nil {
		t.Error("empty coder accepted")
	}

	all, err := s.Codings(ctx, "s1")
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 9 {
		t.Fatalf("every revision: %d rows, want 9: %+v", len(all), all)
	}
	for i := 1; i < len(all); i++ {
		if all[i].Seq <= all[i-1].Seq {
			t.Errorf("revisions out of order at %d: %+v", i, all)
		}
	}
	if all[0].CodedAt.IsZero() || all[0].Source != "test" || all[0].Sample != "first" || !all[7].Adjudication {
		t.Errorf("revision fields %+v", all)
	}

	latest, err := s.LatestCodings(ctx, "s1")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range latest {
		role := ""
		if c.Adjudication {
			role = "*"
		}
		got = append(got, c.ID+":"+c.Coder+role+"="+string(c.Code))
	}
	want := []string{"a:Ann=support", "a:Bo=criticism", "a:Cy*=support", "b:Ann=criticism", "c:Ann=unclear", "e:Bo=neutral"}
	if !slices.Equal(got, want) {
		t.Errorf("latest codes\n got %v\nwant %v", got, want)
	}

	v1, err := s.CodingVersion(ctx, "s1")
	if err != nil || v1.Revisions != 9 || v1.LastSeq != all[8].Seq || v1.LastCodedAt.IsZero() {
		t.Errorf("version %+v %v", v1, err)
	}
	if err := s.PutSample(ctx, store.Sample{Story: "s1", Name: "x", Strategy: "random"}, nil); err != nil {
		t.Fatal(err)
	}
	if v2, _ := s.CodingVersion(ctx, "s1"); v2.Samples != 1 || v2 == v1 {
		t.Errorf("a new sample does not change the version: %+v", v2)
	}
}
