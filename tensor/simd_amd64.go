package tensor

import "golang.org/x/sys/cpu"

// useAVX2 selects the assembly kernels (AVX2 with FMA) over the Go loops.
// Both are deterministic; a machine always takes the same path.
var useAVX2 = cpu.X86.HasAVX2 && cpu.X86.HasFMA

//go:noescape
func dotAVX2(a, b *float32, n int) float32

//go:noescape
func axpyAVX2(alpha float32, x, y *float32, n int)

//go:noescape
func expShiftAVX2(dst, src *float32, n int, shift float32, k *uint32) int

//go:noescape
func swigluForwardAVX2(h, gate, up *float32, n int, k *uint32) int

//go:noescape
func swigluBackwardAVX2(dgate, dup, dh, gate, up *float32, n int, k *uint32) int

//go:noescape
func dotRowsAVX2(dst, q, K *float32, stride, n, L int)

//go:noescape
func axpyRowsAVX2(out, p, V *float32, stride, n, L int)
