package nn

import "github.com/autodidact-rl/autodidact/tensor"

// LinearForward computes y = x W^T + b for n rows: x is [n, in], W is
// [out, in] (the Hugging Face layout), b is [out] or nil, y is [n, out].
// Each output row depends only on its input row (tensor.GemmRows), so a
// token gets the same result in a batch of 1 or of 2048.
func LinearForward(y, x, w, b []float32, n, in, out int) {
	tensor.GemmRows(true, n, out, in, 1, x, in, w, in, 0, y, out)
	if b != nil {
		for i := 0; i < n; i++ {
			row := y[i*out : (i+1)*out]
			for j, bj := range b[:out] {
				row[j] += bj
			}
		}
	}
}

// LinearBackward accumulates dW += dy^T x, db += sum_rows dy, and
// dx += dy W. Any of dx, db may be nil to skip it.
func LinearBackward(dx, dw, db, dy, x, w []float32, n, in, out int) {
	tensor.Gemm(true, false, out, in, n, 1, dy, out, x, in, 1, dw, in)
	if db != nil {
		for i := 0; i < n; i++ {
			for j, g := range dy[i*out : (i+1)*out] {
				db[j] += g
			}
		}
	}
	if dx != nil {
		tensor.Gemm(false, false, n, in, out, 1, dy, out, w, in, 1, dx, in)
	}
}
