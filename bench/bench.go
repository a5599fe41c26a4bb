// Package bench measures the engine: tokens per second of a training step
// (score, backward, clip, AdamW) and of batched sampling, with achieved
// GFLOP/s beside the machine's measured sgemm peak, allocations per step and
// peak resident memory.
package bench

import (
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/autodidact-rl/autodidact/lm"
	"github.com/autodidact-rl/autodidact/nn"
	"github.com/autodidact-rl/autodidact/optim"
	"github.com/autodidact-rl/autodidact/rl"
	"github.com/autodidact-rl/autodidact/tensor"
)

// Shape is the model and batch shape of a benchmark.
type Shape struct {
	D, Layers, Heads, KVHeads, FF, Vocab int
	Seq, Batch                           int
	Prompt, New                          int // sampling only
}

// Config builds the model config of a shape.
func (s Shape) Config() lm.Config {
	kv := s.KVHeads
	if kv == 0 {
		kv = s.Heads
	}
	maxPos := s.Seq
	if s.Prompt+s.New > maxPos {
		maxPos = s.Prompt + s.New
	}
	return lm.Config{VocabSize: s.Vocab, HiddenSize: s.D, IntermediateSize: s.FF, NumHiddenLayers: s.Layers,
		NumAttentionHeads: s.Heads, NumKeyValueHeads: kv, RopeTheta: 10000, RMSNormEps: 1e-5,
		TieWordEmbeddings: true, MaxPositionEmbeddings: maxPos}
}

// Result is one benchmark's outcome.
type Result struct {
	Name           string  `json:"name"`
	Backend        string  `json:"blas"`
	Threads        int     `json:"threads"`
	Params         int     `json:"params"`
	TokensPerStep  int     `json:"tokens_per_step"`
	Steps          int     `json:"steps"`
	SecondsPerStep float64 `json:"seconds_per_step"`
	TokensPerSec   float64 `json:"tokens_per_s"`
	GFLOPs         float64 `json:"gflop_per_s"`
	PeakGFLOPs     float64 `json:"peak_sgemm_gflop_per_s"`
	AllocsPerStep  float64 `json:"allocs_per_step"`
	BytesPerStep   float64 `json:"bytes_per_step"`
	PeakRSSMiB     float64 `json:"peak_rss_mib"`
	// CPUSecondsPerStep is the process's CPU time (user + system) per
	// step: on a shared machine, a 1-thread run's figure is close to what
	// it would take alone.
	CPUSecondsPerStep float64 `json:"cpu_seconds_per_step"`
}

// String formats the result as the human-readable lines of `autodidact
// bench`, ending with the tokens/s line.
func (r Result) String() string {
	return fmt.Sprintf("%s: %s, %d threads, %d params, %d tokens/step\n"+
		"%.4f s/step over %d steps, %.1f GFLOP/s (sgemm peak %.1f GFLOP/s, %.0f%%)\n"+
		"allocations per step: %.1f (%.0f bytes), peak RSS %.0f MiB\n"+
		"CPU time %.4f s/step (%.0f tokens per CPU-second)\n"+
		"tokens/s=%.0f",
		r.Name, r.Backend, r.Threads, r.Params, r.TokensPerStep, r.SecondsPerStep, r.Steps, r.GFLOPs,
		r.PeakGFLOPs, 100*r.GFLOPs/r.PeakGFLOPs, r.AllocsPerStep, r.BytesPerStep, r.PeakRSSMiB,
		r.CPUSecondsPerStep, float64(r.TokensPerStep)/r.CPUSecondsPerStep, r.TokensPerSec)
}

// forwardFLOPs is the matrix-product work of one forward pass over B rows of
// T tokens: 2 flops per weight per token, plus QK^T and PV in full (T^2).
func forwardFLOPs(c lm.Config, B, T int) float64 {
	d, hd := c.HiddenSize, c.HeadDim()
	qw, kw := c.NumAttentionHeads*hd, c.NumKeyValueHeads*hd
	perTok := float64(c.NumHiddenLayers)*float64(d*qw+2*d*kw+qw*d+3*d*c.IntermediateSize) + float64(c.VocabSize*d)
	att := float64(c.NumHiddenLayers) * 4 * float64(c.NumAttentionHeads*T*T*hd)
	return 2*perTok*float64(B*T) + att*float64(B)
}

// Train times full training steps on random tokens: Score, the next-token
// loss gradient, Backward, gradient clipping and an AdamW update.
func Train(s Shape, steps int) (Result, error) {
	cfg := s.Config()
	m, err := lm.New(cfg, 1)
	if err != nil {
		return Result{}, err
	}
	r := rand.New(rand.NewPCG(1, 2))
	N := s.Batch * s.Seq
	batch := &lm.Batch{Rows: s.Batch, Len: s.Seq, Tokens: make([]int32, N)}
	for i := range batch.Tokens {
		batch.Tokens[i] = int32(r.IntN(s.Vocab))
	}
	dlp := make([]float32, N)
	for i := range dlp {
		if i%s.Seq != 0 {
			dlp[i] = -1 / float32(N-s.Batch)
		}
	}
	params := m.Params()
	opt := optim.NewAdamW(params, optim.DefaultAdamW())
	step := func() error {
		if _, err := m.Score(batch); err != nil {
			return err
		}
		return update(m, params, opt, dlp, 1e-3)
	}
	res := Result{Name: "train", Params: cfg.NumParams(), TokensPerStep: N}
	return measure(res, steps, 3*forwardFLOPs(cfg, s.Batch, s.Seq), step)
}

