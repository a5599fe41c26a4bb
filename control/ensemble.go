package control

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/autodidact-rl/autodidact/nn"
	"github.com/autodidact-rl/autodidact/tensor"
)

// ensemble runs K ReLU MLPs of identical sizes (a critic pair or a REDQ
// ensemble; K = 1 for an actor) with whole-batch products, the fast path
// of the off-policy learners. At the sizes of control (batch 256, 256-256
// networks) the time goes to per-call overhead, not FLOPs, so:
//
//   - the first layers of the K members are one product: their weights
//     live in one [K*h, in] slab (each member's nn.Param W and G are views
//     into it), so x W0^T gives every member's first hidden layer at once,
//     and in backward dy0 W0 sums the members' input gradients for free
//     (the critics' action gradient);
//   - later layers are one product per member on strided views of the
//     [rows, K*h] activations, run on separate threads when Threads() > 1
//     and K > 1 (one member per worker; a single network splits its rows
//     instead, tensor.Gemm);
//   - bias and ReLU are one pass over the product's output; backward can
//     skip the weight gradients (an actor step only needs dQ/da) and the
//     first layer's input gradient; nothing is allocated per call once the
//     buffers have grown to the largest row count.
//
// Results are deterministic for a thread count. The members stay ordinary
// nn.MLPs (names, Params, SavePolicy, nn's own Forward/Backward, which
// share the weights but keep their own activations).
type ensemble struct {
	K       int
	sizes   []int
	members []*nn.MLP
	w0, g0  []float32 // first-layer weight slab [K*h, in] and its gradient
	b0, gb0 []float32 // first-layer bias slab [K*h] and its gradient

	rows  int         // rows of the last forward
	n     int         // members of the last forward (a prefix)
	acts  [][]float32 // acts[i]: input of layer i, [rows, K*sizes[i]] (acts[0]: [rows, in])
	grads [][]float32 // gradient w.r.t. acts[i] (i >= 1)
	dx    []float32   // [rows, in]
	job   memberJob
}

func newEnsemble(name string, K int, sizes []int, rows int, r *rand.Rand) (*ensemble, error) {
	if len(sizes) < 2 {
		return nil, fmt.Errorf("ensemble %s: need input and output sizes, got %v", name, sizes)
	}
	e := &ensemble{K: K, sizes: sizes}
	in, h := sizes[0], sizes[1]
	e.w0, e.g0 = make([]float32, K*h*in), make([]float32, K*h*in)
	e.b0, e.gb0 = make([]float32, K*h), make([]float32, K*h)
	for k := 0; k < K; k++ {
		mname := name
		if K > 1 {
			mname = fmt.Sprintf("%s%d", name, k)
		}
		m, err := nn.NewMLP(mname, sizes, nn.ReLU, rows, r)
		if err != nil {
			return nil, err
		}
		w, b := m.Weights[0], m.Biases[0]
		lo, hi := k*h*in, (k+1)*h*in
		copy(e.w0[lo:hi], w.W)
		w.W, w.G = e.w0[lo:hi:hi], e.g0[lo:hi:hi]
		copy(e.b0[k*h:(k+1)*h], b.W)
		b.W, b.G = e.b0[k*h:(k+1)*h:(k+1)*h], e.gb0[k*h:(k+1)*h:(k+1)*h]
		e.members = append(e.members, m)
	}
	e.grow(rows)
	return e, nil
}

// params lists every member's parameters, member by member.
func (e *ensemble) params() []*nn.Param {
	var ps []*nn.Param
	for _, m := range e.members {
		ps = append(ps, m.Params()...)
	}
	return ps
}

func (e *ensemble) grow(rows int) {
	if len(e.acts) > 0 && len(e.acts[0]) >= rows*e.sizes[0] {
		return
	}
	L := len(e.sizes)
	e.acts, e.grads = make([][]float32, L), make([][]float32, L)
	e.acts[0] = make([]float32, rows*e.sizes[0])
	for i := 1; i < L; i++ {
		e.acts[i] = make([]float32, rows*e.K*e.sizes[i])
		e.grads[i] = make([]float32, rows*e.K*e.sizes[i])
	}
	e.dx = make([]float32, rows*e.sizes[0])
}

// gemm is one product with the thread split chosen by the caller:
// parallel is false inside a member job (one member per worker).
func gemm(parallel, transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if parallel {
		tensor.Gemm(transA, transB, m, n, k, 1, a, lda, b, ldb, beta, c, ldc)
	} else {
		tensor.GemmSerial(transA, transB, m, n, k, 1, a, lda, b, ldb, beta, c, ldc)
	}
}

// forward runs the first n members (n <= K) on rows of x [rows, in] and
// returns their outputs [rows, K*out] (member k's in columns k*out...;
// only the first n members' columns are written).
func (e *ensemble) forward(x []float32, rows, n int) []float32 {
	e.grow(rows)
	e.rows, e.n = rows, n
	in, h := e.sizes[0], e.sizes[1]
	copy(e.acts[0], x[:rows*in])
	L := len(e.sizes) - 1 // layers
	// Layer 0: one product for all members.
	y := e.acts[1]
	K := e.K
	gemm(true, false, true, rows, n*h, in, e.acts[0], in, e.w0, in, 0, y, K*h)
	biasAct(y, e.b0, rows, n*h, K*h, L > 1)
	if L > 1 {
		e.job = memberJob{e: e, fwd: true}
		e.runMembers(n)
	}
	return e.acts[L][:rows*K*e.sizes[L]]
}

