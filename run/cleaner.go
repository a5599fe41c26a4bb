package run

// CLEANER plug-in (card C3; algebra, splice rule and CHOICEs in
// rl/cleaner.go): in a tool environment (env tool or retrieval), every
// episode is purified after the rollout and before grading
// (episodeRewriter): a policy turn whose call was answered by an error
// (an observation starting with failure_marker) and that the next turn
// retried with a call is rolled back — the failed attempt and its error
// leave the trajectory and the retry takes the failed turn's place,
// whole (similarity < γ) or as its call only after the old turn's
// reasoning (similarity >= γ). The outcome (reward, correctness) is the
// episode's; only the trained tokens change. With rescore the purified
// episodes' sampling log-probs are recomputed on the stored sequence (the
// code's old_log_prob), so the clipped ratio starts at 1 on spliced
// tokens. Info per episode (means in the step's metrics):
// cleaner_rollbacks, cleaner_deep, cleaner_removed_tokens.
//
// CHOICE (our form of the rollout, see rl/cleaner.go): the environment's
// own next turn after an error is the regeneration; the paper regenerates
// inside the rollout so later turns see the purified context. Evaluation
// runs without rollback (the episodes are unchanged by it).

import (
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"strings"

	"github.com/autodidact-rl/autodidact/episode"
	"github.com/autodidact-rl/autodidact/lm"
	"github.com/autodidact-rl/autodidact/rl"
	"github.com/autodidact-rl/autodidact/tool"
)

func init() {
	registerMethod("cleaner", "CLEANER: failed tool calls that a retry fixed are rolled back from the trained trajectory (similarity-aware splice)",
		rl.CLEANER{RollbackProb: 1, MaxRetries: 3, SimilarityThreshold: 0.5, SimilarityScope: "call_only", MaxTotalAttempts: 30,
			FailureMarker: "<error>", Rescore: true},
		func(c *rl.CLEANER, r *Recipe) (method, error) {
			if err := c.Validate(); err != nil {
				return nil, err
			}
			if r.Env.Name != "tool" && r.Env.Name != "retrieval" {
				return nil, fmt.Errorf("needs a tool environment (env tool or retrieval), not %q", r.Env.Name)
			}
			return &cleaner{c: *c}, nil
		})
}

type cleaner struct{ c rl.CLEANER }

func (*cleaner) name() string { return "cleaner" }

// toolTurns reads an episode as CLEANER's turns: the indices of its
// policy segments, each one's observation segment (-1: none) and its
// ToolTurn; ok is false when the episode has segments other than the
// prompt, policy turns and tool observations after its first turn.
func (cl *cleaner) toolTurns(e *episode.Episode) (segs, obs []int, turns []rl.ToolTurn, ok bool) {
	for i, s := range e.Segments {
		switch {
		case s.Trainable && s.Role == episode.RolePolicy:
			segs = append(segs, i)
			obs = append(obs, -1)
			turns = append(turns, rl.ToolTurn{Text: s.Text, CallStart: -1})
		case s.Role == episode.RoleTool && len(segs) > 0 && obs[len(obs)-1] < 0:
			k := len(segs) - 1
			obs[k] = i
			if c, found := tool.FindLastCall(turns[k].Text, []string{s.Source}); found {
				turns[k].CallStart, turns[k].Input = c.Start, c.Input
				turns[k].Failed = strings.HasPrefix(strings.TrimSpace(s.Text), cl.c.FailureMarker)
			}
		case len(segs) > 0:
			return nil, nil, nil, false
		}
	}
	return segs, obs, turns, true
}

// cut returns the number of a segment's leading ids whose text is
// exactly the first n bytes of its text; ok is false when no token
// boundary falls there (a tokenizer merging across the call's tag).
func cut(decode func([]int32) string, s episode.Segment, n int) (int, bool) {
	for j := 0; j <= len(s.IDs); j++ {
		if l := len(decode(s.IDs[:j])); l == n {
			return j, true
		} else if l > n {
			break
		}
	}
	return 0, false
}

