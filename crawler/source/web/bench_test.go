package web_test

// Crawler benchmarks (issue 3): the web adapter through the real crawler
// (crawler.Run: its polite Colly fetcher with the rate limit lifted for
// loopback, Emit, state, batching) against a plain net/http + goquery client
// fetching and parsing the same pages, and the crawler's memory over
// 100,000 visited URLs. They are opt-in:
//
//	go test -run '^$' -bench 'CrawlVsPlain' -benchtime 5x ./crawler/source/web
//	go test -run '^$' -bench 'Crawl$|PlainGoquery' -benchtime 5x ./crawler/source/web
//	go test -run '^$' -bench CrawlMemory100k ./crawler/source/web
//
// The site is served by a child process (this test binary re-executed), so
// that the measured process holds only the client: its CPU time per page
// (pages/cpu-s) compares the clients even on a busy machine, where wall
// rates (pages/s) swing with other load; its heap and peak RSS are the
// crawler's alone.

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/reactions-research/reactions/crawler"
	"github.com/reactions-research/reactions/crawler/source"
	"github.com/reactions-research/reactions/reaction"
	"github.com/reactions-research/reactions/replica"
	"github.com/reactions-research/reactions/story"
)

// Size of the benchmark site: benchThreads articles, each with benchTop
// top-level comments (three comment pages at five per page) and a reply
// under every other one.
const (
	benchThreads = 300
	benchTop     = 14
)

// longPages is how many comment pages the article of the memory benchmark
// has (/web/long/?cpage=1…longPages, five comments each).
const longPages = 100_000

// serveEnv makes the test binary serve the benchmark site (see TestMain).
const serveEnv = "REACTIONS_WEB_BENCH_SERVE"

func TestMain(m *testing.M) {
	if os.Getenv(serveEnv) != "" {
		serveBenchSite()
		return
	}
	os.Exit(m.Run())
}

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

// serveBenchSite runs in the child process: it renders the web replica's
// pages of benchDataset once, then serves them from memory (so that both
// clients measure themselves, not the replica's rendering) together with
// the generated long article, prints its base URL and the site's size, and
// serves until killed.
func serveBenchSite() {
	d := benchDataset()
	rs := httptest.NewServer(replica.New(d, replica.Options{}))
	pages := map[string][]byte{"/robots.txt": []byte(replica.RobotsTxt)}
	var starts []string
	seen := map[string]bool{}
	for _, it := range d.Items(reaction.Web) {
		if !seen[it.Thread] {
			seen[it.Thread] = true
			starts = append(starts, "/web/"+it.Thread+"/")
		}
	}
	for _, start := range starts {
		for u := start; u != ""; {
			resp, err := http.Get(rs.URL + u)
			if err != nil {
				panic(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			pages[u] = bytes.ReplaceAll(body, []byte(rs.URL), []byte("{{BASE}}"))
			u = ""
			doc, _ := goquery.NewDocumentFromReader(bytes.NewReader(body))
			if h, ok := doc.Find("a.next.page-numbers").Attr("href"); ok {
				nu, _ := url.Parse(h)
				u = nu.RequestURI()
			}
		}
	}
	rs.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	base := "http://" + ln.Addr().String()
	for k, v := range pages {
		pages[k] = bytes.ReplaceAll(v, []byte("{{BASE}}"), []byte(base))
	}
	fmt.Printf("%s %d %d %s\n", base, len(pages)-1, len(d.Items(reaction.Web)), strings.Join(starts, ","))
	os.Stdout.Sync()
	http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/web/long/" {
			n := 1
			if v := r.URL.Query().Get("cpage"); v != "" {
				n, _ = strconv.Atoi(v)
			}
			w.Header().Set("Content-Type", "text/html; charset=UTF-8")
			bw := bufio.NewWriter(w)
			genPage(bw, base, n, longPages)
			bw.Flush()
			return
		}
		body, ok := pages[r.URL.RequestURI()]
		if !ok {
			http.NotFound(w, r)
			return
		}
		if r.URL.Path == "/robots.txt" {
			w.Header().Set("Content-Type", "text/plain")
		} else {
			w.Header().Set("Content-Type", "text/html; charset=UTF-8")
		}
		w.Write(body)
	}))
}

// genPage writes comment page n of the generated long article: five
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

