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
