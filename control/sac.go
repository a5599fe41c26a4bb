package control

import (
	"fmt"
	"io"
	"math"
	"math/rand/v2"

	"github.com/autodidact-rl/autodidact/nn"
)

// SACConfig holds SAC's hyperparameters (CleanRL's sac_continuous_action
// defaults).
type SACConfig struct {
	Env           string  `json:"env"`
	Seed          uint64  `json:"seed"`
	Steps         int     `json:"steps"`
	Buffer        int     `json:"buffer_size"`
	Batch         int     `json:"batch_size"`
	LearningStart int     `json:"learning_starts"`
	Gamma         float64 `json:"gamma"`
	Tau           float64 `json:"tau"` // target smoothing
	PolicyLR      float64 `json:"policy_lr"`
	QLR           float64 `json:"q_lr"`
	PolicyEvery   int     `json:"policy_frequency"`
	Autotune      bool    `json:"autotune"`
	Alpha         float64 `json:"alpha"`
	Hidden        []int   `json:"hidden"`
	// CheckpointEvery is the period of state.gob in env steps (0: none).
	CheckpointEvery int `json:"checkpoint_every"`
}

// DefaultSAC returns the defaults for env.
func DefaultSAC(envName string) SACConfig {
	return SACConfig{Env: envName, Seed: 1, Steps: 20000, Buffer: 1_000_000, Batch: 256, LearningStart: 5000,
		Gamma: 0.99, Tau: 0.005, PolicyLR: 3e-4, QLR: 1e-3, PolicyEvery: 2, Autotune: true, Alpha: 0.2, Hidden: []int{256, 256},
		CheckpointEvery: 5000}
}

const (
	logStdMin = -5.0
	logStdMax = 2.0
)

// TrainSAC runs Soft Actor-Critic: a tanh-squashed Gaussian actor, twin Q
// critics with Polyak-averaged targets, and automatic entropy temperature:
//
//	y = r + gamma (1 - term) (min_j Q'_j(s', a') - alpha log pi(a'|s')),  a' ~ pi(s')
//	L_Q = mean (Q_j(s,a) - y)^2,   L_pi = mean (alpha log pi(a|s) - min_j Q_j(s, a)),  a = tanh(mu + sigma eps)
//	L_alpha = mean -log_alpha (log pi(a|s) + target_entropy),  target_entropy = -dim(A)
//
// Truncated transitions bootstrap (term = 0); terminal ones do not.
func TrainSAC(cfg SACConfig, log io.Writer, metrics func(map[string]any)) (*Policy, error) {
	return trainSAC(cfg, log, metrics, nil)
}

func trainSAC(cfg SACConfig, log io.Writer, metrics func(map[string]any), ck *ckpt) (*Policy, error) {
	box, err := boxOf(cfg.Env)
	if err != nil {
		return nil, fmt.Errorf("sac: %w", err)
	}
	pcg := rand.NewPCG(cfg.Seed, 0x736163)
	r := rand.New(pcg)
	ag, err := newSACAgent(cfg, box, r)
	if err != nil {
		return nil, err
	}
	l := onlineLoop{envName: cfg.Env, seed: cfg.Seed, steps: cfg.Steps, buffer: cfg.Buffer, batch: cfg.Batch,
		randomUntil: cfg.LearningStart, updateFrom: cfg.LearningStart, utd: 1, logEvery: 1000, pcg: pcg, r: r}
	if err := runOnline(l, ag, ck, log, metrics); err != nil {
		return nil, fmt.Errorf("sac: %w", err)
	}
	return ag.actor.policy(), nil
}

// sacAgent is SAC's learner: actor, twin critics and temperature.
type sacAgent struct {
	actor        *gaussActor
	critic       *twinQ
	temp         temperature
	cfg          SACConfig
	r            *rand.Rand
	qLoss, aLoss float64
}

