package run

// The search tree of the ReST-MCTS* and Agent-R plug-ins (run/rest_mcts.go,
// run/agent_r.go): one tree per problem whose nodes are prefixes of a
// solution's lines (the steps of task chain), grown by sampling whole
// completions from a node's prefix. The selection rule is the method's;
// this file holds the tree, the sampling from prefixes and the samples it
// gives the RL step.

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"

	"github.com/autodidact-rl/autodidact/episode"
	"github.com/autodidact-rl/autodidact/lm"
	"github.com/autodidact-rl/autodidact/task"
)

// treeNode is a prefix of lines: its last line's tokens, its place in the
// tree and the finished traces through it.
type treeNode struct {
	parent   int
	key      string  // the step's token ids, as a map key
	ids      []int32 // the step's tokens
	children []int
	visits   float64 // finished traces through the node
	reward   float64 // their summed reward
	pending  float64 // expansions chosen this round below or at the node (virtual visits)
	opened   int     // expansions chosen this round at the node
	terminal bool    // a trace ended here
	correct  bool    // terminal, and that trace is right
	done     bool    // terminal, or every child done: nothing left to expand below
	// a trace through the node: its sample and the position (into the
	// sample's ids) of the step's last token, where values are read
	sample, at int
}

// lineTree is one problem's search tree; node 0 is the root (the prompt).
type lineTree struct {
	prob   task.Problem
	prompt []int32
	nodes  []treeNode
	traces []treeTrace
}

// treeTrace is one finished completion: the sample (index into the
// search's samples), the path's nodes (root excluded), from the index into
// path of its first generated step, and the trained-token range of each
// generated step (spans[k] for path[from+k]).
type treeTrace struct {
	sample int
	path   []int
	from   int
	spans  [][2]int
}

func newLineTree(p task.Problem, prompt []int32) *lineTree {
	return &lineTree{prob: p, prompt: prompt, nodes: []treeNode{{parent: -1, sample: -1, at: len(prompt) - 1}}}
}

