package tensor

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// refGemm is a float64 triple loop used as the reference.
func refGemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) []float64 {
	out := make([]float64, m*n)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s float64
			for p := 0; p < k; p++ {
				var av, bv float32
				if transA {
					av = a[p*lda+i]
				} else {
					av = a[i*lda+p]
				}
				if transB {
					bv = b[j*ldb+p]
				} else {
					bv = b[p*ldb+j]
				}
				s += float64(av) * float64(bv)
			}
			old := 0.0
			if beta != 0 {
				old = float64(beta) * float64(c[i*ldc+j])
			}
			out[i*n+j] = float64(alpha)*s + old
		}
	}
	return out
}

func randSlice(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(r.NormFloat64())
	}
	return s
}

func backends(t testing.TB) []string {
	names := []string{"go"}
	if _, err := loadOpenBLAS(); err == nil {
		names = append(names, "openblas")
	} else {
		t.Logf("OpenBLAS not available (%v): testing pure Go only", err)
	}
	return names
}

func withBackend(t testing.TB, name string) {
	prev := Backend()
	if err := UseBackend(name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if prev == "pure Go" {
			_ = UseBackend("go")
		} else {
			_ = UseBackend("openblas")
		}
	})
}

func TestGemmMatchesReference(t *testing.T) {
	shapes := [][3]int{{1, 1, 1}, {3, 5, 7}, {17, 9, 33}, {64, 65, 300}, {130, 70, 513}, {5, 600, 20}, {2, 3, 0}}
	for _, be := range backends(t) {
		withBackend(t, be)
		for _, threads := range []int{1, 2, 3} {
			SetThreads(threads)
			for _, sh := range shapes {
				for _, tr := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
					for _, ab := range [][2]float32{{1, 0}, {0.5, 1}, {-2, 0.25}} {
						m, n, k := sh[0], sh[1], sh[2]
						name := fmt.Sprintf("%s/t%d/%dx%dx%d/tA=%v,tB=%v/a=%v,b=%v", be, threads, m, n, k, tr[0], tr[1], ab[0], ab[1])
						r := rand.New(rand.NewPCG(uint64(m), uint64(n*k+1)))
						// Leading dimensions larger than the logical width.
						lda, ldb, ldc := k+3, n+2, n+5
						aRows := m
						if tr[0] {
							lda, aRows = m+1, k
						}
						bRows := k
						if tr[1] {
							ldb, bRows = k+4, n
						}
						a := randSlice(r, aRows*lda+1)
						b := randSlice(r, bRows*ldb+1)
						c := randSlice(r, m*ldc+1)
						if ab[1] == 0 {
							for i := range c {
								c[i] = float32(math.NaN()) // beta=0 must overwrite
							}
						}
						want := refGemm(tr[0], tr[1], m, n, k, ab[0], a, lda, b, ldb, ab[1], c, ldc)
						Gemm(tr[0], tr[1], m, n, k, ab[0], a, lda, b, ldb, ab[1], c, ldc)
						for i := 0; i < m; i++ {
							for j := 0; j < n; j++ {
								got, w := float64(c[i*ldc+j]), want[i*n+j]
								if math.Abs(got-w) > 1e-4*(1+math.Abs(w))*math.Sqrt(float64(k+1)) {
									t.Fatalf("%s: C[%d,%d] = %v, want %v", name, i, j, got, w)
								}
							}
						}
					}
				}
			}
		}
	}
	SetThreads(2)
}

func TestGemmShapeErrorNamesOperand(t *testing.T) {
	defer func() {
		r := recover()
		if r == nil || !strings.Contains(fmt.Sprint(r), "B is") || !strings.Contains(fmt.Sprint(r), "needs") {
			t.Fatalf("want a panic naming B, got %v", r)
		}
	}()
	Gemm(false, false, 2, 3, 4, 1, make([]float32, 8), 4, make([]float32, 5), 3, 0, make([]float32, 6), 3)
}

func TestGemmDeterministicForThreadCount(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	m, n, k := 200, 300, 257
	a, b := randSlice(r, m*k), randSlice(r, k*n)
	for _, be := range backends(t) {
		withBackend(t, be)
		for _, threads := range []int{1, 2} {
			SetThreads(threads)
			c1, c2 := make([]float32, m*n), make([]float32, m*n)
			Gemm(false, true, m, n, k, 1, a, k, b, k, 0, c1, n)
			Gemm(false, true, m, n, k, 1, a, k, b, k, 0, c2, n)
			for i := range c1 {
				if math.Float32bits(c1[i]) != math.Float32bits(c2[i]) {
					t.Fatalf("%s threads=%d: element %d differs between identical calls", be, threads, i)
				}
			}
		}
	}
	SetThreads(2)
}

func TestGemmAllocatesNothing(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	m, n, k := 128, 96, 64
	a, b, c := randSlice(r, m*k), randSlice(r, k*n), make([]float32, m*n)
	for _, be := range backends(t) {
		withBackend(t, be)
		Gemm(false, false, m, n, k, 1, a, k, b, n, 0, c, n)
		if allocs := testing.AllocsPerRun(20, func() { Gemm(false, false, m, n, k, 1, a, k, b, n, 0, c, n) }); allocs > 0 {
			t.Errorf("%s: Gemm allocates %.1f objects per call", be, allocs)
		}
	}
}

// BenchmarkSgemm reports GFLOP/s for square products; the 1024 case with
// all threads is the machine's practical sgemm peak.
func BenchmarkSgemm(b *testing.B) {
	for _, be := range backends(b) {
		withBackend(b, be)
		for _, sz := range []int{256, 512, 1024} {
			for _, threads := range []int{1, 2} {
				if be == "go" && sz > 512 {
					continue
				}
				b.Run(fmt.Sprintf("%s/n=%d/threads=%d", be, sz, threads), func(b *testing.B) {
					SetThreads(threads)
					r := rand.New(rand.NewPCG(5, 6))
					x, y, z := randSlice(r, sz*sz), randSlice(r, sz*sz), make([]float32, sz*sz)
					b.ResetTimer()
					for i := 0; i < b.N; i++ {
						Gemm(false, false, sz, sz, sz, 1, x, sz, y, sz, 0, z, sz)
					}
					b.ReportMetric(2*float64(sz*sz*sz)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
				})
			}
		}
	}
}

// TestGemmRowsIsRowInvariant checks that a row's result does not depend on
// how many rows are computed with it or where it sits among them.
func TestGemmRowsIsRowInvariant(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, be := range backends(t) {
		withBackend(t, be)
		for _, sh := range [][2]int{{256, 688}, {688, 256}, {32, 11}, {256, 64}} {
			k, n := sh[0], sh[1]
			M := 300
			a, b := randSlice(r, M*k), randSlice(r, n*k)
			base := randSlice(r, M*n)
			full := append([]float32(nil), base...)
			GemmRows(true, M, n, k, 0.5, a, k, b, k, 1, full, n)
			for _, off := range []int{0, 1, 63, 130} {
				for _, m := range []int{1, 3, 64, 65, 170} {
					if off+m > M {
						continue
					}
					part := append([]float32(nil), base[off*n:(off+m)*n]...)
					GemmRows(true, m, n, k, 0.5, a[off*k:], k, b, k, 1, part, n)
					for i := range part {
						if math.Float32bits(part[i]) != math.Float32bits(full[off*n+i]) {
							t.Fatalf("%s k=%d n=%d: rows [%d,%d) differ from the same rows of a %d-row product at element %d", be, k, n, off, off+m, M, i)
						}
					}
				}
			}
		}
	}
}
