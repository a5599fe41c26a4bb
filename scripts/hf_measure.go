//go:build ignore

// hf_measure builds a random-weight model of a Hugging Face shape in memory
// (default Qwen2.5-0.5B: hidden 896, 24 layers, 14 heads, 2 kv heads,
// intermediate 4864, vocab 151936, tied), optionally exports it as a BF16
// Hugging Face directory and loads it back with hf.Load, and reports
// resident memory and Score tokens/s.
//
//	go run scripts/hf_measure.go -rows 1 -len 512 -export /tmp/qwen05b
package main

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/autodidact-rl/autodidact/hf"
	"github.com/autodidact-rl/autodidact/lm"
	"github.com/autodidact-rl/autodidact/optim"
	"github.com/autodidact-rl/autodidact/tensor"
)

func rss() string {
	b, _ := os.ReadFile("/proc/self/status")
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmRSS") || strings.HasPrefix(l, "VmHWM") {
			out = append(out, strings.Join(strings.Fields(l), " "))
		}
	}
	return strings.Join(out, ", ")
}

// cpuSeconds is the process's user + system CPU time.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

func main() {
	rows := flag.Int("rows", 1, "batch rows")
	T := flag.Int("len", 512, "tokens per row")
	reps := flag.Int("reps", 3, "timed Score calls")
	export := flag.String("export", "", "export as BF16 to this directory and time hf.Load of it")
	train := flag.Int("train", 0, "also time this many training steps (Score, Backward of the mean log-prob, AdamW) on the batch")
	sample := flag.Int("sample", 0, "also time sampling: this many prompts of 32 tokens, 64 new tokens each")
	flag.Parse()
	debug.SetGCPercent(50)
	cfg := lm.Config{VocabSize: 151936, HiddenSize: 896, IntermediateSize: 4864, NumHiddenLayers: 24,
		NumAttentionHeads: 14, NumKeyValueHeads: 2, RopeTheta: 1e6, RMSNormEps: 1e-6, TieWordEmbeddings: true,
		AttentionBias: true, MaxPositionEmbeddings: 32768}
	fmt.Printf("backend %s, GOMAXPROCS %d, %d parameters\n", tensor.Backend(), runtime.GOMAXPROCS(0), cfg.NumParams())
	t0 := time.Now()
	m, err := lm.NewZero(cfg)
	if err != nil {
		panic(err)
	}
	r := rand.New(rand.NewPCG(1, 2))
	for _, p := range m.Params() {
		for i := range p.W {
			p.W[i] = float32(r.NormFloat64() * 0.02)
		}
		if len(p.Shape) == 1 && !strings.HasSuffix(p.Name, ".bias") {
			p.Fill(1)
		}
	}
	fmt.Printf("random model built in %.1fs; %s\n", time.Since(t0).Seconds(), rss())
	if *export != "" {
		t0 = time.Now()
		if err := hf.Export(*export, m, hf.ExportOptions{DType: "BF16"}); err != nil {
			panic(err)
		}
		fmt.Printf("exported BF16 in %.1fs\n", time.Since(t0).Seconds())
		m = nil
		runtime.GC()
		debug.FreeOSMemory()
		t0 = time.Now()
		if m, err = hf.Load(*export, hf.Options{}); err != nil {
			panic(err)
		}
		runtime.GC()
		debug.FreeOSMemory()
		fmt.Printf("hf.Load (BF16, mmapped) in %.1fs; %s\n", time.Since(t0).Seconds(), rss())
	}
	b := &lm.Batch{Rows: *rows, Len: *T, Tokens: make([]int32, *rows**T)}
	for i := range b.Tokens {
		b.Tokens[i] = int32(r.IntN(cfg.VocabSize))
	}
	if _, err := m.Score(b); err != nil { // warm-up, sizes the buffers
		panic(err)
	}
	fmt.Printf("after warm-up Score of %dx%d: %s\n", *rows, *T, rss())
	t0 = time.Now()
	c0 := cpuSeconds()
	for i := 0; i < *reps; i++ {
		if _, err := m.Score(b); err != nil {
			panic(err)
		}
	}
	dt := time.Since(t0).Seconds() / float64(*reps)
	cpu := (cpuSeconds() - c0) / float64(*reps)
	fmt.Printf("Score %dx%d: %.2fs wall per call (%.0f tokens/s), %.2f CPU-s per call (%.0f tokens per CPU-second); %s\n",
		*rows, *T, dt, float64(*rows**T)/dt, cpu, float64(*rows**T)/cpu, rss())
	if *train > 0 {
		opt := optim.NewAdamW(m.Params(), optim.AdamWConfig{Beta1: 0.9, Beta2: 0.99, Eps: 1e-8})
		dlp := make([]float32, len(b.Tokens))
		for i := range dlp {
			dlp[i] = -1 / float32(len(dlp))
		}
		t0, c0 = time.Now(), cpuSeconds()
		for i := 0; i < *train; i++ {
			if _, err := m.Score(b); err != nil {
				panic(err)
			}
			m.ZeroGrad()
			if err := m.Backward(dlp, nil, nil); err != nil {
				panic(err)
			}
			opt.Step(1e-6)
		}
		dt, cpu = time.Since(t0).Seconds()/float64(*train), (cpuSeconds()-c0)/float64(*train)
		fmt.Printf("training step %dx%d (Score+Backward+AdamW): %.2fs wall (%.0f tokens/s), %.2f CPU-s (%.0f tokens per CPU-second); %s\n",
			*rows, *T, dt, float64(*rows**T)/dt, cpu, float64(*rows**T)/cpu, rss())
	}
	if *sample > 0 {
		prompts := make([][]int32, *sample)
		for i := range prompts {
			prompts[i] = make([]int32, 32)
			for j := range prompts[i] {
				prompts[i][j] = int32(r.IntN(cfg.VocabSize))
			}
		}
		t0, c0 = time.Now(), cpuSeconds()
		g, err := m.Generate(prompts, lm.SampleOptions{Temperature: 1, MaxNew: 64}, r)
		if err != nil {
			panic(err)
		}
		n := 0
		for _, t := range g.Tokens {
			n += len(t)
		}
		dt, cpu = time.Since(t0).Seconds(), cpuSeconds()-c0
		fmt.Printf("sampling %d prompts x 64 new tokens: %d tokens in %.2fs wall (%.1f tokens/s), %.2f CPU-s (%.1f tokens per CPU-second); %s\n",
			*sample, n, dt, float64(n)/dt, cpu, float64(n)/cpu, rss())
	}
}
