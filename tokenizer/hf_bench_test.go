package tokenizer

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// cpuSeconds is the process's user+system CPU time.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

// gsm8kTexts reads question + "\n" + answer of each GSM8K test item, the
// text scripts/tokenizer_reference.mjs --bench times, or skips.
func gsm8kTexts(tb testing.TB) []string {
	p := filepath.Join("..", "..", "shared", "data", "gsm8k", "test.jsonl")
	if d := os.Getenv("AUTODIDACT_DATA"); d != "" {
		p = filepath.Join(d, "gsm8k", "test.jsonl")
	}
	f, err := os.Open(p)
	if err != nil {
		tb.Skipf("GSM8K not found at %s (set AUTODIDACT_DATA): %v", p, err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		var r struct{ Question, Answer string }
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			tb.Fatal(err)
		}
		out = append(out, r.Question+"\n"+r.Answer)
	}
	return out
}

// BenchmarkHFEncodeGSM8K reports tokens/s encoding the GSM8K test set, to
// compare with tokenizers.js (scripts/tokenizer_reference.mjs --bench).
func BenchmarkHFEncodeGSM8K(b *testing.B) {
	for _, name := range refNames {
		b.Run(name, func(b *testing.B) {
			tok := loadRef(b, name)
			texts := gsm8kTexts(b)
			tokens := 0
			for _, t := range texts { // warm the cache, as the node timing does
				ids, _ := tok.Encode(t)
				tokens += len(ids)
			}
			cpu0 := cpuSeconds()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				for _, t := range texts {
					if _, err := tok.Encode(t); err != nil {
						b.Fatal(err)
					}
				}
			}
			cpu := cpuSeconds() - cpu0
			b.ReportMetric(float64(tokens)*float64(b.N)/b.Elapsed().Seconds(), "tokens/s")
			// The machine may be shared: CPU time is steadier than wall time.
			b.ReportMetric(float64(tokens)*float64(b.N)/cpu, "tokens/cpu-s")
		})
	}
}
