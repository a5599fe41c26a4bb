package control

import (
	"math"
	"sort"
)

// kdTree is a static k-d tree over N points of dimension k for exact
// nearest-neighbour queries in the Euclidean metric (PRDC's 1-NN search
// over the dataset's (beta s, a) points). Build: split the index range
// at the median of the dimension with the largest spread, recursively;
// leaves hold up to kdLeaf points. Query: depth-first descent into the
// near child, visiting the far child only when the splitting plane is
// closer than the best distance found so far. Ties go to the lowest
// point index, as brute force (nearestBrute) breaks them.
type kdTree struct {
	k     int
	pts   []float64 // [N, k]
	idx   []int     // permutation of 0..N-1; nodes own contiguous ranges
	nodes []kdNode
}

type kdNode struct {
	lo, hi      int // range of idx
	dim         int // split dimension; -1 for a leaf
	split       float64
	left, right int // child nodes
}

const kdLeaf = 8

// newKDTree builds the tree over pts [N*k] (kept, not copied).
func newKDTree(pts []float64, k int) *kdTree {
	n := len(pts) / k
	t := &kdTree{k: k, pts: pts, idx: make([]int, n)}
	for i := range t.idx {
		t.idx[i] = i
	}
	if n > 0 {
		t.build(0, n)
	}
	return t
}

func (t *kdTree) build(lo, hi int) int {
	id := len(t.nodes)
	t.nodes = append(t.nodes, kdNode{lo: lo, hi: hi, dim: -1})
	if hi-lo <= kdLeaf {
		return id
	}
	dim, spread := 0, -1.0
	for d := 0; d < t.k; d++ {
		mn, mx := math.Inf(1), math.Inf(-1)
		for _, i := range t.idx[lo:hi] {
			v := t.pts[i*t.k+d]
			mn, mx = math.Min(mn, v), math.Max(mx, v)
		}
		if mx-mn > spread {
			dim, spread = d, mx-mn
		}
	}
	if spread == 0 { // all points equal: a leaf, however many
		return id
	}
	seg := t.idx[lo:hi]
	sort.Slice(seg, func(a, b int) bool { return t.pts[seg[a]*t.k+dim] < t.pts[seg[b]*t.k+dim] })
	mid := lo + (hi-lo)/2
	split := t.pts[t.idx[mid]*t.k+dim]
	l := t.build(lo, mid)
	r := t.build(mid, hi)
	t.nodes[id].dim, t.nodes[id].split, t.nodes[id].left, t.nodes[id].right = dim, split, l, r
	return id
}

// nearest returns the index of the point closest to q and the squared
// distance; (-1, +Inf) for an empty tree.
func (t *kdTree) nearest(q []float64) (int, float64) {
	best, bestD := -1, math.Inf(1)
	if len(t.nodes) == 0 {
		return best, bestD
	}
	var visit func(id int)
	visit = func(id int) {
		nd := &t.nodes[id]
		if nd.dim < 0 {
			for _, i := range t.idx[nd.lo:nd.hi] {
				d := sqDist(q, t.pts[i*t.k:(i+1)*t.k])
				if d < bestD || (d == bestD && i < best) {
					best, bestD = i, d
				}
			}
			return
		}
		diff := q[nd.dim] - nd.split
		near, far := nd.left, nd.right
		if diff >= 0 {
			near, far = nd.right, nd.left
		}
		visit(near)
		if diff*diff <= bestD { // <=: an equally distant point may have a lower index
			visit(far)
		}
	}
	visit(0)
	return best, bestD
}

// nearestBrute is the exhaustive 1-NN search (PRDC's nn_backend brute).
func nearestBrute(pts []float64, k int, q []float64) (int, float64) {
	best, bestD := -1, math.Inf(1)
	for i := 0; i < len(pts)/k; i++ {
		if d := sqDist(q, pts[i*k:(i+1)*k]); d < bestD {
			best, bestD = i, d
		}
	}
	return best, bestD
}

func sqDist(a, b []float64) float64 {
	var s float64
	for i := range a {
		d := a[i] - b[i]
		s += d * d
	}
	return s
}
