package rl

// SRPO — Self-Referential Policy Optimization (card B4; from VLA, code
// sii-research/siiRL reward_score/embodied.py): failed rollouts get a
// dense "progress" reward from how close their trajectory embedding is to
// the batch's own successful rollouts; successes keep reward 1; then plain
// GRPO. Per group (a task in the paper; here a problem's group, or the
// whole batch), when it has both successes and failures:
//
//  1. standardise the success embeddings (per dimension, population std; a
//     dimension without spread keeps scale 1), cluster them with DBSCAN
//     (eps 0.5, min_samples 2, noise dropped) and map the cluster means back
//     to raw space; no cluster: the one centre is the successes' mean;
//  2. for each failure, d = the smallest Euclidean distance to a centre,
//     min-max normalised over the group's failures, n = (d − d_min) /
//     (d_max − d_min) (0.5 for all when the range is below 1e-6);
//  3. R_fail = scale · sigmoid(k · (offset − n)), scale 0.6, k 10, offset 0.5.
//
// A group without successes or without failures keeps 1 and 0; an
// all-zero embedding gets 0. The paper's encoder is a frozen video world
// model (V-JEPA 2); the card's LM transfer is any frozen trajectory
// encoder. Ours (CHOICE): the mean over the response's tokens of the
// frozen reference model's last residual stream (run/srpo.go).

import (
	"fmt"
	"math"
)

// SRPO is the recipe section `srpo:`.
type SRPO struct {
	Eps        float64 `yaml:"dbscan_eps"`         // DBSCAN radius in standardised space (0.5)
	MinSamples int     `yaml:"dbscan_min_samples"` // DBSCAN core size, the point included (2)
	Steepness  float64 `yaml:"sigmoid_steepness"`  // k (10)
	Offset     float64 `yaml:"sigmoid_offset"`     // (0.5)
	FailScale  float64 `yaml:"fail_reward_scale"`  // (0.6)
	GroupKey   string  `yaml:"group_key"`          // problem (each prompt's group) or batch
}

// Validate checks the section.
func (c *SRPO) Validate() error {
	switch {
	case !(c.Eps > 0) || c.MinSamples < 1:
		return fmt.Errorf("srpo: need dbscan_eps > 0 and dbscan_min_samples >= 1")
	case c.FailScale < 0 || c.FailScale > 1:
		return fmt.Errorf("srpo: fail_reward_scale %v must be in [0, 1]", c.FailScale)
	case c.GroupKey != "problem" && c.GroupKey != "batch":
		return fmt.Errorf("srpo: group_key %q: want problem or batch", c.GroupKey)
	}
	return nil
}

// Rewards returns one group's rewards: 1 for successes, the progress
// reward for failures.
func (c *SRPO) Rewards(success []bool, emb [][]float64) []float64 {
	out := make([]float64, len(success))
	var succ [][]float64
	var fails []int
	for i, s := range success {
		if s {
			out[i] = 1
			succ = append(succ, emb[i])
		} else {
			fails = append(fails, i)
		}
	}
	if len(succ) == 0 || len(fails) == 0 {
		return out
	}
	centres := c.centres(succ)
	d := make([]float64, len(fails))
	lo, hi := math.Inf(1), math.Inf(-1)
	for k, i := range fails {
		d[k] = math.Inf(1)
		for _, ce := range centres {
			d[k] = math.Min(d[k], dist(emb[i], ce))
		}
		lo, hi = math.Min(lo, d[k]), math.Max(hi, d[k])
	}
	for k, i := range fails {
		n := 0.5
		if hi-lo >= 1e-6 {
			n = (d[k] - lo) / (hi - lo)
		}
		out[i] = c.FailScale / (1 + math.Exp(-c.Steepness*(c.Offset-n)))
		if allZero(emb[i]) {
			out[i] = 0
		}
	}
	return out
}

// centres clusters the standardised successes and returns the clusters'
// means in raw space (the successes' mean when DBSCAN finds none).
func (c *SRPO) centres(succ [][]float64) [][]float64 {
	D := len(succ[0])
	mean, scale := make([]float64, D), make([]float64, D)
	for _, e := range succ {
		for j, v := range e {
			mean[j] += v / float64(len(succ))
		}
	}
	for _, e := range succ {
		for j, v := range e {
			scale[j] += (v - mean[j]) * (v - mean[j]) / float64(len(succ))
		}
	}
	for j := range scale {
		scale[j] = math.Sqrt(scale[j])
		if scale[j] < 1e-12 {
			scale[j] = 1
		}
	}
	z := make([][]float64, len(succ))
	for i, e := range succ {
		z[i] = make([]float64, D)
		for j, v := range e {
			z[i][j] = (v - mean[j]) / scale[j]
		}
	}
	labels := DBSCAN(z, c.Eps, c.MinSamples)
	sums := map[int][]float64{}
	counts := map[int]int{}
	var order []int
	for i, l := range labels {
		if l < 0 {
			continue
		}
		if _, ok := sums[l]; !ok {
			sums[l] = make([]float64, D)
			order = append(order, l)
		}
		for j, v := range succ[i] {
			sums[l][j] += v
		}
		counts[l]++
	}
	if len(order) == 0 {
		return [][]float64{mean}
	}
	var out [][]float64
	for _, l := range order {
		ce := sums[l]
		for j := range ce {
			ce[j] /= float64(counts[l])
		}
		out = append(out, ce)
	}
	return out
}

// DBSCAN labels points by density-connected cluster (0, 1, ...; -1 for
// noise): a core point has at least minSamples points (itself included)
// within eps; clusters grow from core points through their neighbours
// (scikit-learn's definition).
func DBSCAN(points [][]float64, eps float64, minSamples int) []int {
	n := len(points)
	labels := make([]int, n)
	for i := range labels {
		labels[i] = -2 // unvisited
	}
	neighbours := func(i int) []int {
		var out []int
		for j := range points {
			if dist(points[i], points[j]) <= eps {
				out = append(out, j)
			}
		}
		return out
	}
	cluster := 0
	for i := range points {
		if labels[i] != -2 {
			continue
		}
		nb := neighbours(i)
		if len(nb) < minSamples {
			labels[i] = -1
			continue
		}
		labels[i] = cluster
		queue := append([]int(nil), nb...)
		for len(queue) > 0 {
			j := queue[0]
			queue = queue[1:]
			if labels[j] == -1 {
				labels[j] = cluster // a border point
			}
			if labels[j] != -2 {
				continue
			}
			labels[j] = cluster
			if nj := neighbours(j); len(nj) >= minSamples {
				queue = append(queue, nj...)
			}
		}
		cluster++
	}
	return labels
}

func dist(a, b []float64) float64 {
	var s float64
	for i := range a {
		s += (a[i] - b[i]) * (a[i] - b[i])
	}
	return math.Sqrt(s)
}

func allZero(v []float64) bool {
	for _, x := range v {
		if x != 0 {
			return false
		}
	}
	return true
}
