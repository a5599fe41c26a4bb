package control

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/autodidact-rl/autodidact/control/dataset"
	"github.com/autodidact-rl/autodidact/control/env"
	"github.com/autodidact-rl/autodidact/nn"
)

// FastRLAP analog (Stachowicz et al. 2023, "FastRLAP: A System for
// Learning High-Speed Driving via Deep RL and Autonomous Practicing";
// code kylestach/fastrlap-release) on Driving-v0:
//
//  1. prior data: PriorSteps transitions of slow scripted driving
//     (SlowDriver at PriorSpeed m/s, 30% of the top speed, with Gaussian
//     action noise PriorNoise) on routes of other seeds than the online
//     ones;
//
//  2. an encoder phi = the first len(Encoder) layers of an IQL actor
//     trained on those data (expectile 0.9, AWR temperature 3, as
//     FastRLAP's pixel_iql_config), then frozen: the online learner sees
//     phi(s) (FreezeEncoder; UseEncoder false trains actor and critics
//     end to end from raw observations with the same layer sizes);
//
//  3. one demonstration lap (SlowDriver, no noise, on the first online
//     route) put into the replay buffer (Demo);
//
//  4. online SAC with a critic ensemble, a random pair for the target
//     (REDQ) and UTD critic steps per environment step on consecutive
//     mini-batches of Batch/UTD; one actor and one temperature step on
//     the last mini-batch only; the actor maximises the ensemble's mean
//     (FastRLAP's SACLearner):
//
//     y = r + gamma mask (min(Q'_i, Q'_j)(s', a') - alpha log pi(a'|s')),  {i, j} random
//     L_pi = mean(alpha log pi(a|s) - mean_k Q_k(s, a)),  L_alpha = alpha (H - Hbar)
//
// The lap time of an evaluation route is the number of steps to complete
// it without an infraction (none when it is not completed); LapTarget is
// the target for the mean over EvalEpisodes held-out routes, all of which
// must be completed. CHOICEs: the environment's route-progress reward
// stands for FastRLAP's checkpoint-goal reward (the route is known, so
// there is no goal graph or relabelling); the demonstration's role is
// replay data, not checkpoints; ensemble 2 (FastRLAP 10) and no
// LayerNorm; the encoder is the IQL actor's trunk.
type FastRLAPConfig struct {
	Env           string  `json:"env"`
	Seed          uint64  `json:"seed"`
	PriorSteps    int     `json:"prior_steps"`
	PriorSpeed    float64 `json:"prior_speed"`
	PriorNoise    float64 `json:"prior_noise"`
	PretrainSteps int     `json:"pretrain_steps"`
	Expectile     float64 `json:"expectile"`
	AWRTemp       float64 `json:"awr_temperature"`
	Encoder       []int   `json:"encoder"`
	UseEncoder    bool    `json:"use_encoder"`
	Demo          bool    `json:"demo"`
	OnlineSteps   int     `json:"online_steps"`
	StartTraining int     `json:"start_training"`
	UTD           int     `json:"utd_ratio"`
	Batch         int     `json:"batch_size"`
	Ensemble      int     `json:"num_qs"`
	Subsample     int     `json:"num_min_qs"`
	BackupEntropy bool    `json:"backup_entropy"`
	TargetEntropy float64 `json:"target_entropy"`
	TempInit      float64 `json:"init_temperature"`
	TempLR        float64 `json:"temp_lr"`
	LR            float64 `json:"lr"`
	Gamma         float64 `json:"discount"`
	Tau           float64 `json:"tau"`
	Hidden        []int   `json:"hidden"`
	Buffer        int     `json:"replay_capacity"`
	EvalEvery     int     `json:"eval_every"`
	EvalEpisodes  int     `json:"eval_episodes"`
	LapTarget     float64 `json:"lap_target"`
	// CheckpointEvery is the period of state.gob in online steps (0: none).
	CheckpointEvery int `json:"checkpoint_every"`
}

// DefaultFastRLAP is the analog's configuration: 50k prior transitions
// at 2.4 m/s, 5k IQL steps, a 64-64 encoder and 64-wide heads, UTD 8,
// batch 256 (mini-batches of 32), 20k online steps, lap target 200 steps
// (the slow demonstration takes about 345).
func DefaultFastRLAP() FastRLAPConfig {
	return FastRLAPConfig{Env: "Driving-v0", Seed: 1, PriorSteps: 50000, PriorSpeed: 2.4, PriorNoise: 0.3, PretrainSteps: 5000,
		Expectile: 0.9, AWRTemp: 3, Encoder: []int{64, 64}, UseEncoder: true, Demo: true, OnlineSteps: 20000,
		StartTraining: 1000, UTD: 8, Batch: 256, Ensemble: 2, Subsample: 2, BackupEntropy: true, TargetEntropy: -1,
		TempInit: 1, TempLR: 1e-4, LR: 3e-4, Gamma: 0.99, Tau: 0.005, Hidden: []int{64}, Buffer: 2_000_000,
		EvalEvery: 1000, EvalEpisodes: 5, LapTarget: 200, CheckpointEvery: 5000}
}

