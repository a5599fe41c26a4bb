package dash

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// chromium returns the path of a Chromium binary, or "" when none is
// installed (the browser test is then skipped; CI installs Debian's).
func chromium() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// browser starts headless Chromium for a test (skipping it when Chromium
// is absent) and returns its context and the JavaScript exceptions seen.
func browser(t *testing.T) (context.Context, func() []string) {
	exe := chromium()
	if exe == "" {
		t.Skip("chromium not installed")
	}
	// A fresh profile; removed by hand after Chromium exits, ignoring
	// errors: its helper processes may still write there for a moment,
	// which makes t.TempDir's strict cleanup fail the test.
	profile, err := os.MkdirTemp("", "dash-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for range 20 {
			if os.RemoveAll(profile) == nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.UserDataDir(profile), chromedp.WindowSize(1400, 1000),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancelCtx := chromedp.NewContext(actx)
	t.Cleanup(cancelCtx)
	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(cancel)
	var mu sync.Mutex
	var jsErrors []string
	chromedp.ListenTarget(ctx, func(ev any) {
		if e, ok := ev.(*runtime.EventExceptionThrown); ok {
			mu.Lock()
			msg := e.ExceptionDetails.Error()
			if e.ExceptionDetails.Exception != nil {
				msg += ": " + e.ExceptionDetails.Exception.Description
			}
			jsErrors = append(jsErrors, msg)
			mu.Unlock()
		}
	})
	return ctx, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), jsErrors...)
	}
}

// shot captures the viewport as PNG, checks it decodes at the window's
// size and, when dir is not empty, writes it there as name.png.
func shot(dir, name string) chromedp.Action {
	return chromedp.ActionFunc(func(ctx context.Context) error {
		var buf []byte
		if err := chromedp.CaptureScreenshot(&buf).Do(ctx); err != nil {
			return err
		}
		img, err := png.Decode(bytes.NewReader(buf))
		if err != nil {
			return fmt.Errorf("screenshot %s: %w", name, err)
		}
		if b := img.Bounds(); b.Dx() < 1000 || b.Dy() < 800 {
			return fmt.Errorf("screenshot %s is %v", name, b)
		}
		if dir == "" {
			return nil
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, name+".png"), buf, 0o644)
	})
}

func count(sel string, n *int) chromedp.Action {
	return chromedp.Evaluate(fmt.Sprintf(`document.querySelectorAll(%q).length`, sel), n)
}

// waitJS polls a JavaScript condition; on timeout the error lists the
// charts on the page and the exceptions seen.
func waitJS(cond string, jsErrors func() []string) chromedp.Action {
	return chromedp.ActionFunc(func(ctx context.Context) error {
		err := chromedp.Poll(cond, nil, chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(20*time.Second)).Do(ctx)
		if err != nil {
			var page string
			chromedp.Evaluate(`Array.from(document.querySelectorAll('#charts .chart')).map((c) => c.dataset.metric + ':' + c.querySelectorAll('path.series').length).join(' ') + ' ' + location.href`, &page).Do(ctx)
			return fmt.Errorf("waiting for %s: %w; charts: %s; JavaScript exceptions: %q", cond, err, page, jsErrors())
		}
		return nil
	})
}

// click, attr and text act in one JavaScript call each: the page re-renders
// on every 3 s poll, so a node found by one protocol call may be gone by
// the next ("Could not find node with given id").
func click(sel string) chromedp.Action {
	return chromedp.Evaluate(fmt.Sprintf(`document.querySelector(%q).click()`, sel), nil)
}

func attr(sel, name string, v *string) chromedp.Action {
	return chromedp.Evaluate(fmt.Sprintf(`document.querySelector(%q).getAttribute(%q) || ''`, sel, name), v)
}

func text(sel string, v *string) chromedp.Action {
	return chromedp.Evaluate(fmt.Sprintf(`document.querySelector(%q).innerText`, sel), v)
}

