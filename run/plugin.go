package run

// Methods are plug-ins of the RL loop. Each registers under its name, in a
// file named after it (run/siren.go, run/self.go, ...; the method's algebra
// is in rl/<method>.go with the paper's equations), the recipe section it
// owns (`siren: {coef: 0.01, ...}`: a recipe turns a method on by having
// its section) and the hooks it needs, by implementing any of the hook
// interfaces below. The RL step calls hooks; it names no method.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/autodidact-rl/autodidact/episode"
	"github.com/autodidact-rl/autodidact/lm"
	"github.com/autodidact-rl/autodidact/task"
)

// method is a plug-in built from its recipe section for one run.
type method interface {
	name() string
}

// The hooks, in the order the RL step calls them.
type (
	// setupHook runs once when a run starts, after the tokenizer and task
	// exist (LaSeR resolves its reserved token).
	setupHook interface {
		setup(ru *runner) error
	}
	// initHook runs once when the RL stage starts, before the reference
	// model is saved and the base evaluation (InT's SFT on the model's own
	// repaired failures); the RL stage then starts from the model it
	// leaves. It may write metrics lines of its own.
	initHook interface {
		beforeRL(ru *runner) error
	}
	// problemSource picks the step's problems (SELF's curation).
	problemSource interface {
		problems(ru *runner, step, n int) ([]task.Problem, error)
	}
	// episodeRewriter rewrites a step's episodes after the rollout and
	// before grading (CLEANER's purified trajectories): it edits x.ep's
	// segments and calls x.layout() so the sample trains on the rewritten
	// tokens; rewards and correctness stay the rollout's.
	episodeRewriter interface {
		rewriteEpisodes(ru *runner, step int, xs []sample) error
	}
	// rolloutSource replaces a step's sampling of group_size independent
	// episodes per problem (the tree searches of ReST-MCTS* and Agent-R).
	// batch holds group_size episodes per problem, in problem order (the
	// step's metrics and group filters see them); extra holds samples that
	// are trained but are not the step's episodes (Agent-R's spliced
	// revision trajectories). A method with a rolloutSource sets every
	// kept sample's advantages in its advantageHook.
	rolloutSource interface {
		rollout(ru *runner, ps []task.Problem, base int, rng *rand.Rand) (batch, extra []sample, err error)
	}
	// groupFilter resamples groups that teach nothing (DAPO's dynamic
	// sampling): rounds bounds the generation rounds of a step, keepGroup
	// says whether a group's rewards are kept.
	groupFilter interface {
		rounds() int
		keepGroup(rewards []float64) bool
	}
	// sampleShaper adjusts a sample's reward right after grading (DAPO's
	// overlong penalty).
	sampleShaper interface {
		shapeReward(ru *runner, x *sample)
	}
	// rewardHook changes the kept samples' rewards before advantages (SAR,
	// GRPO-λ); it may record metrics in m.
	rewardHook interface {
		beforeAdvantages(ru *runner, xs []sample, m map[string]any) error
	}
	// advantageHook rewrites the advantages the estimator gave, before the
	// updates: a.tok per trained token (and a.seq, for the log), and may
	// set a.refLogp when it needs reference log-probs that the loop's KL
	// did not compute (SCoRe's per-attempt credit and per-attempt KL, SALT's
	// step-level advantages). Several run in method-name order, each on
	// what the previous left.
	advantageHook interface {
		afterAdvantages(ru *runner, xs []sample, a *advantage, m map[string]any) error
	}
	// trainMasker drops a sample's tokens from the policy loss (DAPO's
	// overlong filtering).
	trainMasker interface {
		masked(x *sample) bool
	}
	// batchExtender appends one token after each episode in training and
	// scoring batches (LaSeR's reserved token), scored but not trained by
	// the policy loss.
	batchExtender interface {
		extraToken() int32
	}
	// updateHook prepares what the mini-batch terms need, before the first
	// update of a step (Lp-Reg's proxies, LaSeR's calibration).
	updateHook interface {
		beforeUpdate(ru *runner, xs []sample, a *advantage, mbSize int, m map[string]any) error
	}
	// lossReplacer replaces the token-level clipped surrogate with its own
	// objective over the mini-batch (DRPO), adding d loss / d log-prob to
	// mb.dlp and returning the loss.
	lossReplacer interface {
		miniBatchLoss(ru *runner, mb *miniBatch) float64
	}
	// miniBatchTerm adds a term to a scored mini-batch's gradients, as
	// d loss / d log-prob (mb.dlp) or d loss / d logits (the model's
	// LogitGrad) (SIREN, LaSeR, Lp-Reg).
	miniBatchTerm interface {
		miniBatchTerm(ru *runner, mb *miniBatch) error
	}
	// updateReporter writes the method's metrics of a step's updates.
	updateReporter interface {
		reportUpdate(m map[string]any, updates int)
	}
	// reranker scores evaluation samples; the evaluation reports, under
	// rerankKey, the accuracy of picking each problem's best-scored sample
	// (LaSeR's best-of-n).
	reranker interface {
		rerankKey() string
		rerankScores(ru *runner, prompts, comps [][]int32) ([]float64, error)
	}
	// evalVoter computes figures from each held-out problem's sampled
	// episodes, reported as evaluation extras (GRM's voting accuracy over
	// k judgements).
	evalVoter interface {
		voteFigures(ru *runner, ps []task.Problem, eps [][]*episode.Episode) map[string]float64
	}
	// stateful methods keep state across steps; it is saved in checkpoints
	// so a resumed run continues exactly.
	stateful interface {
		state() any
		restore(data json.RawMessage) error
	}
)

