package compare

import (
	"math"

	"gonum.org/v1/gonum/stat/distuv"
)

// Stat is one summary figure over seeds: its mean, a 95% Student-t
// interval and the number of seeds it rests on.
//
// With values x_1..x_n, mean m = Σx_i/n, sample standard deviation
// s = sqrt(Σ(x_i-m)²/(n-1)), and
//
//	ci95 = m ± t_{0.975, n-1} · s / sqrt(n)
//
// where t_{0.975, n-1} is the 97.5% quantile of Student's t with n-1
// degrees of freedom (4.303 for n = 3). With fewer than two values there is
// no interval and CI95 is nil (null in JSON).
type Stat struct {
	Mean float64     `json:"mean"`
	CI95 *[2]float64 `json:"ci95"`
	N    int         `json:"n"`
}

// TInterval returns the mean of xs with its two-sided 95% t-interval.
func TInterval(xs []float64) Stat {
	n := len(xs)
	if n == 0 {
		return Stat{}
	}
	var m float64
	for _, x := range xs {
		m += x
	}
	m /= float64(n)
	st := Stat{Mean: m, N: n}
	if n < 2 {
		return st
	}
	var ss float64
	for _, x := range xs {
		ss += (x - m) * (x - m)
	}
	se := math.Sqrt(ss/float64(n-1)) / math.Sqrt(float64(n))
	h := TQuantile975(n-1) * se
	st.CI95 = &[2]float64{m - h, m + h}
	return st
}

// TQuantile975 is the 97.5% quantile of Student's t distribution with df
// degrees of freedom.
func TQuantile975(df int) float64 {
	return distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(df)}.Quantile(0.975)
}