// SmokeFastRLAP is a tiny run (seconds).
func SmokeFastRLAP() FastRLAPConfig {
	c := DefaultFastRLAP()
	c.PriorSteps, c.PretrainSteps, c.OnlineSteps, c.StartTraining, c.Batch, c.UTD = 1000, 100, 600, 200, 32, 4
	c.Encoder, c.Hidden, c.EvalEvery, c.EvalEpisodes, c.CheckpointEvery = []int{16}, []int{16}, 300, 1, 300
	return c
}

func (c FastRLAPConfig) validate() error {
	switch {
	case c.UTD < 1 || c.Batch < c.UTD || c.Batch%c.UTD != 0:
		return fmt.Errorf("fastrlap: batch_size %d must be a positive multiple of utd_ratio %d", c.Batch, c.UTD)
	case c.Ensemble < 1 || c.Subsample < 1:
		return fmt.Errorf("fastrlap: num_qs %d and num_min_qs %d must be positive", c.Ensemble, c.Subsample)
	case c.OnlineSteps < 1 || c.PriorSteps < 0 || c.PretrainSteps < 0:
		return fmt.Errorf("fastrlap: online_steps %d, prior_steps %d, pretrain_steps %d: want positive, >= 0, >= 0", c.OnlineSteps, c.PriorSteps, c.PretrainSteps)
	case c.UseEncoder && (len(c.Encoder) == 0 || c.PriorSteps < 1 || c.PretrainSteps < 1):
		return fmt.Errorf("fastrlap: use_encoder needs encoder layers, prior_steps and pretrain_steps")
	case c.TempInit <= 0:
		return fmt.Errorf("fastrlap: init_temperature %v: want > 0", c.TempInit)
	}
	return nil
}

// encoder is a frozen ReLU trunk phi(s) = relu(W_L ... relu(W_1 s + b_1) + b_L).
type encoder struct {
	in   int
	ws   []*nn.Param
	bs   []*nn.Param
	outs []int
}

func (e *encoder) dim() int { return e.outs[len(e.outs)-1] }

func (e *encoder) encode(obs []float32) []float32 {
	x := obs
	for i, w := range e.ws {
		in := e.in
		if i > 0 {
			in = e.outs[i-1]
		}
		y := make([]float32, e.outs[i])
		nn.LinearForward(y, x, w.W, e.bs[i].W, 1, in, e.outs[i])
		for k, v := range y {
			y[k] = max(v, 0)
		}
		x = y
	}
	return x
}

// featureEnv shows an environment through a frozen encoder.
type featureEnv struct {
	env.Env
	enc *encoder
}

func (f *featureEnv) ObservationSpace() env.Space {
	d := f.enc.dim()
	low, high := make([]float64, d), make([]float64, d)
	for i := range high {
		high[i] = math.Inf(1)
	}
	return env.Space{Dim: d, Low: low, High: high}
}
func (f *featureEnv) Reset(seed uint64) []float32 { return f.enc.encode(f.Env.Reset(seed)) }
func (f *featureEnv) Step(a []float64) env.Step {
	s := f.Env.Step(a)
	s.Obs = f.enc.encode(s.Obs)
	return s
}

// compose is the policy on raw observations: the encoder's layers, then
// the actor's (ReLU between all, as nn.MLP).
func (e *encoder) compose(actor *gaussActor) (*Policy, error) {
	a := actor.net
	sizes := append(append([]int{e.in}, e.outs...), a.Sizes[1:]...)
	m, err := nn.NewMLP("actor", sizes, nn.ReLU, 1, rand.New(rand.NewPCG(0, 0)))
	if err != nil {
		return nil, err
	}
	for i := range e.ws {
		copy(m.Weights[i].W, e.ws[i].W)
		copy(m.Biases[i].W, e.bs[i].W)
	}
	for i := range a.Weights {
		copy(m.Weights[len(e.ws)+i].W, a.Weights[i].W)
		copy(m.Biases[len(e.ws)+i].W, a.Biases[i].W)
	}
	b := actor.box
	return &Policy{Actor: m, Low: b.low, High: b.high, squash: true, scale: b.scale, bias: b.bias}, nil
}