// benchServer is the child process serving the site.
type benchServer struct {
	cmd    *exec.Cmd
	base   string
	starts []string
	nPages int
	nReact int
}

// startBenchServer re-executes the test binary as the site's server.
func startBenchServer(b *testing.B) *benchServer {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run", "^$")
	cmd.Env = append(os.Environ(), serveEnv+"=1")
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	s := &benchServer{cmd: cmd}
	b.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		b.Fatalf("benchmark server: %v", err)
	}
	f := strings.Fields(line)
	if len(f) != 4 {
		b.Fatalf("benchmark server said %q", line)
	}
	s.base, s.starts = f[0], strings.Split(f[3], ",")
	s.nPages, _ = strconv.Atoi(f[1])
	s.nReact, _ = strconv.Atoi(f[2])
	return s
}

// cpuTime is the process's user plus system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// meter accumulates one client's wall and CPU time and its counts, and
// keeps each call's CPU time per page.
type meter struct {
	wall, cpu     time.Duration
	pages, events int64
	cpuPerPage    []float64 // seconds, one per call
}

func (m *meter) time(f func() (pages, events int64)) {
	w, c := time.Now(), cpuTime()
	p, e := f()
	m.wall += time.Since(w)
	cpu := cpuTime() - c
	m.cpu += cpu
	m.pages += p
	m.events += e
	if p > 0 {
		m.cpuPerPage = append(m.cpuPerPage, cpu.Seconds()/float64(p))
	}
}

// pairedRatio is the median over iterations of plain's CPU time per page
// divided by m's, each pair measured back to back: load from other
// processes, which changes the CPU time a page costs (a busy sibling
// hyperthread, caches), then weighs on both sides of each ratio alike.
func (m *meter) pairedRatio(plain *meter) float64 {
	var rs []float64
	for i := range min(len(m.cpuPerPage), len(plain.cpuPerPage)) {
		rs = append(rs, plain.cpuPerPage[i]/m.cpuPerPage[i])
	}
	if len(rs) == 0 {
		return 0
	}
	slices.Sort(rs)
	if n := len(rs); n%2 == 0 {
		return (rs[n/2-1] + rs[n/2]) / 2
	}
	return rs[len(rs)/2]
}

func (m *meter) pagesPerSec() float64    { return float64(m.pages) / m.wall.Seconds() }
func (m *meter) pagesPerCPUSec() float64 { return float64(m.pages) / m.cpu.Seconds() }

// countSink counts what the crawler sends and keeps nothing; onSend, when
// set, sees the running total after every batch.
type countSink struct {
	n      atomic.Int64
	onSend func(total int64)
}

func (s *countSink) PutStory(context.Context, *story.Story) error { return nil }
func (s *countSink) Send(_ context.Context, rs []reaction.Reaction) (reaction.IngestResult, error) {
	total := s.n.Add(int64(len(rs)))
	if s.onSend != nil {
		s.onSend(total)
	}
	return reaction.IngestResult{Accepted: len(rs)}, nil
}
func (s *countSink) PutCrawlRun(context.Context, reaction.CrawlRun) error { return nil }

// crawlOnce runs the real crawler over the pages and returns the run.
func crawlOnce(b *testing.B, base string, starts []string, sink crawler.Sink) reaction.CrawlRun {
	b.Helper()
	src := story.Source{Platform: reaction.Web, JSONLD: true}
	for _, s := range starts {
		src.Pages = append(src.Pages, base+s)
	}
	st := &story.Story{ID: "bench", Subject: []string{"Chrissy Teigen"}, Sources: []story.Source{src}}
	if err := st.Validate(); err != nil {
		b.Fatal(err)
	}
	if sink == nil {
		sink = &countSink{}
	}
	runs, err := crawler.Run(context.Background(), crawlConfig(b), st, sink, crawler.Once)
	if err != nil {
		b.Fatal(err)
	}
	return runs[0]
}

// adapterOnce runs the web adapter alone on a bare Colly collector
// configured like the crawler's (testFetcher), without the crawler's
// transport, state and batching, and returns pages and reactions.
func adapterOnce(b *testing.B, base string, starts []string) (pages, items int64) {
	b.Helper()
	src := &story.Source{JSONLD: true}
	for _, s := range starts {
		src.Pages = append(src.Pages, base+s)
	}
	res := collect(b, testFetcher{}, src)
	if res.err != nil {
		b.Fatal(res.err)
	}
	return int64(res.stats.pages), int64(len(res.reactions))
}