// Sample times Generate: Batch prompts of Prompt random tokens, each
// continued by exactly New sampled tokens (no stop token), temperature 1.
// Tokens per second counts generated tokens.
func Sample(s Shape, reps int) (Result, error) {
	cfg := s.Config()
	m, err := lm.New(cfg, 1)
	if err != nil {
		return Result{}, err
	}
	r := rand.New(rand.NewPCG(3, 4))
	prompts := randomPrompts(r, s)
	opt := lm.SampleOptions{Temperature: 1, MaxNew: s.New}
	step := func() error {
		_, err := generateFull(m, prompts, opt, r)
		return err
	}
	flops := sampleFLOPs(cfg, s)
	res := Result{Name: "sample", Params: cfg.NumParams(), TokensPerStep: s.Batch * s.New}
	return measure(res, reps, flops, step)
}

// randomPrompts draws s.Batch prompts of s.Prompt tokens.
func randomPrompts(r *rand.Rand, s Shape) [][]int32 {
	prompts := make([][]int32, s.Batch)
	for i := range prompts {
		prompts[i] = make([]int32, s.Prompt)
		for j := range prompts[i] {
			prompts[i][j] = int32(r.IntN(s.Vocab))
		}
	}
	return prompts
}

// generateFull samples opt.MaxNew tokens for every prompt and fails if a
// sequence stopped early (a benchmark's work must be fixed).
func generateFull(m *lm.Model, prompts [][]int32, opt lm.SampleOptions, r *rand.Rand) (*lm.Generation, error) {
	g, err := m.Generate(prompts, opt, r)
	if err != nil {
		return nil, err
	}
	for _, toks := range g.Tokens {
		if len(toks) != opt.MaxNew {
			return nil, fmt.Errorf("bench: a sequence stopped after %d of %d tokens", len(toks), opt.MaxNew)
		}
	}
	return g, nil
}

// update is the end of a training step: Backward from the log-prob
// gradient dlp, gradient clipping at norm 1 and an AdamW step at lr.
func update(m *lm.Model, params []*nn.Param, opt *optim.AdamW, dlp []float32, lr float64) error {
	m.ZeroGrad()
	if err := m.Backward(dlp, nil, nil); err != nil {
		return err
	}
	if _, err := optim.ClipGradNorm(params, 1); err != nil {
		return err
	}
	opt.Step(lr)
	return nil
}

// sampleFLOPs is the work of sampling shape s: the prefill forward plus
// one token per sequence per new step, whose attention reads the whole
// cache.
func sampleFLOPs(cfg lm.Config, s Shape) float64 {
	flops := forwardFLOPs(cfg, s.Batch, s.Prompt)
	for t := s.Prompt; t < s.Prompt+s.New-1; t++ {
		flops += forwardFLOPs(cfg, s.Batch, 1) + float64(s.Batch*cfg.NumHiddenLayers*4*cfg.NumAttentionHeads*cfg.HeadDim()*(t+1))
	}
	return flops
}

