package web_test

// Crawler benchmarks (issue 3): the web adapter through the real crawler
// (crawler.Run: its polite Colly fetcher with the rate limit lifted for
// loopback, Emit, state, batching) against a plain net/http + goquery client
// fetching and parsing the same pages, and the crawler's memory over
// 100,000 visited URLs. They are opt-in:
//
//	go test -run '^$' -bench 'Crawl|Plain' -benchtime 5x ./crawler/source/web
//	go test -run '^$' -bench CrawlMemory100k ./crawler/source/web

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/reactions-research/reactions/crawler"
	"github.com/reactions-research/reactions/crawler/replica"
	"github.com/reactions-research/reactions/reaction"
	"github.com/reactions-research/reactions/story"
)

// Size of the benchmark site: benchThreads articles, each with benchTop
// top-level comments (three comment pages at five per page) and a reply
// under every other one.
const (
	benchThreads = 300
	benchTop     = 14
)

// benchDataset generates the site's comments.
func benchDataset() *replica.Dataset {
	base := time.Date(2020, 10, 1, 3, 0, 0, 0, time.UTC)
	var items []replica.Item
	n := 0
	for th := 0; th < benchThreads; th++ {
		thread := fmt.Sprintf("2020/10/01/bench-%03d", th)
		for c := 0; c < benchTop; c++ {
			n++
			top := fmt.Sprintf("comment-%d", n)
			items = append(items, replica.Item{Platform: reaction.Web, Thread: thread, Native: top,
				Author: fmt.Sprintf("reader%d", n%97), CreatedAt: base.Add(time.Duration(n) * time.Minute),
				Text: fmt.Sprintf("Comment %d: sending love to the family & thinking of them.\n\nA second paragraph, with some more words in it to make it a realistic length.", n)})
			if c%2 == 0 {
				n++
				items = append(items, replica.Item{Platform: reaction.Web, Thread: thread, Native: fmt.Sprintf("comment-%d", n), Parent: top,
					Author: fmt.Sprintf("reader%d", n%97), CreatedAt: base.Add(time.Duration(n) * time.Minute),
					Text: fmt.Sprintf("Reply %d: agreed.", n)})
			}
		}
	}
	return replica.NewDataset(items...)
}

// staticSite is the web replica's pages for the benchmark data set,
// rendered once and served from memory, so that both clients measure
// themselves rather than the replica's rendering.
type staticSite struct {
	pages  map[string][]byte // RequestURI -> body
	starts []string          // article URIs
	nPages int
	nReact int
}

var (
	siteOnce sync.Once
	site     *staticSite
)

func benchSite(b *testing.B) *staticSite {
	b.Helper()
	siteOnce.Do(func() {
		d := benchDataset()
		rs := httptest.NewServer(replica.New(d, replica.Options{}))
		defer rs.Close()
		s := &staticSite{pages: map[string][]byte{}}
		seen := map[string]bool{}
		for _, it := range d.Items(reaction.Web) {
			if !seen[it.Thread] {
				seen[it.Thread] = true
				s.starts = append(s.starts, "/web/"+it.Thread+"/")
			}
		}
		for _, start := range s.starts {
			for u := start; u != ""; {
				resp, err := http.Get(rs.URL + u)
				if err != nil {
					panic(err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				body = bytes.ReplaceAll(body, []byte(rs.URL), []byte("{{BASE}}"))
				s.pages[u] = body
				u = ""
				doc, _ := goquery.NewDocumentFromReader(bytes.NewReader(body))
				if h, ok := doc.Find("a.next.page-numbers").Attr("href"); ok {
					nu, _ := url.Parse(strings.ReplaceAll(h, "{{BASE}}", rs.URL))
					u = nu.RequestURI()
				}
			}
		}
		s.nPages = len(s.pages)
		s.nReact = len(d.Items(reaction.Web))
		s.pages["/robots.txt"] = []byte(replica.RobotsTxt)
		site = s
	})
	return site
}

// serve serves the static site, writing absolute URLs for its own host.
func (s *staticSite) serve() *httptest.Server {
	var ts *httptest.Server
	ts = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, ok := s.pages[r.URL.RequestURI()]
		if !ok {
			http.NotFound(w, r)
			return
		}
		if r.URL.Path == "/robots.txt" {
			w.Header().Set("Content-Type", "text/plain")
		} else {
			w.Header().Set("Content-Type", "text/html; charset=UTF-8")
		}
		w.Write(bytes.ReplaceAll(body, []byte("{{BASE}}"), []byte(ts.URL)))
	}))
	return ts
}

