package prof

import (
	"os"
	"runtime/pprof"
	"testing"

	"github.com/autodidact-rl/autodidact/bench"
)

func TestProfile(t *testing.T) {
	s := bench.Shape{D: 256, Layers: 4, Heads: 8, FF: 688, Vocab: 64, Seq: 128, Batch: 16, Prompt: 16, New: 112}
	kind := os.Getenv("KIND")
	f, _ := os.Create(os.Getenv("PROF"))
	pprof.StartCPUProfile(f)
	var res bench.Result
	var err error
	if kind == "sample" {
		s.Batch = 64
		res, err = bench.Sample(s, 1)
	} else {
		res, err = bench.Train(s, 4)
	}
	pprof.StopCPUProfile()
	if err != nil {
		t.Fatal(err)
	}
	t.Log(res)
}
