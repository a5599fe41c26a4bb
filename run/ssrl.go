package run

// SSRL plug-in (card C6; reward, mask and CHOICEs in rl/ssrl.go): on the
// retrieval environment, every training episode is a self-search episode
// (rolloutSource): the recipe's environment with self_search on, one
// policy turn that does not stop at the query's closing tag, so the policy
// writes `<s>f 17</s><result>f 17=42</result>#### 42` itself, the
// "retrieved" fact from what pretraining put in its weights. After the
// rollout (episodeRewriter) each self-written `<result>…</result>` span
// leaves the loss: the turn is cut there into policy and tool segments
// (mask_information). The reward (sampleShaper) is 0.9·EM + 0.1·F with F
// the format score over the whole response. Evaluation runs the recipe's
// environment, with the real BM25 search filling the result blocks
// (sim2real, no further training), and also reports the same policy in
// self-search episodes (evalVoter): ssrl_self_pass@1 and, of the result
// blocks it wrote, the share that are true documents of the problem's
// corpus (ssrl_self_results_true) and that hold the gold fact
// (ssrl_self_results_gold). Info per training episode (means in the
// step's metrics): ssrl_format (F), ssrl_masked_tokens, ssrl_unmasked
// (spans with no token boundary, left in the loss), and the environment's
// self_searches, self_results, self_results_true, self_results_gold.
// Environment calls per training episode: 0.

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"strings"

	"github.com/autodidact-rl/autodidact/episode"
	"github.com/autodidact-rl/autodidact/rl"
	"github.com/autodidact-rl/autodidact/task"
)

func init() {
	registerMethod("ssrl", "SSRL: self-search rollouts (the policy writes its own search results, masked from the loss), reward 0.9·EM + 0.1·format; evaluated with the real search",
		ssrlConfig{SSRL: rl.SSRL{EMWeight: 0.9, FormatWeight: 0.1, HalfPerThink: 0.5, MaxThink: 8, MaskInformation: true, MaskMultiline: true},
			MaxNewTokens: 96},
		func(c *ssrlConfig, r *Recipe) (method, error) {
			if err := c.Validate(); err != nil {
				return nil, err
			}
			if c.MaxNewTokens < 1 {
				return nil, fmt.Errorf("ssrl: max_new_tokens >= 1")
			}
			if r.Env.Name != "retrieval" {
				return nil, fmt.Errorf("needs env retrieval (its self_search episodes), not %q", r.Env.Name)
			}
			if r.Judge.Name == "model" {
				return nil, fmt.Errorf("its reward is EM and format: needs judge verifier, not a model judge")
			}
			if v, ok := r.Env.Params["judge"].(bool); !ok || v {
				return nil, fmt.Errorf("needs env params judge: false (a judge tag is outside the format's tags)")
			}
			if v, _ := r.Env.Params["self_search"].(bool); v {
				return nil, fmt.Errorf("the recipe's environment is the evaluation's real search: leave env params self_search false")
			}
			tag, _ := r.Env.Params["tag"].(string)
			if tag == "" {
				tag = episode.SearchTool
			}
			return &ssrl{c: *c, tag: tag}, nil
		}, "ssrl.max_new_tokens=48")
}

// ssrlConfig is the recipe section: the algebra's knobs and the
// self-search turn's token budget (the whole trajectory is one turn).
type ssrlConfig struct {
	rl.SSRL      `yaml:",inline"`
	MaxNewTokens int `yaml:"max_new_tokens" json:"max_new_tokens"`
}

type ssrl struct {
	c       ssrlConfig
	tag     string
	selfEnv episode.Factory
}

func (*ssrl) name() string { return "ssrl" }

// env is the recipe's environment with self_search on.
func (s *ssrl) env(ru *runner) (episode.Factory, error) {
	if s.selfEnv != nil {
		return s.selfEnv, nil
	}
	o := ru.r.Env
	o.Params = maps.Clone(o.Params)
	o.Params["self_search"] = true
	f, err := episode.New(o, episode.Deps{Task: ru.task, Template: ru.r.Task.Template, Codec: ru.tok, BOS: ru.bos, PromptIDs: ru.promptIDs})
	if err != nil {
		return nil, fmt.Errorf("ssrl: the self-search environment: %w", err)
	}
	s.selfEnv = f
	return f, nil
}

func (s *ssrl) rollout(ru *runner, ps []task.Problem, base int, rng *rand.Rand) (batch, extra []sample, err error) {
	env, err := s.env(ru)
	if err != nil {
		return nil, nil, err
	}
	c := ru.r.RL
	eps, err := ru.playPolicyIn(env, ps, c.GroupSize, c.Temperature, s.c.MaxNewTokens, c.Slots, rng)
	if err != nil {
		return nil, nil, err
	}
	return samplesOf(eps, base, c.GroupSize), nil, nil
}