// countSink counts what the crawler sends and keeps nothing.
type countSink struct{ n atomic.Int64 }

func (s *countSink) PutStory(context.Context, *story.Story) error { return nil }
func (s *countSink) Send(_ context.Context, rs []reaction.Reaction) (reaction.IngestResult, error) {
	s.n.Add(int64(len(rs)))
	return reaction.IngestResult{Accepted: len(rs)}, nil
}
func (s *countSink) PutCrawlRun(context.Context, reaction.CrawlRun) error { return nil }

// crawlOnce runs the real crawler over pages and returns the run.
func crawlOnce(b *testing.B, base string, starts []string) reaction.CrawlRun {
	b.Helper()
	src := story.Source{Platform: reaction.Web, JSONLD: true}
	for _, s := range starts {
		src.Pages = append(src.Pages, base+s)
	}
	st := &story.Story{ID: "bench", Subject: []string{"Chrissy Teigen"}, Sources: []story.Source{src}}
	if err := st.Validate(); err != nil {
		b.Fatal(err)
	}
	runs, err := crawler.Run(context.Background(), crawlConfig(b), st, &countSink{}, crawler.Once)
	if err != nil {
		b.Fatal(err)
	}
	return runs[0]
}

// plainOnce is the baseline: net/http and goquery, fetching every article
// and its comment pages in order and reading the same fields, with no
// politeness, state or checks. It returns pages and comments read.
func plainOnce(b *testing.B, client *http.Client, base string, starts []string) (pages, comments int) {
	b.Helper()
	for _, s := range starts {
		for u := base + s; u != ""; {
			resp, err := client.Get(u)
			if err != nil {
				b.Fatal(err)
			}
			doc, err := goquery.NewDocumentFromReader(resp.Body)
			resp.Body.Close()
			if err != nil {
				b.Fatal(err)
			}
			pages++
			doc.Find("li.comment").Each(func(_ int, c *goquery.Selection) {
				id, _ := c.Attr("id")
				author := strings.TrimSpace(c.Find(".comment-author .fn").First().Text())
				dt, _ := c.Find("time").First().Attr("datetime")
				t, err := time.Parse(time.RFC3339, dt)
				text := strings.TrimSpace(c.Find(".comment-content").First().Text())
				if id != "" && author != "" && err == nil && !t.IsZero() && text != "" {
					comments++
				}
			})
			u = ""
			doc.Find("a.next").EachWithBreak(func(_ int, a *goquery.Selection) bool {
				h, _ := a.Attr("href")
				if nu, err := url.Parse(h); err == nil && h != "" && !strings.HasPrefix(h, "#") {
					nu.Fragment = ""
					u = nu.String()
					return false
				}
				return true
			})
		}
	}
	return pages, comments
}

func plainClient() *http.Client {
	return &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
}

// BenchmarkCrawl crawls the site with the real crawler and reports pages/s
// and reactions/s.
func BenchmarkCrawl(b *testing.B) {
	s := benchSite(b)
	ts := s.serve()
	defer ts.Close()
	b.ResetTimer()
	var pages, items int64
	for i := 0; i < b.N; i++ {
		r := crawlOnce(b, ts.URL, s.starts)
		if r.Items != int64(s.nReact) || r.Pages != int64(s.nPages) {
			b.Fatalf("run: %d pages, %d reactions (%s); want %d, %d", r.Pages, r.Items, r.Message, s.nPages, s.nReact)
		}
		pages += r.Pages
		items += r.Items
	}
	sec := b.Elapsed().Seconds()
	b.ReportMetric(float64(pages)/sec, "pages/s")
	b.ReportMetric(float64(items)/sec, "reactions/s")
}

