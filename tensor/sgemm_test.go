package tensor

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"
)

// kernels lists the pure-Go micro-kernels this machine can run, the scalar
// fallback (nil) included.
func kernels() []*asmKernel {
	return append([]*asmKernel{nil}, usableKernels()...)
}

func kernelName(k *asmKernel) string {
	if k == nil {
		return "scalar"
	}
	return k.name
}

// withKernel runs the pure-Go backend on micro-kernel k until the test ends.
func withKernel(t testing.TB, k *asmKernel) {
	withBackend(t, "go")
	prev := goKernel
	goKernel = k
	t.Cleanup(func() { goKernel = prev })
}

// gemmCase is one product of the parity tests, with its operands.
type gemmCase struct {
	transA, transB bool
	m, n, k        int
	alpha, beta    float32
	a, b, c        []float32
	lda, ldb, ldc  int
}

func (g gemmCase) String() string {
	return fmt.Sprintf("%dx%dx%d/tA=%v,tB=%v/a=%v,b=%v", g.m, g.n, g.k, g.transA, g.transB, g.alpha, g.beta)
}

// gemmCases covers tails of every tile shape (mr 6 and 8, nr 16 and 32),
// several depth blocks, the engine's transposes and padded leading
// dimensions.
func gemmCases() []gemmCase {
	shapes := [][3]int{{1, 1, 1}, {7, 33, 5}, {8, 32, 256}, {6, 16, 257}, {13, 47, 300}, {64, 688, 256},
		{97, 31, 513}, {200, 70, 64}, {3, 1030, 40}, {1100, 9, 17}}
	var out []gemmCase
	for i, sh := range shapes {
		for _, tr := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
			m, n, k := sh[0], sh[1], sh[2]
			r := rand.New(rand.NewPCG(uint64(i), 11))
			g := gemmCase{transA: tr[0], transB: tr[1], m: m, n: n, k: k, alpha: 1, beta: 0}
			if i%3 == 1 {
				g.alpha, g.beta = -0.5, 1
			} else if i%3 == 2 {
				g.alpha, g.beta = 2, 0.25
			}
			g.lda, g.ldb, g.ldc = k+3, n+2, n+5
			aRows, bRows := m, k
			if g.transA {
				g.lda, aRows = m+1, k
			}
			if g.transB {
				g.ldb, bRows = k+4, n
			}
			g.a, g.b, g.c = randSlice(r, aRows*g.lda), randSlice(r, bRows*g.ldb), randSlice(r, m*g.ldc)
			out = append(out, g)
		}
	}
	return out
}

func (g gemmCase) run() []float32 {
	c := append([]float32(nil), g.c...)
	Gemm(g.transA, g.transB, g.m, g.n, g.k, g.alpha, g.a, g.lda, g.b, g.ldb, g.beta, c, g.ldc)
	return c
}

// TestKernelsMatchReference: every micro-kernel, serial and threaded, is
// within float32 rounding of a float64 product.
func TestKernelsMatchReference(t *testing.T) {
	defer SetThreads(Threads())
	for _, kern := range kernels() {
		withKernel(t, kern)
		for _, threads := range []int{1, 2, 3} {
			SetThreads(threads)
			for _, g := range gemmCases() {
				want := refGemm(g.transA, g.transB, g.m, g.n, g.k, g.alpha, g.a, g.lda, g.b, g.ldb, g.beta, g.c, g.ldc)
				got := g.run()
				for i := 0; i < g.m; i++ {
					for j := 0; j < g.n; j++ {
						v, w := float64(got[i*g.ldc+j]), want[i*g.n+j]
						if math.Abs(v-w) > 2e-5*(1+math.Abs(w))*math.Sqrt(float64(g.k+1)) {
							t.Fatalf("%s t%d %v: C[%d,%d] = %v, want %v", kernelName(kern), threads, g, i, j, v, w)
						}
					}
				}
				// The padding columns of C beyond n are never written.
				for i := 0; i < g.m; i++ {
					for j := g.n; j < g.ldc && i*g.ldc+j < len(got); j++ {
						if math.Float32bits(got[i*g.ldc+j]) != math.Float32bits(g.c[i*g.ldc+j]) {
							t.Fatalf("%s %v: C[%d,%d] beyond n was written", kernelName(kern), g, i, j)
						}
					}
				}
			}
		}
	}
}

