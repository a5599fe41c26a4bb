package dash

import (
	"bufio"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

var (
	benchOnce sync.Once
	benchRoot string
	benchErr  error
)

// benchRuns builds, once, a parent of 200 run directories copied from the
// fixture's GRPO run, one of which has a 100 MB metrics.jsonl and no
// summary (a long run still writing).
func benchRuns() (string, error) {
	benchOnce.Do(func() {
		benchRoot = filepath.Join(filepath.Dir(fixtureRoot), "bench")
		src := filepath.Join(fixtureRoot, "lm-grpo")
		for i := range 200 {
			d := filepath.Join(benchRoot, fmt.Sprintf("run-%03d", i))
			if benchErr = os.MkdirAll(d, 0o755); benchErr != nil {
				return
			}
			files := []string{"config.yaml", "metrics.jsonl", "summary.json", "samples.jsonl"}
			if i == 0 {
				files = files[:1]
			}
			for _, f := range files {
				b, err := os.ReadFile(filepath.Join(src, f))
				if err == nil {
					err = os.WriteFile(filepath.Join(d, f), b, 0o644)
				}
				if err != nil {
					benchErr = err
					return
				}
			}
		}
		lines, err := os.ReadFile(filepath.Join(src, "metrics.jsonl"))
		if err != nil {
			benchErr = err
			return
		}
		f, err := os.Create(filepath.Join(benchRoot, "run-000", "metrics.jsonl"))
		if err != nil {
			benchErr = err
			return
		}
		w := bufio.NewWriterSize(f, 1<<20)
		for n := 0; n < 100<<20; n += len(lines) {
			w.Write(lines)
		}
		if benchErr = w.Flush(); benchErr == nil {
			benchErr = f.Close()
		}
	})
	return benchRoot, benchErr
}

// BenchmarkRunList measures GET /api/runs over 200 runs, one with a 100 MB
// metrics file, and fails above the bar of one second.
//
//	go test -run '^$' -bench RunList ./dash/
func BenchmarkRunList(b *testing.B) {
	root, err := benchRuns()
	if err != nil {
		b.Fatal(err)
	}
	h := New([]string{root})
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", "/api/runs", nil))
		if w.Code != 200 {
			b.Fatal(w.Code)
		}
		if d := time.Since(start); d > time.Second {
			b.Fatalf("run list took %v (bar: 1 s)", d)
		}
	}
	runs := Scan([]string{root})
	if len(runs) != 200 || runs[0].Status != StatusRunning || runs[0].LastStage != "eval" {
		b.Fatalf("%d runs; run-000 %s last %q", len(runs), runs[0].Status, runs[0].LastStage)
	}
}

// BenchmarkMetrics100MB measures the first parse of a 100 MB metrics file
// (later polls parse only appended bytes).
func BenchmarkMetrics100MB(b *testing.B) {
	root, err := benchRuns()
	if err != nil {
		b.Fatal(err)
	}
	p := filepath.Join(root, "run-000", "metrics.jsonl")
	for b.Loop() {
		var c metricsCache
		if _, err := c.get(p); err != nil {
			b.Fatal(err)
		}
	}
}
