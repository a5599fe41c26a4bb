package control

import (
	"fmt"
	"io"
	"math"
	"math/rand/v2"

	"github.com/autodidact-rl/autodidact/nn"
)

// TD3Config holds TD3's hyperparameters (CleanRL td3_continuous_action:
// noises are fractions of the action half-range). LearningStart is 5000
// (CleanRL: 25000) so that the 20000-step Pendulum default learns, as SAC.
type TD3Config struct {
	Env           string  `json:"env"`
	Seed          uint64  `json:"seed"`
	Steps         int     `json:"steps"`
	Buffer        int     `json:"buffer_size"`
	Batch         int     `json:"batch_size"`
	LearningStart int     `json:"learning_starts"`
	Gamma         float64 `json:"gamma"`
	Tau           float64 `json:"tau"`
	LR            float64 `json:"learning_rate"`
	ExploreNoise  float64 `json:"exploration_noise"`
	PolicyNoise   float64 `json:"policy_noise"`
	NoiseClip     float64 `json:"noise_clip"`
	PolicyEvery   int     `json:"policy_frequency"`
	Hidden        []int   `json:"hidden"`
	LogEvery      int     `json:"log_every"`
	// CheckpointEvery is the period of state.gob in env steps (0: none).
	CheckpointEvery int `json:"checkpoint_every"`
}

// DefaultTD3 returns the defaults for env.
func DefaultTD3(envName string) TD3Config {
	return TD3Config{Env: envName, Seed: 1, Steps: 20000, Buffer: 1_000_000, Batch: 256, LearningStart: 5000,
		Gamma: 0.99, Tau: 0.005, LR: 3e-4, ExploreNoise: 0.1, PolicyNoise: 0.2, NoiseClip: 0.5, PolicyEvery: 2,
		Hidden: []int{256, 256}, LogEvery: 1000, CheckpointEvery: 5000}
}

// SmokeTD3 is a tiny TD3 run (a second or so): 16-16 nets, 600 steps.
func SmokeTD3(envName string) TD3Config {
	c := DefaultTD3(envName)
	c.Steps, c.LearningStart, c.Batch, c.Hidden, c.LogEvery, c.CheckpointEvery = 600, 200, 32, []int{16, 16}, 200, 200
	return c
}

// td3Core is the TD3 learner shared by TD3 and TD3+BC.
type td3Core struct {
	actor, actorT *detActor
	critic        *twinQ
	box           boxSpec
	gamma, tau    float64
	lr            float64
	noise, clip   float64 // fractions of the half-range
	every         int
	alpha         float64 // TD3+BC's alpha; 0 is plain TD3
	it, total     int
	qLoss, aLoss  float64
	actorSteps    int
	r             *rand.Rand
}

func newTD3Core(box boxSpec, hidden []int, B int, r *rand.Rand) (*td3Core, error) {
	c := &td3Core{box: box, r: r}
	var err error
	if c.actor, err = newDetActor("actor", box, hidden, B, r); err != nil {
		return nil, err
	}
	if c.actorT, err = newDetActor("actor_target", box, hidden, B, r); err != nil {
		return nil, err
	}
	copyParams(c.actorT.net, c.actor.net)
	if c.critic, err = newTwinQ(box.od, box.ad, hidden, B, r); err != nil {
		return nil, err
	}
	return c, nil
}

// update is one TD3 gradient step:
//
//	a' = clip(pi'(s') + clip(N(0, (sigma h)^2), -c h, c h), low, high)   (h: half-range)
//	y = r + gamma (1 - term) min_j Q'_j(s', a'),   L_Q = sum_j mean (Q_j(s,a) - y)^2
//
// and every `every` steps the actor step (TD3: L = -mean Q_1(s, pi(s));
// TD3+BC: td3bcActorLoss) followed by Polyak updates of all targets.
func (c *td3Core) update(b batch) {
	B, ad := len(b.rew), c.box.ad
	na := c.actorT.act(b.next, B)
	for k := range na {
		h := c.box.scale[k%ad]
		eps := math.Max(-c.clip*h, math.Min(c.clip*h, c.noise*h*c.r.NormFloat64()))
		na[k] += eps
	}
	c.box.clip(na)
	tq := c.critic.targetMin(b.next, na, B)
	y := make([]float64, B)
	for i := range y {
		y[i] = b.rew[i] + c.gamma*b.nd[i]*tq[i]
	}
	c.qLoss += c.critic.regress(b.obs, b.act, y, c.lr)
	c.it++
	c.total++
	if c.total%c.every != 0 {
		return
	}
	pi := c.actor.act(b.obs, B)
	var dA []float64
	if c.alpha == 0 {
		var mq float64
		dA, mq = c.critic.actionGrad(b.obs, pi, B, false, 1)
		c.aLoss += -mq
	} else {
		// Q values first (weight 1), then the loss and its gradients.
		x := qIn(b.obs, pi, B, c.box.od, ad)
		q := append([]float32(nil), c.critic.q[0].Forward(x, B)...)
		qs := make([]float64, B)
		for i := range q {
			qs[i] = float64(q[i])
		}
		loss, dQ, dPi := td3bcActorLoss(qs, pi, b.act, c.alpha)
		c.aLoss += loss
		// dL/da = dL/dQ * dQ/da + dL/dpi; dQ is the same for every row.
		g, _ := c.critic.actionGrad(b.obs, pi, B, false, -dQ[0]*float64(B))
		dA = dPi
		for k := range dA {
			dA[k] += g[k]
		}
		c.actor.net.Forward(b.obs, B) // restore the actor's activations
	}
	c.actor.step(dA, B, c.lr)
	c.actorSteps++
	c.critic.polyak(c.tau)
	polyak(c.actorT.net, c.actor.net, c.tau)
}