// biasAct adds b to the first cols columns of rows of y (leading
// dimension ld) and applies ReLU when relu. The ReLU is branch-free (a
// sign mask): half the pre-activations are negative at random, and a
// mispredicted branch per element costs more than the product itself.
func biasAct(y, b []float32, rows, cols, ld int, relu bool) {
	b = b[:cols]
	for i := 0; i < rows; i++ {
		row := y[i*ld : i*ld+cols]
		row = row[:len(b)]
		if relu {
			for j, bj := range b {
				u := math.Float32bits(row[j] + bj)
				row[j] = math.Float32frombits(u &^ uint32(int32(u)>>31))
			}
		} else {
			for j, bj := range b {
				row[j] += bj
			}
		}
	}
}

// reluMask zeroes g where the ReLU output a is 0 (a >= 0, so its bits
// are 0 exactly there), without branches.
func reluMask(g, a []float32) {
	g = g[:len(a)]
	for c, v := range a {
		m := uint32((int32(math.Float32bits(v)) - 1) >> 31)
		g[c] = math.Float32frombits(math.Float32bits(g[c]) &^ m)
	}
}

// memberJob runs layers 1.. of members [lo, hi): forward, or backward.
type memberJob struct {
	e        *ensemble
	fwd      bool
	needW    bool
	parallel bool
}

func (j *memberJob) Range(lo, hi int) {
	for k := lo; k < hi; k++ {
		if j.fwd {
			j.e.memberForward(k, j.parallel)
		} else {
			j.e.memberBackward(k, j.needW, j.parallel)
		}
	}
}

// runMembers runs e.job over members [0, n): one member per worker when
// there are several threads and several members, else serially with each
// product free to split its rows.
func (e *ensemble) runMembers(n int) {
	if n > 1 && tensor.Threads() > 1 {
		e.job.parallel = false
		tensor.For(n, 1, &e.job)
		return
	}
	e.job.parallel = true
	e.job.Range(0, n)
}

func (e *ensemble) memberForward(k int, parallel bool) {
	m, K, rows := e.members[k], e.K, e.rows
	L := len(e.sizes) - 1
	for i := 1; i < L; i++ {
		in, out := e.sizes[i], e.sizes[i+1]
		x := e.acts[i][k*in:]
		y := e.acts[i+1][k*out:]
		gemm(parallel, false, true, rows, out, in, x, K*in, m.Weights[i].W, in, 0, y, K*out)
		biasAct(y, m.Biases[i].W, rows, out, K*out, i+1 < L)
	}
}

// backward takes dout [rows, K*out] for the members and rows of the last
// forward; it accumulates parameter gradients when needW and returns the
// input gradient [rows, in] summed over the members when needX (else nil).
// dout's columns of members beyond the last forward's are ignored.
func (e *ensemble) backward(dout []float32, needW, needX bool) []float32 {
	L := len(e.sizes) - 1
	rows, n, K := e.rows, e.n, e.K
	in, h := e.sizes[0], e.sizes[1]
	copy(e.grads[L][:rows*K*e.sizes[L]], dout)
	if L > 1 {
		e.job = memberJob{e: e, needW: needW}
		e.runMembers(n)
	}
	dy := e.grads[1]
	if needW {
		// dW0 += dy0^T x, db0 += colsum dy0 over the n members' columns.
		gemm(true, true, false, n*h, in, rows, dy, K*h, e.acts[0], in, 1, e.g0, in)
		colSum(e.gb0, dy, rows, n*h, K*h)
	}
	if !needX {
		return nil
	}
	dx := e.dx[:rows*in]
	gemm(true, false, false, rows, in, n*h, dy, K*h, e.w0, in, 0, dx, in)
	return dx
}

func colSum(db, dy []float32, rows, cols, ld int) {
	db = db[:cols]
	for i := 0; i < rows; i++ {
		tensor.Axpy(1, dy[i*ld:i*ld+cols], db) // fma(1, g, db) rounds as db + g: bit-identical to the scalar sum
	}
}

// memberBackward backpropagates member k from its output to the gradient
// of its first hidden layer (grads[1], ReLU applied).
func (e *ensemble) memberBackward(k int, needW, parallel bool) {
	m, K, rows := e.members[k], e.K, e.rows
	L := len(e.sizes) - 1
	for i := L - 1; i >= 1; i-- {
		in, out := e.sizes[i], e.sizes[i+1]
		dy := e.grads[i+1][k*out:]
		x := e.acts[i][k*in:]
		if needW {
			gemm(parallel, true, false, out, in, rows, dy, K*out, x, K*in, 1, m.Weights[i].G, in)
			colSum(m.Biases[i].G, dy, rows, out, K*out)
		}
		dx := e.grads[i][k*in:]
		gemm(parallel, false, false, rows, in, out, dy, K*out, m.Weights[i].W, in, 0, dx, K*in)
		// ReLU: zero where the activation was clipped.
		for r := 0; r < rows; r++ {
			reluMask(dx[r*K*in:r*K*in+in], x[r*K*in:r*K*in+in])
		}
	}
}

// zeroGrad clears every member's gradients.
func (e *ensemble) zeroGrad() {
	clear(e.g0)
	clear(e.gb0)
	for _, m := range e.members {
		for i := 1; i < len(m.Weights); i++ {
			clear(m.Weights[i].G)
			clear(m.Biases[i].G)
		}
	}
}

// copyFrom copies src's weights (same shapes) into e.
func (e *ensemble) copyFrom(src *ensemble) {
	for k := range e.members {
		copyParams(e.members[k], src.members[k])
	}
}

// polyakFrom moves e toward src: w = tau src + (1 - tau) w.
func (e *ensemble) polyakFrom(src *ensemble, tau float64) {
	for k := range e.members {
		polyak(e.members[k], src.members[k], tau)
	}
}