func selectRun(sel, id string) chromedp.Action {
	return chromedp.Evaluate(fmt.Sprintf(`(() => { const s = document.querySelector(%q); s.value = %q; s.dispatchEvent(new Event('change')); return s.value; })()`, sel, id), nil)
}

// TestBrowser drives headless Chromium over the fixture runs: the run list
// loads, curves and pass@k charts render, the episode browser opens an
// episode with coloured tokens, and control rollouts animate, with no
// JavaScript exception.
func TestBrowser(t *testing.T) {
	ctx, jsErrors := browser(t)
	srv := httptest.NewServer(New([]string{fixtureRoot}))
	defer srv.Close()
	wait := func(cond string) chromedp.Action { return waitJS(cond, jsErrors) }
	lm, ctl, eps, drv := id("lm-grpo"), id("ctl-ppo"), id("episodes"), id("ctl-drv")
	var rows, charts, passk, dashed, epRows, segs, toks, coloured int
	var rewardPath, verdicts, policyText, frame, info string
	err := chromedp.Run(ctx,
		chromedp.Navigate(srv.URL+"/#runs="+url.QueryEscape(lm+","+ctl)),
		wait(`document.querySelectorAll('#run-table tr.run-row').length > 0`),
		count(`#run-table tr.run-row`, &rows),
		wait(`document.querySelectorAll('#charts .chart[data-metric="rl/reward"] path.series').length == 1`),
		count(`#charts .chart`, &charts),
		attr(`#charts .chart[data-metric="rl/reward"] path.series`, "d", &rewardPath),
		wait(`document.querySelectorAll('#charts .chart[data-metric="episode_return"] path.series').length == 1`),
		shot("", "curves"),

		click(`#tabs button[data-tab="passk"]`),
		wait(`document.querySelectorAll('#passk-chart path.series').length > 0`),
		count(`#passk-chart path.series`, &passk),
		count(`#passk-chart path.series[stroke-dasharray]`, &dashed),
		shot("", "passk"),

		click(`#tabs button[data-tab="episodes"]`),
		selectRun(`#ep-run`, eps),
		wait(`document.querySelectorAll('#ep-list tr.ep-row').length == 3`),
		count(`#ep-list tr.ep-row`, &epRows),
		click(`#ep-list tr.ep-row[data-line="0"]`),
		wait(`document.querySelectorAll('#ep-detail .segment').length == 4`),
		count(`#ep-detail .segment`, &segs),
		count(`#ep-detail .segment[data-role="policy"] .tok`, &toks),
		chromedp.Evaluate(`Array.from(document.querySelectorAll('#ep-detail .segment[data-role="policy"] .tok')).filter((s) => s.style.background !== '').length`, &coloured),
		text(`#ep-detail .segment[data-role="policy"] .seg-text`, &policyText),
		text(`#ep-detail .verdicts`, &verdicts),
		shot("", "episodes"),

		click(`#tabs button[data-tab="control"]`),
		selectRun(`#ctl-run`, ctl),
		click(`#ctl-play`),
		wait(`+(document.querySelector('#ctl-anim') || {getAttribute: () => 0}).getAttribute('data-frame') >= 20`),
		attr(`#ctl-anim`, "data-frame", &frame),
		text(`#ctl-info`, &info),
		shot("", "control-cartpole"),
		selectRun(`#ctl-run`, drv),
		click(`#ctl-play`),
		wait(`(document.querySelector('#ctl-anim') || {getAttribute: () => ''}).getAttribute('data-env') == 'Driving-v0' && document.querySelectorAll('#ctl-anim circle').length > 0`),
		chromedp.Sleep(300*time.Millisecond),
		shot("", "control-driving"),
	)
	if err != nil {
		t.Fatal(err)
	}
	if rows != 8 {
		t.Errorf("run list shows %d rows, want 8", rows)
	}
	if charts < 10 || strings.Count(rewardPath, "L") < 5 {
		t.Errorf("%d charts; rl/reward path %q", charts, rewardPath)
	}
	if passk != 2 || dashed != 1 {
		t.Errorf("pass@k: %d curves (%d dashed), want base dashed and final solid", passk, dashed)
	}
	if epRows != 3 || segs != 4 || toks != 2 || coloured != 2 || policyText != "46" || !strings.Contains(verdicts, "verifier: reward 1 — equal") {
		t.Errorf("episode browser: %d rows, %d segments, %d tokens (%d coloured), policy %q, verdicts %q", epRows, segs, toks, coloured, policyText, verdicts)
	}
	if !strings.Contains(info, "CartPole-v1") || frame == "" {
		t.Errorf("rollout: frame %q info %q", frame, info)
	}
	if errs := jsErrors(); len(errs) > 0 {
		t.Errorf("JavaScript exceptions: %q", errs)
	}
}

