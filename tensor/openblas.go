package tensor

import (
	"fmt"
	"strings"
	"sync"
	"unsafe"

	"github.com/ebitengine/purego"
)

// openBLAS holds the entry points loaded from libopenblas.so.0.
type openBLAS struct {
	version string
	core    string  // the kernel family OpenBLAS picked for this CPU (openblas_get_corename), e.g. "Haswell"
	sgemm   uintptr // Fortran sgemm_: every argument by pointer
}

var (
	obOnce sync.Once
	obLib  *openBLAS
	obErr  error
)

// loadOpenBLAS opens libopenblas once, pins its own threading to one thread
// (parallelism is ours, so results depend only on our thread count) and
// resolves sgemm_.
func loadOpenBLAS() (*openBLAS, error) {
	obOnce.Do(func() {
		var lib uintptr
		var err error
		for _, name := range []string{"libopenblas.so.0", "libopenblas.so"} {
			lib, err = purego.Dlopen(name, purego.RTLD_NOW|purego.RTLD_GLOBAL)
			if err == nil {
				break
			}
		}
		if err != nil {
			obErr = fmt.Errorf("loading OpenBLAS: %w (install Debian's libopenblas0)", err)
			return
		}
		ob := &openBLAS{version: "OpenBLAS"}
		if ob.sgemm, err = purego.Dlsym(lib, "sgemm_"); err != nil {
			obErr = fmt.Errorf("OpenBLAS has no sgemm_: %w", err)
			return
		}
		if fn, err := purego.Dlsym(lib, "openblas_set_num_threads"); err == nil {
			purego.SyscallN(fn, 1)
		}
		var getConfig func() string
		if fn, err := purego.Dlsym(lib, "openblas_get_config"); err == nil {
			purego.RegisterFunc(&getConfig, fn)
			if f := strings.Fields(getConfig()); len(f) >= 2 {
				ob.version = f[0] + " " + f[1]
			}
		}
		var getCore func() string
		if fn, err := purego.Dlsym(lib, "openblas_get_corename"); err == nil {
			purego.RegisterFunc(&getCore, fn)
			ob.core = strings.TrimSpace(getCore())
		}
		obLib = ob
	})
	return obLib, obErr
}

// OpenBLASCore names the kernel family OpenBLAS chose for this CPU (e.g.
// "Haswell", "SkylakeX", "Zen"; OPENBLAS_CORETYPE overrides it), or "" when
// the backend in use is not OpenBLAS. Products of the same shapes can
// round differently under different kernel families, so bit-for-bit
// reproducibility with OpenBLAS holds per core type and thread count.
func OpenBLASCore() string {
	if obLib == nil || backendName != obLib.version {
		return ""
	}
	return obLib.core
}

// sgemmArgs holds the scalar arguments of one sgemm_ call (Fortran takes
// every argument by pointer) and the argument block of the trampoline that
// calls it. One is taken from a pool per call, so calls allocate nothing.
type sgemmArgs struct {
	transA, transB byte
	m, n, k        int32
	lda, ldb, ldc  int32
	alpha, beta    float32
	call           cCall
}

// cCall mirrors the argument block of purego's amd64/arm64 trampoline
// (purego v0.11 syscallArgs: fn, a1..a32, f1..f8, r8), which the trampoline
// reads, calls fn with a1.. as integer arguments, and writes results into
// a1..a3. The matrix pointers are typed unsafe.Pointer so the garbage
// collector keeps the matrices alive and escape analysis keeps them off the
// goroutine stack; everything the C side may overwrite stays uintptr.
type cCall struct {
	fn         uintptr
	a1, a2, a3 uintptr        // &transa, &transb, &m; results are written here
	a4, a5, a6 uintptr        // &n, &k, &alpha (pointers into sgemmArgs)
	a7         unsafe.Pointer // B
	a8         uintptr        // &lda
	a9         unsafe.Pointer // A
	a10, a11   uintptr        // &ldb, &beta
	a12        unsafe.Pointer // C
	a13        uintptr        // &ldc
	_          [32 - 13]uintptr
	_          [8]uintptr // float registers: unused
	_          uintptr    // arm64 r8
}

//go:linkname runtimeCgocall runtime.cgocall
func runtimeCgocall(fn uintptr, arg unsafe.Pointer) int32

//go:linkname puregoTrampoline github.com/ebitengine/purego.syscallXABI0
var puregoTrampoline uintptr

var argPool = sync.Pool{New: func() any { return new(sgemmArgs) }}

// gemm computes row-major C = alpha*op(A)*op(B) + beta*C with column-major
// sgemm_ by computing C^T = op(B)^T op(A)^T.
func (ob *openBLAS) gemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if k == 0 || alpha == 0 {
		scaleC(m, n, beta, c, ldc)
		return
	}
	p := argPool.Get().(*sgemmArgs)
	p.transA, p.transB = 'N', 'N'
	if transB {
		p.transA = 'T'
	}
	if transA {
		p.transB = 'T'
	}
	p.m, p.n, p.k = int32(n), int32(m), int32(k)
	p.lda, p.ldb, p.ldc = int32(ldb), int32(lda), int32(ldc)
	p.alpha, p.beta = alpha, beta
	p.call = cCall{
		fn: ob.sgemm,
		a1: uintptr(unsafe.Pointer(&p.transA)), a2: uintptr(unsafe.Pointer(&p.transB)),
		a3: uintptr(unsafe.Pointer(&p.m)), a4: uintptr(unsafe.Pointer(&p.n)), a5: uintptr(unsafe.Pointer(&p.k)),
		a6: uintptr(unsafe.Pointer(&p.alpha)),
		a7: unsafe.Pointer(&b[0]), a8: uintptr(unsafe.Pointer(&p.lda)),
		a9: unsafe.Pointer(&a[0]), a10: uintptr(unsafe.Pointer(&p.ldb)),
		a11: uintptr(unsafe.Pointer(&p.beta)),
		a12: unsafe.Pointer(&c[0]), a13: uintptr(unsafe.Pointer(&p.ldc)),
	}
	runtimeCgocall(puregoTrampoline, unsafe.Pointer(&p.call))
	p.call = cCall{}
	argPool.Put(p)
}

// scaleC sets C = beta*C (C = 0 when beta is 0, whatever C held).
func scaleC(m, n int, beta float32, c []float32, ldc int) {
	for i := 0; i < m; i++ {
		row := c[i*ldc : i*ldc+n]
		if beta == 0 {
			clear(row)
		} else if beta != 1 {
			for j := range row {
				row[j] *= beta
			}
		}
	}
}
