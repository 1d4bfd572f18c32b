package dashboard_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/reactions-research/reactions/dashboard"
)

// chromiumPath finds Debian's chromium (REACTIONS_CHROMIUM overrides).
func chromiumPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("REACTIONS_CHROMIUM"); p != "" {
		return p
	}
	for _, p := range []string{"/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	t.Fatal("the browser test needs Chromium and none was found: install it with `sudo apt-get install chromium` " +
		"(`make test` does), or set REACTIONS_CHROMIUM to its path")
	return ""
}

// browserLog collects what the page must never do.
type browserLog struct {
	mu         sync.Mutex
	dialogs    []string
	exceptions []string
	requests   []string
}

func (l *browserLog) add(list *[]string, s string) {
	l.mu.Lock()
	*list = append(*list, s)
	l.mu.Unlock()
}

// setupBrowser sets up the fixture's dashboard and a browser for it; it
// fails with install instructions when Chromium or the assets are missing.
func setupBrowser(t *testing.T) (*env, *browser) {
	t.Helper()
	chromiumPath(t) // fails with install instructions before anything else
	e := setup(t)
	d, _ := dashboard.New(dashboard.Options{Store: e.st})
	if !d.AssetsBuilt() {
		t.Fatal("dashboard assets not built: run `sh dashboard/web/build.sh` (make build) first")
	}
	return e, newBrowser(t, e.srv.URL)
}

// browser is a headless Chromium driven through chromedp, recording the
// dialogs, exceptions and requests of the pages it loads.
type browser struct {
	t      *testing.T
	ctx    context.Context
	origin string // the dashboard's origin: the only one the page may load from
	log    browserLog
}

// newBrowser starts Chromium for a test of the dashboard served at origin.
func newBrowser(t *testing.T, origin string) *browser {
	t.Helper()
	chromium := chromiumPath(t)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1400, 1100),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-dev-shm-usage", true),
	}
	actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(acancel)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium %s: %v", chromium, err)
	}
	b := &browser{t: t, ctx: ctx, origin: origin}
	// What the page must never do: open a dialog, throw, or load anything
	// a reaction names (the hostile <img src=x>).
	if err := chromedp.Listen(ctx, func(ev any) {
		switch ev := ev.(type) {
		case *page.EventJavascriptDialogOpening:
			b.log.add(&b.log.dialogs, string(ev.Type)+": "+ev.Message)
		case *runtime.EventExceptionThrown:
			b.log.add(&b.log.exceptions, fmt.Sprintf("%s (line %d) %v", ev.ExceptionDetails.Text, ev.ExceptionDetails.LineNumber, ev.ExceptionDetails.Exception))
		case *network.EventRequestWillBeSent:
			b.log.add(&b.log.requests, ev.Request.URL)
		}
	}); err != nil {
		t.Fatal(err)
	}
	b.run(chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		if _, err := cdp.Call(ctx, tg, network.Enable, network.EnableParams{}); err != nil {
			return err
		}
		// Count any alert/confirm/prompt call, before the page's own scripts.
		_, err := cdp.Call(ctx, tg, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{
			Source: `window.__dialogs = 0;
for (const f of ['alert', 'confirm', 'prompt']) { window[f] = function () { window.__dialogs++; }; }`,
		})
		return err
	}))
	return b
}

// run runs steps, failing the test on an error.
func (b *browser) run(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	tctx, tcancel := context.WithTimeout(b.ctx, 60*time.Second)
	defer tcancel()
	if err := chromedp.Do(tctx, steps...); err != nil {
		b.t.Fatal(err)
	}
}

// eval evaluates js in the page and decodes its value into out (if set).
func (b *browser) eval(js string, out any) {
	b.t.Helper()
	tctx, tcancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer tcancel()
	raw, err := chromedp.Run(tctx, chromedp.Evaluate[json.RawMessage](js))
	if err != nil {
		b.t.Fatalf("%s: %v", js, err)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			b.t.Fatalf("%s: %v (%s)", js, err, raw)
		}
	}
}

// choose picks an option of a <select> the way a user does: the value
// changes and a change event fires.
func (b *browser) choose(id, value string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		ok, err := chromedp.Evaluate[bool](fmt.Sprintf(`(() => { const s = document.getElementById(%q);
			if (!Array.from(s.options).some(o => o.value === %q)) return false;
			s.value = %q; s.dispatchEvent(new Event('change', {bubbles: true})); return true; })()`, id, value, value))(ctx, tg)
		if err == nil && !ok {
			err = fmt.Errorf("#%s has no option %q", id, value)
		}
		return err
	})
}

// waitFor waits until js is true, failing with the status line if not.
func (b *browser) waitFor(js string) {
	b.t.Helper()
	tctx, tcancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer tcancel()
	if _, err := chromedp.Run(tctx, chromedp.Poll[chromedp.Void](js, chromedp.WithPollingTimeout(25*time.Second))); err != nil {
		var status string
		b.eval(`document.getElementById('status').textContent`, &status)
		b.t.Fatalf("waiting for %s: %v (status line: %q)", js, err, status)
	}
}

// screenshot saves the page for people, in a temporary directory and in
// dashboard/testdata/out/name.
func (b *browser) screenshot(name string) {
	b.t.Helper()
	tctx, tcancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer tcancel()
	shot, err := chromedp.Run(tctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatal(err)
	}
	path := filepath.Join(b.t.TempDir(), name)
	if err := os.WriteFile(path, shot, 0o644); err != nil {
		b.t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join("testdata", "out"), 0o755); err == nil {
		os.WriteFile(filepath.Join("testdata", "out", name), shot, 0o644)
	}
	b.t.Logf("screenshot: %s (copy in dashboard/testdata/out/%s)", path, name)
}

// checkClean fails the test if a page opened a dialog, threw, or loaded
// anything from another origin.
func (b *browser) checkClean() {
	b.t.Helper()
	var dialogs int
	b.eval(`window.__dialogs`, &dialogs)
	b.log.mu.Lock()
	defer b.log.mu.Unlock()
	if dialogs != 0 || len(b.log.dialogs) != 0 {
		b.t.Errorf("dialogs: %d calls, %v", dialogs, b.log.dialogs)
	}
	if len(b.log.exceptions) != 0 {
		b.t.Errorf("JavaScript exceptions: %v", b.log.exceptions)
	}
	for _, u := range b.log.requests {
		// data: URLs are Chromium's own (the date picker's icon).
		if !strings.HasPrefix(u, b.origin+"/") && !strings.HasPrefix(u, "data:") {
			b.t.Errorf("the page requested %s (only its own origin is allowed)", u)
		}
		if strings.HasSuffix(u, "/x") {
			b.t.Errorf("the hostile <img src=x> was loaded: %s", u)
		}
	}
}