// path lists the nodes from the root's child down to n.
func (t *lineTree) path(n int) []int {
	var out []int
	for ; n > 0; n = t.nodes[n].parent {
		out = append(out, n)
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}

// prefixIDs is the tokens of the steps from the root to n.
func (t *lineTree) prefixIDs(n int) []int32 {
	var out []int32
	for _, k := range t.path(n) {
		out = append(out, t.nodes[k].ids...)
	}
	return out
}

// splitSteps cuts generated tokens into lines: after every token whose
// text holds a newline; the remainder (an end token included) is the last.
func splitSteps(ids []int32, decode func([]int32) string) [][2]int {
	var out [][2]int
	lo := 0
	for t, id := range ids {
		if strings.Contains(decode([]int32{id}), "\n") || t == len(ids)-1 {
			out = append(out, [2]int{lo, t + 1})
			lo = t + 1
		}
	}
	return out
}

// insert adds a finished completion sampled from node `from`: gen are the
// generated tokens, starting at position off of sample si's ids.
func (t *lineTree) insert(from, si, off int, gen []int32, reward float64, correct bool, decode func([]int32) string) {
	cur := from
	tr := treeTrace{sample: si, path: t.path(from)}
	tr.from = len(tr.path)
	for _, sp := range splitSteps(gen, decode) {
		ids := gen[sp[0]:sp[1]]
		key := fmt.Sprint(ids)
		next := -1
		for _, c := range t.nodes[cur].children {
			if t.nodes[c].key == key {
				next = c
				break
			}
		}
		if next < 0 {
			next = len(t.nodes)
			t.nodes = append(t.nodes, treeNode{parent: cur, key: key, ids: ids, sample: si, at: off + sp[1] - 1})
			t.nodes[cur].children = append(t.nodes[cur].children, next)
		}
		tr.path, tr.spans = append(tr.path, next), append(tr.spans, sp)
		cur = next
	}
	if cur != from || len(gen) == 0 {
		t.nodes[cur].terminal, t.nodes[cur].done = true, true
		t.nodes[cur].correct = t.nodes[cur].correct || correct
	}
	for n := cur; n >= 0; n = t.nodes[n].parent {
		t.nodes[n].visits++
		t.nodes[n].reward += reward
	}
	t.traces = append(t.traces, tr)
}

// selectNode descends from the root to the node to expand: a node with
// fewer than branch children (those chosen this round counted) is
// expanded; otherwise the child with the best score among those not done.
// A node whose children are all done is done; when the root is, the root
// is expanded again. The chosen node's path gets a virtual visit.
func (t *lineTree) selectNode(branch int, score func(n, parent int) float64) int {
	u := 0
	for {
		n := &t.nodes[u]
		if len(n.children)+n.opened < branch && !n.terminal {
			break
		}
		best, bestScore := -1, math.Inf(-1)
		for _, c := range n.children {
			if t.nodes[c].done {
				continue
			}
			if s := score(c, u); best < 0 || s > bestScore {
				best, bestScore = c, s
			}
		}
		if best < 0 {
			if u == 0 {
				break
			}
			n.done = true
			u = 0
			continue
		}
		u = best
	}
	t.nodes[u].opened++
	for n := u; n >= 0; n = t.nodes[n].parent {
		t.nodes[n].pending++
	}
	return u
}

// endRound clears the virtual visits of a round.
func (t *lineTree) endRound() {
	for i := range t.nodes {
		t.nodes[i].pending, t.nodes[i].opened = 0, 0
	}
}

// kinds gives each node's leaf kind for rl.ReSTTargets and the parents.
func (t *lineTree) kinds() (parent, kind []int) {
	parent, kind = make([]int, len(t.nodes)), make([]int, len(t.nodes))
	for i, n := range t.nodes {
		parent[i] = n.parent
		switch {
		case n.terminal && n.correct:
			kind[i] = 1
		case n.terminal:
			kind[i] = -1
		}
	}
	return parent, kind
}

// treeSearch is the trees of one RL step's problems (one per problem) and
// the completions sampled into them; the method chooses where to expand.
type treeSearch struct {
	ru      *runner
	trees   []*lineTree
	samples []sample
	owner   []int // the tree of each sample
}

func (ru *runner) newTreeSearch(ps []task.Problem) (*treeSearch, error) {
	s := &treeSearch{ru: ru}
	for _, p := range ps {
		prompt, err := ru.encodePrompt(p)
		if err != nil {
			return nil, err
		}
		s.trees = append(s.trees, newLineTree(p, prompt))
	}
	return s, nil
}

// rootRound expands every root n times.
func (s *treeSearch) rootRound(n, base int, rng *rand.Rand) error {
	var at [][2]int
	for ti := range s.trees {
		for range n {
			at = append(at, [2]int{ti, 0})
		}
	}
	return s.expand(at, base, rng)
}

// round picks k nodes of every tree with selectNode and the score, then
// expands them.
func (s *treeSearch) round(k, branch, base int, score func(t *lineTree, n, parent int) float64, rng *rand.Rand) error {
	var at [][2]int
	for ti, t := range s.trees {
		for range k {
			at = append(at, [2]int{ti, t.selectNode(branch, func(n, p int) float64 { return score(t, n, p) })})
		}
		t.endRound()
	}
	return s.expand(at, base, rng)
}

// roundSizes splits the expansions after the root round over the rounds.
func roundSizes(total, rounds int) []int {
	var out []int
	for r := 0; r < rounds && total > 0; r++ {
		k := total / (rounds - r)
		if k > 0 {
			out = append(out, k)
		}
		total -= k
	}
	return out
}

// expand samples one completion from each (tree, node) pair, at the RL
// temperature, each within rl.max_new_tokens generated tokens in all (the
// prefix counts) and the model's positions, and inserts them.
func (s *treeSearch) expand(at [][2]int, base int, rng *rand.Rand) error {
	ru := s.ru
	c := ru.r.RL
	ctxs := make([][]int32, len(at))
	budget := make([]int, len(at))
	prefixes := make([][]int32, len(at))
	for j, tn := range at {
		t := s.trees[tn[0]]
		prefixes[j] = t.prefixIDs(tn[1])
		ctxs[j] = append(append([]int32{}, t.prompt...), prefixes[j]...)
		budget[j] = min(c.MaxNewTokens-len(prefixes[j]), ru.r.Model.MaxLen-len(ctxs[j]))
	}
	jobs, err := ru.sampleFrom(ctxs, budget, c.Temperature, nil, rng)
	if err != nil {
		return err
	}
	for j, tn := range at {
		t := s.trees[tn[0]]
		job := jobs[j]
		var gen []int32
		var lp []float32
		stopped := false
		if job != nil {
			gen, lp, stopped = job.Tokens, job.LogProbs, job.Stopped
		}
		text := ru.completionText(append(append([]int32{}, prefixes[j]...), gen...))
		rw := ru.task.Grade(t.prob, text)
		x := treeSample(ru, t, prefixes[j], gen, lp, stopped, rw, base+tn[0])
		si := len(s.samples)
		s.samples = append(s.samples, x)
		s.owner = append(s.owner, tn[0])
		t.insert(tn[1], si, len(ctxs[j]), gen, rw.Reward, rw.Correct, ru.tok.Decode)
	}
	return nil
}

// treeSample is the RL sample of a completion sampled from a prefix: the
// prompt, the prefix (not trained: its tokens are trained in the trace
// that generated them) and the generated tokens.
func treeSample(ru *runner, t *lineTree, prefix, gen []int32, lp []float32, stopped bool, rw task.Reward, prob int) sample {
	ep := &episode.Episode{Problem: t.prob, Reward: rw.Reward, Correct: rw.Correct, Done: true}
	ep.Segments = append(ep.Segments, episode.Segment{Role: episode.RolePrompt, Text: t.prob.Prompt, IDs: t.prompt})
	if len(prefix) > 0 {
		ep.Segments = append(ep.Segments, episode.Segment{Role: "prefix", Source: "tree", Text: ru.tok.Decode(prefix), IDs: prefix})
	}
	ep.Segments = append(ep.Segments, episode.Segment{Role: episode.RolePolicy, Text: ru.completionText(gen), IDs: gen,
		Trainable: true, LogProbs: lp, Stopped: stopped})
	pos, oldLp := ep.Trainable()
	return sample{ep: ep, prob: prob, ids: ep.IDs(), pos: pos, gen: ep.Generated(), oldLogp: oldLp, stopped: stopped,
		reward: rw.Reward, correct: rw.Correct}
}

// ordered returns the samples grouped by tree, in problem order (each
// tree's in the order they were sampled), and the map from the new order
// to the old indices.
func (s *treeSearch) ordered() ([]sample, []int) {
	var out []sample
	var idx []int
	for ti := range s.trees {
		for i, o := range s.owner {
			if o == ti {
				out, idx = append(out, s.samples[i]), append(idx, i)
			}
		}
	}
	return out, idx
}

// sampleFrom continues each context with the policy by at most budget[i]
// tokens (no job, nil, when the budget is not positive), stopping at the
// end token or one of stop; temperature 0 is greedy.
func (ru *runner) sampleFrom(ctxs [][]int32, budget []int, temp float32, stop []int32, rng *rand.Rand) ([]*lm.Job, error) {
	jobs := make([]*lm.Job, len(ctxs))
	maxLen, n := 0, 0
	for i, ctx := range ctxs {
		if budget[i] > 0 {
			maxLen = max(maxLen, len(ctx)+budget[i])
			n++
		}
	}
	if n == 0 {
		return jobs, nil
	}
	eng, err := ru.policy.NewEngine(min(n, max(1, ru.r.RL.Slots)), min(maxLen, ru.r.Model.MaxLen), lm.SampleOptions{Temperature: temp}, rng)
	if err != nil {
		return nil, err
	}
	defer eng.Release()
	for i, ctx := range ctxs {
		if budget[i] <= 0 {
			continue
		}
		jobs[i] = &lm.Job{Context: ctx, MaxNew: budget[i], Stop: append([]int32{ru.eos}, stop...), Tag: i}
		if err := eng.Submit(jobs[i]); err != nil {
			return nil, err
		}
	}
	for eng.Busy() {
		eng.Step()
	}
	return jobs, nil
}

// newlineID is the token of "\n" when it is one token (the character
// tokenizer's), else -1.
func (ru *runner) newlineID() int32 {
	ids, err := ru.tok.Encode("\n")
	if err != nil || len(ids) != 1 {
		return -1
	}
	return ids[0]
}
