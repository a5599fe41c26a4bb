package bench

import "testing"

// BenchmarkTrainStep is the 3.2M-parameter training shape.
func BenchmarkTrainStep(b *testing.B) {
	s := Shape{D: 256, Layers: 4, Heads: 8, FF: 688, Vocab: 64, Seq: 128, Batch: 16}
	res, err := Train(s, b.N)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(res.TokensPerSec, "tokens/s")
	b.ReportMetric(res.GFLOPs, "GFLOP/s")
	b.ReportMetric(res.AllocsPerStep, "allocs/step")
}

// TestGRPOStep: GRPO steps at a tiny shape run and count the generated
// tokens, and a batch that the mini-batches do not divide is refused.
func TestGRPOStep(t *testing.T) {
	s := Shape{D: 32, Layers: 1, Heads: 2, FF: 64, Vocab: 12, Batch: 8, Prompt: 3, New: 5}
	res, err := GRPO(s, 2, 2)
	if err != nil {
		t.Fatal(err)
	}
	if res.Name != "grpo" || res.TokensPerStep != 8*5 || res.Steps != 2 || !(res.SecondsPerStep > 0) || !(res.GFLOPs > 0) {
		t.Fatalf("result %+v", res)
	}
	if _, err := GRPO(s, 3, 1); err == nil {
		t.Fatal("batch 8 in 3 mini-batches: no error")
	}
}

// BenchmarkGRPOStep is the default recipe's GRPO step (bench grpo's defaults).
func BenchmarkGRPOStep(b *testing.B) {
	s := Shape{D: 128, Layers: 2, Heads: 4, FF: 344, Vocab: 94, Batch: 128, Prompt: 10, New: 48}
	res, err := GRPO(s, 2, b.N)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(res.SecondsPerStep*1e3, "ms/step")
	b.ReportMetric(res.GFLOPs, "GFLOP/s")
}

// BenchmarkSampleStep is the 3.2M sampling shape (batch 64, 16 + 112 tokens).
func BenchmarkSampleStep(b *testing.B) {
	s := Shape{D: 256, Layers: 4, Heads: 8, FF: 688, Vocab: 64, Seq: 128, Batch: 64, Prompt: 16, New: 112}
	res, err := Sample(s, b.N)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(res.TokensPerSec, "tokens/s")
	b.ReportMetric(res.GFLOPs, "GFLOP/s")
}