// TestScreenshots writes the documentation's screenshots (docs/dash/*.png)
// when DASH_SCREENSHOTS names the output directory: the runs under
// DASH_SCREENSHOT_RUNS (real runs; default: none) beside the fixture's
// episode-format samples and driving run.
//
//	DASH_SCREENSHOTS=$PWD/docs/dash DASH_SCREENSHOT_RUNS=/tmp/dashreal go test -run TestScreenshots ./dash/
func TestScreenshots(t *testing.T) {
	dir := os.Getenv("DASH_SCREENSHOTS")
	if dir == "" {
		t.Skip("DASH_SCREENSHOTS not set")
	}
	ctx, jsErrors := browser(t)
	var roots []string
	if r := os.Getenv("DASH_SCREENSHOT_RUNS"); r != "" {
		roots = append(roots, r)
	}
	roots = append(roots, filepath.Join(fixtureRoot, "episodes"), filepath.Join(fixtureRoot, "ctl-drv"))
	h := New(roots)
	srv := httptest.NewServer(h)
	defer srv.Close()
	var lm, ctl []string
	for _, r := range h.Runs() {
		if r.Kind == KindLM && r.Summary != nil {
			lm = append(lm, r.ID)
		}
		if r.Kind == KindControl && r.HasPolicy && !strings.HasSuffix(r.ID, "ctl-drv") {
			ctl = append(ctl, r.ID)
		}
	}
	sel := append(lm, ctl...)
	wait := func(cond string) chromedp.Action { return waitJS(cond, jsErrors) }
	actions := []chromedp.Action{
		chromedp.Navigate(srv.URL + "/#runs=" + url.QueryEscape(strings.Join(sel, ","))),
		wait(`document.querySelectorAll('#charts .chart path.series').length > 0`),
		chromedp.Sleep(500 * time.Millisecond),
		shot(dir, "curves"),
		click(`#tabs button[data-tab="passk"]`),
		chromedp.Sleep(300 * time.Millisecond),
		shot(dir, "passk"),
		click(`#tabs button[data-tab="episodes"]`),
		selectRun(`#ep-run`, "episodes"),
		wait(`document.querySelectorAll('#ep-list tr.ep-row').length > 0`),
		click(`#ep-list tr.ep-row[data-line="0"]`),
		wait(`document.querySelectorAll('#ep-detail .segment').length > 0`),
		shot(dir, "episodes"),
		click(`#tabs button[data-tab="control"]`),
	}
	if len(ctl) > 0 {
		actions = append(actions, selectRun(`#ctl-run`, ctl[0]), click(`#ctl-play`),
			wait(`+(document.querySelector('#ctl-anim') || {getAttribute: () => 0}).getAttribute('data-frame') >= 60`), shot(dir, "control-cartpole"))
	}
	actions = append(actions, selectRun(`#ctl-run`, "ctl-drv"), click(`#ctl-play`),
		wait(`+(document.querySelector('#ctl-anim[data-env="Driving-v0"]') || {getAttribute: () => 0}).getAttribute('data-frame') >= 8`), shot(dir, "control-driving"))
	if err := chromedp.Run(ctx, actions...); err != nil {
		t.Fatal(err)
	}
}
