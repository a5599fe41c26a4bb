package nn

import (
	"math"

	"github.com/autodidact-rl/autodidact/tensor"
)

// RMSNormForward computes, for each of the n rows of x [n, d],
//
//	rstd = 1 / sqrt(mean(x^2) + eps),   y = x * rstd * g
//
// and saves rstd [n] for the backward pass.
func RMSNormForward(y, rstd, x, g []float32, n, d int, eps float32) {
	for i := 0; i < n; i++ {
		xr := x[i*d : (i+1)*d]
		yr := y[i*d : (i+1)*d]
		ss := tensor.Dot(xr, xr)
		r := float32(1 / math.Sqrt(float64(ss/float32(d)+eps)))
		rstd[i] = r
		for j, v := range xr {
			yr[j] = v * r * g[j]
		}
	}
}

// RMSNormBackward accumulates dg += sum_rows dy * xhat and
//
//	dx += rstd * (dy*g - xhat * mean(dy*g*xhat)),   xhat = x * rstd.
func RMSNormBackward(dx, dg, dy, x, g, rstd []float32, n, d int) {
	for i := 0; i < n; i++ {
		xr := x[i*d : (i+1)*d]
		dyr := dy[i*d : (i+1)*d]
		dxr := dx[i*d : (i+1)*d]
		r := rstd[i]
		var dot float32 // sum dy*g*xhat
		for j, v := range xr {
			xh := v * r
			dot += dyr[j] * g[j] * xh
			dg[j] += dyr[j] * xh
		}
		m := dot / float32(d)
		for j, v := range xr {
			dxr[j] += r * (dyr[j]*g[j] - v*r*m)
		}
	}
}
