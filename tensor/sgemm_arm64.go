package tensor

// sgemmKernelNEON is the 8×12 arm64 micro-kernel (sgemm_arm64.s, written by
// sgemm_gen.go): C = alpha * Apanel·Bpanel + C for one tile.
//
//go:noescape
func sgemmKernelNEON(kc int, a, b, c *float32, ldc int, alpha float32)

// sgemmKernelNEONZero is sgemmKernelNEON with C's old value taken as +0.
//
//go:noescape
func sgemmKernelNEONZero(kc int, a, b, c *float32, ldc int, alpha float32)

var kernelNEON = &asmKernel{name: "NEON 8×12", mr: 8, nr: 12, fn: sgemmKernelNEON, fnZero: sgemmKernelNEONZero}

// usableKernels: every arm64 CPU has Advanced SIMD (NEON) with fused
// multiply-add, so the NEON kernel always runs.
func usableKernels() []*asmKernel { return []*asmKernel{kernelNEON} }

// autoPrefersGo: with AUTODIDACT_BLAS unset, OpenBLAS runs when it loads.
// The NEON kernel's speed has not been measured on arm64 hardware (its
// tests ran under qemu-user).
const autoPrefersGo = false
