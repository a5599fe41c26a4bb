package tensor

// The pure-Go backend's GEMM on amd64 and arm64: op(A) and op(B) are packed into
// panels (GotoBLAS/BLIS scheme) and an assembly micro-kernel multiplies an
// mr-row A panel by an nr-column B panel, kc deep, into a tile of C.
//
// Loop nest, outermost first: columns of C in blocks of asmNC (the packed B
// block, KC×NC, sits in L2), depth in blocks of asmKC, rows in blocks of
// asmMC (packed A), then each A micro-panel (kept in L1) against every B
// micro-panel (streamed from L2).
//
// Every element of C gets the same arithmetic whatever the tile it sits in,
// the shape of the call or the split between threads: C = beta*C, then for
// each depth block in order, acc = an FMA chain over the block's p from
// zero, C = alpha*acc + C by one FMA. Products are therefore row-invariant
// (GemmRows needs no fixed blocks), independent of the thread count, and the
// AVX-512 and AVX2 kernels agree bit for bit.

const (
	asmKC = 256  // depth of a packed block (the rounding depends on it)
	asmMC = 96   // rows of a packed A block (a multiple of both kernels' mr)
	asmNC = 1024 // columns of a packed B block
)

// asmKernel is one register-tiled micro-kernel:
// C[r][j] = alpha * sum_p a[p*mr+r]*b[p*nr+j] + C[r][j] for r < mr, j < nr.
type asmKernel struct {
	name   string
	mr, nr int
	fn     func(kc int, a, b, c *float32, ldc int, alpha float32)
	fnZero func(kc int, a, b, c *float32, ldc int, alpha float32) // fn with C's old value taken as 0
}

// goKernel is the micro-kernel of the pure-Go backend; nil runs the scalar
// Go GEMM (gemmGo). Tests switch it to cover every kernel on one machine.
var goKernel = detectKernel()

// detectKernel picks the widest micro-kernel this CPU runs, nil for none.
func detectKernel() *asmKernel {
	ks := usableKernels()
	if len(ks) == 0 {
		return nil
	}
	return ks[len(ks)-1]
}

// GoKernel names the micro-kernel the pure-Go backend runs on this machine:
// "AVX-512 8×32", "AVX2 6×16" or "scalar 4×4" (no assembly kernel).
func GoKernel() string {
	if goKernel == nil {
		return "scalar 4×4"
	}
	return goKernel.name
}