// LapStats evaluates a Driving policy on routes of seeds seed*7919+ep:
// mean route completion, the number of routes completed without an
// infraction, and the mean lap time (steps) of those.
func LapStats(p *Policy, envName string, episodes int, seed uint64) (completion float64, completed int, lapTime float64, err error) {
	e, err := env.Make(envName)
	if err != nil {
		return 0, 0, 0, err
	}
	for ep := 0; ep < episodes; ep++ {
		obs := e.Reset(seed*7919 + uint64(ep))
		n := 0
		for {
			s := e.Step(p.Act(obs))
			obs = s.Obs
			n++
			if s.Terminated || s.Truncated {
				break
			}
		}
		d, ok := e.(*env.TimeLimit).Env.(*env.Driving)
		if !ok {
			return 0, 0, 0, fmt.Errorf("lap stats: %s is not a driving environment", envName)
		}
		completion += d.RouteCompletion() / float64(episodes)
		if d.Infracted == "" && d.RouteCompletion() > 0.99 {
			completed++
			lapTime += float64(n)
		}
	}
	if completed > 0 {
		lapTime /= float64(completed)
	}
	return completion, completed, lapTime, nil
}

// fastAgent drives redqSAC online with lap evaluations.
type fastAgent struct {
	*redqSAC
	cfg    FastRLAPConfig
	enc    *encoder // nil: raw observations
	policy func() (*Policy, error)
}

func (f *fastAgent) explore(obs []float32) []float64 { return f.actor.sample(obs, 1, f.r).act }
func (f *fastAgent) update(b batch, _ int)           { f.step(b) }

func (f *fastAgent) report(done int, ret float64) (map[string]any, string) {
	n := float64(max(f.n, 1))
	m := map[string]any{"env_steps": done, "episode_return": ret, "q_loss": f.qLoss / n, "actor_loss": f.aLoss / n,
		"mean_q": f.meanQ / n, "alpha": f.temp(), "updates": f.n}
	line := fmt.Sprintf("fastrlap step %d  return(last 10) %.3f", done, ret)
	if f.cfg.EvalEpisodes > 0 {
		if p, err := f.policy(); err == nil {
			c, k, lap, _ := LapStats(p, f.cfg.Env, f.cfg.EvalEpisodes, f.cfg.Seed+2_000_000)
			m["eval_completion"], m["eval_completed"], m["eval_lap_steps"] = c, k, lap
			m["lap_target_met"] = k == f.cfg.EvalEpisodes && lap <= f.cfg.LapTarget
			line += fmt.Sprintf("  eval completion %.3f  completed %d/%d  lap %.0f steps", c, k, f.cfg.EvalEpisodes, lap)
		}
	}
	f.qLoss, f.aLoss, f.meanQ, f.n = 0, 0, 0, 0
	return m, line
}

// pretrainEncoder collects the prior data and trains IQL on it; the
// encoder is its actor's first len(cfg.Encoder) layers (observation
// normalisation folded in).
func pretrainEncoder(cfg FastRLAPConfig, log io.Writer) (*encoder, error) {
	d, err := dataset.Collect(cfg.Env, "slow-driver", SlowDriver(cfg.PriorSpeed), cfg.PriorSteps, cfg.PriorNoise, cfg.Seed+5_000_000)
	if err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "fastrlap-prior")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	path := filepath.Join(tmp, "prior.safetensors")
	if err := d.Save(path); err != nil {
		return nil, err
	}
	ic := DefaultIQL(path)
	ic.Seed, ic.Steps, ic.Expectile, ic.Beta, ic.Hidden, ic.LogEvery = cfg.Seed, cfg.PretrainSteps, cfg.Expectile, cfg.AWRTemp, cfg.Encoder, 0
	ic.RewardScale = 10 // a route is worth 1; CHOICE
	pol, err := TrainIQL(ic, log, nil)
	if err != nil {
		return nil, fmt.Errorf("fastrlap encoder: %w", err)
	}
	enc := &encoder{in: pol.Actor.Sizes[0]}
	for i := range cfg.Encoder {
		enc.ws = append(enc.ws, pol.Actor.Weights[i])
		enc.bs = append(enc.bs, pol.Actor.Biases[i])
		enc.outs = append(enc.outs, pol.Actor.Sizes[i+1])
	}
	return enc, nil
}

// TrainFastRLAP runs the analog (see FastRLAPConfig).
func TrainFastRLAP(cfg FastRLAPConfig, log io.Writer, metrics func(map[string]any)) (*Policy, error) {
	return trainFastRLAP(cfg, log, metrics, nil)
}