// BenchmarkPlainGoquery fetches and parses the same pages with net/http and
// goquery.
func BenchmarkPlainGoquery(b *testing.B) {
	s := benchSite(b)
	ts := s.serve()
	defer ts.Close()
	client := plainClient()
	b.ResetTimer()
	var pages, items int
	for i := 0; i < b.N; i++ {
		p, c := plainOnce(b, client, ts.URL, s.starts)
		if p != s.nPages || c != s.nReact {
			b.Fatalf("plain: %d pages, %d comments; want %d, %d", p, c, s.nPages, s.nReact)
		}
		pages += p
		items += c
	}
	sec := b.Elapsed().Seconds()
	b.ReportMetric(float64(pages)/sec, "pages/s")
	b.ReportMetric(float64(items)/sec, "reactions/s")
}

// adapterOnce runs the web adapter alone on a bare Colly collector
// configured like the crawler's (testFetcher), without the crawler's
// transport, state and batching, and returns pages and reactions.
func adapterOnce(b *testing.B, base string, starts []string) (pages, items int) {
	b.Helper()
	src := &story.Source{JSONLD: true}
	for _, s := range starts {
		src.Pages = append(src.Pages, base+s)
	}
	res := collect(b, testFetcher{}, src)
	if res.err != nil {
		b.Fatal(res.err)
	}
	return res.stats.pages, len(res.reactions)
}

// BenchmarkCrawlVsPlain runs the clients in the same run, one after the
// other in every iteration, and reports each one's rates and the crawler's
// share of the plain client's page rate (the target is ratio >= 0.85).
// "adapter" is the web adapter on a bare collector: the difference between
// it and "crawl" is the crawler's own work (transport, state, batching).
func BenchmarkCrawlVsPlain(b *testing.B) {
	s := benchSite(b)
	ts := s.serve()
	defer ts.Close()
	client := plainClient()
	b.ResetTimer()
	var crawlDur, adapterDur, plainDur time.Duration
	var crawlPages, adapterPages, plainPages, crawlItems, plainItems int64
	for i := 0; i < b.N; i++ {
		start := time.Now()
		r := crawlOnce(b, ts.URL, s.starts)
		crawlDur += time.Since(start)
		crawlPages += r.Pages
		crawlItems += r.Items

		start = time.Now()
		p, _ := adapterOnce(b, ts.URL, s.starts)
		adapterDur += time.Since(start)
		adapterPages += int64(p)

		start = time.Now()
		p, c := plainOnce(b, client, ts.URL, s.starts)
		plainDur += time.Since(start)
		plainPages += int64(p)
		plainItems += int64(c)
	}
	if crawlPages != plainPages || adapterPages != plainPages {
		b.Fatalf("pages: crawl %d, adapter %d, plain %d", crawlPages, adapterPages, plainPages)
	}
	cr := float64(crawlPages) / crawlDur.Seconds()
	ar := float64(adapterPages) / adapterDur.Seconds()
	pr := float64(plainPages) / plainDur.Seconds()
	b.ReportMetric(cr, "crawl-pages/s")
	b.ReportMetric(float64(crawlItems)/crawlDur.Seconds(), "crawl-reactions/s")
	b.ReportMetric(ar, "adapter-pages/s")
	b.ReportMetric(pr, "plain-pages/s")
	b.ReportMetric(float64(plainItems)/plainDur.Seconds(), "plain-reactions/s")
	b.ReportMetric(cr/pr, "ratio")
	b.ReportMetric(ar/pr, "adapter-ratio")
}

// memSample is the process's memory at one point of the 100k crawl.
type memSample struct {
	pages           int
	heapLive, vmHWM float64 // MiB
}

// vmHWM returns the process's peak resident set (VmHWM) in MiB, or 0 when
// /proc is not available.
func vmHWM() float64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 64)
			return kb / 1024
		}
	}
	return 0
}

