package episode

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/autodidact-rl/autodidact/lm"
	"github.com/autodidact-rl/autodidact/task"
	"github.com/autodidact-rl/autodidact/tokenizer"
)

// TestRolloutIgnoresDecoderHistory: a rollout's episodes depend only on
// its settings and seed, not on the size or contents of decoder buffers
// that earlier engines of the same model left behind (a resumed run starts
// with none).
func TestRolloutIgnoresDecoderHistory(t *testing.T) {
	m, tok := testModel(t, 128)
	tk, ps := addTask(t)
	bos, _ := tok.Special(tokenizer.BOS)
	eos, _ := tok.Special(tokenizer.EOS)
	f, _ := New(Options{Name: "two_turn", MaxTurns: 2}, Deps{Task: tk, Template: task.DefaultTemplate, Codec: tok, BOS: bos})
	run := func(slots int) [][]int32 {
		eng, _ := m.NewEngine(slots, 128, lm.SampleOptions{Temperature: 1}, rand.New(rand.NewPCG(9, 9)))
		defer eng.Release()
		ro := Rollout{Engine: eng, Codec: tok, EOS: eos, MaxNew: 20, MaxTurns: 2, MaxLen: 128}
		eps, err := ro.Run(ps, f)
		if err != nil {
			t.Fatal(err)
		}
		var out [][]int32
		for _, e := range eps {
			out = append(out, e.IDs())
		}
		return out
	}
	a := run(3)
	// A bigger decoder, dirtied by other work, is reused by the next engine.
	eng, _ := m.NewEngine(40, 128, lm.SampleOptions{Temperature: 1}, rand.New(rand.NewPCG(1, 1)))
	for i := 0; i < 40; i++ {
		eng.Submit(&lm.Job{Context: []int32{1, 5, 6, 7, 8, 9, 10, 11}, MaxNew: 100})
	}
	for eng.Busy() {
		eng.Step()
	}
	eng.Release()
	b := run(3)
	for i := range a {
		if !slices.Equal(a[i], b[i]) {
			t.Fatalf("episode %d differs after another engine used the decoder:\n%v\n%v", i, a[i], b[i])
		}
	}
}