func trainFastRLAP(cfg FastRLAPConfig, log io.Writer, metrics func(map[string]any), ck *ckpt) (*Policy, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	raw, err := boxOf(cfg.Env)
	if err != nil {
		return nil, fmt.Errorf("fastrlap: %w", err)
	}
	var enc *encoder
	hidden := append(append([]int(nil), cfg.Encoder...), cfg.Hidden...)
	if cfg.UseEncoder {
		// Deterministic from the seed, so a resumed run rebuilds it.
		if enc, err = pretrainEncoder(cfg, log); err != nil {
			return nil, err
		}
		hidden = cfg.Hidden
	}
	box := raw
	var wrap func(env.Env) env.Env
	if enc != nil {
		box.od = enc.dim()
		wrap = func(e env.Env) env.Env { return &featureEnv{Env: e, enc: enc} }
	}
	pcg := rand.NewPCG(cfg.Seed, 0x666173)
	r := rand.New(pcg)
	s := &redqSAC{box: box, targetEntropy: cfg.TargetEntropy, gamma: cfg.Gamma, tau: cfg.Tau, actorLR: cfg.LR,
		criticLR: cfg.LR, tempLR: cfg.TempLR, utd: cfg.UTD, subsample: cfg.Subsample, backupEntropy: cfg.BackupEntropy,
		actorLastOnly: true, r: r}
	s.rho = math.Log(math.Expm1(cfg.TempInit))
	if s.actor, err = newGaussActor(box, hidden, cfg.Batch, r); err != nil {
		return nil, err
	}
	if s.q, err = newQEnsemble(box.od, box.ad, cfg.Ensemble, hidden, cfg.Batch, r); err != nil {
		return nil, err
	}
	ag := &fastAgent{redqSAC: s, cfg: cfg, enc: enc}
	ag.policy = func() (*Policy, error) {
		if enc == nil {
			return s.actor.policy(), nil
		}
		return enc.compose(s.actor)
	}
	buf := newTransitions(max(1, min(cfg.Buffer, cfg.OnlineSteps+400)), box.od, box.ad)
	if cfg.Demo {
		// One slow lap on the first online route (the loop's episode 0).
		e, _ := env.Make(cfg.Env)
		if wrap != nil {
			e = wrap(e)
		}
		drv := SlowDriver(cfg.PriorSpeed)
		re, _ := env.Make(cfg.Env) // the driver reads raw observations
		obs, rawObs := e.Reset(cfg.Seed*1_000_003), re.Reset(cfg.Seed*1_000_003)
		for {
			a := drv(rawObs, nil)
			st, rs := e.Step(a), re.Step(a)
			buf.add(obs, st.Obs, a, st.Reward, st.Terminated)
			obs, rawObs = st.Obs, rs.Obs
			if st.Terminated || st.Truncated {
				break
			}
		}
	}
	l := onlineLoop{envName: cfg.Env, seed: cfg.Seed, steps: cfg.OnlineSteps, buffer: cfg.Buffer, batch: cfg.Batch,
		randomUntil: cfg.StartTraining, updateFrom: cfg.StartTraining, utd: 1, logEvery: cfg.EvalEvery, pcg: pcg, r: r,
		buf: buf, wrap: wrap}
	if err := runOnline(l, ag, ck, log, metrics); err != nil {
		return nil, fmt.Errorf("fastrlap: %w", err)
	}
	return ag.policy()
}

// RunFastRLAP trains the analog into dir like RunSAC.
func RunFastRLAP(cfg FastRLAPConfig, dir string, evalEpisodes int, log io.Writer) (*Summary, error) {
	return runFastRLAP(cfg, runOpts{dir: dir}, evalEpisodes, log)
}

func runFastRLAP(cfg FastRLAPConfig, o runOpts, evalEpisodes int, log io.Writer) (*Summary, error) {
	return runAlgoCk("fastrlap", cfg, cfg.Env, cfg.Seed, cfg.OnlineSteps, o, cfg.CheckpointEvery, evalEpisodes, func(metrics func(map[string]any), ck *ckpt) (*Policy, error) {
		return trainFastRLAP(cfg, log, metrics, ck)
	})
}

func init() {
	resumers["fastrlap"] = func(raw json.RawMessage, o runOpts, evalEpisodes int, log io.Writer) (*Summary, error) {
		var cfg FastRLAPConfig
		if err := json.Unmarshal(raw, &cfg); err != nil {
			return nil, fmt.Errorf("fastrlap config: %w", err)
		}
		return runFastRLAP(cfg, o, evalEpisodes, log)
	}
}