// genPage writes comment page n of the generated 100k-page article: five
// WordPress comments and a link to page n+1 until last.
func genPage(w io.Writer, base string, n, last int) {
	fmt.Fprintf(w, `<!DOCTYPE html><html lang="en-US"><head><meta charset="UTF-8"><title>Long thread, page %d</title></head><body><main><article class="post"><h1>Long thread</h1></article><div id="comments"><ol class="comment-list">`, n)
	for k := 0; k < 5; k++ {
		id := n*5 + k
		ts := time.Date(2020, 10, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(id) * time.Second).Format(time.RFC3339)
		fmt.Fprintf(w, `<li id="comment-%d" class="comment depth-1"><article id="div-comment-%d" class="comment-body"><footer class="comment-meta"><div class="comment-author vcard"><b class="fn">reader%d</b> <span class="says">says:</span></div><div class="comment-metadata"><a href="%s/web/long/?cpage=%d#comment-%d"><time datetime="%s">x</time></a></div></footer><div class="comment-content"><p>Comment %d on page %d &amp; a few more words.</p></div></article></li>`,
			id, id, id%1000, base, n, id, ts, id, n)
	}
	b := `</ol>`
	if n < last {
		b += fmt.Sprintf(`<nav class="navigation comments-pagination"><div class="nav-links"><a class="next page-numbers" href="%s/web/long/?cpage=%d#comments">Next</a></div></nav>`, base, n+1)
	}
	io.WriteString(w, b+`</div></main></body></html>`)
}

// BenchmarkCrawlMemory100k crawls one article whose comments span 100,000
// pages (?cpage=1…100000, five comments each) with the real crawler and
// reports the live heap (after a GC) at 10k, 50k and 100k visited URLs, the
// peak heap in use (sampled every 1,000 pages) and the process's peak RSS.
// The crawler keeps a small record per URL (visited sets) and per reaction
// (the sent log for "skip unchanged"); pages themselves must not pile up.
func BenchmarkCrawlMemory100k(b *testing.B) {
	const last = 100_000
	checkpoints := map[int]bool{10_000: true, 50_000: true, 100_000: true}
	for i := 0; i < b.N; i++ {
		var mu sync.Mutex
		var samples []memSample
		var peak uint64
		var ms runtime.MemStats
		var ts *httptest.Server
		ts = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/robots.txt" {
				io.WriteString(w, replica.RobotsTxt)
				return
			}
			n := 1
			if v := r.URL.Query().Get("cpage"); v != "" {
				n, _ = strconv.Atoi(v)
			}
			if n%1000 == 0 || checkpoints[n] {
				mu.Lock()
				runtime.ReadMemStats(&ms)
				peak = max(peak, ms.HeapInuse)
				if checkpoints[n] {
					runtime.GC()
					runtime.ReadMemStats(&ms)
					samples = append(samples, memSample{pages: n, heapLive: float64(ms.HeapAlloc) / (1 << 20), vmHWM: vmHWM()})
				}
				mu.Unlock()
			}
			w.Header().Set("Content-Type", "text/html; charset=UTF-8")
			bw := bufio.NewWriter(w)
			genPage(bw, ts.URL, n, last)
			bw.Flush()
		}))
		start := time.Now()
		r := crawlOnce(b, ts.URL, []string{"/web/long/"})
		dur := time.Since(start)
		ts.Close()
		if r.Pages != last || r.Items != 5*last {
			b.Fatalf("run: %d pages, %d reactions (%s)", r.Pages, r.Items, r.Message)
		}
		for _, s := range samples {
			b.ReportMetric(s.heapLive, fmt.Sprintf("heap-MiB@%dk", s.pages/1000))
		}
		if len(samples) > 0 {
			b.ReportMetric(samples[len(samples)-1].vmHWM, "peak-RSS-MiB")
		}
		b.ReportMetric(float64(peak)/(1<<20), "peak-heapinuse-MiB")
		b.ReportMetric(float64(r.Pages)/dur.Seconds(), "pages/s")
	}
}