// gemmPure is the serial GEMM of the pure-Go backend.
func gemmPure(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if kern := goKernel; kern != nil {
		gemmAsm(kern, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	gemmGo(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

type asmPack struct {
	a, b []float32
	tile [32 * 32]float32 // an edge tile of C, padded to mr×nr
}

var asmPackPool = newFreeList(64, func() *asmPack {
	return &asmPack{a: make([]float32, asmMC*asmKC), b: make([]float32, asmKC*(asmNC+32))}
})

func gemmAsm(kern *asmKernel, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if k == 0 || alpha == 0 || beta != 0 {
		scaleC(m, n, beta, c, ldc)
		if k == 0 || alpha == 0 {
			return
		}
	}
	// With beta = 0 the first depth block writes C without reading it
	// (fnZero): the same bits as clearing C first.
	mr, nr := kern.mr, kern.nr
	pk := asmPackPool.get()
	for jc := 0; jc < n; jc += asmNC {
		nc := min(asmNC, n-jc)
		for pc := 0; pc < k; pc += asmKC {
			kc := min(asmKC, k-pc)
			packBPanels(pk.b, nr, transB, b, ldb, pc, jc, kc, nc)
			for ic := 0; ic < m; ic += asmMC {
				mc := min(asmMC, m-ic)
				packAPanels(pk.a, mr, transA, a, lda, ic, pc, mc, kc)
				fn := kern.fn
				if pc == 0 && beta == 0 {
					fn = kern.fnZero
				}
				for ip := 0; ip < mc; ip += mr {
					ap := &pk.a[ip*kc]
					rows := min(mr, mc-ip)
					crow := (ic+ip)*ldc + jc
					for jp := 0; jp < nc; jp += nr {
						bp := &pk.b[jp*kc]
						cols := min(nr, nc-jp)
						if rows == mr && cols == nr {
							fn(kc, ap, bp, &c[crow+jp], ldc, alpha)
							continue
						}
						// Edge tile: the same kernel on a padded copy of C.
						t := pk.tile[:mr*nr]
						for r := 0; r < rows; r++ {
							copy(t[r*nr:r*nr+cols], c[crow+r*ldc+jp:crow+r*ldc+jp+cols])
						}
						fn(kc, ap, bp, &t[0], nr, alpha)
						for r := 0; r < rows; r++ {
							copy(c[crow+r*ldc+jp:crow+r*ldc+jp+cols], t[r*nr:r*nr+cols])
						}
					}
				}
			}
		}
	}
	asmPackPool.put(pk)
}

// packAPanels copies op(A)[i0:i0+mc, p0:p0+kc] into row panels of height
// mr: dst[(panel*kc + p)*mr + r], zero-padding the last panel.
func packAPanels(dst []float32, mr int, trans bool, a []float32, lda, i0, p0, mc, kc int) {
	for ip := 0; ip < mc; ip += mr {
		panel := dst[ip*kc : ip*kc+mr*kc]
		rows := min(mr, mc-ip)
		if trans {
			// op(A) = A^T: row p of A holds op(A)[:, p] contiguously.
			packRows(panel, mr, a, lda, (p0)*lda+i0+ip, rows, kc)
			continue
		}
		packTransposed(panel, mr, a, lda, (i0+ip)*lda+p0, rows, kc)
		for r := rows; r < mr; r++ {
			for p := 0; p < kc; p++ {
				panel[p*mr+r] = 0
			}
		}
	}
}

// packBPanels copies op(B)[p0:p0+kc, j0:j0+nc] into column panels of width
// nr: dst[(panel*kc + p)*nr + j], zero-padding the last panel.
func packBPanels(dst []float32, nr int, trans bool, b []float32, ldb, p0, j0, kc, nc int) {
	for jp := 0; jp < nc; jp += nr {
		panel := dst[jp*kc : jp*kc+nr*kc]
		cols := min(nr, nc-jp)
		if !trans {
			packRows(panel, nr, b, ldb, p0*ldb+j0+jp, cols, kc)
			continue
		}
		// op(B) = B^T: row j of B holds op(B)[:, j] contiguously.
		packTransposed(panel, nr, b, ldb, (j0+jp)*ldb+p0, cols, kc)
		for j := cols; j < nr; j++ {
			for p := 0; p < kc; p++ {
				panel[p*nr+j] = 0
			}
		}
	}
}

// packTransposed sets panel[p*w + r] = src[off + r*ld + p] for r < rows,
// p < kc: rows of the source become columns of a panel w wide. Whole 8×8
// blocks go through transpose8Strip, the rest element by element.
func packTransposed(panel []float32, w int, src []float32, ld, off, rows, kc int) {
	r0 := 0
	if haveTranspose8 && kc >= 8 {
		nblk := kc / 8
		for ; r0+8 <= rows; r0 += 8 {
			// Bounds: the strip's last element and the panel's last block.
			_ = src[off+(r0+7)*ld+nblk*8-1]
			_ = panel[(nblk*8-1)*w+r0+7]
			transpose8Strip(&src[off+r0*ld], ld, &panel[r0], w, nblk)
		}
		for r := 0; r < r0; r++ {
			row := src[off+r*ld+nblk*8 : off+r*ld+kc]
			for p, v := range row {
				panel[(nblk*8+p)*w+r] = v
			}
		}
	}
	for r := r0; r < rows; r++ {
		row := src[off+r*ld : off+r*ld+kc]
		for p, v := range row {
			panel[p*w+r] = v
		}
	}
}

// packRows sets panel[p*w : p*w+w] to src[off+p*ld : off+p*ld+cols] padded
// with zeros, for p < kc: a strip that is already row-major, copied with
// fixed-size moves (a call to memmove per row costs more than the copy).
func packRows(panel []float32, w int, src []float32, ld, off, cols, kc int) {
	if cols == w && haveTranspose8 && (w == 32 || w == 16 || w == 8 || w == 6) {
		_ = src[off+(kc-1)*ld+w-1]
		_ = panel[kc*w-1]
		packRowsAVX(&panel[0], &src[off], ld, kc, w)
		return
	}
	if cols == w {
		switch w {
		case 32:
			for p := 0; p < kc; p++ {
				*(*[32]float32)(panel[p*32:]) = *(*[32]float32)(src[off+p*ld:])
			}
			return
		case 16:
			for p := 0; p < kc; p++ {
				*(*[16]float32)(panel[p*16:]) = *(*[16]float32)(src[off+p*ld:])
			}
			return
		case 12: // the NEON kernel's nr
			for p := 0; p < kc; p++ {
				*(*[12]float32)(panel[p*12:]) = *(*[12]float32)(src[off+p*ld:])
			}
			return
		case 8:
			for p := 0; p < kc; p++ {
				*(*[8]float32)(panel[p*8:]) = *(*[8]float32)(src[off+p*ld:])
			}
			return
		case 6:
			for p := 0; p < kc; p++ {
				*(*[6]float32)(panel[p*6:]) = *(*[6]float32)(src[off+p*ld:])
			}
			return
		}
	}
	for p := 0; p < kc; p++ {
		d := panel[p*w : p*w+w]
		copy(d[:cols], src[off+p*ld:off+p*ld+cols])
		clear(d[cols:])
	}
}
