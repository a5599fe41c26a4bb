package control

import (
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/autodidact-rl/autodidact/control/dataset"
)

// ReCOILConfig holds ReCOIL's hyperparameters (Sikchi et al. 2023, Dual
// RL; card E2, "ReCOIL — as implemented (partial)"): offline imitation
// from a small expert dataset E (Expert) and arbitrary suboptimal data S
// (Dataset), without rewards. The losses are the authors' code form
// (rkl_loss_imitate, update_v_recoil, update_q_imitate); the batch
// layout — half S, half E — is inferred from the indexing (CHOICE), and
// so is the mixture weight the paper's objective leaves implicit. Temp
// is the Gumbel value loss's temperature (README: raise 2.5, 5, 10, 20
// until Q stops diverging; 5 here), MaxClip its clip (5), ExpertQ the
// expert pairs' Q target (200 = 2/(1 - gamma)), BellmanReward the
// constant reward of the S rows' backup (-2), Absorbing the value
// bootstrapped at terminals (-200). AWRTemp (CHOICE 1; the card gives
// none for ReCOIL) and MaxWeight are the policy extraction's. Steps,
// Batch and Hidden as FDVLConfig. With Expert "" and Collect > 0 (smoke
// runs) the expert data are one episode of the env's scripted
// controller.
//
// Checked against the authors' critic code (update_v_recoil,
// rkl_loss_imitate, update_q_imitate, read through the code index): the
// first half of the batch is drawn from the union S ∪ E (their
// is_expert_mask marks the expert rows inside that half), the second
// half from E; V's Gumbel loss is averaged over the first half but its
// stabiliser m = max(max_batch z, -1) is taken over the whole batch
// (both halves). MixExpert (default true) is that layout; false is the
// earlier reading (first half from S alone).
type ReCOILConfig struct {
	Env           string  `json:"env"`
	Dataset       string  `json:"dataset"`
	Expert        string  `json:"expert_dataset"`
	Collect       int     `json:"collect_random,omitempty"`
	Seed          uint64  `json:"seed"`
	Steps         int     `json:"steps"`
	Batch         int     `json:"batch_size"` // half S, half E
	Gamma         float64 `json:"gamma"`
	Tau           float64 `json:"tau"`
	Temp          float64 `json:"temp"`
	MaxClip       float64 `json:"max_clip"`
	ExpertQ       float64 `json:"expert_q_target"`
	BellmanReward float64 `json:"bellman_reward"`
	Absorbing     float64 `json:"absorbing_value"`
	AWRTemp       float64 `json:"awr_temperature"`
	MaxWeight     float64 `json:"awr_weight_clip"`
	LR            float64 `json:"lr"`
	Normalize     bool    `json:"normalize"`
	Hidden        []int   `json:"hidden"`
	LogEvery      int     `json:"log_every"`
	MixExpert     bool    `json:"mix_expert"`
}

// DefaultReCOIL returns the defaults for suboptimal and expert dataset files.
func DefaultReCOIL(datasetPath, expertPath string) ReCOILConfig {
	return ReCOILConfig{Dataset: datasetPath, Expert: expertPath, Seed: 1, Steps: 50000, Batch: 256, Gamma: 0.99, Tau: 0.005,
		Temp: 5, MaxClip: 5, ExpertQ: 200, BellmanReward: -2, Absorbing: -200, AWRTemp: 1, MaxWeight: 100, LR: 3e-4,
		Normalize: true, Hidden: []int{64, 64}, LogEvery: 1000, MixExpert: true}
}

// SmokeReCOIL is a tiny run on 1000 random transitions of env and one
// scripted episode.
func SmokeReCOIL(envName string) ReCOILConfig {
	c := DefaultReCOIL("", "")
	c.Env, c.Collect, c.Steps, c.Batch, c.Hidden, c.LogEvery = envName, 1000, 300, 32, []int{16, 16}, 100
	return c
}

// recoilQTarget is the S rows' Bellman target without rewards,
//
//	y = R + gamma mask V(s') + gamma (1 - mask) absorbing,
//
// mask = 1 - terminal.
func recoilQTarget(vNext, mask, reward, gamma, absorbing float64) float64 {
	return reward + gamma*mask*vNext + gamma*(1-mask)*absorbing
}