// splice makes the purified turn: kept.Prefix's reasoning and
// kept.From's call (or kept.From whole).
func (cl *cleaner) splice(decode func([]int32) string, e *episode.Episode, segs []int, turns []rl.ToolTurn, k rl.KeptTurn) episode.Segment {
	from := e.Segments[segs[k.From]]
	if k.Prefix == k.From {
		return from
	}
	pre := e.Segments[segs[k.Prefix]]
	a, okA := cut(decode, pre, turns[k.Prefix].CallStart)
	b, okB := cut(decode, from, turns[k.From].CallStart)
	if !okA || !okB {
		return from // no clean token boundary: the whole new turn
	}
	out := from
	out.IDs = append(append([]int32{}, pre.IDs[:a]...), from.IDs[b:]...)
	out.Text = turns[k.Prefix].Text[:turns[k.Prefix].CallStart] + turns[k.From].Text[turns[k.From].CallStart:]
	if len(pre.LogProbs) == len(pre.IDs) && len(from.LogProbs) == len(from.IDs) {
		out.LogProbs = append(append([]float32{}, pre.LogProbs[:a]...), from.LogProbs[b:]...)
	} else {
		out.LogProbs = nil
	}
	return out
}

func (cl *cleaner) rewriteEpisodes(ru *runner, step int, xs []sample) error {
	var changed []int
	for i := range xs {
		e := xs[i].ep
		if e.Info == nil {
			e.Info = map[string]float64{}
		}
		e.Info["cleaner_rollbacks"], e.Info["cleaner_deep"], e.Info["cleaner_removed_tokens"] = 0, 0, 0
		segs, obs, turns, ok := cl.toolTurns(e)
		if !ok || len(turns) < 2 {
			continue
		}
		enabled := true
		if cl.c.RollbackProb < 1 {
			h := fnv.New64a()
			h.Write([]byte(e.Problem.Question))
			r := rand.New(rand.NewPCG(ru.r.Seed*1_000_003+uint64(step), h.Sum64()^uint64(i)))
			enabled = r.Float64() < cl.c.RollbackProb
		}
		kept, st := cl.c.Purify(turns, enabled)
		if st.Rollbacks == 0 {
			continue
		}
		before := len(e.IDs())
		out := append([]episode.Segment{}, e.Segments[:segs[0]]...)
		for _, k := range kept {
			out = append(out, cl.splice(ru.tok.Decode, e, segs, turns, k))
			if o := obs[k.From]; o >= 0 {
				out = append(out, e.Segments[o])
			}
		}
		e.Segments = out
		e.Info["cleaner_rollbacks"], e.Info["cleaner_deep"] = float64(st.Rollbacks), float64(st.Deep)
		e.Info["cleaner_removed_tokens"] = float64(before - len(e.IDs()))
		xs[i].layout()
		changed = append(changed, i)
	}
	if cl.c.Rescore && len(changed) > 0 {
		return cl.rescore(ru, xs, changed)
	}
	for _, i := range changed {
		if len(xs[i].oldLogp) != len(xs[i].pos) {
			return fmt.Errorf("cleaner: episode %d lost its sampling log-probs in a splice (set rescore true)", i)
		}
	}
	return nil
}

// rescore recomputes the sampling log-probs of the changed samples on
// their purified sequences, with the policy that sampled them.
func (cl *cleaner) rescore(ru *runner, xs []sample, changed []int) error {
	T := 0
	for _, i := range changed {
		T = max(T, len(xs[i].ids))
	}
	b := &lm.Batch{Rows: len(changed), Len: T, Tokens: make([]int32, len(changed)*T), Mask: make([]float32, len(changed)*T),
		Temperature: ru.r.RL.Temperature}
	for r, i := range changed {
		copy(b.Tokens[r*T:], xs[i].ids)
		for _, p := range xs[i].pos {
			b.Mask[r*T+p] = 1
		}
	}
	sc, err := ru.policy.Score(b)
	if err != nil {
		return fmt.Errorf("cleaner: rescoring purified episodes: %w", err)
	}
	for r, i := range changed {
		e := xs[i].ep
		at := 0
		for si := range e.Segments {
			s := &e.Segments[si]
			if s.Trainable {
				s.LogProbs = make([]float32, len(s.IDs))
				for t := range s.IDs {
					s.LogProbs[t] = sc.LogProbs[r*T+at+t]
				}
			}
			at += len(s.IDs)
		}
		xs[i].layout()
	}
	return nil
}
