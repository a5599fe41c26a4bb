package run

// Search Self-play plug-in (card B8; rewards, filter and CHOICEs in
// rl/search_self_play.go): on the retrieval environment over the lookup
// task's fixed table, each RL step (rolloutSource) first plays one
// proposer episode per step problem: the prompt "?A" with A the problem's
// answer, the whole table as the corpus, the real search; its answer line
// is the proposed question ("#### f(17)"). Each proposal is checked
// (validity, then the RAG check: task.ResolveLookup over the documents the
// proposer retrieved plus noisy_rag_docs documents of other proposers'
// trajectories, shuffled), accepted questions are posed to the solver
// (task Lookup.ProblemFor: a fresh corpus over the table) with group_size
// rollouts in the recipe's environment; a rejected one's place goes to a
// reused accepted question (a buffer of the last reuse_buffer, kept in
// checkpoints) or, with none yet, to the step's own problem. The solver's
// groups are the step's episodes (GRPO, the metrics); the proposer
// episodes are extra samples with the advantage r_prop on every token
// (advantageHook). Metrics per step: ssp_valid, ssp_accepted (shares of
// proposals), ssp_proposer_reward, ssp_solve_rate (mean over accepted
// questions), ssp_reused. Evaluation is the solver on the task's held-out
// questions.

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/autodidact-rl/autodidact/episode"
	"github.com/autodidact-rl/autodidact/rl"
	"github.com/autodidact-rl/autodidact/task"
	"github.com/autodidact-rl/autodidact/tool"
)

func init() {
	registerMethod("search_self_play", "Search Self-play: a proposer writes search questions for given answers, a solver answers them; proposer reward 1 - solve rate, questions checked by a RAG test",
		rl.SearchSelfPlay{ProposerReward: "1-acc", MinSearchCalls: 1, UseRAGFilter: true, NoisyDocs: 4, FormatPenalty: 0,
			Reuse: true, ReuseBuffer: 64},
		func(c *rl.SearchSelfPlay, r *Recipe) (method, error) {
			if err := c.Validate(); err != nil {
				return nil, err
			}
			if r.Env.Name != "retrieval" || r.Task.Name != "lookup" {
				return nil, fmt.Errorf("needs env retrieval over task lookup, not %q over %q", r.Env.Name, r.Task.Name)
			}
			if t, ok := r.Task.Params["table"].(int); !ok || t < 1 {
				return nil, fmt.Errorf("needs task lookup with a fixed table (task.params.table >= 1): questions are posed over it")
			}
			if r.Judge.Name == "model" {
				return nil, fmt.Errorf("needs judge verifier (the solver's reward is the answer's correctness)")
			}
			return &searchSelfPlay{c: *c, adv: map[*episode.Episode]float64{}}, nil
		})
}

type searchSelfPlay struct {
	c     rl.SearchSelfPlay
	st    sspState
	adv   map[*episode.Episode]float64 // this step's proposer episodes -> r_prop
	stats map[string]float64
}

// sspState is what a resumed run needs: the accepted questions to reuse.
type sspState struct {
	Accepted []string `json:"accepted"`
}

func (*searchSelfPlay) name() string { return "search_self_play" }

func (p *searchSelfPlay) state() any { return p.st }

func (p *searchSelfPlay) restore(data json.RawMessage) error { return json.Unmarshal(data, &p.st) }

// proposal is one proposer episode read: its question, queries and the
// documents its searches retrieved.
type proposal struct {
	question string
	queries  []string
	docs     []string
}

func readProposal(ru *runner, pp task.Problem, e *episode.Episode, tag string) proposal {
	var pr proposal
	pr.question = ru.task.Grade(pp, lastPolicyText(e)).Pred
	for i, s := range e.Segments {
		if s.Trainable && i+1 < len(e.Segments) && e.Segments[i+1].Role == episode.RoleTool {
			if c, ok := tool.FindLastCall(s.Text, []string{tag}); ok {
				pr.queries = append(pr.queries, c.Input)
			}
		}
	}
	for _, j := range episode.Judgements(e) {
		for _, d := range strings.Split(j.Info, ";") {
			if d = strings.TrimSpace(d); d != "" {
				pr.docs = append(pr.docs, d)
			}
		}
	}
	return pr
}

