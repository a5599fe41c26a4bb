//go:build !amd64

package tensor

// useAVX2 is false: no assembly outside amd64 (a variable so tests can set it).
var useAVX2 = false

func dotAVX2(a, b *float32, n int) float32         { panic("unreachable") }
func axpyAVX2(alpha float32, x, y *float32, n int) { panic("unreachable") }

func expShiftAVX2(dst, src *float32, n int, shift float32, k *uint32) int { panic("unreachable") }
func swigluForwardAVX2(h, gate, up *float32, n int, k *uint32) int        { panic("unreachable") }
func swigluBackwardAVX2(dgate, dup, dh, gate, up *float32, n int, k *uint32) int {
	panic("unreachable")
}

func dotRowsAVX2(dst, q, K *float32, stride, n, L int)  { panic("unreachable") }
func axpyRowsAVX2(out, p, V *float32, stride, n, L int) { panic("unreachable") }