// plainOnce is the baseline: net/http and goquery, fetching every article
// and its comment pages in order and reading the same fields, with no
// politeness, state or checks. It returns pages and comments read.
func plainOnce(b *testing.B, client *http.Client, base string, starts []string) (pages, comments int64) {
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

// checkCounts fails unless a client saw the whole site.
func checkCounts(b *testing.B, who string, s *benchServer, m *meter, iterations int) {
	b.Helper()
	if m.pages != int64(iterations*s.nPages) || m.events != int64(iterations*s.nReact) {
		b.Fatalf("%s: %d pages, %d reactions; want %d, %d", who, m.pages, m.events, iterations*s.nPages, iterations*s.nReact)
	}
}

// BenchmarkCrawl crawls the site with the real crawler.
func BenchmarkCrawl(b *testing.B) {
	s := startBenchServer(b)
	var m meter
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m.time(func() (int64, int64) {
			r := crawlOnce(b, s.base, s.starts, nil)
			return r.Pages, r.Items
		})
	}
	checkCounts(b, "crawl", s, &m, b.N)
	b.ReportMetric(m.pagesPerSec(), "pages/s")
	b.ReportMetric(float64(m.events)/m.wall.Seconds(), "reactions/s")
	b.ReportMetric(m.pagesPerCPUSec(), "pages/cpu-s")
}

// BenchmarkPlainGoquery fetches and parses the same pages with net/http and
// goquery.
func BenchmarkPlainGoquery(b *testing.B) {
	s := startBenchServer(b)
	client := plainClient()
	var m meter
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m.time(func() (int64, int64) { return plainOnce(b, client, s.base, s.starts) })
	}
	checkCounts(b, "plain", s, &m, b.N)
	b.ReportMetric(m.pagesPerSec(), "pages/s")
	b.ReportMetric(float64(m.events)/m.wall.Seconds(), "reactions/s")
	b.ReportMetric(m.pagesPerCPUSec(), "pages/cpu-s")
}

// BenchmarkCrawlVsPlain runs the clients in the same run, one after the
// other in every iteration, and reports each one's rates and the crawler's
// share of the plain client's rate: "ratio" by wall time, "cpu-ratio" by
// CPU time per page over all iterations (the target is >= 0.85), and
// "cpu-ratio-median" the median of the iterations' CPU ratios, steadier on
// a machine shared with other work (use -benchtime 10x or more). "adapter"
// is the web adapter on a bare collector: the difference between it and
// "crawl" is the crawler's own work (transport, state, batching).
func BenchmarkCrawlVsPlain(b *testing.B) {
	s := startBenchServer(b)
	client := plainClient()
	var crawl, adapter, plain meter
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		crawl.time(func() (int64, int64) {
			r := crawlOnce(b, s.base, s.starts, nil)
			return r.Pages, r.Items
		})
		adapter.time(func() (int64, int64) { return adapterOnce(b, s.base, s.starts) })
		plain.time(func() (int64, int64) { return plainOnce(b, client, s.base, s.starts) })
	}
	checkCounts(b, "crawl", s, &crawl, b.N)
	checkCounts(b, "adapter", s, &adapter, b.N)
	checkCounts(b, "plain", s, &plain, b.N)
	b.ReportMetric(crawl.pagesPerSec(), "crawl-pages/s")
	b.ReportMetric(float64(crawl.events)/crawl.wall.Seconds(), "crawl-reactions/s")
	b.ReportMetric(adapter.pagesPerSec(), "adapter-pages/s")
	b.ReportMetric(plain.pagesPerSec(), "plain-pages/s")
	b.ReportMetric(float64(plain.events)/plain.wall.Seconds(), "plain-reactions/s")
	b.ReportMetric(crawl.pagesPerSec()/plain.pagesPerSec(), "ratio")
	b.ReportMetric(crawl.pagesPerCPUSec()/plain.pagesPerCPUSec(), "cpu-ratio")
	b.ReportMetric(adapter.pagesPerCPUSec()/plain.pagesPerCPUSec(), "adapter-cpu-ratio")
	b.ReportMetric(crawl.pagesPerCPUSec(), "crawl-pages/cpu-s")
	b.ReportMetric(plain.pagesPerCPUSec(), "plain-pages/cpu-s")
	b.ReportMetric(crawl.pairedRatio(&plain), "cpu-ratio-median")
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

