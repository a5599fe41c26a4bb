// Package tensor is autodidact's compute core: float32 matrix products
// (OpenBLAS loaded at run time through purego, or a blocked pure-Go kernel),
// a deterministic worker pool, and the scalar kernels (exp, softmax) that the
// sampler and the trainer share.
//
// Matrices are plain []float32 slices in row-major order with an explicit
// leading dimension, as in BLAS. Nothing here allocates on the hot path.
package tensor
