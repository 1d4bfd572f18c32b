package jetstream_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/klauspost/compress/dict"

	"github.com/reactions-research/reactions/crawler/source/jetstream"
	"github.com/reactions-research/reactions/reaction"
	"github.com/reactions-research/reactions/replica"
)

// recorder is a Handler that keeps what it is told.
type recorder struct {
	mu        sync.Mutex
	events    []jetstream.Event
	malformed []error
	drops     []error
	got       chan struct{} // a signal per event
}

func newRecorder() *recorder { return &recorder{got: make(chan struct{}, 1<<16)} }

func (r *recorder) Event(ev *jetstream.Event) error {
	r.mu.Lock()
	r.events = append(r.events, *ev)
	r.mu.Unlock()
	r.got <- struct{}{}
	return nil
}

func (r *recorder) Malformed(err error) {
	r.mu.Lock()
	r.malformed = append(r.malformed, err)
	r.mu.Unlock()
}

func (r *recorder) Disconnected(err error, _ time.Duration) {
	r.mu.Lock()
	r.drops = append(r.drops, err)
	r.mu.Unlock()
}

func (r *recorder) snapshot() ([]jetstream.Event, []error, []error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]jetstream.Event(nil), r.events...), append([]error(nil), r.malformed...), append([]error(nil), r.drops...)
}

// wait waits for n more events.
func (r *recorder) wait(t *testing.T, n int) {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for range n {
		select {
		case <-r.got:
		case <-deadline:
			evs, _, drops := r.snapshot()
			t.Fatalf("got %d events, waited for %d more; disconnections: %v", len(evs), n, drops)
		}
	}
}

// subscribe runs Subscribe in the background; stop cancels it and
// returns its error.
func subscribe(t *testing.T, cfg jetstream.Config, cursor int64, h jetstream.Handler) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- jetstream.Subscribe(ctx, cfg, cursor, h) }()
	return func() error {
		cancel()
		select {
		case err := <-errc:
			return err
		case <-time.After(10 * time.Second):
			t.Fatal("Subscribe did not return within 10 s of its context's end")
			return nil
		}
	}
}

func post(author, text string, at time.Time) replica.Item {
	return replica.Item{Platform: reaction.Bluesky, Native: replica.BlueskyTID(at, 1), Author: author, Text: text, CreatedAt: at, Lang: "en"}
}

func wsURL(srv *httptest.Server) string {
	return "ws" + strings.TrimPrefix(srv.URL, "http") + "/bluesky/subscribe"
}

// TestReplayAndFilter: a subscription from a cursor receives, in order,
// the posts' creates and deletes and every identity and account event,
// but no record of another collection; the record is the post's.
func TestReplayAndFilter(t *testing.T) {
	s := replica.New(replica.NewDataset(), replica.Options{})
	srv := httptest.NewServer(s)
	defer srv.Close()
	js := s.Jetstream()
	t0 := time.Now().Add(-time.Minute)
	a := post("alice.example.com", "Thinking of you both #TeamLegend", t0)
	js.Create(a)
	js.Like("bob.example.com", a)
	js.Identity("bob.example.com")
	js.Account("carol.example.com", false)
	js.Delete(a)

	rec := newRecorder()
	stop := subscribe(t, jetstream.Config{URL: wsURL(srv), Collections: []string{"app.bsky.feed.post"}}, t0.UnixMicro(), rec)
	rec.wait(t, 4)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	evs, bad, _ := rec.snapshot()
	if len(bad) != 0 || len(evs) != 4 {
		t.Fatalf("events %d, malformed %v", len(evs), bad)
	}
	kinds := []string{}
	for i, ev := range evs {
		k := ev.Kind
		if ev.Commit != nil {
			k += "/" + ev.Commit.Operation + "/" + ev.Commit.Collection
		}
		kinds = append(kinds, k)
		if i > 0 && ev.TimeUS <= evs[i-1].TimeUS {
			t.Errorf("event %d: time_us %d after %d", i, ev.TimeUS, evs[i-1].TimeUS)
		}
	}
	want := "commit/create/app.bsky.feed.post identity account commit/delete/app.bsky.feed.post"
	if got := strings.Join(kinds, " "); got != want {
		t.Fatalf("kinds %q, want %q", got, want)
	}
	var r struct {
		Text   string `json:"text"`
		Facets []struct {
			Features []struct {
				Type string `json:"$type"`
				Tag  string `json:"tag"`
			} `json:"features"`
		} `json:"facets"`
	}
	if err := json.Unmarshal(evs[0].Commit.Record, &r); err != nil || r.Text != a.Text || len(r.Facets) != 1 || r.Facets[0].Features[0].Tag != "TeamLegend" {
		t.Errorf("record %s: %+v %v", evs[0].Commit.Record, r, err)
	}
	if evs[3].Commit.Record != nil || evs[3].Commit.RKey != a.Native {
		t.Errorf("delete %+v", evs[3].Commit)
	}
}