func newSACAgent(cfg SACConfig, box boxSpec, r *rand.Rand) (*sacAgent, error) {
	ag := &sacAgent{cfg: cfg, r: r}
	var err error
	if ag.actor, err = newGaussActor(box, cfg.Hidden, cfg.Batch, r); err != nil {
		return nil, err
	}
	if ag.critic, err = newTwinQ(box.od, box.ad, cfg.Hidden, cfg.Batch, r); err != nil {
		return nil, err
	}
	ag.temp = temperature{logAlpha: math.Log(cfg.Alpha), target: -float64(box.ad), auto: cfg.Autotune}
	return ag, nil
}

// update is one SAC gradient step on b (see TrainSAC); at steps that are
// multiples of PolicyEvery it takes PolicyEvery actor and temperature
// steps (CleanRL's delayed, repeated policy update). The temperature's
// Adam uses q_lr, as CleanRL.
func (ag *sacAgent) update(b batch, step int) {
	cfg := ag.cfg
	B := len(b.rew)
	alpha := ag.temp.alpha()
	ns := ag.actor.sample(b.next, B, ag.r)
	tq := ag.critic.targetMin(b.next, ns.act, B)
	y := make([]float64, B)
	for i := range y {
		y[i] = b.rew[i] + cfg.Gamma*b.nd[i]*(tq[i]-alpha*ns.logp[i])
	}
	ag.qLoss += ag.critic.regress(b.obs, b.act, y, cfg.QLR)
	if step%cfg.PolicyEvery == 0 {
		for rep := 0; rep < cfg.PolicyEvery; rep++ {
			ps := ag.actor.sample(b.obs, B, ag.r)
			dQ, mq := ag.critic.actionGrad(b.obs, ps.act, B, true, 1)
			var lp float64
			for _, v := range ps.logp {
				lp += v / float64(B)
			}
			ag.aLoss += alpha*lp - mq
			ag.actor.sacStep(ps, dQ, alpha, cfg.PolicyLR, nil)
			ag.temp.update(ps.logp, cfg.QLR)
			alpha = ag.temp.alpha()
		}
	}
	ag.critic.polyak(cfg.Tau)
}

func copyParams(dst, src *nn.MLP) {
	s, d := src.Params(), dst.Params()
	for i := range s {
		copy(d[i].W, s[i].W)
	}
}

func (ag *sacAgent) explore(obs []float32) []float64 { return ag.actor.sample(obs, 1, ag.r).act }

func (ag *sacAgent) report(done int, ret float64) (map[string]any, string) {
	m := map[string]any{"env_steps": done, "episode_return": ret, "q_loss": ag.qLoss / 1000,
		"actor_loss": ag.aLoss / 1000, "alpha": ag.temp.alpha()}
	line := fmt.Sprintf("sac %s step %d  return(last 10) %.1f  alpha %.3f", ag.cfg.Env, done, ret, ag.temp.alpha())
	ag.qLoss, ag.aLoss = 0, 0
	return m, line
}

func (ag *sacAgent) save(s *trainState) {
	s.putParams(ag.actor.net.Params())
	s.putParams(ag.critic.net.params())
	s.putParams(ag.critic.targ.params())
	s.putAdam("actor", ag.actor.opt)
	s.putAdam("critic", ag.critic.opt)
	s.putTemp("alpha", &ag.temp)
	s.Floats["q_loss"], s.Floats["actor_loss"] = ag.qLoss, ag.aLoss
}

func (ag *sacAgent) load(s *trainState) error {
	for _, ps := range [][]*nn.Param{ag.actor.net.Params(), ag.critic.net.params(), ag.critic.targ.params()} {
		if err := s.getParams(ps); err != nil {
			return err
		}
	}
	if err := s.getAdam("actor", ag.actor.opt); err != nil {
		return err
	}
	if err := s.getAdam("critic", ag.critic.opt); err != nil {
		return err
	}
	s.getTemp("alpha", &ag.temp)
	ag.qLoss, ag.aLoss = s.Floats["q_loss"], s.Floats["actor_loss"]
	return nil
}