// recoilValueLoss is rkl_loss_imitate: the Gumbel loss
//
//	z = min(x/temp, maxClip),  m = stopgrad(max(max over x and xE of z, -1)),
//	l = mean over x of exp(z - m) - z exp(-m) - exp(-m)
//
// on the first half's residuals x, with m over both halves (xE: the
// expert half's residuals, which get no loss). It returns the loss and
// dl/dV for the rows of x.
func recoilValueLoss(x, xE []float64, temp, maxClip float64) (float64, []float64) {
	m := -1.0
	for _, v := range slices.Concat(x, xE) {
		m = math.Max(m, math.Min(v/temp, maxClip))
	}
	em := math.Exp(-m)
	n := float64(len(x))
	var l float64
	dV := make([]float64, len(x))
	for i, v := range x {
		z := math.Min(v/temp, maxClip)
		l += (math.Exp(z-m) - z*em - em) / n
		if v/temp < maxClip {
			dV[i] = -(math.Exp(z-m) - em) / temp / n
		}
	}
	return l, dV
}

// TrainReCOIL runs ReCOIL; per step, with a batch of B/2 rows of S and
// B/2 of E (S here is S ∪ E when MixExpert):
//
//	V:  L_V = mean over S rows of the Gumbel loss (recoilValueLoss, Temp; m over S and E rows) on x = min_j Q'_j(s,a) - V(s)
//	pi: L_pi = -mean over S rows of min(exp(beta (min_j Q'_j(s,a) - V(s))), 100) log pi(a|s)   (new V)
//	Q:  L_Q = sum_j mean_i [ (Q_j(s^E_i, a^E_i) - ExpertQ)^2/2 + (Q_j(s_i, a_i) - y_i)^2/2 ],  y = recoilQTarget
//	Q' <- tau Q + (1 - tau) Q'
//
// Rewards in the data are ignored. States are normalised by the
// statistics of S and E together, folded into the returned actor.
func TrainReCOIL(cfg ReCOILConfig, log io.Writer, metrics func(map[string]any)) (*Policy, error) {
	s, err := loadOffline(cfg.Dataset, cfg.Env, cfg.Collect, cfg.Seed)
	if err != nil {
		return nil, fmt.Errorf("recoil: %w", err)
	}
	var e *dataset.Dataset
	switch {
	case cfg.Expert != "":
		if e, err = dataset.Load(cfg.Expert); err != nil {
			return nil, fmt.Errorf("recoil: %w", err)
		}
		if e.Env != s.Env {
			return nil, fmt.Errorf("recoil: the expert data are %s transitions, the suboptimal data %s", e.Env, s.Env)
		}
	case cfg.Collect > 0:
		pol, err := ScriptedPolicy(s.Env)
		if err != nil {
			return nil, fmt.Errorf("recoil: %w", err)
		}
		if e, err = collectEpisodes(s.Env, pol, 1, cfg.Seed+91); err != nil {
			return nil, fmt.Errorf("recoil: %w", err)
		}
	default:
		return nil, fmt.Errorf("recoil: needs expert demonstrations (--expert-dataset)")
	}
	box, err := boxOf(s.Env)
	if err != nil {
		return nil, fmt.Errorf("recoil: %w", err)
	}
	if err := checkBox(s, box); err != nil {
		return nil, fmt.Errorf("recoil: %w", err)
	}
	if err := checkBox(e, box); err != nil {
		return nil, fmt.Errorf("recoil: expert data: %w", err)
	}
	if cfg.Batch < 2 || cfg.Temp <= 0 {
		return nil, fmt.Errorf("recoil: batch_size %d, temp %v: want >= 2 and > 0", cfg.Batch, cfg.Temp)
	}
	var norm *obsNorm
	if cfg.Normalize {
		norm = newObsNorm(concatDatasets(s, e).Obs, s.ObsDim)
	}
	sData, eData := fromDataset(s, norm), fromDataset(e, norm)
	if cfg.MixExpert {
		sData = fromDataset(concatDatasets(s, e), norm)
	}
	r := rand.New(rand.NewPCG(cfg.Seed, 0x7265636f696c))
	H := cfg.Batch / 2
	n, err := newDVLNets(box, cfg.Hidden, H, 2*H, r) // critics and V take 2H rows
	if err != nil {
		return nil, err
	}
	var vSum, qSum, aSum, qE, qS float64
	for step := 0; step < cfg.Steps; step++ {
		bs, be := sData.sample(r, H), eData.sample(r, H)
		tq := n.critic.targetMin(bs.obs, bs.act, H)
		v := n.values(bs.obs, H)
		x := make([]float64, H)
		for i := range x {
			x[i] = tq[i] - v[i]
		}
		// The Gumbel stabiliser m also sees the expert half.
		tqE, vE := n.critic.targetMin(be.obs, be.act, H), n.values(be.obs, H)
		xE := make([]float64, H)
		for i := range xE {
			xE[i] = tqE[i] - vE[i]
		}
		vl, dV := recoilValueLoss(x, xE, cfg.Temp, cfg.MaxClip)
		n.vStep(bs.obs, dV, cfg.LR)
		vNew := n.values(bs.obs, H)
		u := make([]float64, H)
		for i := range u {
			u[i] = tq[i] - vNew[i]
		}
		al, _ := n.awrStep(bs.obs, bs.act, u, cfg.AWRTemp, cfg.MaxWeight, cfg.LR)
		nv := n.values(bs.next, H)
		// One regression over 2H rows: S rows toward y, E rows toward
		// ExpertQ; each row's weight 2 turns mean over 2H into mean over H.
		obs := append(append([]float32(nil), bs.obs...), be.obs...)
		act := append(append([]float64(nil), bs.act...), be.act...)
		y, c := make([]float64, 2*H), make([]float64, 2*H)
		for i := 0; i < H; i++ {
			y[i] = recoilQTarget(nv[i], bs.nd[i], cfg.BellmanReward, cfg.Gamma, cfg.Absorbing)
			y[H+i] = cfg.ExpertQ
			c[i], c[H+i] = 2, 2
		}
		ql := n.huberRegress(obs, act, y, c, 0, cfg.LR)
		n.critic.polyak(cfg.Tau)
		if math.IsNaN(vl) || math.IsNaN(ql) {
			return nil, fmt.Errorf("recoil: step %d: the value or Q loss is NaN (diverged; raise temp)", step+1)
		}
		vSum, qSum, aSum = vSum+vl, qSum+ql, aSum+al
		qE += mean(n.critic.targetMin(be.obs, be.act, H))
		qS += mean(tq)
		if cfg.LogEvery > 0 && (step+1)%cfg.LogEvery == 0 {
			k := float64(cfg.LogEvery)
			if metrics != nil {
				metrics(map[string]any{"grad_steps": step + 1, "v_loss": vSum / k, "q_loss": qSum / k, "actor_loss": aSum / k,
					"q_expert": qE / k, "q_suboptimal": qS / k})
			}
			if log != nil {
				fmt.Fprintf(log, "recoil %s step %d  v_loss %.4f  q_loss %.4f  actor_loss %.4f  Q'(E) %.1f  Q'(S) %.1f\n",
					s.Env, step+1, vSum/k, qSum/k, aSum/k, qE/k, qS/k)
			}
			vSum, qSum, aSum, qE, qS = 0, 0, 0, 0, 0
		}
	}
	if norm != nil {
		norm.fold(n.actor)
	}
	return n.policy(), nil
}

// RunReCOIL trains ReCOIL into dir like RunSAC.
func RunReCOIL(cfg ReCOILConfig, dir string, evalEpisodes int, log io.Writer) (*Summary, error) {
	envName, err := offlineEnv(cfg.Dataset, cfg.Env)
	if err != nil {
		return nil, err
	}
	return runAlgo("recoil", cfg, envName, cfg.Seed, cfg.Steps, dir, evalEpisodes, func(metrics func(map[string]any)) (*Policy, error) {
		return TrainReCOIL(cfg, log, metrics)
	})
}