// TestReplayWindow: a cursor older than the replica's replay window
// starts at the oldest event it keeps; one in the future is the live tail.
func TestReplayWindow(t *testing.T) {
	now := time.Now()
	clock := now.Add(-3 * time.Hour)
	var mu sync.Mutex
	opts := replica.Options{JetstreamReplay: time.Hour, Now: func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }}
	s := replica.New(replica.NewDataset(), opts)
	srv := httptest.NewServer(s)
	defer srv.Close()
	js := s.Jetstream()
	js.Create(post("old.example.com", "three hours ago", clock))
	mu.Lock()
	clock = now.Add(-30 * time.Minute)
	mu.Unlock()
	js.Create(post("recent.example.com", "half an hour ago", clock))
	mu.Lock()
	clock = now
	mu.Unlock()

	rec := newRecorder()
	stop := subscribe(t, jetstream.Config{URL: wsURL(srv)}, now.Add(-4*time.Hour).UnixMicro(), rec)
	rec.wait(t, 1)
	js.Create(post("live.example.com", "now", now))
	rec.wait(t, 1)
	stop()
	evs, _, _ := rec.snapshot()
	if len(evs) != 2 || evs[0].DID == evs[1].DID || !strings.Contains(string(evs[0].Commit.Record), "half an hour ago") {
		t.Fatalf("got %d events: %+v", len(evs), evs)
	}

	future := newRecorder()
	stop = subscribe(t, jetstream.Config{URL: wsURL(srv)}, now.Add(time.Hour).UnixMicro(), future)
	time.Sleep(200 * time.Millisecond) // connected: a live tail sends only what comes next
	js.Create(post("next.example.com", "after connecting", now))
	future.wait(t, 1)
	stop()
	if evs, _, _ := future.snapshot(); len(evs) != 1 || !strings.Contains(string(evs[0].Commit.Record), "after connecting") {
		t.Fatalf("live tail got %+v", evs)
	}
}

// TestReconnect: a dropped connection is told to the handler and
// resumed from the last event's time_us: every event arrives, the last
// one before the drop at most twice.
func TestReconnect(t *testing.T) {
	s := replica.New(replica.NewDataset(), replica.Options{})
	srv := httptest.NewServer(s)
	defer srv.Close()
	js := s.Jetstream()
	t0 := time.Now()
	for i := range 3 {
		js.Create(post(fmt.Sprintf("a%d.example.com", i), fmt.Sprintf("before %d", i), t0))
	}
	rec := newRecorder()
	stop := subscribe(t, jetstream.Config{URL: wsURL(srv), RetryInitial: 20 * time.Millisecond}, t0.Add(-time.Second).UnixMicro(), rec)
	rec.wait(t, 3)
	js.Disconnect()
	for i := range 3 {
		js.Create(post(fmt.Sprintf("b%d.example.com", i), fmt.Sprintf("after %d", i), t0))
	}
	rec.wait(t, 3)
	deadline := time.Now().Add(10 * time.Second)
	for {
		evs, _, _ := rec.snapshot()
		texts := map[string]int{}
		for _, ev := range evs {
			var r struct{ Text string }
			json.Unmarshal(ev.Commit.Record, &r)
			texts[r.Text]++
		}
		if len(texts) == 6 || time.Now().After(deadline) {
			if len(texts) != 6 || texts["before 0"] != 1 || texts["after 2"] != 1 {
				t.Fatalf("texts %v", texts)
			}
			break
		}
		rec.wait(t, 1)
	}
	stop()
	if _, _, drops := rec.snapshot(); len(drops) == 0 {
		t.Error("the dropped connection was not reported")
	}
}

