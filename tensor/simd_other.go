//go:build !amd64

package tensor

const useAVX2 = false

func dotAVX2(a, b *float32, n int) float32         { panic("unreachable") }
func axpyAVX2(alpha float32, x, y *float32, n int) { panic("unreachable") }
