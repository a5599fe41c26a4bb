//go:build !amd64

package tensor

// Off amd64 the packing routines use no AVX helpers.

const haveTranspose8 = false

func transpose8Strip(src *float32, lds int, dst *float32, ldd int, nblk int) { panic("unreachable") }

func packRowsAVX(dst, src *float32, ld, kc, w int) { panic("unreachable") }
