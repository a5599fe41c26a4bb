package tensor

import (
	"fmt"
	"os"
	"strings"
	"sync"
)

// BLASEnv is the environment variable that forces a matrix-product backend:
// "openblas" (fail if it cannot be loaded), "go" (pure Go), or empty for
// automatic choice: pure Go when this CPU has an amd64 assembly
// micro-kernel (AVX2+FMA or AVX-512), else OpenBLAS when libopenblas.so.0
// loads, else pure Go (the NEON kernel on arm64, whose speed against
// OpenBLAS is unmeasured; the scalar kernel elsewhere). docs/results/engine.md has the figures behind
// the choice: the Go kernels match or beat OpenBLAS at the same instruction
// set on every shape measured.
const BLASEnv = "AUTODIDACT_BLAS"

// gemmFunc is a serial row-major single-precision GEMM:
// C = alpha*op(A)*op(B) + beta*C, where op(X) is X or its transpose.
type gemmFunc func(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int)

var (
	backendName          = "pure Go"
	serialGemm  gemmFunc = gemmPure
	backendErr  error
	// backendRowInvariant: every element of C gets the same arithmetic
	// whatever the shape of the call (the pure-Go kernels), so GemmRows
	// needs no fixed row blocks.
	backendRowInvariant = true
)

// init selects the backend AUTODIDACT_BLAS asks for. When it cannot (an
// unknown value, or openblas without the library), the pure-Go backend is
// used and the error is kept for BackendError: a library keeps working, and
// the autodidact binary refuses to start.
func init() {
	backendErr = selectBackend(os.Getenv(BLASEnv))
}

// selectBackend applies the value of AUTODIDACT_BLAS, falling back to pure
// Go and returning the error when the value cannot be honoured.
func selectBackend(value string) error {
	choice := strings.ToLower(strings.TrimSpace(value))
	if err := UseBackend(choice); err != nil {
		_ = UseBackend("go")
		return err
	}
	return nil
}

// BackendError is the error of the backend AUTODIDACT_BLAS asked for at
// start-up, nil when it was honoured. The values are "openblas" (fail if
// libopenblas.so.0 cannot be loaded), "go" (pure Go) and empty (see
// BLASEnv: pure Go with an assembly kernel, else OpenBLAS when it loads). Programs should refuse to run on an error:
// the matrix products then run in pure Go whatever was asked for.
func BackendError() error { return backendErr }

// UseBackend selects the matrix-product backend: "openblas", "go", or ""
// (pure Go when an assembly micro-kernel runs on this CPU, else OpenBLAS if
// it loads, else pure Go). It must not be called while a kernel runs.
func UseBackend(name string) error {
	switch name {
	case "go", "purego", "pure-go":
		backendName, serialGemm, backendRowInvariant = "pure Go", gemmPure, true
		return nil
	case "openblas":
		ob, err := loadOpenBLAS()
		if err != nil {
			return fmt.Errorf("%s=openblas: %w", BLASEnv, err)
		}
		backendName, serialGemm, backendRowInvariant = ob.version, ob.gemm, false
		return nil
	case "", "auto":
		if goKernel != nil && autoPrefersGo {
			backendName, serialGemm, backendRowInvariant = "pure Go", gemmPure, true
		} else if ob, err := loadOpenBLAS(); err == nil {
			backendName, serialGemm, backendRowInvariant = ob.version, ob.gemm, false
		} else {
			backendName, serialGemm, backendRowInvariant = "pure Go", gemmPure, true
		}
		return nil
	}
	return fmt.Errorf("%s=%q is not a backend: want openblas, go or empty (unset)", BLASEnv, name)
}

// Backend names the matrix-product backend in use, e.g. "OpenBLAS 0.3.21" or
// "pure Go". Print it once as "BLAS: <name>".
func Backend() string { return backendName }

// checkGemm panics with a message naming the operand if a slice is too short
// for the shape asked for. Shape errors are programming errors inside the
// engine; layers validate user input before they reach a kernel.
func checkGemm(transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	need := func(name string, rows, cols, ld, have int) {
		if rows == 0 || cols == 0 {
			return
		}
		if ld < cols {
			panic(fmt.Sprintf("tensor.Gemm: %s has leading dimension %d < %d columns", name, ld, cols))
		}
		if want := (rows-1)*ld + cols; have < want {
			panic(fmt.Sprintf("tensor.Gemm: %s is %dx%d (ld %d) and needs %d elements, has %d", name, rows, cols, ld, want, have))
		}
	}
	if m < 0 || n < 0 || k < 0 {
		panic(fmt.Sprintf("tensor.Gemm: negative shape m=%d n=%d k=%d", m, n, k))
	}
	if transA {
		need("A", k, m, lda, len(a))
	} else {
		need("A", m, k, lda, len(a))
	}
	if transB {
		need("B", n, k, ldb, len(b))
	} else {
		need("B", k, n, ldb, len(b))
	}
	need("C", m, n, ldc, len(c))
}

// GemmSerial computes C = alpha*op(A)*op(B) + beta*C on the calling
// goroutine. Matrices are row-major; op(A) is m×k, op(B) is k×n, C is m×n.
// With beta == 0, C is overwritten (NaNs in C do not propagate).
func GemmSerial(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	checkGemm(transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	if m == 0 || n == 0 {
		return
	}
	serialGemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// gemmSplit runs one GEMM as independent blocks of rows (or columns) of C.
type gemmSplit struct {
	transA, transB bool
	m, n, k        int
	alpha, beta    float32
	a, b, c        []float32
	lda, ldb, ldc  int
	byRows         bool
	unit           int // columns per unit of a column split
}

func (g *gemmSplit) Range(lo, hi int) {
	if g.byRows {
		a := g.a
		if g.transA {
			a = a[lo:]
		} else {
			a = a[lo*g.lda:]
		}
		serialGemm(g.transA, g.transB, hi-lo, g.n, g.k, g.alpha, a, g.lda, g.b, g.ldb, g.beta, g.c[lo*g.ldc:], g.ldc)
		return
	}
	// Columns are split in blocks of unit so each worker's stores stay apart.
	lo *= g.unit
	hi *= g.unit
	if hi > g.n {
		hi = g.n
	}
	b := g.b
	if g.transB {
		b = b[lo*g.ldb:]
	} else {
		b = b[lo:]
	}
	serialGemm(g.transA, g.transB, g.m, hi-lo, g.k, g.alpha, g.a, g.lda, b, g.ldb, g.beta, g.c[lo:], g.ldc)
}

var splitPool = sync.Pool{New: func() any { return new(gemmSplit) }}

// Gemm is GemmSerial parallelised over Threads() workers by splitting C into
// blocks of rows (or of columns when C is wide). Each element of C is
// computed by one serial call over the whole k dimension.
func Gemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	checkGemm(transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	if m == 0 || n == 0 {
		return
	}
	if Threads() == 1 || m*n*k < 1<<18 {
		serialGemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	unit := 16
	if kern := goKernel; backendRowInvariant && kern != nil {
		unit = kern.nr // whole micro-tiles per worker
	}
	g := splitPool.Get().(*gemmSplit)
	*g = gemmSplit{transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, beta: beta,
		a: a, b: b, c: c, lda: lda, ldb: ldb, ldc: ldc, byRows: m >= n, unit: unit}
	if g.byRows {
		For(m, 16, g)
	} else {
		For((n+unit-1)/unit, 1, g)
	}
	*g = gemmSplit{}
	splitPool.Put(g)
}