// TestKernelsAgreeBitForBit: the AVX-512, AVX2 (and, on arm64, NEON)
// kernels do the same arithmetic per element, and none depends on the
// thread count, so all of them give identical bits.
func TestKernelsAgreeBitForBit(t *testing.T) {
	if detectKernel() == nil {
		t.Skip("no assembly kernel on this machine")
	}
	defer SetThreads(Threads())
	cases := gemmCases()
	var ref [][]float32
	withKernel(t, kernels()[1])
	SetThreads(1)
	for _, g := range cases {
		ref = append(ref, g.run())
	}
	for _, kern := range kernels()[1:] {
		goKernel = kern
		for _, threads := range []int{1, 2, 3} {
			SetThreads(threads)
			for i, g := range cases {
				got := g.run()
				for e := range got {
					if math.Float32bits(got[e]) != math.Float32bits(ref[i][e]) {
						t.Fatalf("%s t%d %v: element %d is %v, AVX2 on 1 thread gives %v", kern.name, threads, g, e, got[e], ref[i][e])
					}
				}
			}
		}
	}
}

// TestPureGoRowsAnyBlocking: with the pure-Go kernels a row of GemmRows is
// the same whatever rows surround it and however many threads run, which
// is what lets GemmRows skip the fixed blocks OpenBLAS needs.
func TestPureGoRowsAnyBlocking(t *testing.T) {
	defer SetThreads(Threads())
	r := rand.New(rand.NewPCG(21, 22))
	for _, kern := range kernels() {
		withKernel(t, kern)
		for _, sh := range [][2]int{{256, 688}, {688, 256}, {33, 70}} {
			k, n := sh[0], sh[1]
			M := 150
			a, b := randSlice(r, M*k), randSlice(r, n*k)
			SetThreads(1)
			full := make([]float32, M*n)
			GemmRows(true, M, n, k, 1, a, k, b, k, 0, full, n)
			for _, threads := range []int{1, 2, 3} {
				SetThreads(threads)
				for _, part := range [][2]int{{0, 1}, {5, 7}, {64, 65}, {1, 150}, {77, 80}} {
					off, m := part[0], part[1]-part[0]
					c := make([]float32, m*n)
					GemmRows(true, m, n, k, 1, a[off*k:], k, b, k, 0, c, n)
					for e := range c {
						if math.Float32bits(c[e]) != math.Float32bits(full[off*n+e]) {
							t.Fatalf("%s t%d k=%d n=%d rows [%d,%d): element %d differs from the 1-thread %d-row product", kernelName(kern), threads, k, n, part[0], part[1], e, M)
						}
					}
				}
			}
		}
	}
}

// TestKernelsAllocateNothing: packing buffers come from a pool.
func TestKernelsAllocateNothing(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	m, n, k := 64, 688, 256
	a, b, c := randSlice(r, m*k), randSlice(r, k*n), make([]float32, m*n)
	for _, kern := range kernels() {
		withKernel(t, kern)
		f := func() { GemmRows(true, m, n, k, 1, a, k, b, k, 0, c, n) }
		f()
		if allocs := testing.AllocsPerRun(20, f); allocs > 0 {
			t.Errorf("%s: GemmRows allocates %.1f objects per call", kernelName(kern), allocs)
		}
	}
}

