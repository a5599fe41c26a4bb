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

func TestDotAndAxpyKernels(t *testing.T) {
	for _, n := range []int{0, 1, 7, 8, 9, 31, 32, 33, 64, 100, 1000} {
		a, b := make([]float32, n), make([]float32, n)
		for i := range a {
			a[i] = float32(math.Sin(float64(i)*0.7)) * 3
			b[i] = float32(math.Cos(float64(i)*1.3)) - 0.2
		}
		var want float64
		for i := range a {
			want += float64(a[i]) * float64(b[i])
		}
		for name, got := range map[string]float32{"Dot": Dot(a, b), "dotGo": dotGo(a, b)} {
			if math.Abs(float64(got)-want) > 1e-5*(1+float64(n)) {
				t.Errorf("%s n=%d: %v, want %v", name, n, got, want)
			}
		}
		y1 := append([]float32(nil), b...)
		y2 := append([]float32(nil), b...)
		Axpy(-1.5, a, y1)
		axpyGo(-1.5, a, y2)
		for i := range y1 {
			w := float64(b[i]) - 1.5*float64(a[i])
			if math.Abs(float64(y1[i])-w) > 1e-5 || math.Abs(float64(y2[i])-w) > 1e-5 {
				t.Fatalf("Axpy n=%d element %d: %v / %v, want %v", n, i, y1[i], y2[i], w)
			}
		}
	}
}

func TestSoftmax64(t *testing.T) {
	p, lse := Softmax64([]float32{1, 2, 3})
	want := math.Log(math.Exp(1) + math.Exp(2) + math.Exp(3))
	if math.Abs(lse-want) > 1e-12 || math.Abs(p[2]-math.Exp(3-want)) > 1e-12 {
		t.Fatalf("Softmax64 = %v, %v; want lse %v", p, lse, want)
	}
}
