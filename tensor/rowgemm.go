package tensor

import "sync"

// RowBlock is the fixed height of the row blocks of GemmRows.
const RowBlock = 64

// GemmRows computes C = alpha*A*op(B) + beta*C (A not transposed) so that
// each row of C depends only on the same row of A, never on how many rows
// are computed together. OpenBLAS picks kernels by shape, so a row computed
// inside a 4-row product can differ in the last bits from the same row
// inside a 2048-row product; GemmRows always calls the backend on blocks of
// exactly RowBlock rows (padding the last block through scratch), which
// makes results row-invariant. The forward passes of training and sampling
// use it so their log-probabilities agree bit for bit.
//
// The pure-Go kernels give every element the same arithmetic whatever the
// shape of the call, so with them GemmRows is Gemm over all m rows: one
// packing of op(B) per worker instead of one per block, and a column split
// between workers when m is small (decoding).
func GemmRows(transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if backendRowInvariant {
		Gemm(false, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	checkGemm(false, transB, m, n, k, a, lda, b, ldb, c, ldc)
	if m == 0 || n == 0 {
		return
	}
	j := rowJobPool.Get().(*rowJob)
	*j = rowJob{transB: transB, m: m, n: n, k: k, alpha: alpha, beta: beta, a: a, b: b, c: c, lda: lda, ldb: ldb, ldc: ldc}
	For((m+RowBlock-1)/RowBlock, 1, j)
	*j = rowJob{}
	rowJobPool.Put(j)
}

type rowJob struct {
	transB        bool
	m, n, k       int
	alpha, beta   float32
	a, b, c       []float32
	lda, ldb, ldc int
}

type rowScratch struct{ a, c []float32 }

var rowJobPool = sync.Pool{New: func() any { return new(rowJob) }}
var rowScratchPool = sync.Pool{New: func() any { return new(rowScratch) }}

// Range computes row blocks [lo, hi).
func (j *rowJob) Range(lo, hi int) {
	for blk := lo; blk < hi; blk++ {
		r0 := blk * RowBlock
		rows := min(RowBlock, j.m-r0)
		if rows == RowBlock {
			serialGemm(false, j.transB, RowBlock, j.n, j.k, j.alpha, j.a[r0*j.lda:], j.lda, j.b, j.ldb, j.beta, j.c[r0*j.ldc:], j.ldc)
			continue
		}
		// Partial block: pad A and C to RowBlock rows in scratch.
		s := rowScratchPool.Get().(*rowScratch)
		if cap(s.a) < RowBlock*j.k {
			s.a = make([]float32, RowBlock*j.k)
		}
		if cap(s.c) < RowBlock*j.n {
			s.c = make([]float32, RowBlock*j.n)
		}
		sa, sc := s.a[:RowBlock*j.k], s.c[:RowBlock*j.n]
		clear(sa)
		for i := 0; i < rows; i++ {
			copy(sa[i*j.k:(i+1)*j.k], j.a[(r0+i)*j.lda:(r0+i)*j.lda+j.k])
			if j.beta != 0 {
				copy(sc[i*j.n:(i+1)*j.n], j.c[(r0+i)*j.ldc:(r0+i)*j.ldc+j.n])
			}
		}
		serialGemm(false, j.transB, RowBlock, j.n, j.k, j.alpha, sa, j.k, j.b, j.ldb, j.beta, sc, j.n)
		for i := 0; i < rows; i++ {
			copy(j.c[(r0+i)*j.ldc:(r0+i)*j.ldc+j.n], sc[i*j.n:(i+1)*j.n])
		}
		rowScratchPool.Put(s)
	}
}
