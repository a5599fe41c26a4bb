package control

import (
	"bytes"
	"encoding/gob"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/autodidact-rl/autodidact/checkpoint"
	"github.com/autodidact-rl/autodidact/control/env"
	"github.com/autodidact-rl/autodidact/nn"
	"github.com/autodidact-rl/autodidact/optim"
)

// Periodic checkpoints and exact resume of online control runs (PPO, SAC,
// TD3, WSRL, FastRLAP). Every CheckpointEvery environment steps (PPO:
// updates) the run writes state.gob atomically (a temporary file renamed
// over the last one): every parameter, target network and Adam moment,
// the temperature, the replay buffer, the random generator's state, the
// loss accumulators, the episode counters, and the environments' state
// as their episode's reset seed plus the actions taken since (replayed on
// resume: the dynamics are deterministic, so this recovers the state
// exactly, whatever the environment), with the length of metrics.jsonl at
// that moment. `control train --resume DIR` truncates metrics.jsonl to
// that length and continues, so a run killed at any moment ends with the
// same metrics, policy and final return, bit for bit, as one never
// interrupted (for the same thread count and backend).

// StateFile is the checkpoint of a control run inside its directory.
const StateFile = "state.gob"

// trainState is what state.gob holds.
type trainState struct {
	Algo         string
	Step         int // environment steps (PPO: updates) done
	MetricsBytes int64
	RNG          []byte
	Params       map[string][]float32
	Adam         map[string]adamState
	Floats       map[string]float64
	Ints         map[string]int
	Recent       []float64
	Envs         []envState
	Buf          *bufState
	Extra        map[string][]float64
	Vec          *env.VecState    // PPO
	ObsStat      *env.RunningStat // PPO with NormObs
	Scaler       *env.ScalerState // PPO with NormReward
}

type adamState struct {
	T    int
	M, V [][]float32
}

// envState is one environment copy: its episode's reset seed and the
// actions taken since, and the episode's return so far.
type envState struct {
	Seed    uint64
	Actions [][]float64
	Return  float64
	Length  int
}

type bufState struct {
	Obs, Next, Act []float32
	Rew, ND        []float64
	N, Pos         int
}

func newTrainState(algo string) *trainState {
	return &trainState{Algo: algo, Params: map[string][]float32{}, Adam: map[string]adamState{},
		Floats: map[string]float64{}, Ints: map[string]int{}, Extra: map[string][]float64{}}
}

func (s *trainState) putParams(ps []*nn.Param) {
	for _, p := range ps {
		s.Params[p.Name] = append([]float32(nil), p.W...)
	}
}

func (s *trainState) getParams(ps []*nn.Param) error {
	for _, p := range ps {
		w, ok := s.Params[p.Name]
		if !ok || len(w) != len(p.W) {
			return fmt.Errorf("checkpoint: parameter %s is missing or has the wrong size", p.Name)
		}
		copy(p.W, w)
	}
	return nil
}

func (s *trainState) putAdam(key string, o *optim.AdamW) {
	a := adamState{T: o.T}
	for i := range o.M {
		a.M = append(a.M, append([]float32(nil), o.M[i]...))
		a.V = append(a.V, append([]float32(nil), o.V[i]...))
	}
	s.Adam[key] = a
}

func (s *trainState) getAdam(key string, o *optim.AdamW) error {
	a, ok := s.Adam[key]
	if !ok || len(a.M) != len(o.M) || len(a.V) != len(o.V) {
		return fmt.Errorf("checkpoint: optimiser %s is missing or has the wrong shape", key)
	}
	for i := range o.M {
		if len(a.M[i]) != len(o.M[i]) || len(a.V[i]) != len(o.V[i]) {
			return fmt.Errorf("checkpoint: optimiser %s moment %d has the wrong size", key, i)
		}
		copy(o.M[i], a.M[i])
		copy(o.V[i], a.V[i])
	}
	o.T = a.T
	return nil
}

func (s *trainState) putTemp(key string, t *temperature) {
	s.Floats[key+".log_alpha"], s.Floats[key+".m"], s.Floats[key+".v"] = t.logAlpha, t.m, t.v
	s.Ints[key+".t"] = t.t
}

func (s *trainState) getTemp(key string, t *temperature) {
	t.logAlpha, t.m, t.v = s.Floats[key+".log_alpha"], s.Floats[key+".m"], s.Floats[key+".v"]
	t.t = s.Ints[key+".t"]
}

func (t *transitions) state() *bufState {
	return &bufState{Obs: t.obs, Next: t.next, Act: t.act, Rew: t.rew, ND: t.nd, N: t.n, Pos: t.pos}
}

func (t *transitions) restore(b *bufState) error {
	if b == nil || len(b.Obs) != len(t.obs) || len(b.Next) != len(t.next) || len(b.Act) != len(t.act) ||
		len(b.Rew) != len(t.rew) || len(b.ND) != len(t.nd) {
		return fmt.Errorf("checkpoint: the replay buffer is missing or has the wrong size")
	}
	copy(t.obs, b.Obs)
	copy(t.next, b.Next)
	copy(t.act, b.Act)
	copy(t.rew, b.Rew)
	copy(t.nd, b.ND)
	t.n, t.pos = b.N, b.Pos
	return nil
}

