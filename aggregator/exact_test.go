package aggregator_test

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/reactions-research/reactions/reaction"
	"github.com/reactions-research/reactions/store/chtest"
)

// TestExactUnderConcurrentResends: 100,000 reactions sent three times by
// two concurrent senders give exactly 100,000 in every count.
func TestExactUnderConcurrentResends(t *testing.T) {
	const n, batch = 100000, 1000
	st := chtest.New(t)
	h := start(t, st, nil)
	h.putStory(testStory(t))

	rs := makeReactions(n)
	bodies := make([][]byte, 0, n/batch)
	for i := 0; i < n; i += batch {
		bodies = append(bodies, gzipNDJSON(t, rs[i:i+batch]))
	}
	start := time.Now()
	var mu sync.Mutex
	var accepted, duplicates, spooled int
	var wg sync.WaitGroup
	for sender := 0; sender < 2; sender++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for round := 0; round < 3; round++ {
				for k := range bodies {
					// The second sender goes backwards, so the two overlap
					// on the same ids within batches and across them.
					b := bodies[k]
					if sender == 1 {
						b = bodies[len(bodies)-1-k]
					}
					code, body := doHTTP(t, h.srv.URL, "", http.MethodPost, "/api/v1/reactions", "application/x-ndjson", "gzip", b)
					if code != http.StatusOK {
						t.Errorf("sender %d: %d %s", sender, code, body)
						return
					}
					var res reaction.IngestResult
					if err := json.Unmarshal(body, &res); err != nil || len(res.Rejected) != 0 {
						t.Errorf("sender %d: %s %v", sender, body, err)
						return
					}
					mu.Lock()
					accepted += res.Accepted
					duplicates += res.Duplicates
					spooled += res.Spooled
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	waitDrained(t, h.srv.URL, 60*time.Second) // what was acknowledged from the spool is written by now
	t.Logf("%d reactions × 3 × 2 senders in %s", n, time.Since(start).Round(time.Millisecond))
	// Reactions spooled because the writer was busy are deduplicated when
	// drained, and answered as accepted (and spooled); those written at
	// once are answered exactly, so at most n of them are accepted.
	if accepted+duplicates != 6*n || accepted < n || accepted-spooled > n || spooled > accepted {
		t.Errorf("answers: accepted %d (spooled %d) duplicates %d, want %d in all, at least %d accepted and at most %d accepted without the spool",
			accepted, spooled, duplicates, 6*n, n, n)
	}
	t.Logf("answered: %d accepted (%d from the spool), %d duplicates", accepted, spooled, duplicates)
	// Once drained, every duplicate has been found, whichever way it came.
	if v := metricSum(t, h.srv.URL+"/metrics", "reactions_aggregator_duplicates_total", nil); v != 5*n {
		t.Errorf("duplicates_total %v, want %d", v, 5*n)
	}
	c := countAll(t, st, h.srv.URL+"/metrics")
	if !c.all(n) {
		t.Fatalf("counts %+v, want %d everywhere", c, n)
	}
	var raw uint64
	if err := st.Conn().QueryRow(context.Background(), "SELECT count() FROM reactions").Scan(&raw); err != nil || raw != n {
		t.Fatalf("raw rows %d (%v), want %d: a duplicate wrote a row", raw, err, n)
	}
	if v := metricSum(t, h.srv.URL+"/metrics", "reactions_aggregator_rows_written_total", nil); v != n {
		t.Errorf("rows_written_total %v, want %d", v, n)
	}
}
