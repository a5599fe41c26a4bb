package serve

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkThroughput measures completion tokens per second through the
// HTTP server on the tiny test model with 1 and 8 concurrent clients, each
// sending requests of 8 prompt tokens and up to 48 sampled tokens
// (temperature 1, the shared engine of 8 slots).
//
//	go test -run '^$' -bench Throughput -benchtime 200x ./serve/
func BenchmarkThroughput(b *testing.B) {
	for _, clients := range []int{1, 8} {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
			f := newFixture(b, Options{Slots: 8})
			var next, tokens atomic.Int64
			var wg sync.WaitGroup
			start := time.Now()
			b.ResetTimer()
			for c := range clients {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						i := next.Add(1)
						if i > int64(b.N) {
							return
						}
						prompt := []int{int(i % 250), 2, 3, 4, 5, 6, 7, c}
						body, _ := json.Marshal(map[string]any{"prompt": prompt, "max_tokens": 48, "temperature": 1, "stop_token_ids": []int{}})
						resp, err := http.Post(f.ts.URL+"/v1/completions", "application/json", bytes.NewReader(body))
						if err != nil {
							b.Error(err)
							return
						}
						var out completionOut
						json.NewDecoder(resp.Body).Decode(&out)
						resp.Body.Close()
						if out.Usage == nil {
							b.Errorf("status %d", resp.StatusCode)
							return
						}
						tokens.Add(int64(out.Usage.CompletionTokens))
					}
				}()
			}
			wg.Wait()
			el := time.Since(start).Seconds()
			b.ReportMetric(float64(tokens.Load())/el, "tokens/s")
			b.ReportMetric(float64(tokens.Load())/float64(b.N), "tokens/req")
		})
	}
}
