package episode

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/autodidact-rl/autodidact/lm"
	"github.com/autodidact-rl/autodidact/task"
	"github.com/autodidact-rl/autodidact/tokenizer"
)

// BenchmarkRollout measures generated tokens per second of single-turn
// and two-turn episodes at equal batch (128 episodes of the default
// recipe's model shape, 48 new tokens a turn), the bar being two_turn >=
// 80% of single:
//
//	go test ./episode -run X -bench Rollout -benchtime 5x
func BenchmarkRollout(b *testing.B) {
	tok, _ := tokenizer.NewChar(tokenizer.DefaultAlphabet, nil)
	cfg := lm.Config{VocabSize: tok.VocabSize(), HiddenSize: 128, IntermediateSize: 344, NumHiddenLayers: 2,
		NumAttentionHeads: 4, NumKeyValueHeads: 4, RopeTheta: 10000, RMSNormEps: 1e-5, TieWordEmbeddings: true,
		MaxPositionEmbeddings: 128}
	m, err := lm.New(cfg, 1)
	if err != nil {
		b.Fatal(err)
	}
	tk, _ := task.New("add", nil)
	ps, _ := task.Generate(tk, task.Train, 1, 16, task.DefaultTemplate)
	var list []task.Problem
	for _, p := range ps {
		for range 8 {
			list = append(list, p)
		}
	}
	bos, _ := tok.Special(tokenizer.BOS)
	eos, _ := tok.Special(tokenizer.EOS)
	d := Deps{Task: tk, Template: task.DefaultTemplate, Codec: tok, BOS: bos}
	for _, env := range []struct {
		name  string
		turns int
	}{{"single", 1}, {"two_turn", 2}} {
		f, err := New(Options{Name: env.name, MaxTurns: env.turns}, d)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(env.name, func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, 1))
			var toks float64
			start := time.Now()
			for i := 0; i < b.N; i++ {
				eng, err := m.NewEngine(len(list), 128, lm.SampleOptions{Temperature: 1}, rng)
				if err != nil {
					b.Fatal(err)
				}
				ro := Rollout{Engine: eng, Codec: tok, EOS: eos, MaxNew: 48, MaxTurns: env.turns, MaxLen: 128}
				eps, err := ro.Run(list, f)
				if err != nil {
					b.Fatal(err)
				}
				eng.Release()
				for _, e := range eps {
					toks += float64(len(e.Generated()))
				}
			}
			b.ReportMetric(toks/time.Since(start).Seconds(), "tokens/s")
			b.ReportMetric(toks/float64(b.N)/float64(len(list)), "tokens/episode")
		})
	}
}