// rewriteEpisodes cuts each policy turn at its self-written result spans,
// which become untrained tool segments.
func (s *ssrl) rewriteEpisodes(ru *runner, step int, xs []sample) error {
	for i := range xs {
		e := xs[i].ep
		if e.Info == nil {
			e.Info = map[string]float64{}
		}
		e.Info["ssrl_masked_tokens"], e.Info["ssrl_unmasked"] = 0, 0
		if !s.c.MaskInformation {
			continue
		}
		var out []episode.Segment
		changed := false
		for _, seg := range e.Segments {
			if !seg.Trainable || seg.Role != episode.RolePolicy {
				out = append(out, seg)
				continue
			}
			pieces, masked, unmasked := s.split(ru.tok.Decode, seg)
			out = append(out, pieces...)
			e.Info["ssrl_masked_tokens"] += float64(masked)
			e.Info["ssrl_unmasked"] += float64(unmasked)
			changed = changed || len(pieces) > 1
		}
		if changed {
			e.Segments = out
			xs[i].layout()
		}
	}
	return nil
}

// split cuts a policy segment at its result spans: policy pieces keep
// their ids and sampling log-probs, span pieces are tool segments. A span
// whose ends fall inside a token stays in the policy piece (unmasked).
func (s *ssrl) split(decode func([]int32) string, seg episode.Segment) (pieces []episode.Segment, masked, unmasked int) {
	piece := func(a, b int, trainable bool, text string) episode.Segment {
		p := episode.Segment{Role: episode.RolePolicy, Text: text, IDs: seg.IDs[a:b:b], Trainable: trainable}
		if !trainable {
			p.Role, p.Source = episode.RoleTool, s.tag
		} else if len(seg.LogProbs) == len(seg.IDs) {
			p.LogProbs = seg.LogProbs[a:b:b]
		}
		return p
	}
	atText, atID := 0, 0 // the start of the piece not yet emitted
	for _, sp := range s.c.InfoSpans(seg.Text, "result") {
		a, okA := cut(decode, seg, sp[0])
		b, okB := cut(decode, seg, sp[1])
		if !okA || !okB || a < atID {
			unmasked++
			continue
		}
		if a > atID {
			pieces = append(pieces, piece(atID, a, true, seg.Text[atText:sp[0]]))
		}
		pieces = append(pieces, piece(a, b, false, seg.Text[sp[0]:sp[1]]))
		masked += b - a
		atText, atID = sp[1], b
	}
	if len(pieces) == 0 {
		return []episode.Segment{seg}, 0, unmasked
	}
	if atID == len(seg.IDs) { // the turn ended on a result (its budget): nothing after it
		return pieces, masked, unmasked
	}
	last := piece(atID, len(seg.IDs), true, seg.Text[atText:])
	last.Stopped, last.Reward = seg.Stopped, seg.Reward
	return append(pieces, last), masked, unmasked
}

// responseText is the episode's text after the prompt (policy turns and
// the self-written results), the text F scores.
func responseText(e *episode.Episode) string {
	var b strings.Builder
	for _, seg := range e.Segments {
		if seg.Role != episode.RolePrompt {
			b.WriteString(seg.Text)
		}
	}
	return b.String()
}

func (s *ssrl) tags(ru *runner) rl.SSRLTags {
	prefix := ru.r.Task.Template.AnswerPrefix
	if prefix == "" {
		prefix = task.DefaultTemplate.AnswerPrefix
	}
	return rl.SSRLTags{Search: s.tag, Info: "result", AnswerPrefix: prefix}
}

func (s *ssrl) shapeReward(ru *runner, x *sample) {
	f := s.c.Format(responseText(x.ep), s.tags(ru))
	x.reward = s.c.Reward(x.correct, f)
	if x.ep.Info == nil {
		x.ep.Info = map[string]float64{}
	}
	x.ep.Info["ssrl_format"] = f
}

// voteFigures evaluates the policy in self-search episodes on the
// evaluation's problems (its samples and temperature, a fixed stream).
func (s *ssrl) voteFigures(ru *runner, ps []task.Problem, _ [][]*episode.Episode) map[string]float64 {
	env, err := s.env(ru)
	if err != nil {
		ru.logf("ssrl: %v\n", err)
		return nil
	}
	c := ru.r.Eval
	rng := rand.New(rand.NewPCG(ru.r.Seed, 0x7373726c))
	eps, err := ru.playPolicyIn(env, ps, c.Samples, c.Temperature, s.c.MaxNewTokens, len(ps)*c.Samples, rng)
	if err != nil {
		ru.logf("ssrl: self-search evaluation: %v\n", err)
		return nil
	}
	var correct, blocks, truth, gold, format float64
	for _, e := range eps {
		if e.Correct {
			correct++
		}
		blocks += e.Info["self_results"]
		truth += e.Info["self_results_true"]
		gold += e.Info["self_results_gold"]
		format += s.c.Format(responseText(e), s.tags(ru))
	}
	n := float64(max(len(eps), 1))
	return map[string]float64{"ssrl_self_pass@1": correct / n, "ssrl_self_results": blocks / n,
		"ssrl_self_results_true": truth / max(blocks, 1), "ssrl_self_results_gold": gold / max(blocks, 1),
		"ssrl_self_format": format / n}
}
