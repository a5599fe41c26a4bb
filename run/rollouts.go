package run

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"

	"github.com/autodidact-rl/autodidact/episode"
	"github.com/autodidact-rl/autodidact/lm"
	"github.com/autodidact-rl/autodidact/task"
)

// Rollouts generates the RL stage's episodes outside the learner (the
// cluster package's rollout workers). The learner calls Sample where it
// would sample itself; the reply's episodes then go through grading,
// advantages and the update as if sampled locally.
type Rollouts interface {
	Sample(req *RolloutRequest) (*RolloutReply, error)
}

// RolloutRequest is one rollout call of an RL step.
type RolloutRequest struct {
	Step      int            `json:"step"`       // RL step (0-based)
	Round     int            `json:"round"`      // generation round within the step (group filters)
	Problems  []task.Problem `json:"problems"`   // one per group
	GroupSize int            `json:"group_size"` // episodes per problem
	// RNG is the learner's sampling generator state (rand.PCG binary):
	// a worker that samples from it, with the weights of Version,
	// produces exactly the episodes the learner would have, and returns
	// the state after.
	RNG []byte `json:"rng"`
	// Version counts the policy updates behind the weights to sample
	// with; Policy holds them (for the Rollouts implementation to
	// publish; it is not sent).
	Version int       `json:"version"`
	Policy  *lm.Model `json:"-"`
	// Staleness is rl.staleness: with k > 0 a worker samples with the
	// newest weights it can get (at least Version-k), and Ahead holds
	// the problems of the next k steps, which workers may sample now.
	// Exact (a batch dropped as stale, sampled again) asks for Version.
	Staleness int     `json:"staleness,omitempty"`
	Exact     bool    `json:"exact,omitempty"`
	Ahead     []Ahead `json:"ahead,omitempty"`
}

// Ahead is a future step's rollout call, known in advance.
type Ahead struct {
	Step     int            `json:"step"`
	Problems []task.Problem `json:"problems"`
	RNG      []byte         `json:"rng"`
}

// RolloutReply is what a worker sends back.
type RolloutReply struct {
	Episodes []*episode.Episode `json:"episodes"` // in request order: GroupSize per problem
	RNG      []byte             `json:"rng"`      // the generator state after sampling
	Version  int                `json:"version"`  // the weights' version the episodes were sampled with
}

// errRolloutRoles refuses what rollout workers do not carry.
var errRolloutRoles = errors.New("rollout workers: recipes whose roles are played by other models or endpoints are not supported (the workers sample the policy only)")

// asyncRNG is the generator state of step s's sampling with rl.staleness
// > 0 (the learner's own generator cannot be threaded through sampling
// done ahead, so each step has its own).
func (ru *runner) asyncRNG(s int) []byte {
	b, _ := rand.NewPCG(ru.r.Seed, 0x6173796e63000000+uint64(s)).MarshalBinary()
	return b
}

// remoteRollout samples one rollout call through ru.opts.Rollouts and
// returns its episodes and the lag of the weights that sampled them.
func (ru *runner) remoteRollout(s, round int, ps []task.Problem, groupSize int, m map[string]any) ([]*episode.Episode, error) {
	if len(ru.r.Roles) > 0 {
		return nil, errRolloutRoles
	}
	if k := ru.r.RL.Staleness; k > 0 {
		return ru.asyncRollout(s, ps, groupSize, k, m)
	}
	state, err := ru.rng.MarshalBinary()
	if err != nil {
		return nil, err
	}
	version := s // updates taken before step s's sampling
	rep, err := ru.opts.Rollouts.Sample(&RolloutRequest{Step: s, Round: round, Problems: ps, GroupSize: groupSize, RNG: state, Version: version, Policy: ru.policy})
	if err != nil {
		return nil, fmt.Errorf("rollout workers: %w", err)
	}
	if rep.Version != version {
		return nil, fmt.Errorf("rollout workers: episodes of weights version %d, want %d (staleness 0)", rep.Version, version)
	}
	if len(rep.Episodes) != len(ps)*groupSize {
		return nil, fmt.Errorf("rollout workers: %d episodes, want %d", len(rep.Episodes), len(ps)*groupSize)
	}
	if err := ru.rng.UnmarshalBinary(rep.RNG); err != nil {
		return nil, fmt.Errorf("rollout workers: generator state: %w", err)
	}
	return rep.Episodes, nil
}

// asyncRollout samples step s with workers that may run up to k steps
// ahead, then corrects or drops a lagging batch (rl.off_policy).
func (ru *runner) asyncRollout(s int, ps []task.Problem, groupSize, k int, m map[string]any) ([]*episode.Episode, error) {
	c := ru.r.RL
	if len(hooks[problemSource](ru)) > 0 || len(hooks[groupFilter](ru)) > 0 {
		return nil, errors.New("rollout workers: rl.staleness > 0 needs each step's problems known in advance: no problem-source method (self) and no group filter (dynamic sampling)")
	}
	req := &RolloutRequest{Step: s, Problems: ps, GroupSize: groupSize, RNG: ru.asyncRNG(s), Version: s, Policy: ru.policy, Staleness: k}
	for j := s + 1; j <= s+k && j < c.Steps; j++ {
		next, err := task.Generate(ru.task, task.Train, ru.r.Seed*7_000_003+uint64(j), c.PromptsPerStep, ru.r.Task.Template)
		if err != nil {
			return nil, err
		}
		req.Ahead = append(req.Ahead, Ahead{Step: j, Problems: next, RNG: ru.asyncRNG(j)})
	}
	rep, err := ru.opts.Rollouts.Sample(req)
	if err != nil {
		return nil, fmt.Errorf("rollout workers: %w", err)
	}
	lag := s - rep.Version
	dropped := 0
	if lag > 0 && (c.OffPolicy == "drop" || lag > k) {
		dropped = 1
		req.Exact, req.Ahead = true, nil
		if rep, err = ru.opts.Rollouts.Sample(req); err != nil {
			return nil, fmt.Errorf("rollout workers: %w", err)
		}
		if lag = s - rep.Version; lag != 0 {
			return nil, fmt.Errorf("rollout workers: a re-sampled batch of weights version %d, want %d", rep.Version, s)
		}
	}
	if lag < 0 {
		return nil, fmt.Errorf("rollout workers: episodes of weights version %d, newer than the learner's %d", rep.Version, s)
	}
	if len(rep.Episodes) != len(ps)*groupSize {
		return nil, fmt.Errorf("rollout workers: %d episodes, want %d", len(rep.Episodes), len(ps)*groupSize)
	}
	m["rollout_staleness"], m["rollout_dropped"] = lag, dropped
	return rep.Episodes, nil
}