// TrainTD3 runs TD3 (Fujimoto et al. 2018): a deterministic tanh actor
// with Gaussian exploration noise sigma_e h, target policy smoothing,
// clipped double Q and delayed actor and target updates (see
// td3Core.update). Truncated transitions bootstrap; terminal ones do not.
func TrainTD3(cfg TD3Config, log io.Writer, metrics func(map[string]any)) (*Policy, error) {
	return trainTD3(cfg, log, metrics, nil)
}

func trainTD3(cfg TD3Config, log io.Writer, metrics func(map[string]any), ck *ckpt) (*Policy, error) {
	box, err := boxOf(cfg.Env)
	if err != nil {
		return nil, fmt.Errorf("td3: %w", err)
	}
	pcg := rand.NewPCG(cfg.Seed, 0x746433)
	r := rand.New(pcg)
	c, err := newTD3Core(box, cfg.Hidden, cfg.Batch, r)
	if err != nil {
		return nil, err
	}
	c.gamma, c.tau, c.lr, c.noise, c.clip, c.every = cfg.Gamma, cfg.Tau, cfg.LR, cfg.PolicyNoise, cfg.NoiseClip, cfg.PolicyEvery
	l := onlineLoop{envName: cfg.Env, seed: cfg.Seed, steps: cfg.Steps, buffer: cfg.Buffer, batch: cfg.Batch,
		randomUntil: cfg.LearningStart, updateFrom: cfg.LearningStart, utd: 1, logEvery: cfg.LogEvery, pcg: pcg, r: r}
	if err := runOnline(l, &td3Online{c: c, cfg: cfg}, ck, log, metrics); err != nil {
		return nil, fmt.Errorf("td3: %w", err)
	}
	return c.actor.policy(), nil
}

// td3Online drives td3Core online: Gaussian exploration noise of
// ExploreNoise half-ranges, clipped to the box.
type td3Online struct {
	c   *td3Core
	cfg TD3Config
}

func (t *td3Online) explore(obs []float32) []float64 {
	box := t.c.box
	a := t.c.actor.act(obs, 1)
	for d := range a {
		a[d] += t.cfg.ExploreNoise * box.scale[d] * t.c.r.NormFloat64()
	}
	box.clip(a)
	return a
}

func (t *td3Online) update(b batch, _ int) { t.c.update(b) }

func (t *td3Online) report(done int, ret float64) (map[string]any, string) {
	c := t.c
	n := float64(max(c.it, 1))
	m := map[string]any{"env_steps": done, "episode_return": ret, "q_loss": c.qLoss / n,
		"actor_loss": c.aLoss / float64(max(c.actorSteps, 1))}
	line := fmt.Sprintf("td3 %s step %d  return(last 10) %.1f  q_loss %.3f", t.cfg.Env, done, ret, c.qLoss/n)
	c.qLoss, c.aLoss, c.it, c.actorSteps = 0, 0, 0, 0
	return m, line
}

func (t *td3Online) save(s *trainState) {
	c := t.c
	s.putParams(c.actor.net.Params())
	s.putParams(c.actorT.net.Params())
	s.putParams(c.critic.net.params())
	s.putParams(c.critic.targ.params())
	s.putAdam("actor", c.actor.opt)
	s.putAdam("critic", c.critic.opt)
	s.Floats["q_loss"], s.Floats["actor_loss"] = c.qLoss, c.aLoss
	s.Ints["it"], s.Ints["total"], s.Ints["actor_steps"] = c.it, c.total, c.actorSteps
}

func (t *td3Online) load(s *trainState) error {
	c := t.c
	for _, ps := range [][]*nn.Param{c.actor.net.Params(), c.actorT.net.Params(), c.critic.net.params(), c.critic.targ.params()} {
		if err := s.getParams(ps); err != nil {
			return err
		}
	}
	if err := s.getAdam("actor", c.actor.opt); err != nil {
		return err
	}
	if err := s.getAdam("critic", c.critic.opt); err != nil {
		return err
	}
	c.qLoss, c.aLoss = s.Floats["q_loss"], s.Floats["actor_loss"]
	c.it, c.total, c.actorSteps = s.Ints["it"], s.Ints["total"], s.Ints["actor_steps"]
	return nil
}

// RunTD3 trains TD3 into dir like RunSAC.
func RunTD3(cfg TD3Config, dir string, evalEpisodes int, log io.Writer) (*Summary, error) {
	return runTD3(cfg, runOpts{dir: dir}, evalEpisodes, log)
}

func runTD3(cfg TD3Config, o runOpts, evalEpisodes int, log io.Writer) (*Summary, error) {
	return runAlgoCk("td3", cfg, cfg.Env, cfg.Seed, cfg.Steps, o, cfg.CheckpointEvery, evalEpisodes, func(metrics func(map[string]any), ck *ckpt) (*Policy, error) {
		return trainTD3(cfg, log, metrics, ck)
	})
}