// TestCompressed: with a zstd dictionary, the client asks for compress=true
// and reads the replica's compressed messages; a replica without the
// dictionary refuses such a subscriber, and the client keeps trying.
func TestCompressed(t *testing.T) {
	var samples [][]byte
	for i := range 40 {
		samples = append(samples, fmt.Appendf(nil, `{"did":"did:plc:%024d","time_us":%d,"kind":"commit","commit":{"rev":"3l3qo2vutsw2b","operation":"create","collection":"app.bsky.feed.post","rkey":"3l3qo2vuowo2b","record":{"$type":"app.bsky.feed.post","text":"sample %d","createdAt":"2024-09-09T19:46:02.102Z","langs":["en"]},"cid":"bafyreidwaivazkwu67xztlmuobx35hs2lnfh3kolmgfmucldvhd3sgzcqi"}}`, i, 1725911162329308+i, i))
	}
	d, err := dict.BuildZstdDict(samples, dict.Options{MaxDictSize: 2048, HashBytes: 6, ZstdDictID: 1234})
	if err != nil {
		t.Fatal(err)
	}
	s := replica.New(replica.NewDataset(), replica.Options{JetstreamDictionary: d})
	srv := httptest.NewServer(s)
	defer srv.Close()
	t0 := time.Now()
	s.Jetstream().Create(post("alice.example.com", "compressed, then read", t0))
	rec := newRecorder()
	stop := subscribe(t, jetstream.Config{URL: wsURL(srv), Dictionary: d}, t0.Add(-time.Second).UnixMicro(), rec)
	rec.wait(t, 1)
	stop()
	evs, bad, _ := rec.snapshot()
	if len(bad) != 0 || !strings.Contains(string(evs[0].Commit.Record), "compressed, then read") {
		t.Fatalf("events %+v malformed %v", evs, bad)
	}
	if u := (jetstream.Config{URL: wsURL(srv), Dictionary: d}).SubscribeURL(5); !strings.Contains(u, "compress=true") || !strings.Contains(u, "cursor=5") {
		t.Errorf("subscribe URL %s", u)
	}

	plain := replica.New(replica.NewDataset(), replica.Options{})
	psrv := httptest.NewServer(plain)
	defer psrv.Close()
	refused := newRecorder()
	stop = subscribe(t, jetstream.Config{URL: wsURL(psrv), Dictionary: d, RetryInitial: 10 * time.Millisecond}, 0, refused)
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, _, drops := refused.snapshot(); len(drops) >= 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("a refused handshake was not retried")
		}
		time.Sleep(10 * time.Millisecond)
	}
	stop()

	if err := jetstream.Subscribe(context.Background(), jetstream.Config{URL: "ws://x", Dictionary: []byte("not a dictionary")}, 0, refused); !errors.Is(err, jetstream.ErrConfig) {
		t.Errorf("a bad dictionary: %v", err)
	}
	if err := jetstream.Subscribe(context.Background(), jetstream.Config{URL: "https://x"}, 0, refused); !errors.Is(err, jetstream.ErrConfig) {
		t.Errorf("an https URL: %v", err)
	}
}

// TestMalformed: a message that is not an event is reported and skipped.
func TestMalformed(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		ctx := r.Context()
		c.Write(ctx, websocket.MessageText, []byte(`{"did":"did:plc:x","kind":"commit"`))
		c.Write(ctx, websocket.MessageText, []byte(`{"kind":"heartbeat","payload":""}`))
		c.Write(ctx, websocket.MessageText, []byte(`{"did":"did:plc:x","time_us":1725516665234703,"kind":"identity","identity":{"did":"did:plc:x","handle":"x.bsky.social"}}`))
		<-c.CloseRead(ctx).Done()
	}))
	defer srv.Close()
	rec := newRecorder()
	stop := subscribe(t, jetstream.Config{URL: "ws" + strings.TrimPrefix(srv.URL, "http")}, 0, rec)
	rec.wait(t, 1)
	stop()
	evs, bad, _ := rec.snapshot()
	if len(evs) != 1 || evs[0].Kind != jetstream.KindIdentity || len(bad) != 2 {
		t.Fatalf("events %+v malformed %v", evs, bad)
	}
}