// miniBatch is one scored mini-batch of an update, as hooks see it.
type miniBatch struct {
	xs      []sample  // the mini-batch's samples
	lo      int       // index of xs[0] in the step's kept samples
	b       *lm.Batch // the laid-out batch
	starts  []int     // row offsets of each sample in b
	sc      *lm.Scores
	lengths []int     // trained tokens per sample
	w       []float64 // each sample's weight in the loss (the recipe's loss_agg_mode)
	dlp     []float32 // d loss / d log-prob, per batch position
	adv     *advantage
}

// methodSpec is a registered method: its recipe section's defaults, a
// constructor that validates the section, a one-line summary, and the
// overrides that shrink it for --smoke.
type methodSpec struct {
	summary  string
	defaults func() any // a pointer to the section struct with its defaults
	build    func(cfg any, r *Recipe) (method, error)
	smoke    []string
}

var methodSpecs = map[string]methodSpec{}

// registerMethod registers a method whose recipe section decodes into C.
func registerMethod[C any](name, summary string, defaults C, build func(c *C, r *Recipe) (method, error), smoke ...string) {
	methodSpecs[name] = methodSpec{summary: summary, smoke: smoke,
		defaults: func() any { c := defaults; return &c },
		build:    func(cfg any, r *Recipe) (method, error) { return build(cfg.(*C), r) }}
}

// MethodNames lists the registered methods.
func MethodNames() []string { return slices.Sorted(maps.Keys(methodSpecs)) }

// decodeSection decodes a method's section strictly over its defaults.
func decodeSection(name string, section any) (any, error) {
	spec := methodSpecs[name]
	cfg := spec.defaults()
	if section == nil {
		return cfg, nil
	}
	data, err := yaml.Marshal(section)
	if err != nil {
		return nil, err
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(cfg); err != nil && err.Error() != "EOF" {
		return nil, fmt.Errorf("recipe %s: %w", name, err)
	}
	return cfg, nil
}

// buildMethods makes the recipe's methods in name order.
func buildMethods(r *Recipe) ([]method, error) {
	var out []method
	for _, n := range r.methodNames() {
		m, err := methodSpecs[n].build(r.Methods[n], r)
		if err != nil {
			return nil, fmt.Errorf("recipe %s: %w", n, err)
		}
		out = append(out, m)
	}
	return out, nil
}

// methodNames lists the recipe's methods in name order.
func (r *Recipe) methodNames() []string { return slices.Sorted(maps.Keys(r.Methods)) }

// unknownSection is the error for a top-level recipe key that is neither
// a loop setting nor a method.
func unknownSection(key string) error {
	return fmt.Errorf("recipe: unknown section %q (methods: %s)", key, strings.Join(MethodNames(), ", "))
}

// hooks returns the runner's methods that implement hook interface H.
func hooks[H any](ru *runner) []H {
	var out []H
	for _, m := range ru.methods {
		if h, ok := m.(H); ok {
			out = append(out, h)
		}
	}
	return out
}
