package rl

import (
	"fmt"
	"math/rand/v2"
)

// AgentR (Agent-R, reflection via iterative self-training; card C4 of
// shared/cards/cards-C.md, code bytedance/Agent-R path_collection.py,
// mcts_utils/mcts_raw.py): a tree search over the model's own episodes
// (here over the lines of chain solutions, a node being a prefix of lines)
// gives finished paths with rewards; a failed path is paired with a
// successful one of the same tree, cut at the first step the model itself
// judges bad, and spliced into a revision trajectory
//
//	bad prefix up to t' (not trained) → revision step (trained) → the good
//	path from the first step where it leaves the bad one (trained)
//
// and the model is trained on these (and, KeepGoodBC, on the good paths)
// by SFT; every RL step is one iteration (search, revise, train) with the
// current model.
//
// Search: descend from the root by UCT(c) = value/visits + C · sqrt(ln
// N(parent) / N(c)) (unvisited children first, C = 0.25), expand a node
// with fewer than Branch children by sampling a completion from its
// prefix; a finished path back-propagates its reward to its ancestors.
// Pairs: leaves by mean value v; (high, low) with v_high − v_low > Beta and
// v_high > Alpha, shuffled, at most MaxPairs per tree.
//
// First error (ReviseMode, card knob): "model_guided", the paper's, walks
// the low path from the first step where it leaves the high one (earlier
// steps are shared with a successful path) and stops at the first step the
// model judges bad, a step being judged bad when the model's own greedy
// re-derivation of that line from the path's prefix differs from it (the
// tiny model has no verifier prompt, CHOICE); a path with no step judged
// bad is cut at its end ("direct revision"); "direct" always cuts at the
// end; "oracle" cuts at the first line that leaves the reference solution
// (task.ChainFirstError).
//
// Revision step (RevisionAction): "undo_k" writes "undo k" (k = steps of
// the bad path after the branch point that are kept, so the text says
// where the good path resumes; the card's undo-k for irreversible
// environments), "wait" the fixed line "wait" (the paper's no-op action).
// A chain solution's grade reads its last answer line, so a spliced
// trajectory is right whenever its good path is (the card's replay filter
// holds by construction).
type AgentR struct {
	RootSamples    int     `yaml:"root_samples"`    // the first expansions, all from the root
	Rounds         int     `yaml:"rounds"`          // rounds of UCT-guided expansions after them
	Branch         int     `yaml:"branch"`          // children before a node counts as expanded
	UCTC           float64 `yaml:"uct_c"`           // C of UCT
	Alpha          float64 `yaml:"alpha"`           // the high path's value must exceed alpha
	Beta           float64 `yaml:"beta"`            // and the low path's by more than beta
	MaxPairs       int     `yaml:"max_pairs"`       // revision trajectories per tree
	ReviseMode     string  `yaml:"revise_mode"`     // model_guided | direct | oracle
	RevisionAction string  `yaml:"revision_action"` // undo_k | wait
	KeepGoodBC     bool    `yaml:"keep_good_bc"`    // also train the good paths (SFT)
}

// Validate checks the knobs.
func (c AgentR) Validate() error {
	switch {
	case c.RootSamples < 1 || c.Rounds < 0 || c.Branch < 1:
		return fmt.Errorf("root_samples and branch must be >= 1, rounds >= 0")
	case c.UCTC < 0 || c.MaxPairs < 0:
		return fmt.Errorf("uct_c and max_pairs must be >= 0")
	case c.ReviseMode != "model_guided" && c.ReviseMode != "direct" && c.ReviseMode != "oracle":
		return fmt.Errorf("revise_mode %q: want model_guided, direct or oracle", c.ReviseMode)
	case c.RevisionAction != "undo_k" && c.RevisionAction != "wait":
		return fmt.Errorf("revision_action %q: want undo_k or wait", c.RevisionAction)
	}
	return nil
}

// RevisionText is the revision step after k kept bad steps.
func (c AgentR) RevisionText(k int) string {
	if c.RevisionAction == "wait" {
		return "wait"
	}
	return fmt.Sprintf("undo %d", k)
}

// Pairs lists (high, low) leaf index pairs with v[high] − v[low] > beta and
// v[high] > alpha, shuffled by rng (nil: in order), at most max (0: all).
func (c AgentR) Pairs(v []float64, rng *rand.Rand) [][2]int {
	var out [][2]int
	for h := range v {
		for l := range v {
			if h != l && v[h]-v[l] > c.Beta && v[h] > c.Alpha {
				out = append(out, [2]int{h, l})
			}
		}
	}
	if rng != nil {
		rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	}
	if c.MaxPairs > 0 && len(out) > c.MaxPairs {
		out = out[:c.MaxPairs]
	}
	return out
}

// Splice builds a revision trajectory from a high and a low path of steps
// (node ids or texts) and the cut t' (0-based index into low of the last
// bad step kept; −1: no step judged bad, cut at the end). branch is the
// first index where the paths differ. It returns the steps in order and
// which are trained: low[0..t'] (not trained), the revision step (index −1
// in the returned origin, trained), high[branch..] (trained); kept is the
// number of low steps after the branch that were kept (the k of undo_k).
func Splice[S comparable](high, low []S, cut int, revision S) (steps []S, trained []bool, kept int) {
	branch := 0
	for branch < len(high) && branch < len(low) && high[branch] == low[branch] {
		branch++
	}
	if cut < 0 || cut >= len(low) {
		cut = len(low) - 1
	}
	cut = max(cut, branch) // the shared prefix is a good path's: a cut falls at or after the branch
	for t := 0; t <= cut && t < len(low); t++ {
		steps, trained = append(steps, low[t]), append(trained, false)
	}
	kept = len(steps) - branch
	steps, trained = append(steps, revision), append(trained, true)
	for t := branch; t < len(high); t++ {
		steps, trained = append(steps, high[t]), append(trained, true)
	}
	return steps, trained, kept
}

// BranchPoint is the first index at which two paths differ.
func BranchPoint[S comparable](a, b []S) int {
	k := 0
	for k < len(a) && k < len(b) && a[k] == b[k] {
		k++
	}
	return k
}
