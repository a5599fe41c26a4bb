package control

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestFastRLAPCardExamples: the REDQ target with and without the
// entropy backup, and the UTD split (B 256, UTD 8: eight critic steps on
// 32 rows each, one actor step on rows 224-255 only).
func TestFastRLAPCardExamples(t *testing.T) {
	q := []float64{3, 1, 4, 1.5, 9, 2.6, 5, 3.5, 8, 9.7}
	if y := redqBackup(q, []int{2, 5}, 1, 0.997, 1, 0.5*-1.2, false); math.Abs(y-3.5922) > 1e-9 {
		t.Errorf("no backup: y = %v, want 3.5922", y)
	}
	if y := redqBackup(q, []int{2, 5}, 1, 0.997, 1, 0.5*-1.2, true); math.Abs(y-4.1904) > 1e-9 {
		t.Errorf("entropy backup: y = %v, want 4.1904", y)
	}
	box, err := boxOf("Driving-v0")
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 2))
	s := &redqSAC{box: box, targetEntropy: -1, gamma: 0.99, tau: 0.005, actorLR: 3e-4, criticLR: 3e-4, tempLR: 1e-4,
		utd: 8, subsample: 2, backupEntropy: true, actorLastOnly: true, r: r}
	if s.actor, err = newGaussActor(box, []int{8}, 256, r); err != nil {
		t.Fatal(err)
	}
	if s.q, err = newQEnsemble(box.od, box.ad, 3, []int{8}, 256, r); err != nil {
		t.Fatal(err)
	}
	buf := newTransitions(1000, box.od, box.ad)
	for i := 0; i < 1000; i++ {
		o := make([]float32, box.od)
		for d := range o {
			o[d] = float32(r.NormFloat64())
		}
		buf.add(o, o, []float64{r.Float64()*2 - 1, r.Float64()*2 - 1}, r.NormFloat64(), false)
	}
	b := buf.sample(r, 256)
	s.step(b)
	if s.q.opt.T != 8 || s.actor.opt.T != 1 {
		t.Fatalf("critic steps %d, actor steps %d; want 8 and 1", s.q.opt.T, s.actor.opt.T)
	}
	if s.actor.fast.rows != 32 {
		t.Fatalf("actor step on %d rows, want 32", s.actor.fast.rows)
	}
	for k, v := range s.actor.fast.acts[0][:32*box.od] {
		if v != b.obs[224*box.od+k] {
			t.Fatalf("actor step did not use rows 224-255 (element %d)", k)
		}
	}
}
