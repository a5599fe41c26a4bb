//go:build !amd64 && !arm64

package tensor

// detectKernel: no assembly micro-kernel on this architecture; the scalar
// Go GEMM runs.
func detectKernel() *asmKernel { return nil }

// usableKernels lists the micro-kernels this CPU can run: none.
func usableKernels() []*asmKernel { return nil }

// autoPrefersGo: the scalar kernel is ~25× slower than OpenBLAS, which
// runs when it loads.
const autoPrefersGo = false

const haveTranspose8 = false

func transpose8Strip(src *float32, lds int, dst *float32, ldd int, nblk int) { panic("unreachable") }

func packRowsAVX(dst, src *float32, ld, kc, w int) { panic("unreachable") }