// measure runs warm-up steps, then timed steps, and fills in the result.
func measure(res Result, steps int, flopsPerStep float64, step func() error) (Result, error) {
	for i := 0; i < 2; i++ { // warm-up: buffers reach their final size
		if err := step(); err != nil {
			return res, err
		}
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	cpu0 := cpuSeconds()
	start := time.Now()
	for i := 0; i < steps; i++ {
		if err := step(); err != nil {
			return res, err
		}
	}
	el := time.Since(start).Seconds()
	res.CPUSecondsPerStep = (cpuSeconds() - cpu0) / float64(steps)
	runtime.ReadMemStats(&after)
	res.Backend, res.Threads, res.Steps = tensor.Backend(), tensor.Threads(), steps
	res.SecondsPerStep = el / float64(steps)
	res.TokensPerSec = float64(res.TokensPerStep) / res.SecondsPerStep
	res.GFLOPs = flopsPerStep / res.SecondsPerStep / 1e9
	res.AllocsPerStep = float64(after.Mallocs-before.Mallocs) / float64(steps)
	res.BytesPerStep = float64(after.TotalAlloc-before.TotalAlloc) / float64(steps)
	res.PeakRSSMiB = peakRSSMiB()
	res.PeakGFLOPs = PeakGFLOPs()
	return res, nil
}

var peakCache float64

// PeakGFLOPs measures the machine's practical single-precision peak: the
// best of a few 1024^3 products with all threads through the active
// backend (memoised).
func PeakGFLOPs() float64 {
	if peakCache > 0 {
		return peakCache
	}
	n := 1024
	if tensor.Backend() == "pure Go" && tensor.GoKernel() == "scalar 4×4" {
		n = 512
	}
	r := rand.New(rand.NewPCG(9, 9))
	a, b, c := make([]float32, n*n), make([]float32, n*n), make([]float32, n*n)
	for i := range a {
		a[i], b[i] = r.Float32(), r.Float32()
	}
	tensor.Gemm(false, false, n, n, n, 1, a, n, b, n, 0, c, n) // warm-up
	best := 0.0
	for i := 0; i < 8; i++ {
		t := time.Now()
		tensor.Gemm(false, false, n, n, n, 1, a, n, b, n, 0, c, n)
		if g := 2 * float64(n*n*n) / time.Since(t).Seconds() / 1e9; g > best {
			best = g
		}
	}
	peakCache = best
	return best
}

// cpuSeconds is the process's user + system CPU time so far (0 where
// unavailable).
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

// peakRSSMiB reads VmHWM from /proc/self/status (0 where unavailable).
func peakRSSMiB() float64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			f := strings.Fields(line)
			if len(f) >= 2 {
				kb, _ := strconv.ParseFloat(f[1], 64)
				return kb / 1024
			}
		}
	}
	return 0
}

// GRPO times one step of GRPO's loop at a fixed shape: Batch prompts of
// Prompt random tokens are each continued by exactly New sampled tokens
// (temperature 1, with the sampler's log-probs kept as the old policy's),
// then the Batch sequences are split into miniBatches; each is scored,
// given the clipped-ratio loss gradient of rl.Clip with ±1 advantages per
// sequence and seq-mean-token-mean aggregation over the New response
// tokens, and followed by Backward, clipping and an AdamW update. The real
// loop also stops sequences at a stop token and computes rewards; this
// keeps every length fixed so that the PyTorch script
// (scripts/bench_torch.py grpo) does exactly the same work. Tokens per
// second counts generated tokens.
func GRPO(s Shape, miniBatches, reps int) (Result, error) {
	if miniBatches <= 0 || s.Batch%miniBatches != 0 {
		return Result{}, fmt.Errorf("bench grpo: batch %d is not a positive multiple of %d mini-batches", s.Batch, miniBatches)
	}
	cfg := s.Config()
	m, err := lm.New(cfg, 1)
	if err != nil {
		return Result{}, err
	}
	r := rand.New(rand.NewPCG(5, 6))
	prompts := randomPrompts(r, s)
	T := s.Prompt + s.New
	rows := s.Batch / miniBatches
	batch := &lm.Batch{Rows: rows, Len: T, Tokens: make([]int32, rows*T), Mask: make([]float32, rows*T), Temperature: 1}
	for i := 0; i < rows; i++ {
		for t := s.Prompt; t < T; t++ {
			batch.Mask[i*T+t] = 1 // the response tokens
		}
	}
	lengths := make([]int, rows)
	for i := range lengths {
		lengths[i] = s.New
	}
	weights := rl.SeqMeanTokenMean.Weights(lengths, 0)
	oldLP := make([]float32, rows*T)
	dlp := make([]float32, rows*T)
	params := m.Params()
	opt := optim.NewAdamW(params, optim.DefaultAdamW())
	clip := rl.Clip{EpsLow: 0.2, EpsHigh: 0.2, DualC: 3}
	sampleOpt := lm.SampleOptions{Temperature: 1, MaxNew: s.New}
	step := func() error {
		g, err := generateFull(m, prompts, sampleOpt, r)
		if err != nil {
			return err
		}
		for mb := 0; mb < miniBatches; mb++ {
			for i := 0; i < rows; i++ {
				seq := mb*rows + i
				row := batch.Tokens[i*T : (i+1)*T]
				copy(row, prompts[seq])
				copy(row[s.Prompt:], g.Tokens[seq])
				copy(oldLP[i*T+s.Prompt:(i+1)*T], g.LogProbs[seq])
			}
			sc, err := m.Score(batch)
			if err != nil {
				return err
			}
			for i := 0; i < rows; i++ {
				A := float64(1 - 2*(i%2)) // half the group right, half wrong
				for t := s.Prompt; t < T; t++ {
					k := i*T + t
					_, d, _ := clip.Token(A, float64(sc.LogProbs[k]), float64(oldLP[k]))
					dlp[k] = float32(weights[i] * d)
				}
			}
			if err := update(m, params, opt, dlp, 1e-4); err != nil {
				return err
			}
		}
		return nil
	}
	flops := sampleFLOPs(cfg, s) + 3*forwardFLOPs(cfg, s.Batch, T)
	res := Result{Name: "grpo", Params: cfg.NumParams(), TokensPerStep: s.Batch * s.New}
	return measure(res, reps, flops, step)
}
