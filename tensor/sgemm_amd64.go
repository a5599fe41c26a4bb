package tensor

import "golang.org/x/sys/cpu"

// sgemmKernelAVX512 is the 8×32 AVX-512 micro-kernel (sgemm_amd64.s).
//
//go:noescape
func sgemmKernelAVX512(kc int, a, b, c *float32, ldc int, alpha float32)

// sgemmKernelAVX2 is the 6×16 AVX2/FMA micro-kernel (sgemm_amd64.s).
//
//go:noescape
func sgemmKernelAVX2(kc int, a, b, c *float32, ldc int, alpha float32)

// sgemmKernelAVX512Zero is sgemmKernelAVX512 with C's old value taken as 0.
//
//go:noescape
func sgemmKernelAVX512Zero(kc int, a, b, c *float32, ldc int, alpha float32)

// sgemmKernelAVX2Zero is sgemmKernelAVX2 with C's old value taken as 0.
//
//go:noescape
func sgemmKernelAVX2Zero(kc int, a, b, c *float32, ldc int, alpha float32)

// packRowsAVX copies kc rows of w floats (6, 8, 16 or 32), ld apart, into a
// contiguous panel (sgemm_amd64.s).
//
//go:noescape
func packRowsAVX(dst, src *float32, ld, kc, w int)

var (
	kernelAVX512 = &asmKernel{name: "AVX-512 8×32", mr: 8, nr: 32, fn: sgemmKernelAVX512, fnZero: sgemmKernelAVX512Zero}
	kernelAVX2   = &asmKernel{name: "AVX2 6×16", mr: 6, nr: 16, fn: sgemmKernelAVX2, fnZero: sgemmKernelAVX2Zero}
)

// usableKernels lists the micro-kernels this CPU and OS support, narrowest
// first (x/sys/cpu checks that the OS saves the vector registers; an
// AVX-512 machine runs the AVX2 kernel too).
func usableKernels() []*asmKernel {
	var ks []*asmKernel
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		ks = append(ks, kernelAVX2)
	}
	if cpu.X86.HasAVX512F {
		ks = append(ks, kernelAVX512)
	}
	return ks
}

// autoPrefersGo: with AUTODIDACT_BLAS unset, the AVX2 and AVX-512 kernels
// run rather than OpenBLAS: they measured at or above it at the same
// instruction set (docs/results/engine.md).
const autoPrefersGo = true

// transpose8Strip transposes nblk 8×8 blocks of an 8-row strip (AVX):
// dst[(8b+p)*ldd + r] = src[r*lds + 8b + p] (transpose_amd64.s).
//
//go:noescape
func transpose8Strip(src *float32, lds int, dst *float32, ldd int, nblk int)

// haveTranspose8: the packing routines may call transpose8Strip.
var haveTranspose8 = cpu.X86.HasAVX