// truncatedIS corrects a lagging batch (rl.off_policy tis): each token's
// advantage is scaled by w = min(pi_old/mu, C), pi_old the learner's
// policy before this step's update and mu the sampling policy (its
// recorded log-probs), and the PPO ratio is taken against pi_old
// (decoupled PPO: Hilton et al. 2021; truncated importance sampling as in
// IMPALA, Espeholt et al. 2018, and Yao et al. 2025).
func (ru *runner) truncatedIS(xs []sample, a *advantage, m map[string]any) error {
	c := ru.r.RL
	capW := c.TISCap
	if capW == 0 {
		capW = 2
	}
	mbSize := (len(xs) + c.MiniBatches - 1) / c.MiniBatches
	var wSum, n, cut float64
	for lo := 0; lo < len(xs); lo += mbSize {
		hi := min(lo+mbSize, len(xs))
		b, starts := ru.trainBatch(xs[lo:hi])
		sc, err := ru.policy.Score(b)
		if err != nil {
			return err
		}
		for i := lo; i < hi; i++ {
			x := &xs[i]
			old := make([]float32, len(x.pos))
			for t, p := range x.pos {
				lp := sc.LogProbs[starts[i-lo]+p]
				w, truncated := tisWeight(lp, x.oldLogp[t], capW)
				if truncated {
					cut++
				}
				a.tok[i][t] *= w
				old[t] = lp
				wSum, n = wSum+w, n+1
			}
			x.oldLogp = old
		}
	}
	if n > 0 {
		m["tis_weight"], m["tis_truncated"] = wSum/n, cut/n
	}
	return nil
}

// tisWeight is min(pi_old/mu, C) from the two log-probs, and whether C cut it.
func tisWeight(lpOld, lpBehaviour float32, c float64) (float64, bool) {
	w := math.Exp(float64(lpOld) - float64(lpBehaviour))
	if w > c {
		return c, true
	}
	return w, false
}

// RolloutWorker samples episodes for a learner: the recipe's tokenizer,
// task, environment and policy, with weights set by the learner.
type RolloutWorker struct {
	ru      *runner
	version int
}

// NewRolloutWorker builds a worker for the resolved recipe r (the
// learner's config.yaml).
func NewRolloutWorker(r *Recipe) (*RolloutWorker, error) {
	if len(r.Roles) > 0 {
		return nil, errRolloutRoles
	}
	ru := &runner{r: r, log: io.Discard}
	if err := ru.build(); err != nil {
		return nil, err
	}
	return &RolloutWorker{ru: ru, version: -1}, nil
}

// Version is the version of the weights the worker holds (-1: none).
func (w *RolloutWorker) Version() int { return w.version }

// SetWeights loads weights encoded by EncodeWeights.
func (w *RolloutWorker) SetWeights(version int, data []byte) error {
	if err := DecodeWeights(w.ru.policy, data); err != nil {
		return err
	}
	w.version = version
	return nil
}

// Sample plays the request's episodes with the weights held.
func (w *RolloutWorker) Sample(req *RolloutRequest) (*RolloutReply, error) {
	return w.sample(req.Problems, req.GroupSize, req.RNG)
}

func (w *RolloutWorker) sample(ps []task.Problem, groupSize int, rngState []byte) (*RolloutReply, error) {
	pcg := &rand.PCG{}
	if err := pcg.UnmarshalBinary(rngState); err != nil {
		return nil, fmt.Errorf("rollout request: generator state: %w", err)
	}
	c := w.ru.r.RL
	eps, err := w.ru.playPolicy(ps, groupSize, c.Temperature, c.MaxNewTokens, c.Slots, rand.New(pcg))
	if err != nil {
		return nil, err
	}
	state, _ := pcg.MarshalBinary()
	return &RolloutReply{Episodes: eps, RNG: state, Version: w.version}, nil
}

// EncodeWeights lays out a model's parameters as little-endian float32,
// in Params order (both ends build the model from the same recipe).
func EncodeWeights(m *lm.Model) []byte {
	n := 0
	for _, p := range m.Params() {
		n += len(p.W)
	}
	b := make([]byte, 0, 4*n)
	for _, p := range m.Params() {
		for _, x := range p.W {
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(x))
		}
	}
	return b
}

// DecodeWeights fills a model's parameters from EncodeWeights' layout.
func DecodeWeights(m *lm.Model, b []byte) error {
	n := 0
	for _, p := range m.Params() {
		n += len(p.W)
	}
	if len(b) != 4*n {
		return fmt.Errorf("weights: %d bytes, the model has %d parameters (%d bytes)", len(b), n, 4*n)
	}
	off := 0
	for _, p := range m.Params() {
		for i := range p.W {
			p.W[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[off:]))
			off += 4
		}
	}
	return nil
}