// memProbe samples the heap while a crawl runs: the peak heap in use at
// every observation, and the live heap (after a GC) when the number of
// pages seen first reaches each checkpoint.
type memProbe struct {
	mu          sync.Mutex
	checkpoints []int64
	live        []float64 // MiB, one per checkpoint reached
	peak        uint64
	ms          runtime.MemStats
}

func (p *memProbe) observe(pages int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	runtime.ReadMemStats(&p.ms)
	p.peak = max(p.peak, p.ms.HeapInuse)
	if next := len(p.live); next < len(p.checkpoints) && pages >= p.checkpoints[next] {
		runtime.GC()
		runtime.ReadMemStats(&p.ms)
		p.live = append(p.live, float64(p.ms.HeapAlloc)/(1<<20))
	}
}

func (p *memProbe) report(b *testing.B, pages int64, dur time.Duration) {
	for i, l := range p.live {
		b.ReportMetric(l, fmt.Sprintf("heap-MiB@%dk", p.checkpoints[i]/1000))
	}
	b.ReportMetric(float64(p.peak)/(1<<20), "peak-heapinuse-MiB")
	b.ReportMetric(vmHWM(), "peak-RSS-MiB")
	b.ReportMetric(float64(pages)/dur.Seconds(), "pages/s")
}

// BenchmarkCrawlMemory100k crawls one article whose comments span 100,000
// pages (?cpage=1…100000, five comments each) and reports the live heap
// (after a GC) at 10k, 50k and 100k visited URLs, the peak heap in use and
// the process's peak RSS, in a fresh process per sub-benchmark:
//
//   - crawler: the real crawler (crawler.Run), sampled after every batch it
//     sends (about 100 pages);
//   - adapter: the web adapter alone on a bare collector, reactions
//     discarded, sampled every 100 pages.
//
// What may grow is bookkeeping: the adapter's and Colly's visited sets (a
// few bytes per URL) and the crawler's sent set (per reaction, to skip
// unchanged reactions on the next run); pages themselves must not pile up.
// Run one sub-benchmark per process for a clean peak RSS:
//
//	go test -run '^$' -bench 'CrawlMemory100k/crawler' ./crawler/source/web
//	go test -run '^$' -bench 'CrawlMemory100k/adapter' ./crawler/source/web
func BenchmarkCrawlMemory100k(b *testing.B) {
	s := startBenchServer(b)
	checkpoints := []int64{10_000, 50_000, 100_000}
	b.Run("crawler", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			p := &memProbe{checkpoints: checkpoints}
			// Five reactions a page: checkpoints fire at the first batch
			// past them.
			sink := &countSink{onSend: func(total int64) { p.observe(total / 5) }}
			start := time.Now()
			r := crawlOnce(b, s.base, []string{"/web/long/"}, sink)
			dur := time.Since(start)
			if r.Pages != longPages || r.Items != 5*longPages {
				b.Fatalf("run: %d pages, %d reactions (%s)", r.Pages, r.Items, r.Message)
			}
			p.report(b, r.Pages, dur)
		}
	})
	b.Run("adapter", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			p := &memProbe{checkpoints: checkpoints}
			a, _ := source.Lookup(reaction.Web)
			stats := &recStats{}
			var n int64
			env := &source.Env{
				Story:   &story.Story{ID: "bench"},
				Source:  &story.Source{Platform: reaction.Web, Name: "web", JSONLD: true, Pages: []string{s.base + "/web/long/"}},
				Fetch:   testFetcher{},
				Authors: newAuthors(b),
				State:   memState{},
				Stats:   stats,
				Now:     time.Now,
				Emit: func(reaction.Reaction) error {
					if n++; n%500 == 0 {
						p.observe(n / 5)
					}
					return nil
				},
			}
			start := time.Now()
			if err := a.Collect(context.Background(), env); err != nil {
				b.Fatal(err)
			}
			dur := time.Since(start)
			if stats.pages != longPages || n != 5*longPages {
				b.Fatalf("adapter: %d pages, %d reactions (%s)", stats.pages, n, stats.kinds())
			}
			p.report(b, int64(stats.pages), dur)
		}
	})
}
