package tensor

// The pure-Go GEMM packs blocks of op(A) and op(B) into contiguous panels and
// runs a 4×4 register-blocked micro-kernel over them (the GotoBLAS scheme
// without assembly). It is always correct and is the fallback when OpenBLAS
// is absent.

const (
	goMR = 4   // rows of the micro-tile
	goNR = 4   // columns of the micro-tile
	goKC = 256 // depth of a packed block
	goMC = 64  // rows of a packed A block
	goNC = 512 // columns of a packed B block
)

type goPack struct{ a, b []float32 }

var goPackPool = newFreeList(64, func() *goPack {
	return &goPack{a: make([]float32, goMC*goKC), b: make([]float32, goKC*goNC)}
})

func gemmGo(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	scaleC(m, n, beta, c, ldc)
	if k == 0 || alpha == 0 {
		return
	}
	pk := goPackPool.get()
	defer goPackPool.put(pk)
	for jc := 0; jc < n; jc += goNC {
		nc := min(goNC, n-jc)
		for pc := 0; pc < k; pc += goKC {
			kc := min(goKC, k-pc)
			packB(pk.b, transB, b, ldb, pc, jc, kc, nc)
			for ic := 0; ic < m; ic += goMC {
				mc := min(goMC, m-ic)
				packA(pk.a, transA, a, lda, ic, pc, mc, kc)
				macroKernel(mc, nc, kc, alpha, pk.a, pk.b, c[ic*ldc+jc:], ldc)
			}
		}
	}
}

// packA copies op(A)[i0:i0+mc, p0:p0+kc] into row panels of height goMR:
// dst[(panel*kc + p)*goMR + r], zero-padding the last panel.
func packA(dst []float32, trans bool, a []float32, lda, i0, p0, mc, kc int) {
	for ip := 0; ip < mc; ip += goMR {
		panel := dst[ip*kc : ip*kc+goMR*kc]
		for r := 0; r < goMR; r++ {
			i := i0 + ip + r
			if ip+r >= mc {
				for p := 0; p < kc; p++ {
					panel[p*goMR+r] = 0
				}
				continue
			}
			if trans {
				for p := 0; p < kc; p++ {
					panel[p*goMR+r] = a[(p0+p)*lda+i]
				}
			} else {
				row := a[i*lda+p0 : i*lda+p0+kc]
				for p, v := range row {
					panel[p*goMR+r] = v
				}
			}
		}
	}
}

// packB copies op(B)[p0:p0+kc, j0:j0+nc] into column panels of width goNR:
// dst[(panel*kc + p)*goNR + c], zero-padding the last panel.
func packB(dst []float32, trans bool, b []float32, ldb, p0, j0, kc, nc int) {
	for jp := 0; jp < nc; jp += goNR {
		panel := dst[jp*kc : jp*kc+goNR*kc]
		for cc := 0; cc < goNR; cc++ {
			j := j0 + jp + cc
			if jp+cc >= nc {
				for p := 0; p < kc; p++ {
					panel[p*goNR+cc] = 0
				}
				continue
			}
			if trans {
				row := b[j*ldb+p0 : j*ldb+p0+kc]
				for p, v := range row {
					panel[p*goNR+cc] = v
				}
			} else {
				for p := 0; p < kc; p++ {
					panel[p*goNR+cc] = b[(p0+p)*ldb+j]
				}
			}
		}
	}
}

// macroKernel adds alpha * Apanel * Bpanel into the mc×nc block of C.
func macroKernel(mc, nc, kc int, alpha float32, ap, bp []float32, c []float32, ldc int) {
	var tile [goMR * goNR]float32
	for jp := 0; jp < nc; jp += goNR {
		bpanel := bp[jp*kc : jp*kc+goNR*kc]
		for ip := 0; ip < mc; ip += goMR {
			apanel := ap[ip*kc : ip*kc+goMR*kc]
			microKernel(kc, apanel, bpanel, &tile)
			rows, cols := min(goMR, mc-ip), min(goNR, nc-jp)
			for r := 0; r < rows; r++ {
				crow := c[(ip+r)*ldc+jp : (ip+r)*ldc+jp+cols]
				for cc := range crow {
					crow[cc] += alpha * tile[r*goNR+cc]
				}
			}
		}
	}
}

// microKernel computes the 4×4 tile sum_p a[p,:]^T b[p,:] with sixteen
// accumulators kept in registers.
func microKernel(kc int, a, b []float32, tile *[goMR * goNR]float32) {
	var c00, c01, c02, c03, c10, c11, c12, c13 float32
	var c20, c21, c22, c23, c30, c31, c32, c33 float32
	a = a[:kc*goMR]
	b = b[:kc*goNR]
	for p := 0; p < kc; p++ {
		av := a[p*4 : p*4+4 : p*4+4]
		bv := b[p*4 : p*4+4 : p*4+4]
		b0, b1, b2, b3 := bv[0], bv[1], bv[2], bv[3]
		a0 := av[0]
		c00 += a0 * b0
		c01 += a0 * b1
		c02 += a0 * b2
		c03 += a0 * b3
		a1 := av[1]
		c10 += a1 * b0
		c11 += a1 * b1
		c12 += a1 * b2
		c13 += a1 * b3
		a2 := av[2]
		c20 += a2 * b0
		c21 += a2 * b1
		c22 += a2 * b2
		c23 += a2 * b3
		a3 := av[3]
		c30 += a3 * b0
		c31 += a3 * b1
		c32 += a3 * b2
		c33 += a3 * b3
	}
	*tile = [16]float32{c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33}
}
