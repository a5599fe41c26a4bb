package tensor

import (
	"math"
	"testing"
)

func TestExpAccuracy(t *testing.T) {
	worst := 0.0
	for x := -87.0; x < 88.7; x += 0.00937 {
		got := float64(Exp(float32(x)))
		want := math.Exp(float64(float32(x)))
		if rel := math.Abs(got-want) / want; rel > worst {
			worst = rel
		}
	}
	if worst > 3e-7 {
		t.Fatalf("Exp worst relative error %.3g, want <= 3e-7", worst)
	}
	if Exp(-1000) != 0 || !math.IsInf(float64(Exp(1000)), 1) || !math.IsNaN(float64(Exp(float32(math.NaN())))) {
		t.Fatal("Exp mishandles out-of-range or NaN input")
	}
}

func TestSoftmax(t *testing.T) {
	x := []float32{1, 2, 3, -1000}
	p := make([]float32, 4)
	lse := Softmax(p, x)
	wantLse := math.Log(math.Exp(1) + math.Exp(2) + math.Exp(3))
	if math.Abs(float64(lse)-wantLse) > 1e-6 {
		t.Fatalf("lse = %v, want %v", lse, wantLse)
	}
	for i := 0; i < 3; i++ {
		want := math.Exp(float64(x[i]) - wantLse)
		if math.Abs(float64(p[i])-want) > 1e-7 {
			t.Fatalf("p[%d] = %v, want %v", i, p[i], want)
		}
	}
	if p[3] != 0 {
		t.Fatalf("p[3] = %v, want 0", p[3])
	}
}