// ckpt is a run's checkpointing: where, how often, and the state to
// resume from (nil for a fresh run).
type ckpt struct {
	algo    string
	dir     string
	every   int
	metrics *os.File
	resume  *trainState
	// stopAt (tests) makes the run fail right after this step, like a
	// process killed between two checkpoints.
	stopAt int
}

// errStopped is the simulated kill of ckpt.stopAt.
var errStopped = errors.New("control run stopped (test)")

// due reports whether a checkpoint follows step done (1-based).
func (c *ckpt) due(done int) bool { return c != nil && c.every > 0 && done%c.every == 0 }

// stop reports whether the test asked the run to die after step done.
func (c *ckpt) stop(done int) bool { return c != nil && c.stopAt > 0 && done == c.stopAt }

// save writes s (with the metrics file's current length) atomically.
func (c *ckpt) save(s *trainState, pcg *rand.PCG) error {
	if c.metrics != nil {
		n, err := c.metrics.Seek(0, io.SeekCurrent)
		if err != nil {
			return fmt.Errorf("checkpoint: %w", err)
		}
		s.MetricsBytes = n
	}
	rng, err := pcg.MarshalBinary()
	if err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	s.RNG = rng
	var b bytes.Buffer
	if err := gob.NewEncoder(&b).Encode(s); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	return checkpoint.WriteFileAtomic(filepath.Join(c.dir, StateFile), b.Bytes())
}

// readState reads dir's state.gob (nil, nil when there is none).
func readState(dir string) (*trainState, error) {
	data, err := os.ReadFile(filepath.Join(dir, StateFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	s := new(trainState)
	if err := gob.NewDecoder(bytes.NewReader(data)).Decode(s); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, StateFile), err)
	}
	return s, nil
}

// restoreRNG sets pcg to the checkpoint's generator state.
func (s *trainState) restoreRNG(pcg *rand.PCG) error {
	if err := pcg.UnmarshalBinary(s.RNG); err != nil {
		return fmt.Errorf("checkpoint: random generator: %w", err)
	}
	return nil
}

// ReadRunConfig returns the algorithm and raw configuration of a control
// run directory (config.json).
func ReadRunConfig(dir string) (algo string, cfg json.RawMessage, err error) {
	data, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if err != nil {
		return "", nil, fmt.Errorf("%s is not a control run directory: %w", dir, err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return "", nil, fmt.Errorf("%s/config.json: %w", dir, err)
	}
	if err := json.Unmarshal(m["algo"], &algo); err != nil || algo == "" {
		return "", nil, fmt.Errorf("%s/config.json names no algorithm", dir)
	}
	if m[algo] == nil {
		return "", nil, fmt.Errorf("%s/config.json has no %q configuration", dir, algo)
	}
	return algo, m[algo], nil
}

// Resume continues the control run in dir from its last checkpoint (from
// the start when it has none) and returns its summary. A finished run
// (summary.json present) is refused.
func Resume(dir string, evalEpisodes int, log io.Writer) (*Summary, error) {
	algo, raw, err := ReadRunConfig(dir)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(dir, "summary.json")); err == nil {
		return nil, fmt.Errorf("%s has finished (summary.json exists); nothing to resume", dir)
	}
	dec := func(v any) error {
		if err := json.Unmarshal(raw, v); err != nil {
			return fmt.Errorf("%s/config.json: %w", dir, err)
		}
		return nil
	}
	o := runOpts{dir: dir, resume: true}
	switch algo {
	case "sac":
		var cfg SACConfig
		if err := dec(&cfg); err != nil {
			return nil, err
		}
		return runSAC(cfg, o, evalEpisodes, log)
	case "td3":
		var cfg TD3Config
		if err := dec(&cfg); err != nil {
			return nil, err
		}
		return runTD3(cfg, o, evalEpisodes, log)
	case "ppo":
		var cfg PPOConfig
		if err := dec(&cfg); err != nil {
			return nil, err
		}
		return runPPO(cfg, o, evalEpisodes, log)
	}
	if r, ok := resumers[algo]; ok {
		return r(raw, o, evalEpisodes, log)
	}
	return nil, fmt.Errorf("%s: algorithm %s cannot be resumed (online runs can: ppo, sac, td3 and the fine-tuning ones)", dir, algo)
}

// resumers are further resumable algorithms (registered by their files).
var resumers = map[string]func(raw json.RawMessage, o runOpts, evalEpisodes int, log io.Writer) (*Summary, error){}

// runOpts says where a run goes and whether it resumes; stopAt is the
// tests' simulated kill (see ckpt).
type runOpts struct {
	dir    string
	resume bool
	stopAt int
}
