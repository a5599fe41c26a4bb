//go:build !amd64

package tensor

var kernelAVX512, kernelAVX2 *asmKernel

// detectKernel: no assembly micro-kernels outside amd64; the scalar Go
// GEMM runs.
func detectKernel() *asmKernel { return nil }

const haveTranspose8 = false

func transpose8Strip(src *float32, lds int, dst *float32, ldd int, nblk int) { panic("unreachable") }

func packRowsAVX(dst, src *float32, ld, kc, w int) { panic("unreachable") }