func (p *searchSelfPlay) rollout(ru *runner, ps []task.Problem, base int, rng *rand.Rand) (batch, extra []sample, err error) {
	lk, ok := ru.task.(*task.Lookup)
	if !ok {
		return nil, nil, fmt.Errorf("search_self_play: the task is %T, not lookup", ru.task)
	}
	tag, _ := ru.r.Env.Params["tag"].(string)
	if tag == "" {
		tag = episode.SearchTool
	}
	c := ru.r.RL
	props := make([]task.Problem, len(ps))
	for i, q := range ps {
		props[i] = lk.ProposerProblem(q.Answer)
		props[i].Prompt = ru.r.Task.Template.Render(props[i].Question)
	}
	peps, err := ru.playPolicy(props, 1, c.Temperature, c.MaxNewTokens, c.Slots, rng)
	if err != nil {
		return nil, nil, fmt.Errorf("search_self_play: proposer episodes: %w", err)
	}
	prs := make([]proposal, len(peps))
	for i, e := range peps {
		prs[i] = readProposal(ru, props[i], e, tag)
	}
	solver := make([]task.Problem, len(ps))
	accepted := make([]bool, len(ps))
	var valid, reused float64
	for i, pr := range prs {
		answer := ps[i].Answer
		ok := p.c.Valid(pr.question, answer, pr.queries, len(pr.docs))
		var sp task.Problem
		if ok {
			valid++
			if sp, err = lk.ProblemFor(pr.question, rng); err != nil {
				ok = false
			}
		}
		if ok && p.c.UseRAGFilter {
			docs := append([]string{}, pr.docs...)
			var noise []string
			for j, o := range prs {
				if j != i {
					noise = append(noise, o.docs...)
				}
			}
			for n := 0; n < p.c.NoisyDocs && len(noise) > 0; n++ {
				docs = append(docs, noise[rng.IntN(len(noise))])
			}
			rng.Shuffle(len(docs), func(a, b int) { docs[a], docs[b] = docs[b], docs[a] })
			got, found := task.ResolveLookup(pr.question, docs)
			ok = found && got == answer
		}
		if ok && sp.Answer != answer { // without the RAG filter: the question must still have the answer
			ok = false
		}
		accepted[i] = ok
		switch {
		case ok:
			solver[i] = sp
			p.st.Accepted = append(p.st.Accepted, pr.question)
			if len(p.st.Accepted) > p.c.ReuseBuffer {
				p.st.Accepted = p.st.Accepted[len(p.st.Accepted)-p.c.ReuseBuffer:]
			}
		case p.c.Reuse && len(p.st.Accepted) > 0:
			q := p.st.Accepted[rng.IntN(len(p.st.Accepted))]
			if solver[i], err = lk.ProblemFor(q, rng); err != nil {
				return nil, nil, fmt.Errorf("search_self_play: reusing %q: %w", q, err)
			}
			reused++
		default:
			solver[i] = ps[i]
		}
		if solver[i].Prompt == "" {
			solver[i].Prompt = ru.r.Task.Template.Render(solver[i].Question)
		}
	}
	batch, err = ru.rollout(solver, base, c.GroupSize, c.Temperature, c.MaxNewTokens, c.Slots, rng)
	if err != nil {
		return nil, nil, fmt.Errorf("search_self_play: solver episodes: %w", err)
	}
	clear(p.adv)
	var sumR, sumS, nAcc float64
	for i, e := range peps {
		var correct []bool
		for j := i * c.GroupSize; j < (i+1)*c.GroupSize; j++ {
			correct = append(correct, batch[j].ep.Correct)
		}
		s := rl.SolveRate(correct)
		r := p.c.Reward(accepted[i], s)
		if accepted[i] {
			sumS += s
			nAcc++
		}
		sumR += r
		p.adv[e] = r
		if e.Info == nil {
			e.Info = map[string]float64{}
		}
		e.Info["ssp_proposer_reward"] = r
		x := samplesOf([]*episode.Episode{e}, base+len(ps)+i, 1)[0]
		x.reward = r
		extra = append(extra, x)
	}
	n := float64(len(ps))
	p.stats = map[string]float64{"ssp_valid": valid / n, "ssp_accepted": nAcc / n, "ssp_proposer_reward": sumR / n,
		"ssp_reused": reused / n, "ssp_solve_rate": sumS / max(nAcc, 1)}
	return batch, extra, nil
}

// afterAdvantages gives every proposer token the advantage r_prop (a
// singleton group); the solver's groups keep the estimator's.
func (p *searchSelfPlay) afterAdvantages(ru *runner, xs []sample, a *advantage, m map[string]any) error {
	for i, x := range xs {
		r, ok := p.adv[x.ep]
		if !ok {
			continue
		}
		a.tok[i] = make([]float64, len(x.gen))
		for t := range a.tok[i] {
			a.tok[i][t] = r
		}
		a.seq[i] = r
	}
	for k, v := range p.stats {
		m[k] = v
	}
	return nil
}
