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
}

// RolloutReply is what a worker sends back.
type RolloutReply struct {
	Episodes []*episode.Episode `json:"episodes"` // in request order: GroupSize per problem
	RNG      []byte             `json:"rng"`      // the generator state after sampling
	Version  int                `json:"version"`  // the weights' version the episodes were sampled with
}

// errRolloutRoles refuses what rollout workers do not carry.
var errRolloutRoles = errors.New("rollout workers: recipes whose roles are played by other models or endpoints are not supported (the workers sample the policy only)")

// remoteRollout samples one rollout call through ru.opts.Rollouts.
func (ru *runner) remoteRollout(s, round int, ps []task.Problem, groupSize int) ([]*episode.Episode, error) {
	if len(ru.r.Roles) > 0 {
		return nil, errRolloutRoles
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
	pcg := &rand.PCG{}
	if err := pcg.UnmarshalBinary(req.RNG); err != nil {
		return nil, fmt.Errorf("rollout request: generator state: %w", err)
	}
	c := w.ru.r.RL
	eps, err := w.ru.playPolicy(req.Problems, req.GroupSize, c.Temperature, c.MaxNewTokens, c.Slots, rand.New(pcg))
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
