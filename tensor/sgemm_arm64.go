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

// detectKernel: every arm64 CPU has Advanced SIMD (NEON) with fused
// multiply-add, so the NEON kernel always runs. Its speed has not been
// measured on arm64 hardware (the tests ran under qemu-user), so the
// automatic backend still prefers OpenBLAS here (autoPrefersGo).
func detectKernel() *asmKernel { return kernelNEON }

// usableKernels lists the micro-kernels this CPU can run.
func usableKernels() []*asmKernel { return []*asmKernel{kernelNEON} }

// autoPrefersGo: with AUTODIDACT_BLAS unset, OpenBLAS runs when it loads;
// the NEON kernel's speed against it is unmeasured.
const autoPrefersGo = false

const haveTranspose8 = false

func transpose8Strip(src *float32, lds int, dst *float32, ldd int, nblk int) { panic("unreachable") }

func packRowsAVX(dst, src *float32, ld, kc, w int) { panic("unreachable") }
