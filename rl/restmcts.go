package rl

import (
	"fmt"
	"math"
)

// ReSTMCTS (ReST-MCTS*, process-reward-guided tree search and
// self-training; card B6 of shared/cards/cards-B.md, code THUDM/ReST-MCTS
// MCTS/mcts.py, PRM/train_VM_mistral.py): a tree search over partial
// solutions (a node is a prefix of steps, the lines of a chain solution)
// guided by a process value model V_φ(x, partial) ∈ [0, 1] produces
// traces; each node gets an inferred value target without step labels, the
// value model regresses on the targets, the policy trains on the verified
// correct traces, and the loop repeats with the new models (here: every RL
// step is one iteration of search and training).
//
// Selection descends from the root by
//
//	UCT(c) = V(c) + C · sqrt(2 ln N(parent) / N(c))
//
// (unvisited children first), stopping at a node with fewer than Branch
// children, which is expanded by sampling a continuation of its prefix to
// the end (the card's greedy roll-forward, here one sampled completion:
// every expansion yields a finished trace, so a search of G expansions
// costs the G samples of a GRPO group, the "equal sample count").
// V(c) = (1 − α) V_φ(c) + α · (mean reward of the finished traces through
// c) (the card's α-mix of the model value and the simulation's).
//
// Targets (the card's m / reach rule): a correct leaf has m = 1; an
// ancestor m = 1 + min m over its children with finite m (reach = 1); any
// other node copies m from its nearest ancestor with finite m (reach = 0).
// Top down from v_root = 0,
//
//	v_child = max(0, v_parent + (1 − v_parent) · r / m_child),  r = +1 if reach else −1
//
// and a tree without a correct leaf gives no targets. The value model
// minimises the mean of (V_φ(node) − v)² over the nodes with targets.
//
// Policy (PolicyLoss, CHOICE): "sft" (the paper's self-training): every
// step on a path to a correct leaf (reach = 1) is trained with advantage
// 1, the rest 0, i.e. SFT on the verified correct traces, each token once
// (a correct trace's leaf below PolicyFilterValue under V_φ is left out,
// the card's value filter; 0 turns it off, the default here because the
// value head starts untrained); "value_delta": each step's tokens get
// v_node − v_parent (process credit from the inferred targets; steps of a
// tree with no target get 0).
type ReSTMCTS struct {
	RootSamples       int     `yaml:"root_samples"`        // the first expansions, all from the root
	Rounds            int     `yaml:"rounds"`              // rounds of value-guided expansions after them
	Branch            int     `yaml:"branch"`              // children before a node counts as expanded
	Exploration       float64 `yaml:"exploration"`         // C of UCT
	Alpha             float64 `yaml:"alpha"`               // weight of the traces' mean reward in V
	PolicyLoss        string  `yaml:"policy_loss"`         // sft | value_delta
	PolicyFilterValue float64 `yaml:"policy_filter_value"` // sft: drop correct traces whose leaf V_φ is below
	ValueLR           float64 `yaml:"value_lr"`            // value model learning rate
	ValueEpochs       int     `yaml:"value_epochs"`        // value updates per step on its targets
}

// Validate checks the knobs.
func (c ReSTMCTS) Validate() error {
	switch {
	case c.RootSamples < 1 || c.Rounds < 0 || c.Branch < 1:
		return fmt.Errorf("root_samples and branch must be >= 1, rounds >= 0")
	case c.Exploration < 0 || c.Alpha < 0 || c.Alpha > 1:
		return fmt.Errorf("exploration must be >= 0 and alpha in [0, 1]")
	case c.PolicyLoss != "sft" && c.PolicyLoss != "value_delta":
		return fmt.Errorf("policy_loss %q: want sft or value_delta", c.PolicyLoss)
	case c.ValueLR < 0 || c.ValueEpochs < 0:
		return fmt.Errorf("value_lr and value_epochs must be >= 0")
	}
	return nil
}

// UCT is the selection score value + c · sqrt(f · ln(parentVisits) /
// visits) (f = 2 for ReST-MCTS*, 1 for Agent-R's MCTS); an unvisited node
// scores +Inf.
func UCT(value, visits, parentVisits, c, f float64) float64 {
	if visits <= 0 {
		return math.Inf(1)
	}
	return value + c*math.Sqrt(f*math.Log(max(parentVisits, 1))/visits)
}

// Leaf kinds of a search tree for ReSTTargets.
const (
	Inner       = 0
	CorrectLeaf = 1
	WrongLeaf   = -1
)

// ReSTTargets infers each node's value target. parent[i] is node i's
// parent (−1 for the root, node 0; parents come before children), kind[i]
// its leaf kind. has[i] is false for nodes without a target (no correct
// leaf in the tree, or no ancestor with finite m).
func ReSTTargets(parent []int, kind []int) (v []float64, m []float64, reach []bool, has []bool) {
	n := len(parent)
	m, v = make([]float64, n), make([]float64, n)
	reach, has = make([]bool, n), make([]bool, n)
	for i := range m {
		m[i] = math.Inf(1)
	}
	for i := n - 1; i >= 0; i-- { // children after parents: a reverse sweep sees children first
		if kind[i] == CorrectLeaf {
			m[i] = 1
		}
		if !math.IsInf(m[i], 1) {
			reach[i] = true
			if p := parent[i]; p >= 0 {
				m[p] = min(m[p], 1+m[i])
			}
		}
	}
	for i := 0; i < n; i++ { // copy m down to nodes off every correct path
		if !reach[i] && parent[i] >= 0 {
			m[i] = m[parent[i]]
		}
	}
	for i := 0; i < n; i++ {
		if math.IsInf(m[i], 1) {
			continue
		}
		has[i] = true
		p := parent[i]
		if p < 0 {
			v[i] = 0
			continue
		}
		r := -1.0
		if reach[i] {
			r = 1
		}
		v[i] = max(0, v[p]+(1-v[p])*r/m[i])
	}
	return v, m, reach, has
}