// BenchmarkSgemmShapes reports GFLOP/s at the engine's shapes: the 3.2M
// model's forward products (2048 training rows, 64 decoding rows), its
// weight gradient, and a 0.5B Qwen2-shaped MLP product, for every backend
// and kernel, on 1 and 2 threads.
func BenchmarkSgemmShapes(b *testing.B) {
	type shape struct {
		name           string
		transA, transB bool
		m, n, k        int
		rows           bool // through GemmRows, as the forward passes call it
	}
	shapes := []shape{
		{"fwd-2048x688x256", false, true, 2048, 688, 256, true},
		{"fwd-2048x256x688", false, true, 2048, 256, 688, true},
		{"dW-688x256x2048", true, false, 688, 256, 2048, false},
		{"dX-2048x256x688", false, false, 2048, 256, 688, false},
		{"decode-64x688x256", false, true, 64, 688, 256, true},
		{"decode-64x256x256", false, true, 64, 256, 256, true},
		{"qwen-256x4864x896", false, true, 256, 4864, 896, true},
		{"square-1024", false, false, 1024, 1024, 1024, false},
	}
	type variant struct {
		name string
		set  func(testing.TB)
	}
	var vs []variant
	for _, kern := range kernels() {
		if kern == nil {
			continue
		}
		vs = append(vs, variant{"go-" + kernelName(kern)[:4], func(t testing.TB) { withKernel(t, kern) }})
	}
	vs = append(vs, variant{"go-scalar", func(t testing.TB) { withKernel(t, nil) }})
	if _, err := loadOpenBLAS(); err == nil {
		vs = append(vs, variant{"openblas", func(t testing.TB) { withBackend(t, "openblas") }})
	}
	defer SetThreads(Threads())
	for _, sh := range shapes {
		for _, v := range vs {
			for _, threads := range []int{1, 2} {
				b.Run(fmt.Sprintf("%s/%s/t%d", sh.name, v.name, threads), func(b *testing.B) {
					v.set(b)
					SetThreads(threads)
					r := rand.New(rand.NewPCG(5, 6))
					x, y, z := randSlice(r, sh.m*sh.k), randSlice(r, sh.k*sh.n), make([]float32, sh.m*sh.n)
					lda, ldb := sh.k, sh.n
					if sh.transA {
						lda = sh.m
					}
					if sh.transB {
						ldb = sh.k
					}
					flops := 2 * float64(sh.m*sh.n*sh.k)
					best := math.Inf(1)
					if threads == 1 {
						runtime.LockOSThread()
						defer runtime.UnlockOSThread()
					}
					cpu0 := threadCPUTime()
					b.ResetTimer()
					for i := 0; i < b.N; i++ {
						t0 := time.Now()
						if sh.rows {
							GemmRows(sh.transB, sh.m, sh.n, sh.k, 1, x, lda, y, ldb, 0, z, sh.n)
						} else {
							Gemm(sh.transA, sh.transB, sh.m, sh.n, sh.k, 1, x, lda, y, ldb, 0, z, sh.n)
						}
						best = min(best, time.Since(t0).Seconds())
					}
					b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
					// The fastest call: on a shared machine, the closest to the idle figure.
					b.ReportMetric(flops/best/1e9, "best-GFLOP/s")
					if cpu := (threadCPUTime() - cpu0).Seconds(); threads == 1 && cpu > 0 {
						// On one thread: FLOPs per second of CPU time the thread got.
						b.ReportMetric(flops*float64(b.N)/cpu/1e9, "cpu-GFLOP/s")
					}
				})
			}
		}
	}
}

// kernelBitsFNV is the FNV-1a hash of every gemmCases output's bits from
// the AVX2 kernel on amd64. TestKernelBitsAcrossArchitectures checks that
// every assembly kernel, on any architecture (arm64's NEON under
// qemu-aarch64-static included), gives these bits: the pure-Go backend's
// results, and its goldens, do not depend on the machine's instruction set.
const kernelBitsFNV = 0xd25d6303d0e1be16

func TestKernelBitsAcrossArchitectures(t *testing.T) {
	if len(usableKernels()) == 0 {
		t.Skip("no assembly kernel on this machine")
	}
	defer SetThreads(Threads())
	SetThreads(1)
	for _, kern := range usableKernels() {
		withKernel(t, kern)
		h := fnv.New64a()
		for _, g := range gemmCases() {
			for _, v := range g.run() {
				binary.Write(h, binary.LittleEndian, math.Float32bits(v))
			}
		}
		if got := h.Sum64(); got != kernelBitsFNV {
			t.Errorf("%s: FNV-1a of the products' bits %#x, want %#x", kern.name, got, uint64(kernelBitsFNV))
		}
	}
}
