//go:build !amd64 && !arm64

package tensor

// usableKernels: no assembly micro-kernel on this architecture; the scalar
// Go GEMM runs.
func usableKernels() []*asmKernel { return nil }

// autoPrefersGo: the scalar kernel is ~25× slower than OpenBLAS, which
// runs when it loads.
const autoPrefersGo = false
