package rl

import (
	"fmt"
	"strings"
)

// SALT (step-level advantages from a trajectory graph; card B2 of
// shared/cards/cards-B.md, no public code: the mechanism is the card's
// reconstruction): the G trajectories of one prompt are merged into a graph
// whose nodes are their steps, identical steps shared; each step gets the
// mean outcome advantage of the trajectories passing through it,
//
//	A_{i,k} = mean_{j ∈ g(i) : step(i,k) ∈ traj j} A_j
//
// with A_j the base estimator's trajectory advantage (the recipe's
// rl.adv_estimator: GRPO, Dr.GRPO, RLOO, ...), broadcast to every token of
// step k of trajectory i; the clipped loss is unchanged. A step every
// trajectory takes gets the group's mean advantage (0 for GRPO/RLOO); a
// step unique to one trajectory keeps A_i.
//
// Steps and their keys (CHOICEs, knobs): a step is one line of a policy
// turn (our tasks write one intermediate result per line, task chain's
// "7+3=10"; a turn's last line, up to and including its end token, is a
// step too); observations between turns enter the history but are not
// steps. Each step's text is normalised (Normalize: lower case, runs of
// white space as one space). MergeMode "prefix" keys a step on the whole
// history up to and including it (identical history ⇒ same node: a prefix
// tree); "state" keys it on the step and the HistoryWindow elements before
// it only, so different histories can merge into one node (a DAG). A node
// shared by fewer than MinSharedCount trajectories keeps each trajectory's
// own advantage (MinSharedCount ≤ 1: always merge; the card's default).
type SALT struct {
	MergeMode      string `yaml:"merge_mode"`       // prefix | state
	HistoryWindow  int    `yaml:"history_window"`   // state mode: elements before the step in its key
	MinSharedCount int    `yaml:"min_shared_count"` // merge only nodes shared by at least this many trajectories
	Normalize      bool   `yaml:"normalize"`        // lower case, white space collapsed
}

// Validate checks the knobs.
func (c SALT) Validate() error {
	if c.MergeMode != "prefix" && c.MergeMode != "state" {
		return fmt.Errorf("merge_mode %q: want prefix or state", c.MergeMode)
	}
	if c.HistoryWindow < 0 || c.MinSharedCount < 0 {
		return fmt.Errorf("history_window and min_shared_count must be >= 0")
	}
	return nil
}

// NormalizeStep lower-cases s and collapses its white space.
func NormalizeStep(s string) string { return strings.ToLower(strings.Join(strings.Fields(s), " ")) }

// Keys gives the node key of each step of a trajectory. hist is the
// trajectory's history elements in order (steps and observations); steps
// lists the indices into hist of its steps.
func (c SALT) Keys(hist []string, steps []int) []string {
	norm := make([]string, len(hist))
	for i, h := range hist {
		norm[i] = h
		if c.Normalize {
			norm[i] = NormalizeStep(h)
		}
	}
	keys := make([]string, len(steps))
	for k, at := range steps {
		lo := 0
		if c.MergeMode == "state" {
			lo = max(0, at-c.HistoryWindow)
		}
		keys[k] = strings.Join(norm[lo:at+1], "\x1e")
	}
	return keys
}

// StepAdvantages gives step k of trajectory i the mean of adv over the
// trajectories of i's group that contain a step with the same key (each
// trajectory counted once), or adv[i] when fewer than MinSharedCount do.
// shared[i][k] is the number of trajectories through that node.
func (c SALT) StepAdvantages(adv []float64, keys [][]string, groups [][]int) (step [][]float64, shared [][]int) {
	step, shared = make([][]float64, len(adv)), make([][]int, len(adv))
	for _, g := range groups {
		sum, cnt := map[string]float64{}, map[string]int{}
		for _, j := range g {
			seen := map[string]bool{}
			for _, k := range keys[j] {
				if !seen[k] {
					seen[k] = true
					sum[k] += adv[j]
					cnt[k]++
				}
			}
		}
		for _, i := range g {
			step[i], shared[i] = make([]float64, len(keys[i])), make([]int, len(keys[i]))
			for s, k := range keys[i] {
				shared[i][s] = cnt[k]
				step[i][s] = adv[i]
				if cnt[k] >= c.MinSharedCount {
					step[i][s] = sum[k] / float64(cnt[k])
				}
			}
		}
	}
	return step, shared
}
